package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// detached starts `nsinspect run -d --name <unique> -- args...` and removes
// it (rm -f) when the test ends, whatever happened.
func detached(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return launched(t, bin, nil, args...)
}

// A signal to a container's PID 1 that the kernel will drop is still sent
// (exit 0, the name on stdout, as docker kill), and stderr says it was
// dropped and why; one the process handles is sent in silence. stop says
// it before it waits out its timeout.
func TestLiveKillStopSayDroppedSignals(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	// A shell stays PID 1 (the trailing true keeps it from exec'ing the
	// loop's last command).
	loop := `i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; true`
	for _, tc := range []struct {
		name, kill, stop string // the command, what kill -s TERM and stop -t 1 say on stderr
		args             []string
	}{
		{"no handler", "%s: PID 1 (sleep) has no SIGTERM handler; the kernel drops it\n",
			"%s: PID 1 (sleep) has no SIGTERM handler; the kernel drops it; SIGKILL in 1 s\n", []string{"sleep", "60"}},
		{"ignored", "%s: PID 1 (sh) ignores SIGTERM; the kernel drops it\n",
			"%s: PID 1 (sh) ignores SIGTERM; the kernel drops it; SIGKILL in 1 s\n", []string{"sh", "-c", `trap "" TERM; ` + loop}},
		{"handled", "", "", []string{"sh", "-c", `trap "echo term" TERM; ` + loop}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := detached(t, bin, tc.args...)
			pid := waitPID1(t, bin, name, tc.args[0])
			code, out, errOut := runGuarded(t, bin, "kill", "-s", "TERM", name)
			if want := strings.ReplaceAll(tc.kill, "%s", name); code != 0 || out != name+"\n" || errOut != want {
				t.Errorf("kill -s TERM: exit %d, stdout %q, stderr %q; want 0, %q, %q", code, out, errOut, name+"\n", want)
			}
			if tc.kill != "" {
				time.Sleep(200 * time.Millisecond)
				if _, err := os.Stat(filepath.Join("/proc", pid)); err != nil {
					t.Errorf("PID 1 (%s) is gone after a SIGTERM nsinspect said was dropped", pid)
				}
			}
			start := time.Now()
			code, out, errOut = runGuarded(t, bin, "stop", "-t", "1", name)
			if want := strings.ReplaceAll(tc.stop, "%s", name); code != 0 || out != name+"\n" || errOut != want {
				t.Errorf("stop -t 1: exit %d, stdout %q, stderr %q; want 0, %q, %q", code, out, errOut, name+"\n", want)
			}
			if tc.stop != "" && time.Since(start) < time.Second {
				t.Errorf("stop returned after %v, before its 1 s timeout", time.Since(start))
			}
			// Stopped: kill is now a runtime error (1), rm is not.
			if code, _, errOut := runGuarded(t, bin, "kill", name); code != 1 || errOut != "nsinspect: container "+name+" is not running\n" {
				t.Errorf("kill of a stopped container: exit %d, stderr %q; want 1, not running", code, errOut)
			}
			if code, _, errOut := runGuarded(t, bin, "exec", name, "--", "true"); code != 125 || !strings.Contains(errOut, "not running") {
				t.Errorf("exec into a stopped container: exit %d, stderr %q; want 125, not running", code, errOut)
			}
		})
	}
}

// waitPID1 waits until the container's PID 1 runs comm with its signal
// dispositions set (a shell's trap is set by the time it runs sleep), and
// returns its host pid.
func waitPID1(t *testing.T, bin, name, comm string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, out, _ := runGuarded(t, bin, "ps", name, "--format", "{{.Pid}}")
		pid := strings.TrimSpace(out)
		if pid == "" {
			continue
		}
		c, _ := os.ReadFile(filepath.Join("/proc", pid, "comm"))
		kids, _ := os.ReadFile(filepath.Join("/proc", pid, "task", pid, "children"))
		if string(c) == comm+"\n" && (comm != "sh" || len(kids) > 0) {
			return pid
		}
	}
	t.Fatalf("%s: PID 1 never ran %s", name, comm)
	return ""
}

// waitExited waits until the detached container name has exited.
func waitExited(t *testing.T, bin, name string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, out, _ := runGuarded(t, bin, "ps", "--all", name, "--format", "{{.Status}}")
		if strings.HasPrefix(out, "exited") {
			return
		}
	}
	t.Fatalf("%s never exited", name)
}

// logs keeps the container's streams apart: stdout lines to stdout,
// stderr lines to stderr, escaped unless --raw; a log file from before the
// JSON records still prints.
func TestLiveLogsKeepStreams(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	name := detached(t, bin, "sh", "-c", `echo out1; echo err1 >&2; printf 'red\033[31m\n'; printf 'err2' >&2`)
	waitExited(t, bin, name)
	for _, tc := range []struct {
		args           []string
		stdout, stderr string
	}{
		{[]string{"logs", name}, "out1\nred\\x1b[31m\n", "err1\nerr2"},
		{[]string{"logs", "--raw", name}, "out1\nred\x1b[31m\n", "err1\nerr2"},
	} {
		code, out, errOut := runGuarded(t, bin, tc.args...)
		if code != 0 || out != tc.stdout || errOut != tc.stderr {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0, %q, %q", tc.args, code, out, errOut, tc.stdout, tc.stderr)
		}
	}
	// Each line is one JSON object, as Docker's json-file driver writes.
	_, id, _ := runGuarded(t, bin, "ps", "--all", name, "--format", "{{.ID}}")
	dirs, _ := filepath.Glob("/run/nsinspect/" + strings.TrimSpace(id) + "*")
	if len(dirs) != 1 {
		t.Fatalf("state directories of %s: %v, want one", name, dirs)
	}
	logFile := filepath.Join(dirs[0], "container.log")
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	// The two streams are two pipes: their lines interleave as they come.
	for _, want := range []string{`{"log":"out1\n","stream":"stdout","time":"`, `{"log":"err1\n","stream":"stderr","time":"`} {
		if !strings.Contains(string(b), "\n"+want) && !strings.HasPrefix(string(b), want) {
			t.Errorf("log file %q has no line starting %s", b, want)
		}
	}
	// A log from before: raw bytes, printed as they are.
	if err := os.WriteFile(logFile, []byte("old out\nold err\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runGuarded(t, bin, "logs", name); code != 0 || out != "old out\nold err\n" || errOut != "" {
		t.Errorf("logs of an old-format log: exit %d, stdout %q, stderr %q; want the file on stdout", code, out, errOut)
	}
}

// gc says what it removed, as docker container prune does: a header, each
// id, and the count.
func TestGCOutput(t *testing.T) {
	for _, tc := range []struct {
		removed []string
		want    string
	}{
		{nil, "Total: 0 containers removed\n"},
		{[]string{"aaa"}, "Deleted Containers:\naaa\n\nTotal: 1 container removed\n"},
		{[]string{"aaa", "bbb"}, "Deleted Containers:\naaa\nbbb\n\nTotal: 2 containers removed\n"},
	} {
		var b strings.Builder
		writeGC(&b, tc.removed)
		if b.String() != tc.want {
			t.Errorf("writeGC(%q) = %q, want %q", tc.removed, b.String(), tc.want)
		}
	}
}

// A container whose supervisor was killed with SIGKILL is what gc removes;
// it lists its id. Every nsinspect run collects such containers first, so
// another test's run may take it before this gc does: then the state
// directory is gone although gc did not list it, and the test tries again
// with a new container.
func TestLiveGCListsRemoved(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	for attempt := 1; ; attempt++ {
		out, full, taken := gcAfterKilledSupervisor(t, bin)
		if !taken {
			return
		}
		t.Logf("attempt %d: %s was collected elsewhere before gc ran (gc printed %q)", attempt, full, out)
		if attempt == 5 {
			t.Fatalf("in 5 attempts another process always collected the container first")
		}
	}
}

// gcAfterKilledSupervisor makes a container whose supervisor is killed and
// runs gc. It checks what gc printed and reports whether the container was
// taken by another collector instead.
func gcAfterKilledSupervisor(t *testing.T, bin string) (out, full string, taken bool) {
	t.Helper()
	name := detached(t, bin, "sleep", "60")
	_, id, _ := runGuarded(t, bin, "ps", name, "--format", "{{.ID}}")
	dirs, _ := filepath.Glob("/run/nsinspect/" + strings.TrimSpace(id) + "*")
	if len(dirs) != 1 {
		t.Fatalf("state directories of %s: %v, want one", name, dirs)
	}
	full = filepath.Base(dirs[0])
	var st struct{ Supervisor, Pid int }
	b, _ := os.ReadFile(filepath.Join(dirs[0], "state.json"))
	if err := json.Unmarshal(b, &st); err != nil || st.Supervisor <= 0 {
		t.Fatalf("state.json of %s: %v (%s)", name, err, b)
	}
	// An exited container kept for logs and rm is not removed, nor listed
	// (gc only drops the cgroup paths its state still names). Made before
	// the supervisor is killed: every run collects what killed
	// supervisors left; and after the other run, whose collection would
	// drop those paths first.
	kept := detached(t, bin, "true")
	waitExited(t, bin, kept)
	_, keptID, _ := runGuarded(t, bin, "ps", "--all", kept, "--format", "{{.ID}}")
	keptDirs, _ := filepath.Glob("/run/nsinspect/" + strings.TrimSpace(keptID) + "*")
	if len(keptDirs) != 1 {
		t.Fatalf("state directories of %s: %v, want one", kept, keptDirs)
	}
	// The supervisor this test started (through run -d); its container
	// dies with it, by the parent-death signal.
	if err := syscall.Kill(st.Supervisor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(st.Pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PID 1 %d outlived its supervisor by 10 s", st.Pid)
		}
	}
	code, out, errOut := runGuarded(t, bin, "gc")
	if strings.Contains(out, filepath.Base(keptDirs[0])) {
		t.Errorf("gc printed %q: it lists the exited container %s it keeps", out, kept)
	}
	if _, err := os.Stat(keptDirs[0]); err != nil {
		t.Errorf("gc removed the exited container %s: %v", kept, err)
	}
	_, statErr := os.Stat(dirs[0])
	if statErr == nil {
		t.Fatalf("gc left %s; it printed %q", dirs[0], out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 {
		t.Fatalf("gc: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var ids []string
	if len(lines) >= 4 && lines[0] == "Deleted Containers:" && lines[len(lines)-2] == "" {
		ids = lines[1 : len(lines)-2]
	} else if len(lines) != 1 {
		t.Fatalf("gc printed %q; want Deleted Containers:, the ids, a blank line and the count", out)
	}
	if !slices.Contains(ids, full) {
		return out, full, true
	}
	// Other tests' leftovers may be removed too: the ids are counted.
	noun := "containers"
	if len(ids) == 1 {
		noun = "container"
	}
	if want := fmt.Sprintf("Total: %d %s removed", len(ids), noun); lines[len(lines)-1] != want {
		t.Errorf("gc printed %q; want it to end with %q", out, want)
	}
	return out, full, false
}
