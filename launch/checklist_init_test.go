package launch_test

// Checklist items 24 to 28 (security-notes.md §9): signals through the
// launcher, the --init reaper, and the container's death with its
// supervisor.

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// Checklist 24: SIGTERM to the foreground launcher reaches the command,
// whose own exit code comes back.
func TestChecklist24SignalForwarded(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "fwd-" + token(t)
	l := startLauncher(t, nil, nil, append([]string{"run", "--name", name, "--"}, trapTERM(7)...)...)
	pid := runningPid(t, name)
	waitFor(t, "the container's TERM trap", func() bool { return trapped(pid, syscall.SIGTERM) })
	l.signal(t, syscall.SIGTERM)
	if code := l.wait(t); code != 7 {
		t.Errorf("launcher exit %d after SIGTERM, want 7; stderr %q", code, l.err.String())
	}
}

// Checklist 25: with --init a command that keeps SIGTERM's default action
// (sleep) still dies of it: the reaper forwards it, and the launcher
// exits 128+15.
func TestChecklist25InitForwardsTERM(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "initterm-" + token(t)
	l := startLauncher(t, nil, nil, "run", "--init", "--name", name, "--", "sleep", "1000")
	runningPid(t, name)
	l.signal(t, syscall.SIGTERM)
	if code := l.wait(t); code != 143 {
		t.Errorf("launcher exit %d after SIGTERM, want 143; stderr %q", code, l.err.String())
	}
}

// Checklist 27: with --init, orphans reparented to PID 1 are reaped.
func TestChecklist27ZombiesReaped(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	r := nsi(t, "run", "--init", "--", "sh", "-c",
		`for i in 1 2 3; do (sleep 0.1 &); done; sleep 1; ps -e -o stat= | grep -c "^Z"`)
	if r.stdout != "0\n" {
		t.Errorf("zombies inside after 1 s: %q (exit %d, stderr %q), want 0", r.stdout, r.code, r.stderr)
	}
}

// Checklist 28: the --init reaper catches SIGTERM (a Go init without a
// handler would be dropped by the kernel or exit 2), and when the
// supervisor is SIGKILLed, the command dies with it.
func TestChecklist28InitCatchesTERMAndDiesWithSupervisor(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	id, pid := detach(t, "init28-"+token(t), "--init", "--", "sleep", "30")
	// The reaper is the init re-exec'd: between that execve and its Go
	// runtime's start it has no handlers yet.
	if !poll(10*time.Second, func() bool { return catches(pid, syscall.SIGTERM) }) {
		t.Errorf("the init (pid %d) has no SIGTERM handler: SigCgt %s", pid, statusField(pid, "SigCgt"))
	}
	if got := strings.Fields(statusField(pid, "NSpid")); len(got) != 2 || got[1] != "1" {
		t.Errorf("NSpid of the init: %v, want it PID 1 of its namespace", got)
	}
	kids := children(pid)
	if len(kids) != 1 {
		t.Fatalf("children of the init: %v, want the command only", kids)
	}
	st, err := readStateFile(id)
	if err != nil || st.Supervisor <= 0 {
		t.Fatalf("state of %s: %+v, %v", id, st, err)
	}
	syscall.Kill(st.Supervisor, syscall.SIGKILL)
	if !poll(2*time.Second, func() bool { return gone(kids[0]) && gone(pid) }) {
		t.Errorf("the command (pid %d) or the init (pid %d) still runs 2 s after the supervisor was SIGKILLed", kids[0], pid)
	}
	mustRun(t, "gc")
	assertNothingLeft(t, id)
}
