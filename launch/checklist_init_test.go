package launch_test

// Checklist items 24 to 28 (security-notes.md §9): signals through the
// launcher, the --init reaper, and the container's death with its
// supervisor.

import (
	"encoding/json"
	"os"
	"path/filepath"
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

// Checklist 28: the --init init passes a SIGTERM sent to it on to the
// command (a Go init without a handler would have the kernel drop it, as
// PID 1's default action), and when the supervisor is SIGKILLed, the
// command dies with it. tini waits for signals in sigtimedwait, so
// /proc shows them neither caught nor (while it waits) blocked: what
// happens to the command is the evidence.
func TestChecklist28InitForwardsTERMAndDiesWithSupervisor(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, tc := range []struct {
		name string
		kill func(t *testing.T, id string, pid int)
		// wantExit is the exit code recorded for the container; -1: none,
		// its supervisor died with it, and gc removes what is left.
		wantExit int
	}{
		{"SIGTERM to the init", func(t *testing.T, id string, pid int) { syscall.Kill(pid, syscall.SIGTERM) }, 143},
		{"SIGKILL to the supervisor", func(t *testing.T, id string, pid int) {
			st, err := readStateFile(id)
			if err != nil || st.Supervisor <= 0 {
				t.Fatalf("state of %s: %+v, %v", id, st, err)
			}
			syscall.Kill(st.Supervisor, syscall.SIGKILL)
		}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "init28-" + token(t)
			id, pid := detach(t, name, "--init", "--", "sleep", "30")
			if got := strings.Fields(statusField(pid, "NSpid")); len(got) != 2 || got[1] != "1" {
				t.Errorf("NSpid of the init: %v, want it PID 1 of its namespace", got)
			}
			// run -d returns once the init binary runs; it forks the
			// command right after.
			var kids []int
			poll(5*time.Second, func() bool { kids = children(pid); return len(kids) > 0 })
			if len(kids) != 1 {
				t.Fatalf("children of the init: %v, want the command only", kids)
			}
			tc.kill(t, id, pid)
			if !poll(5*time.Second, func() bool { return gone(kids[0]) && gone(pid) }) {
				t.Errorf("the command (pid %d) or the init (pid %d) still runs 5 s after %s", kids[0], pid, tc.name)
			}
			if tc.wantExit >= 0 {
				var code *int
				poll(5*time.Second, func() bool { code = exitCode(id); return code != nil })
				if code == nil || *code != tc.wantExit {
					t.Errorf("exit code recorded after %s: %v, want %d", tc.name, code, tc.wantExit)
				}
				mustRun(t, "rm", name)
			} else {
				mustRun(t, "gc")
			}
			assertNothingLeft(t, id)
		})
	}
}

// exitCode is the exit code in the container's state.json, nil until it
// has one.
func exitCode(id string) *int {
	b, err := os.ReadFile(filepath.Join("/run/nsinspect", id, "state.json"))
	if err != nil {
		return nil
	}
	var st struct {
		ExitCode *int `json:"exitCode"`
	}
	if json.Unmarshal(b, &st) != nil {
		return nil
	}
	return st.ExitCode
}
