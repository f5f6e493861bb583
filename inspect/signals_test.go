package inspect

import (
	"fmt"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSignalNames holds the names facts gives signals (from package
// syscall's numbers, since report may not link golang.org/x/sys/unix) to
// x/sys/unix's own table for this architecture.
func TestSignalNames(t *testing.T) {
	for n := 1; n <= 64; n++ {
		want := unix.SignalName(syscall.Signal(n))
		switch {
		case want != "":
		case n >= 34:
			want = fmt.Sprintf("SIGRTMIN+%d", n-34)
		default:
			want = fmt.Sprintf("SIG%d", n)
		}
		if got := SigSet(1 << (n - 1)).Names(); len(got) != 1 || got[0] != want {
			t.Errorf("signal %d: names %q, want [%s]", n, got, want)
		}
	}
}

func TestNewSignals(t *testing.T) {
	fixture := func(name string) *Status {
		st, err := parseStatus(strings.NewReader(readStatusFixture(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	tests := []struct {
		name            string
		st              *Status
		wchan           string
		sigterm, sigint string
		pid1, heuristic bool
	}{
		// Measured: `unshare -pf sh -c 'sleep 30; true'` from a background job.
		{"sh as pid 1", fixture("sh-pid1.txt"), "do_wait",
			VerdictDropped, VerdictIgnored, true, false},
		// Measured: a Go binary calling signal.Notify(c, SIGTERM).
		{"Go binary", fixture("go.txt"), "futex_do_wait",
			VerdictHandled, VerdictIgnored, false, false},
		// Measured: tini's loop (sigprocmask all, sigtimedwait) as pid 1.
		{"sigtimedwait as pid 1", fixture("sigtimedwait-pid1.txt"), "do_sigtimedwait.isra.0",
			VerdictProbablyHandled, VerdictIgnored, true, true},
		{"tini, clean masks", &Status{NSpid: []int{4242, 1}}, "do_sigtimedwait",
			VerdictProbablyHandled, VerdictProbablyHandled, true, true},
		{"plain process", fixture("odd-comm.txt"), "hrtimer_nanosleep",
			VerdictDefault, VerdictDefault, false, false},
		{"SIGTERM blocked", &Status{SigBlk: 1 << 14, NSpid: []int{4242, 1}}, "",
			VerdictBlocked, VerdictDropped, true, false},
		{"ignored wins over caught", &Status{SigIgn: 1 << 14, SigCgt: 1<<14 | 1<<1}, "",
			VerdictIgnored, VerdictHandled, false, false},
		{"caught wins over blocked", &Status{SigCgt: 1 << 14, SigBlk: 1 << 14}, "",
			VerdictHandled, VerdictDefault, false, false},
		{"blocked wins over sigtimedwait", &Status{SigBlk: 1 << 14}, "do_sigtimedwait",
			VerdictBlocked, VerdictProbablyHandled, false, true},
		{"pid 1, wchan unreadable", &Status{NSpid: []int{4242, 1}}, "",
			VerdictDropped, VerdictDropped, true, false},
		{"the host's init", &Status{NSpid: []int{1}}, "ep_poll",
			VerdictDropped, VerdictDropped, true, false},
		{"no NSpid line (before 4.1)", &Status{}, "",
			VerdictDefault, VerdictDefault, false, false},
		{"pid 1 of an outer namespace only", &Status{NSpid: []int{1, 7}}, "",
			VerdictDefault, VerdictDefault, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSignals(tt.st, tt.wchan, "/proc/42/status", "/proc/42/wchan")
			if s.SIGTERM != tt.sigterm || s.SIGINT != tt.sigint || s.PID1 != tt.pid1 || s.Heuristic != tt.heuristic {
				t.Errorf("SIGTERM %q SIGINT %q PID1 %v Heuristic %v;\nwant %q %q %v %v",
					s.SIGTERM, s.SIGINT, s.PID1, s.Heuristic, tt.sigterm, tt.sigint, tt.pid1, tt.heuristic)
			}
			if s.Wchan != tt.wchan {
				t.Errorf("Wchan = %q, want %q", s.Wchan, tt.wchan)
			}
			if _, ok := s.Sources["wchan"]; ok != (tt.wchan != "") {
				t.Errorf("wchan evidence present = %v, want %v", ok, tt.wchan != "")
			}
		})
	}
}

func TestNewSignalsMasksAndEvidence(t *testing.T) {
	st := &Status{NSpid: []int{12808, 1}, SigPnd: 1 << 9, ShdPnd: 1 << 14, SigBlk: 0x10000, SigIgn: 0x6, SigCgt: 0x10000}
	s := newSignals(st, "do_wait", "/proc/12808/status", "/proc/12808/wchan")
	if s.Pending != 1<<9|1<<14 || s.Blocked != 0x10000 || s.Ignored != 0x6 || s.Caught != 0x10000 {
		t.Errorf("masks = %+v", s)
	}
	want := Sources{
		"blocked": {File: "/proc/12808/status", Raw: "SigBlk:\t0000000000010000"},
		"ignored": {File: "/proc/12808/status", Raw: "SigIgn:\t0000000000000006"},
		"caught":  {File: "/proc/12808/status", Raw: "SigCgt:\t0000000000010000"},
		"pid1":    {File: "/proc/12808/status", Raw: "NSpid:\t12808\t1"},
		"wchan":   {File: "/proc/12808/wchan", Raw: "do_wait"},
	}
	if !reflect.DeepEqual(s.Sources, want) {
		t.Errorf("Sources =\n%+v\nwant\n%+v", s.Sources, want)
	}
}
