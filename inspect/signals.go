package inspect

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// SigSet is a signal mask from /proc/<pid>/status: signal n is bit n-1.
type SigSet uint64

// Has reports whether signal sig is in the set.
func (s SigSet) Has(sig syscall.Signal) bool { return sig >= 1 && sig <= 64 && s&(1<<(sig-1)) != 0 }

// signalName is "SIGTERM" for 15. glibc reserves 32 and 33 for itself and
// numbers the real-time signals from SIGRTMIN = 34.
func signalName(n int) string {
	if name := unix.SignalName(syscall.Signal(n)); name != "" {
		return name
	}
	if n >= 34 {
		return fmt.Sprintf("SIGRTMIN+%d", n-34)
	}
	return fmt.Sprintf("SIG%d", n)
}

// Names lists the signals in the set, in number order.
func (s SigSet) Names() []string {
	out := []string{}
	for n := 1; n <= 64; n++ {
		if s.Has(syscall.Signal(n)) {
			out = append(out, signalName(n))
		}
	}
	return out
}

// String is the names joined by commas, for templates.
func (s SigSet) String() string { return strings.Join(s.Names(), ",") }

// MarshalJSON writes the set as names.
func (s SigSet) MarshalJSON() ([]byte, error) { return json.Marshal(s.Names()) }

// SIGTERM verdicts, from the kernel's rules in kernel/signal.c.
const (
	VerdictIgnored         = "ignored"
	VerdictHandled         = "handled"
	VerdictBlocked         = "blocked"
	VerdictProbablyHandled = "probably handled (waits in sigtimedwait)"
	VerdictDropped         = "dropped (pid 1 with default action)"
	VerdictDefault         = "default (terminates)"
)

// Signals is how a process will react to signals.
type Signals struct {
	Blocked SigSet `json:"blocked"`
	Ignored SigSet `json:"ignored"`
	Caught  SigSet `json:"caught"`
	Pending SigSet `json:"pending"` // thread and process-shared pending signals
	// PID1 is true when the process is the init of its pid namespace (the
	// last NSpid is 1): the kernel then drops every signal whose action is
	// the default, unless it is SIGKILL or SIGSTOP from an ancestor namespace.
	PID1    bool   `json:"pid1"`
	Wchan   string `json:"wchan,omitempty"`
	SIGTERM string `json:"sigterm"`
	SIGINT  string `json:"sigint"`
	// Heuristic is set when a verdict rests on /proc/<pid>/wchan rather than
	// on the signal masks.
	Heuristic bool    `json:"heuristic"`
	Sources   Sources `json:"evidence,omitempty"`
}

// verdict says what delivering sig will do, by the kernel's order of checks:
// an ignored signal is discarded; a caught one runs the handler; a blocked
// one waits in the queue. A task sleeping in sigtimedwait has its waited set
// moved from "blocked" to "real_blocked", which /proc does not show, so its
// masks look like the default: wchan tells it apart (a heuristic). Only then
// does the default action apply, which a namespace init never gets.
func verdict(s *Signals, sig syscall.Signal) (string, bool) {
	switch {
	case s.Ignored.Has(sig):
		return VerdictIgnored, false
	case s.Caught.Has(sig):
		return VerdictHandled, false
	case s.Blocked.Has(sig):
		return VerdictBlocked, false
	case strings.Contains(s.Wchan, "sigtimedwait"):
		return VerdictProbablyHandled, true
	case s.PID1:
		return VerdictDropped, false
	}
	return VerdictDefault, false
}

// newSignals decodes the masks of st; wchan is the content of
// /proc/<pid>/wchan ("" when unreadable).
func newSignals(st *Status, wchan, file, wchanFile string) *Signals {
	s := &Signals{
		Blocked: SigSet(st.SigBlk),
		Ignored: SigSet(st.SigIgn),
		Caught:  SigSet(st.SigCgt),
		Pending: SigSet(st.SigPnd | st.ShdPnd),
		PID1:    len(st.NSpid) > 0 && st.NSpid[len(st.NSpid)-1] == 1,
		Wchan:   wchan,
	}
	var h1, h2 bool
	s.SIGTERM, h1 = verdict(s, syscall.SIGTERM)
	s.SIGINT, h2 = verdict(s, syscall.SIGINT)
	s.Heuristic = h1 || h2
	s.Sources.add("blocked", file, fmt.Sprintf("SigBlk:\t%016x", st.SigBlk))
	s.Sources.add("ignored", file, fmt.Sprintf("SigIgn:\t%016x", st.SigIgn))
	s.Sources.add("caught", file, fmt.Sprintf("SigCgt:\t%016x", st.SigCgt))
	s.Sources.add("pid1", file, "NSpid:\t"+joinInts(st.NSpid))
	if wchan != "" {
		s.Sources.add("wchan", wchanFile, wchan)
	}
	return s
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, "\t")
}
