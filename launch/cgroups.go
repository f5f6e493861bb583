package launch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
)

const cgroupRoot = "/sys/fs/cgroup"

// cgroupParent is where every container's cgroup lives, in each hierarchy:
// /nsinspect/<id>, absolute rather than nested under the launcher's own
// cgroup (here the shell's memory cgroup belongs to the machine's tooling).
const cgroupParent = "/nsinspect"

// dockerDevices is Docker's device allow list: everything denied, then the
// few character devices a container's /dev holds, plus mknod of any kind
// (a node made cannot be opened unless allowed here).
func dockerDevices(privileged bool) []specs.LinuxDeviceCgroup {
	if privileged {
		return []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	}
	c := func(major, minor int64) specs.LinuxDeviceCgroup {
		d := specs.LinuxDeviceCgroup{Allow: true, Type: "c", Access: "rwm"}
		if major >= 0 {
			d.Major = &major
		}
		if minor >= 0 {
			d.Minor = &minor
		}
		return d
	}
	all := func(t string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: t, Access: "m"}
	}
	list := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, all("c"), all("b")}
	for _, d := range containerDevices {
		list = append(list, c(d.major, d.minor))
	}
	return list
}

// v2Devices spells a device list the way cgroup2's eBPF filter builder
// needs it: every type and number explicit, "a" for any type and -1 for
// any number (it dereferences both and rejects an empty type; cgroup1
// takes the short form).
func v2Devices(list []specs.LinuxDeviceCgroup) []specs.LinuxDeviceCgroup {
	out := make([]specs.LinuxDeviceCgroup, len(list))
	for i, d := range list {
		if d.Type == "" {
			d.Type = "a"
		}
		any := int64(-1)
		if d.Major == nil {
			d.Major = &any
		}
		if d.Minor == nil {
			d.Minor = &any
		}
		out[i] = d
	}
	return out
}

func toSpecs(r Resources, privileged bool) *specs.LinuxResources {
	res := &specs.LinuxResources{Devices: dockerDevices(privileged)}
	if r.MemoryBytes != nil {
		res.Memory = &specs.LinuxMemory{Limit: r.MemoryBytes}
		swap := r.MemorySwapBytes
		if swap == nil {
			// Docker's default: as much swap as memory.
			s := 2 * *r.MemoryBytes
			swap = &s
		}
		if swapAccounting() {
			res.Memory.Swap = swap
		}
	}
	if r.CPUQuota != nil || r.CPUShares != nil || r.CpusetCPUs != "" {
		res.CPU = &specs.LinuxCPU{Cpus: r.CpusetCPUs, Shares: r.CPUShares}
		if r.CPUQuota != nil {
			p := r.CPUPeriod
			res.CPU.Quota, res.CPU.Period = r.CPUQuota, &p
		}
	}
	// No pids limit here: the init writes it (pidsFile) as its last step
	// before exec, so the Go runtime's threads never count against it.
	return res
}

// swapAccounting reports whether the v1 memory controller accounts swap
// (memory.memsw.* exist) or v2 has memory.swap.max.
func swapAccounting() bool {
	for _, p := range []string{cgroupRoot + "/memory/memory.memsw.limit_in_bytes", cgroupRoot + "/memory.swap.max", cgroupRoot + "/init.scope/memory.swap.max"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return cgroups.Mode() == cgroups.Unified
}

// cgroupSet is the cgroups of one container: the v1 controllers through
// cgroup1 (legacy and hybrid hosts), or the v2 group through cgroup2, plus
// on hybrid hosts a directory in the unified tree, which has no
// controllers but offers cgroup.kill and cgroup.events.
type cgroupSet struct {
	paths   Paths
	v1      cgroup1.Cgroup
	v2      *cgroup2.Manager
	extraV1 []string // v1 hierarchies outside cgroup1's knowledge (misc)
}

// pidsFile opens the container's pids.max for writing. The cgroup is made
// without a pids limit: the init, a Go program, holds four to six threads
// (the runtime's, started lazily) while it sets the container up, and a
// limit below that would make the runtime die of "failed to create new OS
// thread" (a fatal error and every goroutine's stack) — or, just above it,
// leave the user's command fewer tasks than it asked for. The init writes
// the limit through this descriptor with a raw write immediately before
// exec, when no user code has run yet; exec then ends its other threads,
// and the command and its children get exactly --pids-limit tasks, as in
// Docker. The kernel accepts a pids.max below pids.current: it only stops
// new forks.
func (cs *cgroupSet) pidsFile() (*os.File, error) {
	dir := cs.paths.V1["pids"]
	if cs.paths.Mode == "v2" {
		dir = cs.paths.Unified
	}
	if dir == "" {
		return nil, errors.New("--pids-limit: this host has no pids cgroup controller")
	}
	f, err := os.OpenFile(dir+"/pids.max", os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("--pids-limit: %w", err)
	}
	return f, nil
}

func containerCgroup(id string) string { return cgroupParent + "/" + id }

// createCgroups makes the container's cgroups with their limits. A cgroup
// that already exists is refused: it might hold processes or be frozen.
func createCgroups(id string, r Resources, privileged bool) (*cgroupSet, error) {
	unlock, err := lockCgroups()
	if err != nil {
		return nil, fmt.Errorf("locking the cgroup parents: %w", err)
	}
	defer unlock()
	group := containerCgroup(id)
	res := toSpecs(r, privileged)
	cs := &cgroupSet{}
	switch mode := cgroups.Mode(); mode {
	case cgroups.Unified:
		cs.paths.Mode = "v2"
		if _, err := os.Stat(cgroupRoot + group); err == nil {
			return nil, fmt.Errorf("cgroup %s already exists", group)
		}
		// The parent must delegate the controllers to its children.
		for _, dir := range []string{cgroupRoot, cgroupRoot + cgroupParent} {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(dir+"/cgroup.subtree_control", []byte("+memory +cpu +cpuset +pids +io"), 0)
		}
		// ToResources leaves the device list out: without it the group
		// gets no eBPF device program and any node the container can
		// mknod opens (found on the v2 guest of scripts/vm).
		r2 := cgroup2.ToResources(res)
		r2.Devices = v2Devices(res.Devices)
		var m *cgroup2.Manager
		var err error
		for try := 0; try < 3; try++ { // the shared parent may vanish in a concurrent cleanup
			if m, err = cgroup2.NewManager(cgroupRoot, group, r2); err == nil {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("creating cgroup %s: %w", group, err)
		}
		cs.v2 = m
		cs.paths.Unified = cgroupRoot + group
	case cgroups.Legacy, cgroups.Hybrid:
		cs.paths.Mode = "v1"
		if _, err := os.Stat(cgroupRoot + "/memory" + group); err == nil {
			return nil, fmt.Errorf("cgroup %s already exists", group)
		}
		// A controller mounted while the machine runs is picked up: the
		// hierarchy is read from mountinfo on every creation.
		var cg cgroup1.Cgroup
		var err error
		for try := 0; try < 5; try++ { // a concurrent cleanup may remove the shared parent
			if cg, err = cgroup1.New(cgroup1.StaticPath(group), res); err == nil {
				break
			}
		}
		if err != nil {
			cs.removeV1Dirs(group)
			return nil, fmt.Errorf("creating cgroup %s: %w", group, err)
		}
		cs.v1 = cg
		cs.paths.V1 = map[string]string{}
		covered := map[string]bool{} // real paths of the hierarchies cgroup1 manages
		for _, s := range cg.Subsystems() {
			if p, ok := s.(interface{ Path(string) string }); ok {
				dir := p.Path(group)
				cs.paths.V1[string(s.Name())] = dir
				if real, err := filepath.EvalSymlinks(strings.TrimSuffix(dir, group)); err == nil {
					covered[real] = true
				}
			}
		}
		// Hierarchies cgroup1 does not know (misc, a named one other
		// than systemd) get the container's directory too, as runc
		// gives them: a process left in the launcher's cgroup there
		// would count against, and be managed with, the launcher.
		for _, m := range hostCgroupMounts() {
			mnt := cgroupRoot + "/" + m.dir
			if real, err := filepath.EvalSymlinks(mnt); err != nil || covered[real] {
				continue
			}
			covered[mnt] = true
			if err := mkdirShared(mnt + group); err != nil {
				cs.destroy()
				return nil, fmt.Errorf("creating %s: %w", mnt+group, err)
			}
			cs.paths.V1[m.dir] = mnt + group
			cs.extraV1 = append(cs.extraV1, mnt+group)
		}
		if mode == cgroups.Hybrid {
			cs.paths.Mode = "hybrid"
			dir := cgroupRoot + "/unified" + group
			if err := mkdirShared(dir); err != nil {
				cs.destroy()
				return nil, fmt.Errorf("creating %s: %w", dir, err)
			}
			cs.paths.Unified = dir
		}
	default:
		return nil, errors.New("no cgroup filesystem is mounted at /sys/fs/cgroup")
	}
	return cs, nil
}

// mkdirShared makes dir under the shared /nsinspect parent. Another
// container's cleanup may remove that parent between MkdirAll's steps when
// it was empty for a moment: retry.
func mkdirShared(dir string) error {
	var err error
	for try := 0; try < 5; try++ {
		if err = os.MkdirAll(dir, 0o755); err == nil || !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

func (cs *cgroupSet) removeV1Dirs(group string) {
	entries, _ := os.ReadDir(cgroupRoot)
	for _, e := range entries {
		os.Remove(filepath.Join(cgroupRoot, e.Name(), group))
	}
}

// loadCgroups reattaches to a container's cgroups from its state, for
// cleanup after its launcher was killed.
func loadCgroups(p Paths) *cgroupSet { return &cgroupSet{paths: p} }

// add moves pid into every cgroup of the container. It runs before the
// container's init is told to proceed, so no user code ever runs outside
// the limits.
func (cs *cgroupSet) add(pid int) error {
	if cs.v2 != nil {
		if err := cs.v2.AddProc(uint64(pid)); err != nil {
			return fmt.Errorf("adding pid %d to %s: %w", pid, cs.paths.Unified, err)
		}
		return nil
	}
	if cs.v1 != nil {
		if err := cs.v1.AddProc(uint64(pid)); err != nil {
			return fmt.Errorf("adding pid %d to the v1 cgroups: %w", pid, err)
		}
		for _, dir := range cs.extraV1 {
			if err := os.WriteFile(dir+"/cgroup.procs", []byte(strconv.Itoa(pid)), 0); err != nil {
				return fmt.Errorf("adding pid %d to %s: %w", pid, dir, err)
			}
		}
	} else {
		// Reattached from state (nsinspect exec): the paths are all we have.
		for _, dir := range cs.paths.V1 {
			if err := os.WriteFile(dir+"/cgroup.procs", []byte(strconv.Itoa(pid)), 0); err != nil {
				return fmt.Errorf("adding pid %d to %s: %w", pid, dir, err)
			}
		}
	}
	if cs.paths.Unified != "" {
		if err := os.WriteFile(cs.paths.Unified+"/cgroup.procs", []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("adding pid %d to %s: %w", pid, cs.paths.Unified, err)
		}
	}
	return nil
}

// memoryDir is the directory with the container's memory files.
func (cs *cgroupSet) memoryDir() string {
	if cs.paths.Mode == "v2" {
		return cs.paths.Unified
	}
	return cs.paths.V1["memory"]
}

// oomKills reads the memory cgroup's OOM-kill counter.
func (cs *cgroupSet) oomKills() (uint64, error) {
	dir := cs.memoryDir()
	if dir == "" {
		return 0, errors.New("no memory cgroup")
	}
	return inspect.OOMKills(dir, cs.paths.Mode == "v2")
}

// procs lists the pids in the container's cgroup (the unified one when
// there is one, else the first v1 controller).
func (cs *cgroupSet) procs() []int {
	dirs := []string{cs.paths.Unified}
	for _, d := range cs.paths.V1 {
		dirs = append(dirs, d)
	}
	seen := map[int]bool{}
	var out []int
	for _, d := range dirs {
		if d == "" {
			continue
		}
		b, err := os.ReadFile(d + "/cgroup.procs")
		if err != nil {
			continue
		}
		for f := range strings.FieldsSeq(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
				seen[pid] = true
				out = append(out, pid)
			}
		}
	}
	return out
}

// killAll SIGKILLs every process of the container. cgroup.kill (Linux 5.14,
// also in a hybrid host's unified tree) does it atomically; otherwise the
// v1 freezer stops the group so nothing can fork while each pid is killed.
func (cs *cgroupSet) killAll() {
	if cs.paths.Unified != "" {
		if err := os.WriteFile(cs.paths.Unified+"/cgroup.kill", []byte("1"), 0); err == nil {
			return
		}
	}
	freezer := cs.paths.V1["freezer"]
	if freezer != "" {
		os.WriteFile(freezer+"/freezer.state", []byte("FROZEN"), 0)
	}
	for _, pid := range cs.procs() {
		syscallKill(pid)
	}
	if freezer != "" {
		os.WriteFile(freezer+"/freezer.state", []byte("THAWED"), 0)
	}
}

// destroy kills what is left and removes every directory, nested cgroups
// the container made first (a container with a writable cgroupfs can make
// its own sub-cgroups), leaf first, retrying while the kernel still tears
// the last tasks down. It fails when any directory stays.
func (cs *cgroupSet) destroy() error {
	cs.killAll()
	var dirs []string
	for _, d := range cs.paths.V1 {
		dirs = append(dirs, d)
	}
	if cs.paths.Unified != "" {
		dirs = append(dirs, cs.paths.Unified)
	}
	var errs []error
	for _, d := range dirs {
		if err := cs.removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	// The shared parents go with the last container; under the lock, so
	// none vanishes while another launcher makes its cgroups.
	if unlock, err := lockCgroups(); err == nil {
		for _, d := range dirs {
			os.Remove(filepath.Dir(d)) // fails, harmlessly, while others use it
		}
		unlock()
	}
	return errors.Join(errs...)
}

// removeTree removes dir and every cgroup below it, deepest first. Only
// directories are descended into: a cgroup's files are the kernel's.
func (cs *cgroupSet) removeTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var errs []error
	for _, e := range ents {
		if e.IsDir() {
			if err := cs.removeTree(filepath.Join(dir, e.Name())); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return cs.rmdirRetry(dir)
}

// rmdirRetry removes a cgroup directory. The kernel refuses (EBUSY) while
// tasks remain, including ones still exiting: kill whatever is listed and
// retry with a growing pause, for up to about 2.5 s.
func (cs *cgroupSet) rmdirRetry(dir string) error {
	var err error
	delay := time.Millisecond
	for i := 0; i < 12; i++ {
		if err = os.Remove(dir); err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if b, rerr := os.ReadFile(dir + "/cgroup.procs"); rerr == nil {
			for f := range strings.FieldsSeq(string(b)) {
				if pid, perr := strconv.Atoi(f); perr == nil {
					syscallKill(pid)
				}
			}
		}
		time.Sleep(delay)
		delay = min(2*delay, 500*time.Millisecond)
	}
	return fmt.Errorf("removing cgroup %s: %w", dir, err)
}

func syscallKill(pid int) { _ = unix.Kill(pid, unix.SIGKILL) }
