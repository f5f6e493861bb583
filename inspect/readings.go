package inspect

import (
	"errors"
	"fmt"
	"time"
)

// Reading is one target of audit, read twice: Before at the start of the
// sampling window and Now at its end (Before is nil without a window).
// Err says what kept a reading from being whole; Now is Before when the
// process left during the window.
type Reading struct {
	PID    int
	Before *Process
	Now    *Process
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

// ReadTwice reads the host reference once and every pid at the start and
// at the end of window (once when window is 0): the rules that judge a
// rate (CPU throttling, zombies piling up) compare the two. One window
// serves all the targets, so auditing a hundred containers takes one
// window, not a hundred.
func (fsys FS) ReadTwice(pids []int, window time.Duration) (*Readings, error) {
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
	r := &Readings{Reference: ref, Window: window, Targets: make([]Reading, len(pids))}
	r.Host, r.HostErr = fsys.Host()
	for i, pid := range pids {
		t := &r.Targets[i]
		t.PID = pid
		t.Now, t.Err = fsys.Inspect(pid, opt)
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
			t.Err = fmt.Errorf("pid %d left during the %s window: judged by its first reading", t.PID, window)
		default:
			t.Before, t.Now, t.Err = t.Now, now, err
		}
	}
	return r, nil
}
