package launch_test

// Checklist items 14 to 17 (security-notes.md §9): file descriptors, the
// working directory and the host's binary (CVE-2024-21626, CVE-2019-5736,
// CVE-2016-9962).

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Checklist 14: fds the caller leaves open (here 7 and 9, not
// close-on-exec) never reach the command: ls sees 0 1 2 and its own 3.
func TestChecklist14OnlyStdio(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	scratch := "/tmp/x-" + token(t)
	t.Cleanup(func() { os.Remove(scratch) })
	for _, flags := range []string{"", "--init"} {
		script := fmt.Sprintf("exec 7</etc/hostname 9>%s; %s run %s -- ls /proc/self/fd", scratch, bin, flags)
		out, err := exec.Command("sh", "-c", script).CombinedOutput()
		if err != nil || string(out) != "0\n1\n2\n3\n" {
			t.Errorf("run %s -- ls /proc/self/fd with the caller's fds 7 and 9 open: %v, output %q; want 0 1 2 3", flags, err, out)
		}
	}
}

// callerFds opens host directories the launcher inherits without
// close-on-exec, as from a shell's `exec 5</dir`: ExtraFiles become fds
// 3, 4, 5, ... of the launcher. The last one is a directory with a marker.
func callerFds(t *testing.T) (files []*os.File, marker string) {
	t.Helper()
	dir := t.TempDir()
	marker = "host-marker-" + token(t)
	if err := os.WriteFile(filepath.Join(dir, marker), []byte(marker), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/etc/hostname", "/etc", "/tmp", dir, dir, dir} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		files = append(files, f)
	}
	return files, marker
}

// hostFdTargets lists the fds of pid that lead to a host file or
// directory, other than /dev/null: sockets, pipes and anonymous inodes
// are the init's own plumbing.
func hostFdTargets(pid int) []string {
	var out []string
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(target, "/") || target == "/dev/null" {
			continue
		}
		out = append(out, filepath.Base(fd)+" -> "+target)
	}
	return out
}

// Checklist 14 (runc create.bats style): paused just before exec, the
// container's init holds none of the caller's fds, only its own plumbing.
func TestChecklist14InitFdAllowlist(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	extra, _ := callerFds(t)
	l := startLauncher(t, []string{"NSINSPECT_TEST_PAUSE_AT=before-exec"}, extra, "run", "--", "true")
	var init int
	waitFor(t, "the init to pause before exec", func() bool {
		kids := children(l.pid())
		if len(kids) != 1 {
			return false
		}
		init = kids[0]
		return statusField(init, "NoNewPrivs") == "1"
	})
	// The one allowed: the container's own pids.max (the default
	// --pids-limit), which the init writes right before exec, close-on-exec
	// so that the command never holds it.
	var fds []string
	for _, fd := range hostFdTargets(init) {
		num, target, _ := strings.Cut(fd, " -> ")
		if strings.HasSuffix(target, "/pids.max") && strings.Contains(target, "/nsinspect/") {
			info, _ := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", init, num))
			var flags int64
			for _, line := range strings.Split(string(info), "\n") {
				if v, ok := strings.CutPrefix(line, "flags:"); ok {
					flags, _ = strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				}
			}
			if flags&syscall.O_CLOEXEC != 0 {
				continue
			}
			fd += " (not close-on-exec)"
		}
		fds = append(fds, fd)
	}
	if len(fds) > 0 {
		t.Errorf("the container's init holds host files just before exec: %v", fds)
	}
	l.signal(t, syscall.SIGKILL)
	l.wait(t)
	mustRun(t, "gc")
}

// Checklist 14: with --init the reaper stays PID 1 for the container's
// life. It must not keep the caller's fds either: a container granted
// CAP_SYS_PTRACE could open them through /proc/1/fd and reach the host.
func TestChecklist14ReaperHoldsNoCallerFds(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	extra, marker := callerFds(t)
	l := startLauncher(t, nil, extra, "run", "--init", "--cap-add", "SYS_PTRACE", "--",
		"sh", "-c", "cat /proc/1/fd/*/"+marker+" 2>/dev/null; ls -l /proc/1/fd/")
	if code := l.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, l.err.String())
	}
	if out := l.out.String(); strings.Contains(out, marker) {
		t.Errorf("the container read a host directory through its PID 1's fds:\n%s", out)
	}
	if out := l.out.String(); strings.Contains(out, " -> /etc") || strings.Contains(out, " -> /tmp") {
		t.Errorf("PID 1 (--init) holds host fds:\n%s", out)
	}
}

// Checklist 15: a working directory through an inherited or internal fd
// (/proc/self/fd/N) never leaves the container's root: the run fails with
// 125 or pwd prints a path inside.
func TestChecklist15WorkdirStaysInside(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	extra, _ := callerFds(t)
	for _, init := range []bool{false, true} {
		for n := 3; n <= 20; n++ {
			args := []string{"run", "--workdir", "/proc/self/fd/" + strconv.Itoa(n)}
			if init {
				args = append(args, "--init")
			}
			l := startLauncher(t, nil, extra, append(args, "--", "sh", "-c", "pwd; ls -A")...)
			code := l.wait(t)
			out := l.out.String()
			wd, _, _ := strings.Cut(out, "\n")
			switch {
			case code == 125:
			case code == 0 && strings.HasPrefix(wd, "/") && !strings.Contains(wd, "unreachable") && !strings.Contains(out, "host-marker-"):
			default:
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 125, or a working directory inside", args, code, out, l.err.String())
			}
		}
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// Checklist 16: with --init, PID 1 is a sealed copy: the container can
// neither resolve /proc/1/exe to the host's binary nor open it for
// writing, even with CAP_SYS_PTRACE, and the binary is unchanged.
func TestChecklist16BinaryProtected(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	sum := sha256File(t, bin)
	script := `echo "exe:$(readlink /proc/1/exe)"
sh -c 'exec 3<>/proc/1/exe && echo garbage >&3' 2>/dev/null; echo "write:$?"`
	for _, flags := range [][]string{{"--init"}, {"--init", "--cap-add", "SYS_PTRACE"}} {
		r := nsi(t, append(append(append([]string{"run"}, flags...), "--", "sh", "-c"), script)...)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if r.code != 0 || len(lines) != 2 {
			t.Errorf("run %v: exit %d, stdout %q, stderr %q", flags, r.code, r.stdout, r.stderr)
			continue
		}
		exe := strings.TrimPrefix(lines[0], "exe:")
		if exe == bin || strings.Contains(exe, filepath.Base(filepath.Dir(bin))) {
			t.Errorf("run %v: /proc/1/exe inside is %q, the host's binary", flags, exe)
		}
		if lines[1] == "write:0" {
			t.Errorf("run %v: writing through /proc/1/exe succeeded", flags)
		}
	}
	if got := sha256File(t, bin); got != sum {
		t.Errorf("the host binary changed: sha256 %s, was %s", got, sum)
	}
}

// Checklist 17, from outside: twenty containers run from one shell leave
// its fd table as it was.
func TestChecklist17CallerFdsStable(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	// The shell expands the glob itself: no child, no pipe in between.
	script := fmt.Sprintf(`echo /proc/$$/fd/*
for i in $(seq %d); do %s run -- true || echo "run $i failed"; done
echo /proc/$$/fd/*`, rounds(20), bin)
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err != nil || len(lines) != 2 || lines[0] != lines[1] {
		t.Errorf("the shell's fds before and after %d runs: %q (%v), want the same list twice", rounds(20), out, err)
	}
}
