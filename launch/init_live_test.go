package launch_test

// --init and --pids-limit (issue item 11): the init is the host's
// docker-init (tini) from a sealed copy, one task, as Docker's; the Go
// init's threads never count against the limit.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noRuntimeCrash fails the test if stderr holds a Go runtime's crash.
func noRuntimeCrash(t *testing.T, stderr string) {
	t.Helper()
	for _, s := range []string{"runtime:", "fatal error", "goroutine ", "panic"} {
		if strings.Contains(stderr, s) {
			t.Errorf("stderr holds %q, a Go runtime crash:\n%s", s, stderr)
		}
	}
}

// With --pids-limit N the command gets N tasks: N-1 with --init (tini
// holds one), as with Docker. Busybox's sh, so the failed fork reads
// "can't fork" and the shell builtins (read, kill, wait) need no task.
func TestInitPidsLimitLeavesTheCommandItsTasks(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := busybox(t)
	current, max := cgroupInside("pids", "pids.current", "pids.current"), cgroupInside("pids", "pids.max", "pids.max")
	three := "sleep 9 & sleep 9 & sleep 9 & read n < " + current + "; read m < " + max + "; echo current $n max $m; kill %1 %2 %3; wait; echo done"
	four := "sleep 9 & echo 1; sleep 9 & echo 2; sleep 9 & echo 3; sleep 9 & echo 4"
	for _, tc := range []struct {
		name          string
		flags         []string
		script        string
		code          int
		stdout        string
		stderrPattern string
	}{
		{"--init, three jobs", []string{"--init", "--pids-limit", "5"}, three, 0, "current 5 max 5\ndone\n", ""},
		{"--init, a fourth job", []string{"--init", "--pids-limit", "5"}, four, 2, "1\n2\n3\n", "can't fork"},
		{"no --init, three jobs", []string{"--pids-limit", "4"}, three, 0, "current 4 max 4\ndone\n", ""},
		{"no --init, a fourth job", []string{"--pids-limit", "4"}, four, 2, "1\n2\n3\n", "can't fork"},
		{"--init, limit 2: tini and sh", []string{"--init", "--pids-limit", "2"}, "sleep 9 & echo 1", 2, "", "can't fork"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			args := append(append(append([]string{"run", "--rootfs", root}, tc.flags...), "--", "/bin/sh", "-c"), tc.script)
			r := nsi(t, args...)
			if r.code != tc.code || r.stdout != tc.stdout || !strings.Contains(r.stderr, tc.stderrPattern) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q and %q", r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderrPattern)
			}
			noRuntimeCrash(t, r.stderr)
			// The sleeps die with the pid namespace when sh (or tini) exits.
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("the run took %v: the background sleeps outlived the shell", d)
			}
		})
	}
}

// Docker's --init contract: PID 1 is docker-init, ps shows "docker-init --

// psOfPID1 prints PID 1's command line as the kernel has it and as ps
// shows it.
const psOfPID1 = "tr '\\0' ' ' </proc/1/cmdline; echo; { ps -o args= -p 1 2>/dev/null || ps -o pid,args | sed -n 's/^ *1 \\({[^}]*} \\)\\{0,1\\}//p'; }"

// COMMAND", the command's exit status (128+N for a signal) comes back.
func TestInitExitStatusAndPs(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"sh", "-c", "exit 7"}, 7, "", ""},
		{[]string{"sh", "-c", "kill -TERM $$"}, 143, "", ""},
		{[]string{"sh", "-c", "kill -USR1 $$"}, 138, "", ""},
		// procps's ps, or busybox's (the VM guests), which has no -p
		{[]string{"sh", "-c", psOfPID1}, 0, "docker-init -- sh -c " + psOfPID1 + " \ndocker-init -- sh -c " + psOfPID1 + "\n", ""},
		{[]string{"nosuchcommand"}, 127, "", "executable file not found"},
		{[]string{"/etc"}, 126, "", "permission denied"},
	} {
		r := nsi(t, append([]string{"run", "--init", "--"}, tc.args...)...)
		if r.code != tc.code || r.stdout != tc.stdout || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("run --init %q: exit %d, stdout %q, stderr %q; want %d, %q and %q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
		}
		noRuntimeCrash(t, r.stderr)
	}
}

// The container's root holds its own docker-init and tini everywhere the
// host's are looked for: scripts that leave a marker on a volume. None
// runs; PID 1 is the sealed copy of the host's, which the container cannot
// write even with CAP_SYS_PTRACE.
func TestInitNeverRunsTheContainersOwn(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := busybox(t)
	out := t.TempDir()
	os.MkdirAll(root+"/out", 0o755)
	planted := 0
	for _, dir := range []string{"/sbin", "/bin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/libexec/docker"} {
		os.MkdirAll(root+dir, 0o755)
		for _, name := range []string{"docker-init", "tini", "tini-static"} {
			script := "#!/bin/sh\necho " + dir + "/" + name + " >> /out/marker\nexec \"$@\"\n"
			if err := os.WriteFile(filepath.Join(root, dir, name), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			planted++
		}
	}
	for _, flags := range [][]string{{"--init"}, {"--init", "--init-path", "/usr/bin/docker-init"}} {
		if len(flags) > 1 && !exists("/usr/bin/docker-init") {
			continue
		}
		args := append(append([]string{"run", "--rootfs", root, "-v", out + ":/out", "--cap-add", "SYS_PTRACE"}, flags...), "--", "/bin/sh", "-c",
			`readlink /proc/1/exe; (echo x > /proc/1/exe) 2>/dev/null && echo wrote /proc/1/exe; tr '\0' ' ' </proc/1/cmdline; echo`)
		r := nsi(t, args...)
		want := "/memfd:docker-init (deleted)\ndocker-init -- /bin/sh -c "
		if r.code != 0 || !strings.HasPrefix(r.stdout, want) {
			t.Errorf("run %v: exit %d, stdout %q, stderr %q; want 0 and %q...", flags, r.code, r.stdout, r.stderr, want)
		}
		if b, err := os.ReadFile(out + "/marker"); err == nil {
			t.Errorf("run %v ran the container's own init (of %d planted): %q", flags, planted, b)
		}
	}
}

// A bad --init-path is one line and 125, and leaves nothing behind.
func TestInitPathRefused(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "init.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nexec \"$@\"\n"), 0o755)
	cases := []struct {
		flags []string
		want  string
	}{
		{[]string{"--init", "--init-path", "/nonexistent"}, "nsinspect: --init-path /nonexistent: no such file or directory"},
		{[]string{"--init", "--init-path", dir}, "nsinspect: --init-path " + dir + ": not a regular file"},
		{[]string{"--init", "--init-path", script}, "nsinspect: --init-path " + script + ": not an ELF executable"},
		{[]string{"--init-path", "/usr/bin/docker-init"}, "nsinspect: --init-path needs --init"},
	}
	if strings.Contains(mustFile(t, "/usr/bin/tini"), "ld-linux") { // Debian's tini is dynamically linked
		cases = append(cases, struct {
			flags []string
			want  string
		}{[]string{"--init", "--init-path", "/usr/bin/tini"}, "nsinspect: --init-path /usr/bin/tini: dynamically linked (its loader /lib"})
	}
	for _, tc := range cases {
		for _, detached := range []bool{false, true} {
			flags := tc.flags
			if detached {
				flags = append([]string{"-d", "--name", "initpath-" + token(t)}, flags...)
			}
			r := nsi(t, append(append([]string{"run"}, flags...), "--", "true")...)
			if r.code != 125 || !strings.HasPrefix(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
				t.Errorf("run %v: exit %d, stdout %q, stderr %q; want 125 and one line starting %q", flags, r.code, r.stdout, r.stderr, tc.want)
			}
		}
	}
}

// mustFile is the file's first 4 KiB as text ("" when unreadable).
func mustFile(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	b := make([]byte, 4096)
	n, _ := f.Read(b)
	return string(b[:n])
}
