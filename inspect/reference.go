package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// the host: PID 1 when its namespaces can be read, otherwise the reader
// itself, and says which and why. The facts are read by ReadReference.
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
	}
	return ref, nil
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
