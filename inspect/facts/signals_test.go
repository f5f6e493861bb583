package facts

import (
	"reflect"
	"syscall"
	"testing"
)

func TestSigSetNames(t *testing.T) {
	tests := []struct {
		name string
		set  SigSet
		want []string
	}{
		{"SIGTERM is bit 14", 1 << 14, []string{"SIGTERM"}},
		{"sh's SigCgt", 0x10000, []string{"SIGCHLD"}},
		{"a background job's SigIgn", 0x6, []string{"SIGINT", "SIGQUIT"}},
		{"SIGHUP is bit 0", 0x1, []string{"SIGHUP"}},
		{"glibc's reserved 32 and 33", 1<<31 | 1<<32, []string{"SIG32", "SIG33"}},
		{"real-time signals", 1<<33 | 1<<34 | 1<<63, []string{"SIGRTMIN+0", "SIGRTMIN+1", "SIGRTMIN+30"}},
		{"a Go binary's SigCgt", 0xfffffffd7fc1fefd, append([]string{
			"SIGHUP", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
			"SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
			"SIGCHLD", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
			"SIGIO", "SIGPWR", "SIGSYS", "SIG33",
		}, rtNames(1, 30)...)},
		{"empty", 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.set.Names(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Names() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	if n := len(SigSet(^uint64(0)).Names()); n != 64 {
		t.Errorf("full set: %d names, want 64", n)
	}
	if got := SigSet(0x4002).String(); got != "SIGINT,SIGTERM" {
		t.Errorf("String() = %q", got)
	}
	for _, sig := range []syscall.Signal{0, 65, -1} {
		if SigSet(^uint64(0)).Has(sig) {
			t.Errorf("Has(%d) on a full set, want false", sig)
		}
	}
}

// rtNames is SIGRTMIN+from .. SIGRTMIN+to.
func rtNames(from, to int) []string {
	var out []string
	for k := from; k <= to; k++ {
		out = append(out, signalName(34+k))
	}
	return out
}
