package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Reference kinds: what the "host" column was read from.
const (
	ReferenceInit    = "init"    // PID 1 of the proc root
	ReferenceSelf    = "self"    // nsinspect itself, when PID 1 cannot be read
	ReferenceProcess = "process" // a process the user chose with --vs
)

// Reference is the process a target is compared with.
type Reference struct {
	PID    int    `json:"pid"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Partial is set when the reader itself runs inside a pid namespace
	// that is not the host's: processes outside it are invisible.
	Partial string   `json:"partial,omitempty"`
	Process *Process `json:"-"`
}

// HostReference picks the host's stand-in: PID 1 when its namespaces can be
// read, otherwise the reader itself, and says which and why. brief reads
// only what a comparison needs (see Options.Brief).
func (fsys FS) HostReference(brief bool) (*Reference, error) {
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
	p, err := fsys.Inspect(ref.PID, Options{Brief: brief})
	if err != nil {
		return nil, fmt.Errorf("reading reference pid %d: %w", ref.PID, err)
	}
	ref.Process = p
	own := p.Namespaces
	if ref.PID != self {
		if own, err = fsys.Namespaces(self); err != nil {
			return nil, fmt.Errorf("reading nsinspect's own namespaces: %w", err)
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
	return ref, nil
}

// ProcessReference makes pid the reference (nsinspect pid X --vs PID).
func (fsys FS) ProcessReference(pid int, brief bool) (*Reference, error) {
	p, err := fsys.Inspect(pid, Options{Brief: brief})
	if err != nil {
		return nil, err
	}
	return &Reference{PID: pid, Kind: ReferenceProcess, Reason: fmt.Sprintf("pid %d, chosen with --vs", pid), Process: p}, nil
}
