package inspect

import (
	"context"
	"fmt"

	"github.com/shirou/gopsutil/v4/common"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"
)

// Host holds what the machine has, for the "host" column: what a container
// without limits may use, and what free and nproc show inside it anyway.
type Host struct {
	MemTotalBytes uint64     `json:"memTotalBytes"`
	CPUs          int        `json:"cpus"`
	CgroupMode    CgroupMode `json:"cgroupMode"`
	Sources       Sources    `json:"evidence,omitempty"`
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
	n, err := cpu.CountsWithContext(ctx, true)
	if err != nil {
		return h, fmt.Errorf("counting host cpus: %w", err)
	}
	h.CPUs = n
	h.Sources.add("cpus", fsys.proc("cpuinfo"), fmt.Sprintf("%d processor entries", n))
	if _, mode, err := fsys.cgroupMounts(); err == nil {
		h.CgroupMode = mode
		h.Sources.add("cgroupMode", fsys.self("mountinfo"), "cgroup mounts: "+string(mode))
	}
	return h, nil
}
