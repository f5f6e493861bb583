package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/moby/sys/mountinfo"
)

// Options tune Inspect.
type Options struct {
	// HostRootDevice is the major:minor of the host's root filesystem; a
	// mount of its root directory inside the target is the whole host disk.
	HostRootDevice string
	// Brief reads only what a comparison needs of a reference: identity,
	// namespaces, kernel names and the root mount. Cgroup, Capabilities,
	// Security, Signals and Runtime stay nil.
	Brief bool
}

// beforeRecheck, when set by a test, runs between the reads and the final
// start-time check, to make a process exit or its pid be reused there.
var beforeRecheck func(pid int)

// userHZ is the unit of /proc/<pid>/stat times. The kernel exports them in
// USER_HZ, which is 100 on every architecture Linux runs containers on.
const userHZ = 100

// SelfPID is the pid of the reader as the proc root knows it.
func (fsys FS) SelfPID() (int, error) {
	if fsys.Live() {
		return os.Getpid(), nil
	}
	link, err := os.Readlink(fsys.self())
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", fsys.self(), err)
	}
	return strconv.Atoi(link)
}

// Inspect reads everything about pid. It fails only when there is nothing
// to report (no such process, or it was replaced mid-read); any other
// failure leaves its section nil with the reason in Errors. If the process
// exits during the read, the partial Process is returned with ErrExited.
func (fsys FS) Inspect(pid int, opt Options) (*Process, error) {
	statFile := fsys.pid(pid, "stat")
	b, err := readFile(statFile)
	if err != nil {
		return nil, fsys.notFound(pid, err)
	}
	first, err := parseStat(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", statFile, err)
	}
	p := &Process{PID: pid, Errors: []SectionError{}}

	statusFile := fsys.pid(pid, "status")
	var st *Status
	if raw, err := readFile(statusFile); err != nil {
		p.Fail("process", fmt.Errorf("reading %s: %w", statusFile, classify(err)))
	} else if st, err = parseStatus(bytes.NewReader(raw)); err != nil {
		p.Fail("process", fmt.Errorf("%s: %w", statusFile, err))
	}
	p.Info, err = fsys.processInfo(pid, first, st, statFile, statusFile)
	p.Fail("process", err)
	zombie := first.State == "Z" || first.State == "X"

	ns, err := fsys.Namespaces(pid)
	p.Fail("namespaces", err)
	p.Namespaces = ns
	if p.Namespaces == nil {
		p.Namespaces = []Namespace{}
	}

	var cg *Cgroup
	if !opt.Brief {
		var errs []error
		cg, errs = fsys.Cgroup(pid)
		p.Cgroup = cg
		for _, e := range errs {
			p.Fail("cgroup", e)
		}
	}

	p.Kernel, err = fsys.Kernel()
	p.Fail("kernel", err)
	if p.Kernel != nil {
		uts, ok := FindNamespace(ns, NSUTS)
		p.Fail("kernel", fsys.names(p.Kernel, pid, ok && uts.Inode != 0, fsys.sameAsSelf(ns, NSUTS)))
	}

	if st != nil && !opt.Brief {
		last, err := fsys.lastCap()
		p.Fail("capabilities", err)
		p.Capabilities = newCapabilities(st, last, statusFile)
		var serrs []error
		p.Security, serrs = fsys.newSecurity(pid, st, statusFile)
		for _, e := range serrs {
			p.Fail("security", e)
		}
		wchanFile := fsys.pid(pid, "wchan")
		wchan, _ := readTrim(wchanFile) // "0" or empty when running or unreadable
		if wchan == "0" {
			wchan = ""
		}
		p.Signals = newSignals(st, wchan, statusFile, wchanFile)
		p.Fail("signals", fsys.addChildren(p.Signals, pid))
	}

	mountsFile := fsys.pid(pid, "mountinfo")
	var table mountTable
	if raw, err := readFile(mountsFile); err != nil {
		// A zombie has left its mount namespace: opening mountinfo gives EINVAL.
		if errors.Is(err, syscall.EINVAL) || zombie {
			err = ErrZombie
		}
		p.Fail("rootfs", fmt.Errorf("reading %s: %w", mountsFile, classify(err)))
	} else if table, err = parseMountinfo(raw); err != nil {
		p.Fail("rootfs", fmt.Errorf("%s: %w", mountsFile, err))
	} else {
		p.Rootfs, err = newRootfs(table, mountsFile, opt.HostRootDevice)
		p.Fail("rootfs", err)
		// Only a mount namespace known not to be the host's has binds to
		// search: the host's own /run holds its sockets by right.
		// (The host is PID 1's side, or the reader's when PID 1's root
		// cannot be reached, as for hostRoot.)
		hostMnt := fsys.self("ns", "mnt")
		if fsys.hostRoot() == fsys.pid(1, "root") {
			hostMnt = fsys.pid(1, "ns", "mnt")
		}
		if same, known := compareLink(hostMnt, ns, NSMount); p.Rootfs != nil && !opt.Brief && known && !same {
			socks, err := fsys.hostSockets(table)
			if err != nil && !absent(err) {
				p.Fail("rootfs", fmt.Errorf("looking for runtime sockets under bind mounts: %w", err))
			}
			p.Rootfs.Notable = append(p.Rootfs.Notable, socks...)
		}
	}

	if !opt.Brief {
		var errs []error
		p.Runtime, errs = fsys.detectRuntime(pid, cg, table, mountsFile, ns, opt.HostRootDevice)
		for _, e := range errs {
			p.Fail("runtime", e)
		}
		fsys.nameRuntime(p.Runtime, pid)
		if rt := p.Runtime; rt != nil && rt.Name == RuntimeNsinspect && rt.ContainerID != "" {
			st := fsys.nsinspectState(rt.ContainerID)
			if rt.ContainerName == "" {
				rt.ContainerName = st.Name
			}
			rt.SeccompProfile = st.Spec.Seccomp.Profile
			if st.Spec.Privileged || rt.SeccompProfile == "" && st.Name != "" {
				// --privileged runs unconfined; a state without a
				// profile was written before nsinspect had filters.
				rt.SeccompProfile = "unconfined"
			}
		}
	}

	// On cgroup v2 the device policy is an eBPF program, which no file
	// shows; docker run --privileged also copies the host's device nodes
	// into the container's /dev. A host disk or /dev/mem there, with
	// CAP_SYS_ADMIN, is the host: report decides so (privileged.go). /dev
	// is walked only where such a node can change that verdict: for
	// CAP_SYS_ADMIN outside a user namespace of its own, not with every
	// capability already, and not with every device already allowed or
	// the host's devtmpfs mounted (which a host process has).
	if c := p.Capabilities; c != nil && p.Rootfs != nil && c.Effective.Has("CAP_SYS_ADMIN") && !c.Effective.Full() &&
		(p.Security == nil || !p.Security.UserNamespaced) &&
		(cg == nil || cg.Devices.AllowAll == nil || !*cg.Devices.AllowAll) && !p.Rootfs.HostDevices {
		p.Rootfs.HostDiskDevice = fsys.hostDeviceNode(pid)
	}

	// Same start time before and after: the pid still names the process we
	// began with, not one that took its number.
	if beforeRecheck != nil {
		beforeRecheck(pid)
	}
	b, err = readFile(statFile)
	if err != nil {
		return p, fmt.Errorf("pid %d: %w", pid, ErrExited)
	}
	if last, err := parseStat(b); err != nil || last.StartTicks != first.StartTicks {
		return nil, fmt.Errorf("pid %d: %w", pid, ErrPIDReused)
	}
	if zombie {
		p.Fail("process", fmt.Errorf("pid %d is a zombie: it has exited and waits for its parent to reap it", pid))
	}
	return p, nil
}

// notFound explains a pid whose stat cannot be read. Under hidepid a
// process of another user is invisible, and stat gives ENOENT as if it did
// not exist, so the proc mount options are the only way to tell.
func (fsys FS) notFound(pid int, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
		if fsys.hidepid() && os.Geteuid() != 0 {
			return fmt.Errorf("pid %d: %w (or no such process)", pid, ErrHidden)
		}
		return fmt.Errorf("pid %d: %w", pid, ErrNoProcess)
	}
	return fmt.Errorf("pid %d: %w", pid, classify(err))
}

// hidepid reports whether the proc root is mounted with hidepid.
func (fsys FS) hidepid() bool {
	b, err := readFile(fsys.self("mountinfo"))
	if err != nil {
		return false
	}
	ms, err := mountinfo.GetMountsFromReader(bytes.NewReader(b), mountinfo.FSTypeFilter("proc"))
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.Mountpoint == fsys.procRoot && strings.Contains(m.VFSOptions, "hidepid=") && !strings.Contains(m.VFSOptions, "hidepid=0") && !strings.Contains(m.VFSOptions, "hidepid=off") {
			return true
		}
	}
	return false
}

// processInfo also reads the command line. It is left empty when it cannot
// be read (a zombie has none); only a read that hung is an error.
func (fsys FS) processInfo(pid int, stat *Stat, st *Status, statFile, statusFile string) (*ProcessInfo, error) {
	info := &ProcessInfo{PID: pid, PPid: stat.PPid, Comm: stat.Comm, State: stat.State, StartTicks: stat.StartTicks, Cmdline: []string{}, NSpid: []int{}}
	info.Sources.Add("startTicks", statFile, fmt.Sprintf("field 22: %d", stat.StartTicks))
	if st != nil {
		info.NSpid = st.NSpid
		info.State = st.State
		info.UID, info.EUID = st.UID[0], st.UID[1]
		info.GID, info.EGID = st.GID[0], st.GID[1]
		info.Sources.Add("nspid", statusFile, "NSpid:\t"+joinInts(st.NSpid))
		info.Sources.Add("uid", statusFile, fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", st.UID[0], st.UID[1], st.UID[2], st.UID[3]))
	}
	if btime, err := fsys.bootTime(); err == nil {
		info.StartTime = time.Unix(btime, 0).Add(time.Duration(stat.StartTicks) * time.Second / userHZ).UTC()
		info.Sources.Add("startTime", fsys.proc("stat"), fmt.Sprintf("btime %d + %d ticks / %d", btime, stat.StartTicks, userHZ))
	}
	raw, err := fsys.readSlow(fsys.pid(pid, "cmdline"))
	if raw = bytes.TrimRight(raw, "\x00"); len(raw) > 0 {
		info.Cmdline = strings.Split(string(raw), "\x00")
	}
	if errors.Is(err, ErrTimedOut) {
		return info, fmt.Errorf("reading %w", err)
	}
	return info, nil
}

// bootTime reads btime, the boot time in seconds since the epoch, from
// /proc/stat. (gopsutil's BootTime probes for virtualisation on every first
// call, reading a dozen files; this needs one line.)
func (fsys FS) bootTime() (int64, error) {
	read := func() (int64, error) {
		b, err := readFile(fsys.proc("stat"))
		if err != nil {
			return 0, err
		}
		return parseBtime(b)
	}
	if fsys.boot == nil {
		return read()
	}
	fsys.boot.once.Do(func() { fsys.boot.sec, fsys.boot.err = read() })
	return fsys.boot.sec, fsys.boot.err
}

func parseBtime(b []byte) (int64, error) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			return strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
		}
	}
	return 0, errors.New("no btime line in stat")
}

// lastCap reads /proc/sys/kernel/cap_last_cap, the highest capability the
// running kernel knows.
func (fsys FS) lastCap() (int, error) {
	p := fsys.proc("sys", "kernel", "cap_last_cap")
	s, err := readTrim(p)
	if err != nil {
		return 63, fmt.Errorf("reading %s: %w", p, err)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 63 {
		return 63, fmt.Errorf("%s: bad value %q", p, s)
	}
	return n, nil
}

// sameAsSelf reports whether the namespace of type t in list is the reader's.
func (fsys FS) sameAsSelf(list []Namespace, t NamespaceType) bool {
	return linkIn(fsys.self("ns", string(t)), list, t)
}

// knownIsolated reports whether list shows, from namespaces that were
// read, that the process is isolated: a pid namespace other than the
// host's, or a mount namespace other than the reader's.
func (fsys FS) knownIsolated(list []Namespace) bool {
	if pidNS, ok := FindNamespace(list, NSPID); ok {
		if initial, known := pidNS.Initial(); known && !initial {
			return true
		}
	}
	same, known := fsys.compareSelf(list, NSMount)
	return known && !same
}

// compareSelf compares the namespace of type t in list with the reader's:
// known is false when either could not be read.
func (fsys FS) compareSelf(list []Namespace, t NamespaceType) (same, known bool) {
	return compareLink(fsys.self("ns", string(t)), list, t)
}

// compareLink is linkIn with "could not be read" kept apart from "no".
func compareLink(path string, list []Namespace, t NamespaceType) (same, known bool) {
	ns, ok := FindNamespace(list, t)
	if !ok || ns.Inode == 0 {
		return false, false
	}
	link, err := os.Readlink(path)
	if err != nil {
		return false, false
	}
	_, ino, err := parseNamespaceLink(link)
	if err != nil {
		return false, false
	}
	return ino == ns.Inode, true
}

// linkIn reports whether the /proc/<pid>/ns/<t> link at path names the
// namespace of type t in list.
func linkIn(path string, list []Namespace, t NamespaceType) bool {
	ns, ok := FindNamespace(list, t)
	if !ok || ns.Inode == 0 {
		return false
	}
	link, err := os.Readlink(path)
	if err != nil {
		return false
	}
	_, ino, err := parseNamespaceLink(link)
	return err == nil && ino == ns.Inode
}

// hostDeviceNode names a node in the process's /dev that reaches the
// host's disks or memory: a block device that is one of the host's
// (/sys/dev/block/<major:minor> of the reader, a host's sysfs), or
// /dev/mem (1:1) or /dev/port (1:4), which docker run --privileged copies
// in; as "/dev/vda (254:0)". "" when there is none or /dev cannot be
// read. Only for the live /proc: a fixture has no devices.
func (fsys FS) hostDeviceNode(pid int) string {
	if !fsys.Live() {
		return ""
	}
	devs, err := fsys.deviceNodesIn(fsys.pid(pid, "root"), "dev")
	if err != nil {
		return ""
	}
	for _, d := range devs {
		f := strings.Fields(d)
		if len(f) != 3 {
			continue
		}
		found := f[1] == "c" && (f[2] == "1:1" || f[2] == "1:4")
		if f[1] == "b" {
			_, err := os.Stat("/sys/dev/block/" + f[2])
			found = err == nil
		}
		if found {
			return "/dev/" + f[0] + " (" + f[2] + ")"
		}
	}
	return ""
}
