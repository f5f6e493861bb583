package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"
)

// ReadTarget is one target of audit: a process, and for a container the
// other processes in it.
type ReadTarget struct {
	PID     int
	Members []int
}

// Reading is one target of audit, read twice: Before at the start of the
// sampling window and Now at its end (Before is nil without a window).
// Others are the container's processes whose privileges or view differ
// from its init's, one per distinct kind (see distinctMembers), read once:
// the container controls its init, which can chroot, enter a user
// namespace of its own or drop its capabilities while a sibling keeps
// them. Err says what kept a reading from being whole; Now is Before's
// reading when the process left during the window.
type Reading struct {
	PID    int
	Before *Process
	Now    *Process
	Others []*Process
	Err    error
}

// Readings is what audit judges: the targets and the host they are
// compared with.
type Readings struct {
	Reference *Reference
	Host      *Host
	HostErr   error
	Targets   []Reading
	Window    time.Duration
}

// maxOthers bounds the distinct members read per container: a container
// that makes more kinds of process than this is judged on these and
// reported as not read in full, never passed.
const maxOthers = 16

// ReadTwice reads the host reference once and every target at the start
// and at the end of window (once when window is 0): the rules that judge
// a rate (CPU throttling, zombies piling up) compare the two. One window
// serves all the targets, so auditing a hundred containers takes one
// window, not a hundred.
func (fsys FS) ReadTwice(targets []ReadTarget, window time.Duration) (*Readings, error) {
	ref, err := fsys.ChooseHostReference()
	if err != nil {
		return nil, err
	}
	if err := fsys.ReadReference(ref, false); err != nil {
		return nil, err
	}
	opt := Options{}
	if ref.Process.Rootfs != nil {
		opt.HostRootDevice = ref.Process.Rootfs.Device
	}
	r := &Readings{Reference: ref, Window: window, Targets: make([]Reading, len(targets))}
	r.Host, r.HostErr = fsys.Host()
	for i, tg := range targets {
		t := &r.Targets[i]
		t.PID = tg.PID
		t.Now, t.Err = fsys.Inspect(tg.PID, opt)
		if t.Now == nil {
			continue
		}
		others, err := fsys.distinctMembers(tg, opt)
		t.Others = others
		if t.Err == nil {
			t.Err = err
		}
		for _, o := range t.Others {
			// A member of the container, by its cgroup: judged as one
			// whatever it made of its own view.
			o.Runtime = t.Now.Runtime
		}
	}
	if window <= 0 {
		return r, nil
	}
	time.Sleep(window)
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.Now == nil {
			continue
		}
		now, err := fsys.Inspect(t.PID, opt)
		switch {
		case now == nil || errors.Is(err, ErrExited):
			t.Err = errors.Join(t.Err, fmt.Errorf("pid %d left during the %s window: judged by its first reading", t.PID, window))
		case now.Info != nil && t.Now.Info != nil && now.Info.StartTicks != t.Now.Info.StartTicks:
			t.Err = errors.Join(t.Err, fmt.Errorf("pid %d was reused during the %s window: judged by its first reading", t.PID, window))
		default:
			// The first reading's error stays: what it could not read
			// the rate rules could not judge either.
			t.Before, t.Now, t.Err = t.Now, now, errors.Join(t.Err, err)
		}
	}
	return r, nil
}

// distinctMembers reads the container's members whose privileges or view
// differ from the init's and from each other's: capability sets, seccomp
// mode, no_new_privs, user and mount namespace, and root directory — the
// fields of status and the links that a chroot, an unshare or a capset
// change. Members alike are read once; a thousand workers of one kind
// cost one status and three readlinks each. A member chrooted inside the
// container sees only part of its mount table, so when every member is,
// the mounts could not be judged: that is said as an error.
func (fsys FS) distinctMembers(tg ReadTarget, opt Options) ([]*Process, error) {
	seen := map[string]bool{}
	initKey, initRoot, ok := fsys.memberKey(tg.PID)
	if !ok {
		return nil, nil
	}
	seen[initKey] = true
	unchrooted := initRoot == "/"
	var out []*Process
	var errs []error
	for _, pid := range tg.Members {
		if pid == tg.PID {
			continue
		}
		key, root, ok := fsys.memberKey(pid)
		if !ok || seen[key] {
			continue
		}
		seen[key] = true
		if len(out) == maxOthers {
			errs = append(errs, fmt.Errorf("more than %d kinds of process (capabilities, seccomp, namespaces, root): the rest not read", maxOthers))
			break
		}
		p, err := fsys.Inspect(pid, opt)
		if p == nil {
			continue // gone
		}
		if err != nil && !errors.Is(err, ErrExited) {
			errs = append(errs, err)
		}
		unchrooted = unchrooted || root == "/"
		out = append(out, p)
	}
	if !unchrooted {
		errs = append(errs, fmt.Errorf("every process of the container runs chrooted (pid %d's root is %s): mounts outside their roots could not be judged", tg.PID, initRoot))
	}
	return out, errors.Join(errs...)
}

// memberKey is what sets a member apart (distinctMembers) and its root
// directory as its mount namespace names it ("/" unless chrooted).
func (fsys FS) memberKey(pid int) (key, root string, ok bool) {
	b, err := readFile(fsys.pid(pid, "status"))
	if err != nil {
		return "", "", false
	}
	var k bytes.Buffer
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		for _, f := range [][]byte{[]byte("Cap"), []byte("Seccomp:"), []byte("NoNewPrivs:")} {
			if bytes.HasPrefix(line, f) {
				k.Write(line)
				k.WriteByte('\n')
			}
		}
	}
	for _, ns := range []string{"user", "mnt"} {
		l, _ := os.Readlink(fsys.pid(pid, "ns", ns))
		k.WriteString(l + "\n")
	}
	root, err = os.Readlink(fsys.pid(pid, "root"))
	if err != nil {
		return "", "", false
	}
	k.WriteString(root)
	return k.String(), root, true
}
