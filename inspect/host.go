package inspect

import (
	"bytes"
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/mem"
)

// Host reads host memory and CPU count through gopsutil, pointed at the
// configured proc root (its HOST_PROC convention).
func (fsys FS) Host() (*Host, error) {
	ctx := context.WithValue(context.Background(), common.EnvKey, common.EnvMap{common.HostProcEnvKey: fsys.procRoot})
	h := &Host{}
	vm, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return h, fmt.Errorf("reading host memory: %w", err)
	}
	h.MemTotalBytes = vm.Total
	h.Sources.Add("memTotalBytes", fsys.proc("meminfo"), fmt.Sprintf("MemTotal: %d kB", vm.Total/1024))
	h.SwapTotalBytes = &vm.SwapTotal
	h.Sources.Add("swapTotalBytes", fsys.proc("meminfo"), fmt.Sprintf("SwapTotal: %d kB", vm.SwapTotal/1024))
	// Online CPUs as docker stats counts them: the cpuN lines of
	// /proc/stat. (gopsutil parses /proc/cpuinfo, a kilobyte per CPU; this
	// file is read anyway, for the boot time.)
	b, err := readFile(fsys.proc("stat"))
	if err != nil {
		return h, fmt.Errorf("counting host cpus: %w", err)
	}
	h.CPUs = countStatCPUs(b)
	h.Sources.Add("cpus", fsys.proc("stat"), fmt.Sprintf("%d cpuN lines", h.CPUs))
	if _, mode, err := fsys.cgroupMounts(); err == nil {
		h.CgroupMode = mode
		h.Sources.Add("cgroupMode", fsys.self("mountinfo"), "cgroup mounts: "+string(mode))
	}
	return h, nil
}

// countStatCPUs counts the "cpu0", "cpu1", ... lines of /proc/stat: the
// online CPUs.
func countStatCPUs(b []byte) int {
	n := 0
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return n
}
