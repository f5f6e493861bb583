package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
)

// HostReference picks the host's stand-in and reads it: see
// ChooseHostReference and ReadReference.
func (fsys FS) HostReference(brief bool) (*Reference, error) {
	ref, err := fsys.ChooseHostReference()
	if err != nil {
		return nil, err
	}
	return ref, fsys.ReadReference(ref, brief)
}

// ChooseHostReference decides, with one readlink, which process stands for
// the host: PID 1 when its namespaces can be read, otherwise a process in
// the kernel's initial namespaces when the reader is not in them, otherwise
// the reader itself, and says which and why. The facts are read by ReadReference.
func (fsys FS) ChooseHostReference() (*Reference, error) {
	self, err := fsys.SelfPID()
	if err != nil {
		return nil, err
	}
	ref := &Reference{PID: 1, Kind: ReferenceInit, Reason: "PID 1, the host's init"}
	// PID 1 may hold capabilities the reader lacks (here: CAP_SYS_RESOURCE
	// missing from our bounding set), which makes its ns links EACCES even
	// to root under ptrace access rules.
	if _, err := os.Readlink(fsys.pid(1, "ns", "pid")); err != nil {
		why := err.Error()
		switch {
		case errors.Is(err, fs.ErrPermission):
			why = fsys.pid(1, "ns", "pid") + ": permission denied"
		case errors.Is(err, fs.ErrNotExist):
			why = fsys.pid(1, "ns", "pid") + ": not visible"
		}
		ref.PID, ref.Kind = self, ReferenceSelf
		ref.Reason = fmt.Sprintf("PID 1's namespaces are not readable (%s); compared with nsinspect itself (pid %d)", why, self)
		if pid, comm, ok := fsys.initialNamespacesProcess(self); ok {
			ref.PID, ref.Kind = pid, ReferenceHost
			ref.Reason = fmt.Sprintf("PID 1's namespaces are not readable (%s), and nsinspect is not in the kernel's initial ones; compared with pid %d (%s), the first child of PID 1 run by root in all the namespaces of kthreadd (pid 2)", why, pid, comm)
		}
	}
	return ref, nil
}

// refNamespaces are the namespaces a host process shares with kthreadd.
// (time is left out: a kernel without it has no link.)
var refNamespaces = []NamespaceType{NSMount, NSPID, NSNet, NSIPC, NSUTS, NSUser, NSCgroup}

// initialNamespacesProcess finds a stand-in for an unreadable PID 1 when
// nsinspect itself runs in a container that shares the host's pid
// namespace (the exporter's DaemonSet, hostPID): kthreadd, PID 2, is a
// kernel thread, which no process can pretend to be (PF_KTHREAD), and
// runs in every initial namespace; the first child of PID 1 run by root in
// all of them is the host's. It is found only if nsinspect is not in them itself.
func (fsys FS) initialNamespacesProcess(self int) (int, string, bool) {
	st, err := fsys.Stat(2)
	if err != nil || st.Comm != "kthreadd" || st.Flags&pfKthread == 0 || st.PPid != 0 {
		return 0, "", false
	}
	want := make([]string, len(refNamespaces))
	same := true
	for i, t := range refNamespaces {
		if want[i], err = os.Readlink(fsys.pid(2, "ns", string(t))); err != nil {
			return 0, "", false
		}
		if own, _ := os.Readlink(fsys.pid(self, "ns", string(t))); own != want[i] {
			same = false
		}
	}
	if same {
		return 0, "", false
	}
	entries, err := os.ReadDir(fsys.procRoot)
	if err != nil {
		return 0, "", false
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 2 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	for _, pid := range pids {
		// A child of the host's init, run by root: the host's daemons.
		// A container's processes that share every host namespace are
		// children of its shim or of the shim as their subreaper
		// (PR_SET_CHILD_SUBREAPER), not of PID 1.
		st, err := fsys.Stat(pid)
		if err != nil || st.PPid != 1 {
			continue
		}
		raw, err := readFile(fsys.pid(pid, "status"))
		if err != nil {
			continue
		}
		if status, err := parseStatus(bytes.NewReader(raw)); err != nil || status.UID[0] != 0 {
			continue
		}
		match := true
		for i, t := range refNamespaces {
			if got, err := os.Readlink(fsys.pid(pid, "ns", string(t))); err != nil || got != want[i] {
				match = false
				break
			}
		}
		if match {
			return pid, st.Comm, true
		}
	}
	return 0, "", false
}

// ReadReference inspects ref.PID into ref.Process. For a host reference it
// also notes whether the reader itself runs in a container, which makes the
// view partial. brief reads only what a comparison needs (Options.Brief).
func (fsys FS) ReadReference(ref *Reference, brief bool) error {
	p, err := fsys.Inspect(ref.PID, Options{Brief: brief})
	if err != nil {
		return fmt.Errorf("reading reference pid %d: %w", ref.PID, err)
	}
	ref.Process = p
	if ref.Kind == ReferenceProcess {
		return nil
	}
	self, err := fsys.SelfPID()
	if err != nil {
		return err
	}
	own := p.Namespaces
	if ref.PID != self {
		if own, err = fsys.Namespaces(self); err != nil {
			return fmt.Errorf("reading nsinspect's own namespaces: %w", err)
		}
	}
	if n, ok := FindNamespace(own, NSPID); ok {
		if initial, known := n.Initial(); known && initial && ref.Kind == ReferenceSelf {
			ref.Reason += ", which runs in the host's initial pid namespace"
		} else if known && !initial {
			ref.Partial = fmt.Sprintf("nsinspect runs inside pid namespace %d, not the host's: processes outside it are invisible, and the reference is the container nsinspect runs in", n.Inode)
			if ref.Kind == ReferenceInit {
				ref.Reason = "PID 1 of nsinspect's own pid namespace: the init of the container nsinspect runs in, not the host's"
			}
		}
	}
	return nil
}

// RootDevice is the major:minor of the filesystem pid sees at /, read from
// its mountinfo: a mount of that device's root elsewhere in a container is
// the host's whole filesystem.
func (fsys FS) RootDevice(pid int) (string, error) {
	b, err := readFile(fsys.pid(pid, "mountinfo"))
	if err != nil {
		return "", classify(err)
	}
	table, err := parseMountinfo(b)
	if err != nil {
		return "", err
	}
	dev := ""
	for _, m := range table.mounts {
		if m.Mountpoint == "/" {
			dev = fmt.Sprintf("%d:%d", m.Major, m.Minor)
		}
	}
	return dev, nil
}

// ChooseProcessReference makes pid the reference (nsinspect pid X --vs
// PID); ReadReference reads it.
func ChooseProcessReference(pid int) *Reference {
	return &Reference{PID: pid, Kind: ReferenceProcess, Reason: fmt.Sprintf("pid %d, chosen with --vs", pid)}
}
