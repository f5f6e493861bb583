package launch_test

// Checklist items 18 to 23 (security-notes.md §9): limits in the host's
// cgroup files, a fork bomb, the OOM killer, cpuset, and cgroup removal.

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readTrim reads a cgroup file from the host, "" if unreadable.
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Checklist 18: the limits are in /sys/fs/cgroup/<ctrl>/nsinspect/<id> on
// the host, and the payload is in that cgroup in every hierarchy, the
// unified (0::) one included.
func TestChecklist18LimitsOnHost(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	id, pid := detach(t, "limits-"+token(t), "--memory", "512m", "--cpus", "1", "--pids-limit", "100", "--", "sleep", "30")
	files := map[string]string{
		"memory/nsinspect/" + id + "/memory.limit_in_bytes": "536870912",
		"cpu/nsinspect/" + id + "/cpu.cfs_quota_us":         "100000",
		"cpu/nsinspect/" + id + "/cpu.cfs_period_us":        "100000",
		"pids/nsinspect/" + id + "/pids.max":                "100",
	}
	if cgroupV2() {
		files = map[string]string{
			"nsinspect/" + id + "/memory.max": "536870912",
			"nsinspect/" + id + "/cpu.max":    "100000 100000",
			"nsinspect/" + id + "/pids.max":   "100",
		}
	}
	for file, want := range files {
		if got := readTrim("/sys/fs/cgroup/" + file); got != want {
			t.Errorf("/sys/fs/cgroup/%s = %q, want %q", file, got, want)
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// Every hierarchy the host has, v1 ones included, and none other.
	if n := len(cgroupHierarchies()); len(lines) != n {
		t.Errorf("/proc/%d/cgroup has %d lines, want one per hierarchy (%d: %v)", pid, len(lines), n, cgroupHierarchies())
	}
	unified := !exists("/sys/fs/cgroup/unified") && !cgroupV2() // pure v1 has none
	for _, line := range lines {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 || f[2] != "/nsinspect/"+id {
			t.Errorf("/proc/%d/cgroup line %q: want the container's cgroup /nsinspect/%s", pid, line, id)
		}
		if f[0] == "0" && f[1] == "" {
			unified = true
		}
	}
	if !unified {
		t.Errorf("/proc/%d/cgroup has no unified (0::) line:\n%s", pid, b)
	}
}

// Checklist 19: the payload is in its pids cgroup before it runs, so a
// fork bomb hits the limit: forks fail, pids.events counts them, and the
// peak never passes the limit.
func TestChecklist19ForkBombContained(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	// dash gives up at the first failed fork, so the bomb runs in a
	// subshell, and the outer shell waits without forking (read is a
	// builtin) until the bomb's orphans have exited, then reads the
	// counters.
	// Kernels differ: pids.peak is recent (not in 6.1), and newer v2
	// kernels add max.imposed to pids.events. A missing peak reads "none".
	r := nsi(t, "run", "--pids-limit", "20", "--", "sh", "-c",
		"(for i in $(seq 60); do sleep 1 & done; wait); while read n <"+cgroupInside("pids", "pids.current", "pids.current")+" && [ $n -gt 1 ]; do :; done; cat "+cgroupInside("pids", "pids.events", "pids.events")+"; echo peak $(cat "+cgroupInside("pids", "pids.peak", "pids.peak")+" 2>/dev/null || echo none)")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(strings.ToLower(r.stderr), "fork") {
		t.Errorf("stderr %q: want fork failures", r.stderr)
	}
	keys := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			keys[k] = v
		}
	}
	if n, err := strconv.Atoi(keys["max"]); err != nil || n < 1 {
		t.Errorf("pids.events max %q, want > 0 (inside: %q)", keys["max"], r.stdout)
	}
	if p := keys["peak"]; p != "none" {
		if n, err := strconv.Atoi(p); err != nil || n > 20 {
			t.Errorf("pids.peak %q, want at most 20", p)
		}
	}
}

// Checklist 20: the memory cgroup's OOM kill ends the container with 137
// and says so.
func TestChecklist20OOMReported(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	r := nsi(t, "run", "--memory", "32m", "--", "sh", "-c", "head -c 200m /dev/zero | tail")
	if r.code != 137 || !strings.Contains(r.stderr, "nsinspect: killed: out of memory (limit 32MiB)\n") {
		t.Errorf("exit %d, stderr %q; want 137 and \"killed: out of memory (limit 32MiB)\"", r.code, r.stderr)
	}
}

// Checklist 21: a cpuset cgroup gets its cpus (and mems, copied from the
// parent) before the task joins, so --cpuset-cpus works.
func TestChecklist21Cpuset(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	r := nsi(t, "run", "--cpuset-cpus", "0", "--", "sh", "-c", "cat "+cgroupInside("cpuset", "cpuset.cpus", "cpuset.cpus")+"; grep Cpus_allowed_list /proc/self/status")
	if r.code != 0 || r.stdout != "0\nCpus_allowed_list:\t0\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want cpuset.cpus 0 and Cpus_allowed_list 0", r.code, r.stdout, r.stderr)
	}
}

// trapTERM is a PID 1 that ends with code on SIGTERM.
func trapTERM(code int) []string {
	return []string{"sh", "-c", fmt.Sprintf(`trap "exit %d" TERM; while :; do sleep 0.1; done`, code)}
}

// Checklist 23: no cgroup is left after a normal run, after SIGTERM to the
// foreground launcher (forwarded to the container), and after SIGKILL to
// the launcher followed by gc.
func TestChecklist23CgroupsRemoved(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	t.Run("normal exit", func(t *testing.T) {
		// The default hostname is the short id.
		short := strings.TrimSpace(mustRun(t, "run", "--", "hostname"))
		if len(short) != 12 {
			t.Fatalf("hostname %q, want the 12-character id", short)
		}
		assertNothingLeft(t, short)
	})
	t.Run("SIGTERM to the launcher", func(t *testing.T) {
		name := "term-" + token(t)
		l := startLauncher(t, nil, nil, append([]string{"run", "--name", name, "--"}, trapTERM(0)...)...)
		pid := runningPid(t, name)
		id := containerID(t, name)
		waitFor(t, "the container's TERM trap", func() bool { return trapped(pid, syscall.SIGTERM) })
		l.signal(t, syscall.SIGTERM)
		if code := l.wait(t); code != 0 {
			t.Errorf("launcher exit %d after SIGTERM, want 0 (the trap's); stderr %q", code, l.err.String())
		}
		assertNothingLeft(t, id)
	})
	t.Run("SIGKILL to the launcher, then gc", func(t *testing.T) {
		name := "kill-" + token(t)
		l := startLauncher(t, nil, nil, "run", "--name", name, "--", "sleep", "30")
		pid := runningPid(t, name)
		id := containerID(t, name)
		l.signal(t, syscall.SIGKILL)
		l.wait(t)
		if !poll(2*time.Second, func() bool { return gone(pid) }) {
			t.Errorf("the container (pid %d) still runs 2 s after its launcher was SIGKILLed", pid)
		}
		mustRun(t, "gc")
		assertNothingLeft(t, id)
	})
}
