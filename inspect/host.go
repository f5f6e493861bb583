package inspect

import (
	"bytes"
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/mem"
)

// Host holds what the machine has, for the "host" column: what a container
// without limits may use, and what free and nproc show inside it anyway.
type Host struct {
	MemTotalBytes uint64 `json:"memTotalBytes"`
	// SwapTotalBytes is SwapTotal of /proc/meminfo: 0 when the host has
	// no swap, and a cgroup's swap limit then allows nothing to swap.
	SwapTotalBytes *uint64    `json:"swapTotalBytes"`
	CPUs           int        `json:"cpus"`
	CgroupMode     CgroupMode `json:"cgroupMode"`
	Sources        Sources    `json:"evidence,omitempty"`
}

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
	h.Sources.add("memTotalBytes", fsys.proc("meminfo"), fmt.Sprintf("MemTotal: %d kB", vm.Total/1024))
	h.SwapTotalBytes = &vm.SwapTotal
	h.Sources.add("swapTotalBytes", fsys.proc("meminfo"), fmt.Sprintf("SwapTotal: %d kB", vm.SwapTotal/1024))
	// Online CPUs as docker stats counts them: the cpuN lines of
	// /proc/stat. (gopsutil parses /proc/cpuinfo, a kilobyte per CPU; this
	// file is read anyway, for the boot time.)
	b, err := readFile(fsys.proc("stat"))
	if err != nil {
		return h, fmt.Errorf("counting host cpus: %w", err)
	}
	h.CPUs = countStatCPUs(b)
	h.Sources.add("cpus", fsys.proc("stat"), fmt.Sprintf("%d cpuN lines", h.CPUs))
	if _, mode, err := fsys.cgroupMounts(); err == nil {
		h.CgroupMode = mode
		h.Sources.add("cgroupMode", fsys.self("mountinfo"), "cgroup mounts: "+string(mode))
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
