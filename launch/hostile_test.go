package launch_test

// The hostile-container tests: each reproduces an attack a process inside
// a container made on this machine, and checks it no longer works. The
// attacker is busybox and testdata/probe in a --rootfs.

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// unconfined is the flag the hostile-container tests run their attacks
// with: Docker's seccomp profile blocks some of them for a second reason
// (unshare, keyctl), and these tests prove the first one.
const unconfined = "--security-opt=seccomp=unconfined"

// attackerRoot is a busybox root filesystem with the probe at /bin/probe
// (and its 32-bit x86 build at /bin/probe386, where there is one).
func attackerRoot(t *testing.T) string {
	t.Helper()
	root := busybox(t)
	for name, src := range map[string]string{"probe": probe, "probe386": probe386} {
		if src == "" {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "bin", name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// waitFile waits for a file a container writes on a volume.
func waitFile(t *testing.T, path string, d time.Duration) {
	t.Helper()
	if !poll(d, func() bool { return exists(path) }) {
		t.Fatalf("timed out waiting for %s", path)
	}
}

// plantScript covers /proc with a tmpfs in PID 1's new mount namespace
// and plants a program at every /proc/self/fd/N there: whoever runs one
// records its capabilities on /out. Then it stays as PID 1.
const plantScript = `#!/bin/sh
mount -t tmpfs t /proc || exit 1
mkdir -p /proc/self/fd
for n in $(seq 3 64); do
	printf '#!/bin/sh\ngrep -E "CapEff|NoNewPrivs" /proc/self/status > /out/pwned\n' > /proc/self/fd/$n
	chmod 755 /proc/self/fd/$n
done
touch /out/ready
exec sleep 300
`

// plantedRoot is the attacker's root with the plant script at /bin/plant.
func plantedRoot(t *testing.T) string {
	t.Helper()
	root := attackerRoot(t)
	if err := os.WriteFile(filepath.Join(root, "bin/plant"), []byte(plantScript), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// Item 1: PID 1 enters a user namespace of its own, covers /proc there
// with a tmpfs and plants programs at /proc/self/fd/N. exec must not run
// them: it refuses a container whose PID 1 changed user namespace.
func TestHostile1ExecRefusesPid1InOwnUserNS(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root, out := plantedRoot(t), t.TempDir()
	name := "userns-" + token(t)
	detach(t, name, unconfined, "--rootfs", root, "-v", out+":/out", "--", "unshare", "-U", "-r", "-m", "/bin/plant")
	waitFile(t, out+"/ready", 10*time.Second)
	r := nsi(t, "exec", name, "--", "true")
	if b, err := os.ReadFile(out + "/pwned"); err == nil {
		t.Fatalf("exec ran the program the container planted at /proc/self/fd/N: it recorded %q", b)
	}
	if r.code != 125 || !strings.Contains(r.stderr, "user namespace") {
		t.Errorf("exec into a container whose PID 1 entered its own user namespace: exit %d, stderr %q; want 125 saying why", r.code, r.stderr)
	}
}

// Item 1, without a user namespace: a container with CAP_SYS_ADMIN moves
// PID 1 to a mount namespace of its own with the planted /proc. exec joins
// it and runs the command asked for, never a path the container planted.
func TestHostile1ExecRunsNothingPlanted(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root, out := plantedRoot(t), t.TempDir()
	name := "planted-" + token(t)
	detach(t, name, unconfined, "--cap-add", "SYS_ADMIN", "--rootfs", root, "-v", out+":/out", "--", "unshare", "-m", "/bin/plant")
	waitFile(t, out+"/ready", 10*time.Second)
	r := nsi(t, "exec", name, "--", "sh", "-c", "echo ran")
	if b, err := os.ReadFile(out + "/pwned"); err == nil {
		t.Fatalf("exec ran the program the container planted at /proc/self/fd/N: it recorded %q", b)
	}
	if r.code != 0 || r.stdout != "ran\n" {
		t.Errorf("exec -- sh -c 'echo ran': exit %d, stdout %q, stderr %q; want 0 and ran", r.code, r.stdout, r.stderr)
	}
}

// run runs nsinspect with the terminal as its stdio and controlling
// terminal, as from the operator's interactive shell, and returns what the
// terminal showed.
func (p *pty) run(t *testing.T, args ...string) (code int, output string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.slave, p.slave, p.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	timer.Stop()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	poll(time.Second, func() bool {
		return strings.Count(p.out.String(), "tiocsti=")+strings.Count(p.out.String(), "open=") >= 4
	})
	return code, strings.ReplaceAll(p.out.String(), "\r\n", "\n")
}

// pendingInput is what waits in the terminal's input queue for the
// operator's shell to read: what a TIOCSTI into it would leave.
func (p *pty) pendingInput(t *testing.T) string {
	t.Helper()
	n, err := unix.IoctlGetInt(int(p.slave.Fd()), unix.TIOCINQ)
	if err != nil || n == 0 {
		return ""
	}
	b := make([]byte, n)
	unix.SetNonblock(int(p.slave.Fd()), true)
	m, _ := unix.Read(int(p.slave.Fd()), b)
	return string(b[:max(m, 0)])
}

// Item 2: a container process tries TIOCSTI on its stdio and /dev/tty,
// with CAP_SYS_ADMIN (which lets TIOCSTI work on a terminal that is not
// its controlling one). Nothing reaches the operator's terminal: without
// -t its stdio are pipes and it has no controlling terminal; with -t its
// terminal is the container's own pty, never the host's.
func TestHostile2NoHostTerminalInContainer(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := attackerRoot(t)
	name := "tty-" + token(t)
	detach(t, name, unconfined, "--cap-add", "SYS_ADMIN", "--rootfs", root, "--", "sleep", "300")
	for _, tc := range []struct {
		what string
		args []string
		tty  bool
	}{
		{"run", []string{"run", unconfined, "--cap-add", "SYS_ADMIN", "--rootfs", root, "-i=false", "-t=false", "--", "probe", "tiocsti"}, false},
		{"exec", []string{"exec", name, "--", "probe", "tiocsti"}, false},
		{"run -t", []string{"run", "-t", unconfined, "--cap-add", "SYS_ADMIN", "--rootfs", root, "--", "probe", "tiocsti"}, true},
		{"exec -t", []string{"exec", "-t", name, "--", "probe", "tiocsti"}, true},
	} {
		t.Run(tc.what, func(t *testing.T) {
			p := openPty(t)
			var host unix.Stat_t
			unix.Fstat(int(p.slave.Fd()), &host)
			code, out := p.run(t, tc.args...)
			if in := p.pendingInput(t); strings.Contains(in, "INJECTED") {
				t.Fatalf("the container injected into the operator's terminal: input queue %q", in)
			}
			if code != 0 {
				t.Fatalf("exit %d, output %q", code, out)
			}
			lines := 0
			for _, l := range strings.Split(out, "\n") {
				f := strings.Fields(l)
				if len(f) < 2 || !strings.HasPrefix(f[0], "fd") && f[0] != "/dev/tty" {
					continue
				}
				lines++
				if strings.Contains(l, fmt.Sprintf("dev=%d ", host.Dev)) {
					t.Errorf("%s: a container process holds the host's terminal: %s", tc.what, l)
				}
				if !tc.tty && strings.Contains(l, "tiocsti=injected") {
					t.Errorf("%s without -t: TIOCSTI worked: %s", tc.what, l)
				}
				if !tc.tty && f[0] == "/dev/tty" && !strings.Contains(l, "open=") {
					t.Errorf("%s without -t: /dev/tty opened (a controlling terminal): %s", tc.what, l)
				}
			}
			if lines < 4 {
				t.Errorf("%s: probe output %q, want its 4 lines", tc.what, out)
			}
		})
	}
}

// Item 3: a key the operator's session holds is not the container's: it
// gets a session keyring of its own.
func TestHostile3OwnSessionKeyring(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if _, err := exec.LookPath("keyctl"); err != nil {
		t.Skip("keyctl (keyutils) not installed; .ci/run installs it")
	}
	secret := "secret-" + token(t)
	script := fmt.Sprintf(`keyctl add user nsitest %s @s >/dev/null && %s run %s -- sh -c 'keyctl show @s; keyctl print %%user:nsitest'`, secret, bin, unconfined)
	out, _ := exec.Command("keyctl", "session", "nsitest-"+token(t), "sh", "-c", script).CombinedOutput()
	if strings.Contains(string(out), secret) {
		t.Fatalf("the container read a key of the launcher's session keyring:\n%s", out)
	}
	if !strings.Contains(string(out), "_ses") {
		t.Errorf("keyctl show @s inside: %q, want an anonymous session keyring of its own (_ses)", out)
	}
}

// Item 4: a container with CAP_SYS_PTRACE spies on every process it can
// see while exec runs in it again and again: it tries to trace each one,
// takes every fd with pidfd_getfd, and reads credentials and roots. No
// process holds more than the container, or anything but stdio-like
// pipes and its own files. The spy must see the exec'd processes, or the
// test proves nothing.
func TestHostile4PtraceSpySeesNothing(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, init := range []bool{false, true} {
		t.Run(fmt.Sprintf("init=%v", init), func(t *testing.T) {
			root, out := attackerRoot(t), t.TempDir()
			name := "spy-" + token(t)
			args := []string{unconfined, "--cap-add", "SYS_PTRACE", "--rootfs", root, "-v", out + ":/out"}
			if init {
				args = append(args, "--init")
			}
			// The spy runs until told to stop; exec runs for 5 s and on
			// until the spy has seen one of its processes (a loaded or
			// emulated machine may need longer), at most a minute. The
			// sleep lasts half a second: the spy holds each process it
			// finds in a ptrace stop while it searches it, and one round
			// over every process can take longer than a short sleep on an
			// emulated CPU.
			detach(t, name, append(args, "--", "sh", "-c", "probe spy 120 /out > /out/report 2>&1; touch /out/done; exec sleep 300")...)
			start := time.Now()
			execs := 0
			for time.Since(start) < 5*time.Second || !exists(out+"/saw") && time.Since(start) < time.Minute {
				for _, cmd := range [][]string{{"sleep", "0.5"}, {"true"}} {
					if r := nsi(t, append([]string{"exec", name, "--"}, cmd...)...); r.code != 0 {
						t.Fatalf("exec %v: exit %d, stderr %q", cmd, r.code, r.stderr)
					}
					execs++
				}
			}
			if err := os.WriteFile(out+"/stop", nil, 0o644); err != nil {
				t.Fatal(err)
			}
			waitFile(t, out+"/done", 30*time.Second)
			report, _ := os.ReadFile(out + "/report")
			if strings.Contains(string(report), "FINDING") {
				t.Errorf("after %d execs the spy found:\n%s", execs, report)
			}
			if !strings.Contains(string(report), "(sleep)") {
				t.Errorf("the spy never saw an exec'd process; its report: %s", report)
			}
		})
	}
}

// fsSize is the size in KiB of the filesystem at path inside a container
// started with args.
func fsSize(t *testing.T, path string, args ...string) string {
	t.Helper()
	out := mustRun(t, append(append([]string{"run"}, args...), "--", "sh", "-c", "df -k "+path+" | tail -1")...)
	f := strings.Fields(out)
	if len(f) < 2 {
		t.Fatalf("df -k %s: %q", path, out)
	}
	return f[1]
}

// Item 5: the writable layer and the fresh directories are one tmpfs of
// at most 1 GiB, or --memory when smaller, or --tmpfs-size.
func TestHostile5TmpfsSized(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, tc := range []struct {
		args []string
		kib  string
	}{
		{nil, "1048576"},
		{[]string{"--memory", "64m"}, "65536"},
		{[]string{"--memory", "4g", "--tmpfs-size", "100m"}, "102400"},
	} {
		for _, p := range []string{"/", "/tmp", "/root"} {
			if got := fsSize(t, p, tc.args...); got != tc.kib {
				t.Errorf("run %v: %s is %s KiB, want %s", tc.args, p, got, tc.kib)
			}
		}
	}
}

// Item 5: a container filling /tmp, then its writable layer, stops at
// ENOSPC at the bound, and the pages are charged to its own memory cgroup,
// not the host's.
func TestHostile5FillStopsAtBound(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	out := t.TempDir()
	name := "fill-" + token(t)
	script := `dd if=/dev/zero of=/tmp/fill bs=1M 2>/out/tmp; dd if=/dev/zero of=/root/more bs=1M 2>/out/root; du -k -s /tmp /root > /out/du; touch /out/done; exec sleep 300`
	id, _ := detach(t, name, "--rootfs", busybox(t), "--tmpfs-size", "32m", "-v", out+":/out", "--", "sh", "-c", script)
	waitFile(t, out+"/done", 20*time.Second)
	for _, f := range []string{"tmp", "root"} {
		if b, _ := os.ReadFile(out + "/" + f); !strings.Contains(string(b), "No space left on device") {
			t.Errorf("filling /%s: dd said %q, want ENOSPC", f, b)
		}
	}
	du, _ := os.ReadFile(out + "/du")
	var tmpK, rootK int
	fmt.Sscanf(strings.ReplaceAll(string(du), "\n", " "), "%d /tmp %d /root", &tmpK, &rootK)
	if total := tmpK + rootK; total > 32*1024 || total < 30*1024 {
		t.Errorf("written before ENOSPC: %d KiB in /tmp and %d KiB in /root; want them to add up to about 32 MiB", tmpK, rootK)
	}
	st, err := readStateFile(id)
	if err != nil {
		t.Fatal(err)
	}
	if mem := st.Cgroups.V1["memory"]; mem != "" {
		b, _ := os.ReadFile(mem + "/memory.stat")
		var shmem int64
		for _, l := range strings.Split(string(b), "\n") {
			fmt.Sscanf(l, "shmem %d", &shmem)
		}
		if shmem < 30<<20 {
			t.Errorf("the container's memory cgroup holds %d bytes of shmem, want the ~32 MiB of tmpfs it wrote (%s/memory.stat)", shmem, mem)
		}
	}
}

// Item 5: a detached container's log is rotated at --log-opt's bounds and
// logs still prints it all, oldest first.
func TestHostile5LogRotated(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "log-" + token(t)
	script := `i=0; while [ $i -lt 4000 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done`
	removeOnCleanup(t, name)
	id := strings.TrimSpace(mustRun(t, "run", "-d", "--name", name, "--rootfs", busybox(t), "--log-opt", "max-size=64k", "--log-opt", "max-file=3", "--", "sh", "-c", script))
	waitFor(t, name+" exited", func() bool {
		st, err := readStateFile(id)
		return err == nil && st.Status == "exited"
	})
	dir := filepath.Join("/run/nsinspect", id)
	// Each line of output is one record (one line) in the files.
	var records int
	for _, f := range []string{"container.log", "container.log.1", "container.log.2"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(b) > 64<<10 {
			t.Errorf("%s is %d bytes, want at most 64 KiB", f, len(b))
		}
		records += bytes.Count(b, []byte("\n"))
	}
	if exists(filepath.Join(dir, "container.log.3")) {
		t.Errorf("container.log.3 exists: want at most 3 files")
	}
	logs := mustRun(t, "logs", name)
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	if len(lines) != records || !strings.HasPrefix(lines[len(lines)-1], "line 3999 ") {
		t.Errorf("logs printed %d lines ending %q; want the %d records of the three files, ending with line 3999", len(lines), lines[len(lines)-1], records)
	}
	var first int
	fmt.Sscanf(lines[0], "line %d", &first)
	for i, l := range lines {
		if want := fmt.Sprintf("line %d ", first+i); !strings.HasPrefix(l, want) {
			t.Fatalf("logs line %d is %q, want %q...: rotated files out of order", i, l, want)
		}
	}
}

// Item 9: what a container writes to its log reaches the operator's
// terminal through logs with control characters escaped (newlines and
// tabs kept); --raw gives the bytes.
func TestHostile9LogsEscaped(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "logesc-" + token(t)
	removeOnCleanup(t, name)
	id := strings.TrimSpace(mustRun(t, "run", "-d", "--name", name, "--rootfs", busybox(t), "--", "sh", "-c", `printf 'evil\033]0;PWNED\007\033[2J\tend\n'`))
	waitFor(t, name+" exited", func() bool {
		st, err := readStateFile(id)
		return err == nil && st.Status == "exited"
	})
	if out := mustRun(t, "logs", name); out != "evil\\x1b]0;PWNED\\x07\\x1b[2J\tend\n" {
		t.Errorf("logs: %q, want the escapes escaped and the tab and newline kept", out)
	}
	if out := mustRun(t, "logs", "--raw", name); out != "evil\x1b]0;PWNED\x07\x1b[2J\tend\n" {
		t.Errorf("logs --raw: %q, want the bytes as written", out)
	}
}
