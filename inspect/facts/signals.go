package facts

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
)

// SigSet is a signal mask from /proc/<pid>/status: signal n is bit n-1.
type SigSet uint64

// Has reports whether signal sig is in the set.
func (s SigSet) Has(sig syscall.Signal) bool { return sig >= 1 && sig <= 64 && s&(1<<(sig-1)) != 0 }

// signalNames are the kernel's names of the standard signals. The numbers
// are the architecture's, from package syscall: SIGCHLD is 17 on x86 and
// arm, 18 on mips. (golang.org/x/sys/unix has the same table, but this
// package is read by report, which links nothing that makes system calls
// of its own.)
var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT",
	syscall.SIGILL: "SIGILL", syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT",
	syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE", syscall.SIGKILL: "SIGKILL",
	syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM",
	syscall.SIGSTKFLT: "SIGSTKFLT", syscall.SIGCHLD: "SIGCHLD", syscall.SIGCONT: "SIGCONT",
	syscall.SIGSTOP: "SIGSTOP", syscall.SIGTSTP: "SIGTSTP", syscall.SIGTTIN: "SIGTTIN",
	syscall.SIGTTOU: "SIGTTOU", syscall.SIGURG: "SIGURG", syscall.SIGXCPU: "SIGXCPU",
	syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGVTALRM: "SIGVTALRM", syscall.SIGPROF: "SIGPROF",
	syscall.SIGWINCH: "SIGWINCH", syscall.SIGIO: "SIGIO", syscall.SIGPWR: "SIGPWR",
	syscall.SIGSYS: "SIGSYS",
}

// signalName is "SIGTERM" for 15. glibc reserves 32 and 33 for itself and
// numbers the real-time signals from SIGRTMIN = 34.
func signalName(n int) string {
	if name, ok := signalNames[syscall.Signal(n)]; ok {
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
	Heuristic bool `json:"heuristic"`
	// Children and ZombieChildren count a namespace init's children, and
	// those of them that have exited but were not reaped (state Z): an
	// init that never calls wait(2) lets zombies pile up until the pid
	// namespace runs out of pids. Both are nil for a process that is not
	// PID 1 of its namespace, or when its children could not be read.
	Children       *int    `json:"children"`
	ZombieChildren *int    `json:"zombieChildren"`
	Sources        Sources `json:"evidence,omitempty"`
}

// verdict says what delivering sig will do, by the kernel's order of checks:
// an ignored signal is discarded; a caught one runs the handler; a blocked
// one waits in the queue. A task sleeping in sigtimedwait has its waited set
// moved from "blocked" to "real_blocked", which /proc does not show, so its
// masks look like the default: wchan tells it apart (a heuristic). Only then
