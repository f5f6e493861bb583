package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The attack as it was reproduced: a process names itself with an OSC
// sequence (retitle the terminal) and a CSI one (clear it). Every form of
// nsinspect that is not JSON must print it escaped.
func TestLiveHostileCommandLineIsEscaped(t *testing.T) {
	requireRoot(t)
	for _, tool := range []string{"unshare", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the test names a process with bash's exec -a inside unshare", tool)
		}
	}
	// Its own pid and mount namespaces, so that ps --all lists it as a
	// namespace group; exec -a is bash's (dash has no -a).
	// The payload is this test binary as a sleeper (helper_test.go), not
	// sleep: a busybox sleep picks its applet from argv[0].
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount", "--kill-child",
		"bash", "-c", `exec -a "$(printf 'evil\033]0;PWNED\007\033[2Jx')" "$0" 120`, testBinary(t))
	cmd.Env = append(os.Environ(), "NSINSPECT_TEST_HELPER=sleep")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting unshare: %v", err)
	}
	pid := 0
	t.Cleanup(func() {
		// sleep is PID 1 of its namespace: SIGKILL from outside always
		// reaches it. unshare reaps it and exits; it is killed should it
		// not, which --kill-child passes on to sleep.
		if pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	// The payload is unshare's forked child once bash has exec'd sleep.
	children := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/task/" + strconv.Itoa(cmd.Process.Pid) + "/children"
	for deadline := time.Now().Add(5 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(children)
		for _, f := range strings.Fields(string(b)) {
			c, _ := strconv.Atoi(f)
			if line, _ := os.ReadFile("/proc/" + f + "/cmdline"); strings.HasPrefix(string(line), "evil\x1b") {
				pid = c
			}
		}
	}
	if pid == 0 {
		t.Fatal("the hostile sleep did not start within 5s")
	}

	const escaped = `evil\x1b]0;PWNED\x07\x1b[2Jx 120`
	for _, args := range [][]string{
		{"pid", strconv.Itoa(pid)},
		{"pid", strconv.Itoa(pid), "--explain"},
		{"pid", strconv.Itoa(pid), "--format", "{{.Process.Cmdline}}"},
		{"ps", "--all"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := run(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for name, s := range map[string]string{"stdout": out, "stderr": errOut} {
				if i := strings.IndexAny(s, "\x1b\x07"); i >= 0 {
					t.Errorf("%s holds control byte %q at %d:\n%s", name, s[i], i, s)
				}
			}
			if !strings.Contains(out, escaped) {
				t.Errorf("stdout lacks the escaped command line %s:\n%s", escaped, out)
			}
		})
	}
	// An error that repeats what it was given: the name of a container
	// that does not exist, as a runbook might pass it on from a listing.
	t.Run("error message", func(t *testing.T) {
		code, out, errOut := run(t, "pid", "evil\x1b]0;PWNED\x07")
		if code != 2 || strings.ContainsAny(out+errOut, "\x1b\x07") || !strings.Contains(errOut, `evil\x1b]0;PWNED`) {
			t.Errorf("pid <hostile name>: exit %d, stdout %q, stderr %q; want exit 2 and the name escaped", code, out, errOut)
		}
	})
	t.Run("json is raw", func(t *testing.T) {
		doc := inspectJSON(t, pid)
		if got := get(t, doc, "process.cmdline").([]any)[0]; got != "evil\x1b]0;PWNED\x07\x1b[2Jx" {
			t.Errorf(".process.cmdline[0] = %q, want the raw argv[0]", got)
		}
	})
}
