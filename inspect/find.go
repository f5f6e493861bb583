package inspect

import (
	"errors"

	"fmt"
	"github.com/nsinspect/nsinspect/inspect/facts"
	"strconv"
	"strings"
	"unicode"
)

// Lookup errors: what a user named is not there, or names several. A
// command reports them as usage errors.
var (
	ErrNoContainer = errors.New("no such container")
	ErrAmbiguous   = errors.New("ambiguous container")
	ErrBadRef      = errors.New("invalid pid")
)

// HostNamespaces are the namespaces containers are compared with: the
// host reference's (PID 1, or nsinspect itself).
func (fsys FS) HostNamespaces() []Namespace {
	ref, err := fsys.ChooseHostReference()
	if err != nil {
		return nil
	}
	ns, _ := fsys.Namespaces(ref.PID)
	return ns
}

// Discover scans the host and groups its processes into containers, with
// namespace groups when namespaces is set; it returns the host's
// namespaces they were compared with too.
func (fsys FS) Discover(namespaces bool) ([]Container, []Namespace, error) {
	host := fsys.HostNamespaces()
	procs, err := fsys.Scan()
	if err != nil {
		return nil, nil, err
	}
	return fsys.Containers(procs, ListOptions{Namespaces: namespaces, Host: host}), host, nil
}

// Find is the one running container ref names, as PickContainer says.
func (fsys FS) Find(ref string) (Container, error) {
	cs, _, err := fsys.Discover(false)
	if err != nil {
		return Container{}, err
	}
	return PickContainer(cs, ref)
}

// PickContainer finds the one container ref names: its name, its id, or
// at least four leading characters of the id, as docker accepts them. A
// name beats an id prefix, as in docker; two runtimes may use the same
// name, which only the id tells apart. No match is ErrNoContainer, several
// ErrAmbiguous.
func PickContainer(cs []Container, ref string) (Container, error) {
	var named, prefixed []Container
	for _, c := range cs {
		switch {
		case c.ID == ref:
			return c, nil
		case c.Name == ref, c.Name == strings.TrimPrefix(ref, "/"):
			// "/t1" is how docker inspect spells the name (.Name).
			named = append(named, c)
		case len(ref) >= 4 && strings.HasPrefix(c.ID, ref):
			prefixed = append(prefixed, c)
		}
	}
	hits := named
	if len(hits) == 0 {
		hits = prefixed
	}
	switch len(hits) {
	case 0:
		return Container{}, fmt.Errorf("%w: %s", ErrNoContainer, ref)
	case 1:
		return hits[0], nil
	}
	if len(named) > 1 {
		return Container{}, refError{ErrAmbiguous, fmt.Sprintf("%q names %d containers: give the id", ref, len(hits))}
	}
	return Container{}, refError{ErrAmbiguous, fmt.Sprintf("%q matches %d containers: give more of the id", ref, len(hits))}
}

// refError is a lookup error of a kind (errors.Is) with its own message.
type refError struct {
	kind error
	msg  string
}

func (e refError) Error() string        { return e.msg }
func (e refError) Is(target error) bool { return target == e.kind }

// Target is what a pid argument resolved to (facts.PIDTarget).
type Target struct {
	facts.PIDTarget
	checkAlso bool // a live PID whose other meanings are still to be looked up
}

func pidTarget(pid int) Target { return Target{PIDTarget: facts.PIDTarget{PID: pid}} }

// ResolvePID turns what pid is given into a process: a positive number,
// "self", or a container's name or id prefix as ps shows them, which
// stands for the container's init. A live PID is that PID, and wins over a
// container the number also names (said in Also). A number that is no
// live PID may be a container's id prefix (27220293...) or name (ctr run …
// 42); without such a container it stays a PID, which then says "no such
// process" (or hidden by hidepid).
func (fsys FS) ResolvePID(arg string) (Target, error) {
	t, err := fsys.resolvePID(arg, false)
	if err == nil && t.checkAlso {
		fsys.alsoNamed(arg, &t)
	}
	return t, err
}

// alsoNamed fills in which container arg, a live PID, also names.
func (fsys FS) alsoNamed(arg string, t *Target) {
	t.checkAlso = false
	procs, err := fsys.scanRecent()
	if err != nil {
		return
	}
	cs := fsys.Containers(procs, ListOptions{Host: fsys.HostNamespaces()})
	c, err := PickContainer(cs, arg)
	switch {
	case err == nil:
		t.Also = &c
	case errors.Is(err, ErrAmbiguous):
		t.AlsoMany = true
	}
}

// resolvePID is ResolvePID; with prefetch, the check of what else a live
// PID names is left to the caller (checkAlso), its scan started now.
func (fsys FS) resolvePID(arg string, prefetch bool) (Target, error) {
	if arg == "self" {
		pid, err := fsys.SelfPID()
		return pidTarget(pid), err
	}
	pid, err := strconv.Atoi(arg)
	if err == nil && pid > 0 {
		if fsys.ProcessExists(pid) {
			if prefetch {
				fsys.prefetchScan()
			}
			t := pidTarget(pid)
			t.checkAlso = true
			return t, nil
		}
		if c, cerr := fsys.Find(arg); cerr == nil {
			return pidTarget(c.Pid), nil
		}
		return pidTarget(pid), nil
	}
	// Names are what ps shows: Kubernetes' "namespace/pod/container"
	// holds slashes, so only what no name of any runtime holds is refused.
	if err == nil || arg == "" || strings.HasPrefix(arg, "-") || strings.ContainsFunc(arg, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return Target{}, fmt.Errorf("%w %q: want a positive number, \"self\", or a container name or id", ErrBadRef, arg)
	}
	c, err := fsys.Find(arg)
	return pidTarget(c.Pid), err
}

// Snapshot is what pid shows: the target process, the reference it is
// compared with (the host's, or --vs's), and the host.
type Snapshot struct {
	Target    Target
	Vs        Target // what --vs resolved to, when given
	Process   *Process
	Reference *Reference
	Host      *Host
	HostErr   error
}

// PIDSnapshot reads arg's process (ResolvePID), the reference (vs, or the
// host's when vs is "") and the host. brief is for JSON and templates,
// which show only the comparison with the reference (its pid and
// namespaces), not a second column of facts: the target is then read on
// its own even when it is the reference. The reference is read in full
// either way: report judges .capabilities.privileged against the host's
// bounding set. The snapshot is nil when arg names nothing (the error says
// what); when the process left mid-read, it holds what was read and the
// error wraps ErrExited.
func (fsys FS) PIDSnapshot(arg, vs string, brief bool) (*Snapshot, error) {
	t, err := fsys.resolvePID(arg, true)
	if err != nil {
		return nil, err
	}
	var ref *Reference
	var vsTarget Target
	if vs != "" {
		vt, err := fsys.ResolvePID(vs)
		if err != nil {
			return nil, fmt.Errorf("--vs: %w", err)
		}
		ref, vsTarget = ChooseProcessReference(vt.PID), vt
	} else if ref, err = fsys.ChooseHostReference(); err != nil {
		return nil, err
	}
	// Sequential on purpose: goroutines here would start threads, and on
	// this kind of VM their page faults cost more than the overlap of a
	// few dozen small reads gains.
	if err := fsys.ReadReference(ref, false); err != nil {
		return nil, err
	}
	s := &Snapshot{Target: t, Vs: vsTarget, Process: ref.Process, Reference: ref}
	var inspectErr error
	if t.PID != ref.PID || brief {
		// The reference's / tells a bind mount of the host's disk inside
		// the target (-v /:/host) from an ordinary volume.
		opt := Options{}
		if ref.Process.Rootfs != nil {
			opt.HostRootDevice = ref.Process.Rootfs.Device
		}
		if s.Process, inspectErr = fsys.Inspect(t.PID, opt); s.Process == nil {
			return nil, inspectErr
		}
	}
	s.Host, s.HostErr = fsys.Host()
	if s.Target.checkAlso {
		fsys.alsoNamed(arg, &s.Target)
	}
	return s, inspectErr
}
