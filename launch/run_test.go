package launch_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The acceptance line: the limit is visible inside, the command is
// PID 1, the hostname is the container's, and ps shows only its processes.
func TestRunSeedExperiment(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	r := nsi(t, "run", "--memory", "512m", "--", "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; echo $$; hostname; ps -e -o pid=,comm=")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	host, _ := os.Hostname()
	if len(lines) < 4 || lines[0] != "536870912" || lines[1] != "1" || lines[2] == host || lines[2] == "" {
		t.Fatalf("output %q: want 536870912, 1, a hostname other than %q", r.stdout, host)
	}
	var pids []string
	for _, l := range lines[3:] {
		pids = append(pids, strings.Fields(l)[0]+" "+strings.Fields(l)[1])
	}
	if len(pids) != 2 || pids[0] != "1 sh" || !strings.HasSuffix(pids[1], " ps") {
		t.Errorf("ps -e inside shows %v, want only sh as 1 and ps", pids)
	}
}

// Docker's exit-code contract (checklist 26).
func TestRunExitCodes(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"false"}, 1, ""},
		{[]string{"sh", "-c", "exit 42"}, 42, ""},
		{[]string{"sh", "-c", "kill -9 $$; exit 3"}, 3, ""}, // PID 1 cannot SIGKILL itself from inside
		{[]string{"--init", "sh", "-c", "kill -9 $$"}, 137, ""},
		{[]string{"/nope"}, 127, "/nope: no such file or directory"},
		{[]string{"nosuchcommand"}, 127, "executable file not found"},
		{[]string{"/etc"}, 126, "permission denied"},
		{[]string{"/dev/null"}, 126, "/dev/null"},
	} {
		args := tc.args
		var flags []string
		if args[0] == "--init" {
			flags, args = []string{"--init"}, args[1:]
		}
		r := nsi(t, append(append(append([]string{"run"}, flags...), "--"), args...)...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("run %v: exit %d, stderr %q; want %d and %q", tc.args, r.code, r.stderr, tc.code, tc.msg)
		}
	}
}

// Bad flag values are refused with one line and 125, before anything is
// created.
func TestRunRejectsBadFlags(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--memory", "12q"}, `invalid --memory "12q"`},
		{[]string{"--cpus", "-1"}, `invalid --cpus "-1"`},
		{[]string{"--cpus", "abc"}, `invalid --cpus "abc"`},
		{[]string{"--cap-add", "NOPE"}, `invalid --cap-add "NOPE"`},
		{[]string{"--pids-limit", "-5"}, "invalid --pids-limit"},
		{[]string{"--network", "bridge"}, `invalid --network "bridge"`},
		{[]string{"--pid", "container:web"}, `invalid --pid "container:web"`},
		{[]string{"-v", "relative:/x"}, "must be absolute"},
		{[]string{"-v", "/nonexistent-dir:/x"}, "does not exist"},
		{[]string{"-u", "nobody"}, "numeric uid"},
		{[]string{"--name", "-bad"}, "invalid --name"},
		{[]string{"--rootfs", "/nonexistent"}, "not a directory"},
		{[]string{"--memory-swap", "1m", "--memory", "64m"}, "--memory-swap must be at least --memory"},
		{[]string{"--bogus-flag"}, "unknown flag"},
	} {
		r := nsi(t, append(append([]string{"run"}, tc.args...), "--", "true")...)
		if r.code != 125 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("run %v: exit %d, stderr %q; want 125 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// Limits land in the cgroup files, and the payload is in every hierarchy
// (checklist 18).
func TestRunLimitsMapping(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	files, want := []string{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us", "/sys/fs/cgroup/pids/pids.max"}, "\n536870912\n100000\n100000\n100\n"
	if cgroupV2() {
		files, want = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/cpu.max", "/sys/fs/cgroup/pids.max"}, "\n536870912\n100000 100000\n100\n"
	}
	r := nsi(t, append([]string{"run", "--memory", "512m", "--cpus", "1", "--pids-limit", "100", "--", "cat", "/proc/self/cgroup"}, files...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := r.stdout
	for _, want := range []string{want} {
		if !strings.Contains(out, want) {
			t.Errorf("limits inside: %q, want %q", out, want)
		}
	}
	// Inside its cgroup namespace every hierarchy, the unified one too,
	// shows the container's cgroup as /.
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, ":") && strings.HasPrefix(line, fmt.Sprint(line[0:1])) && strings.Count(line, ":") >= 2 && !strings.HasSuffix(line, ":/") {
			t.Errorf("cgroup line %q: want the container's own cgroup as /", line)
		}
	}
}

// --pid host shares the host's pid namespace and nothing else: the
// command is not PID 1, its /proc is the host's, and what it leaves
// running is killed when it exits (no namespace teardown does it), as
// runc does for a container without a pid namespace of its own.
func TestRunPidHost(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	hostPid, _ := os.Readlink("/proc/self/ns/pid")
	hostMnt, _ := os.Readlink("/proc/self/ns/mnt")
	r := nsi(t, "run", "--pid", "host", "--", "sh", "-c",
		`readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; grep '^NSpid:' /proc/self/status | wc -w; sleep 300 & echo $!; exit 3`)
	if r.code != 3 {
		t.Fatalf("run --pid host: exit %d, stderr %q; want the command's 3", r.code, r.stderr)
	}
	lines := strings.Fields(r.stdout)
	if len(lines) != 4 {
		t.Fatalf("run --pid host printed %q (stderr %q), want 4 lines", r.stdout, r.stderr)
	}
	if lines[0] != hostPid {
		t.Errorf("pid namespace %s, want the host's %s", lines[0], hostPid)
	}
	if lines[1] == hostMnt {
		t.Errorf("mount namespace %s is the host's: only the pid namespace may be shared", lines[1])
	}
	if lines[2] != "2" {
		t.Errorf("NSpid has %s words, want 2 (one pid: the host's namespace alone)", lines[2])
	}
	bg, err := strconv.Atoi(lines[3])
	if err != nil || bg <= 1 {
		t.Fatalf("background pid %q", lines[3])
	}
	// The background sleep was in the container's cgroups: run returned
	// only after killing it. Its pid may be reused, but not by a sleep of
	// ours in this instant.
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", bg)); err == nil && strings.HasPrefix(string(b), "sleep\x00300") {
		unix.Kill(bg, unix.SIGKILL)
		t.Errorf("the command's background sleep (pid %d) outlived the container", bg)
	}
}
