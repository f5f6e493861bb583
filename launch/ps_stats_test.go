package launch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statsOf runs stats --no-stream --json for one container and decodes its
// row.
func statsOf(t *testing.T, name string, interval string) map[string]any {
	t.Helper()
	out := mustRun(t, "stats", "--no-stream", "--json", "--interval", interval, name)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("stats --json %s: %d lines, want 1: %q", name, len(lines), out)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &row); err != nil {
		t.Fatalf("decoding %q: %v", lines[0], err)
	}
	return row
}

// stats' figures agree with the kernel: a container that touched 48 MiB
// shows that much MEM USAGE (within 5 %); for one spinning under --cpus
// 0.5, CPU %, CPU % of its quota and the throttled share agree with what
// the kernel's own counters (cpuacct.usage or cpu.stat, cpu.stat's
// periods) say over the same interval. A busy host (the VM
// guests, the CI loop with Docker containers) may not give the spinner
// its half CPU; the figures must still be the kernel's.
func TestStatsAgreeWithKernel(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	mem, cpu := "mem-"+token(t), "cpu-"+token(t)
	detach(t, mem, "--memory", "256m", "--", "sh", "-c", "head -c 48m /dev/zero > /dev/shm/fill; echo ready; sleep 60")
	detach(t, cpu, "--cpus", "0.5", "--", "sh", "-c", "while :; do :; done")
	waitFor(t, "48 MiB written", func() bool { return strings.Contains(mustRun(t, "logs", mem), "ready") })

	row := statsOf(t, mem, "500ms")
	used := row["memUsageBytes"].(float64)
	if want := 48.0 * (1 << 20); used < want*0.95 || used > want*1.05 {
		t.Errorf("MEM USAGE %.0f bytes, want 48MiB within 5%%", used)
	}
	if row["memLimitBytes"] != float64(256<<20) || row["memLimited"] != true {
		t.Errorf("memory limit %v (limited %v), want 268435456", row["memLimitBytes"], row["memLimited"])
	}

	// The kernel's counters are read as each row arrives, right after
	// stats took the reading the row ends with: the second row's figures
	// cover the same two seconds as the two readings of the kernel's.
	id := containerID(t, cpu)
	stream := exec.Command(bin, "stats", "--json", "--interval", "2s", cpu)
	pipe, err := stream.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stream.Process.Kill(); stream.Wait() })
	rows := bufio.NewScanner(pipe)
	var before, after cpuReading
	for i := range 2 {
		if !rows.Scan() {
			t.Fatalf("stats --json ended after %d rows: %v", i, rows.Err())
		}
		if i == 0 {
			before = cpuCounters(t, id)
		} else {
			after = cpuCounters(t, id)
		}
	}
	row = map[string]any{}
	if err := json.Unmarshal(rows.Bytes(), &row); err != nil {
		t.Fatalf("decoding %q: %v", rows.Text(), err)
	}
	wall := after.at.Sub(before.at).Seconds()
	cpus := float64(after.usageNanos-before.usageNanos) / 1e9 / wall // CPUs used, by the kernel
	// Docker's CPU %: the container's CPU time over the host's (the
	// first seven fields of /proc/stat's cpu line, steal left out: a VM
	// guest whose vCPU waits shows less host time than wall time) times
	// the online CPUs.
	p := row["cpuPercent"].(float64)
	host := float64(after.hostTicks-before.hostTicks) * 1e7 // USER_HZ 100: 10 ms a tick
	if want := float64(after.usageNanos-before.usageNanos) / host * float64(after.cpus) * 100; p < want*0.9-2 || p > want*1.1+2 {
		t.Errorf("CPU %% under --cpus 0.5: %.1f, the kernel's %.1f over the same interval", p, want)
	}
	if q, want := row["cpuQuotaPercent"].(float64), cpus/0.5*100; q < want*0.9-2 || q > want*1.1+2 {
		t.Errorf("CPU %% of quota: %.1f, the kernel's %.1f over the same interval", q, want)
	}
	th, ok := row["throttledPercent"].(float64)
	periods := after.periods - before.periods
	if !ok || periods == 0 {
		t.Fatalf("throttled %% %v over %d periods of the kernel's", row["throttledPercent"], periods)
	}
	if want := float64(after.throttled-before.throttled) / float64(periods) * 100; th < want-10 || th > want+10 {
		t.Errorf("throttled %% of a spinner at half a CPU: %.1f, the kernel's %.1f over the same interval", th, want)
	}
	if cpus > 0.45 && th < 50 {
		t.Errorf("a spinner that used its half CPU (%.2f) was throttled in %.1f %% of periods, want most", cpus, th)
	}
}

// cpuReading is a container's CPU counters at one moment.
type cpuReading struct {
	at                 time.Time
	usageNanos         uint64
	periods, throttled uint64
	hostTicks          uint64 // /proc/stat cpu: user..softirq
	cpus               int    // cpuN lines of /proc/stat
}

// cpuCounters reads the container's CPU time and CFS period counts from
// the host's cgroup files: cpu.stat on v2, cpuacct.usage and cpu.stat on
// v1 and hybrid.
func cpuCounters(t *testing.T, id string) cpuReading {
	t.Helper()
	r := cpuReading{at: time.Now()}
	procStat, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(procStat), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) > 7 && f[0] == "cpu":
			for _, v := range f[1:8] {
				n, _ := strconv.ParseUint(v, 10, 64)
				r.hostTicks += n
			}
		case len(f) > 0 && strings.HasPrefix(f[0], "cpu"):
			r.cpus++
		}
	}
	stat := func(file string) map[string]uint64 {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		kv := map[string]uint64{}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 2 {
				kv[f[0]], _ = strconv.ParseUint(f[1], 10, 64)
			}
		}
		return kv
	}
	if cgroupV2() {
		kv := stat("/sys/fs/cgroup/nsinspect/" + id + "/cpu.stat")
		r.usageNanos, r.periods, r.throttled = kv["usage_usec"]*1000, kv["nr_periods"], kv["nr_throttled"]
		return r
	}
	b, err := os.ReadFile("/sys/fs/cgroup/cpuacct/nsinspect/" + id + "/cpuacct.usage")
	if err != nil {
		t.Fatal(err)
	}
	r.usageNanos, _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	kv := stat("/sys/fs/cgroup/cpu/nsinspect/" + id + "/cpu.stat")
	r.periods, r.throttled = kv["nr_periods"], kv["nr_throttled"]
	return r
}

// A container on the host's network has no traffic of its own to show:
// its net/dev is the host's. stats says so instead of printing the host's
// bytes; a container with its own network shows its own (lo excluded: 0).
func TestStatsHostNetwork(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	hostNet, ownNet := "hnet-"+token(t), "onet-"+token(t)
	detach(t, hostNet, "--network", "host", "--", "sleep", "60")
	detach(t, ownNet, "--", "sleep", "60")

	row := statsOf(t, hostNet, "200ms")
	if row["hostNetwork"] != true || row["netRxBytes"] != nil || row["netTxBytes"] != nil {
		t.Errorf("--network host: hostNetwork %v rx %v tx %v, want true, null, null", row["hostNetwork"], row["netRxBytes"], row["netTxBytes"])
	}
	out := mustRun(t, "stats", "--no-stream", "--interval", "200ms", "--format", "{{.Name}} {{.NetIO}}", hostNet)
	if got := strings.TrimSpace(out); got != hostNet+" host" {
		t.Errorf("NET I/O of a host-network container: %q, want %q", got, hostNet+" host")
	}
	row = statsOf(t, ownNet, "200ms")
	if row["hostNetwork"] != false || row["netRxBytes"] != float64(0) || row["netTxBytes"] != float64(0) {
		t.Errorf("own network, lo only: hostNetwork %v rx %v tx %v, want false, 0, 0", row["hostNetwork"], row["netRxBytes"], row["netTxBytes"])
	}
}

// ps lists nsinspect's containers with their limits and namespaces, and
// --all adds processes in namespaces no runtime claims.
func TestPsListsContainersAndNamespaceGroups(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	name := "ps-" + token(t)
	id, pid := detach(t, name, "--memory", "64m", "--pids-limit", "10", "--", "sleep", "60")
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount", "--mount-proc", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child is its pid namespace's init: SIGKILL it from here (the
	// parent namespace), then unshare, which waits for it, returns.
	t.Cleanup(func() {
		for _, c := range children(cmd.Process.Pid) {
			syscall.Kill(c, syscall.SIGKILL)
		}
		cmd.Process.Kill()
		cmd.Wait()
	})

	var rows []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "ps", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if r["id"] == id {
			found = true
			if r["runtime"] != "nsinspect" || r["pid"] != float64(pid) || r["name"] != name {
				t.Errorf("ps row %v: want runtime nsinspect, pid %d, name %s", r, pid, name)
			}
			if r["memory"].(map[string]any)["limitBytes"] != float64(64<<20) || r["pids"].(map[string]any)["max"] != float64(10) {
				t.Errorf("ps row limits %v %v", r["memory"], r["pids"])
			}
			ns, _ := json.Marshal(r["namespaces"])
			if string(ns) != `["pid","net","mnt","uts","ipc","cgroup"]` {
				t.Errorf("ps row namespaces %s", ns)
			}
		}
		if r["runtime"] == "namespaces" {
			t.Errorf("ps without --all lists a namespace group: %v", r)
		}
	}
	if !found {
		t.Fatalf("ps --json does not list %s", id)
	}
	waitFor(t, "unshare's sleep", func() bool {
		return strings.Contains(mustRun(t, "ps", "--all", "--format", "{{.Runtime}} {{.Name}}"), "namespaces sleep")
	})
	if q := strings.TrimSpace(mustRun(t, "ps", "-q", name)); q != id[:12] {
		t.Errorf("ps -q %s = %q, want %s", name, q, id[:12])
	}
	// Lookup by name or id prefix for pid.
	for _, ref := range []string{name, id[:8]} {
		out := mustRun(t, "pid", ref, "--format", "{{.PID}} {{.Runtime.Name}}")
		if want := strconv.Itoa(pid) + " nsinspect\n"; out != want {
			t.Errorf("pid %s: %q, want %q", ref, out, want)
		}
	}
	if r := nsi(t, "stats", "no-such-container"); r.code != 2 || !strings.Contains(r.stderr, "no such container: no-such-container") {
		t.Errorf("stats no-such-container: exit %d %q", r.code, r.stderr)
	}
}

// ps --all stays well-formed while processes come and go as fast as a
// shell can fork them (ENOENT, ESRCH and zombies mid-read).
func TestPsUnderChurn(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	ctx, cancel := context.WithCancel(context.Background())
	churn := exec.CommandContext(ctx, "sh", "-c", "while :; do /bin/true & /bin/true; done")
	churn.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := churn.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		syscall.Kill(-churn.Process.Pid, syscall.SIGKILL)
		churn.Wait()
	})
	for i := 0; i < rounds(200); i++ {
		r := nsi(t, "ps", "--all", "--json")
		var rows []map[string]any
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rows) != nil || strings.Contains(r.stderr, "goroutine") {
			t.Fatalf("run %d: exit %d, stderr %q, output %.200q", i, r.code, r.stderr, r.stdout)
		}
	}
}

// As an unprivileged user ps shows what it can read and never fails.
func TestPsAsNobody(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	name := "nobody-" + token(t)
	detach(t, name, "--", "sleep", "30")
	id := containerID(t, name) // as nobody, names (root's state) vanish
	cmd := exec.Command(bin, "ps", "--all", "--json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ps as nobody: %v %s", err, errb.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal(out.Bytes(), &rows); err != nil {
		t.Fatalf("ps as nobody printed %q: %v", out.String(), err)
	}
	found := false
	for _, r := range rows {
		if r["id"] != id {
			continue // another test's
		}
		found = true
		// Another user's /proc/<pid>/ns links need ptrace access: unknown,
		// not "shares everything".
		if r["namespaces"] != nil {
			t.Errorf("as nobody, namespaces %v, want null (unreadable)", r["namespaces"])
		}
		// cgroup files are world-readable: the limits are still there.
		if r["pids"].(map[string]any)["current"] != float64(1) {
			t.Errorf("as nobody, pids %v, want current 1", r["pids"])
		}
	}
	if !found {
		t.Errorf("as nobody, ps should still list the nsinspect container from its cgroup: %s", out.String())
	}
	asNobody := func(args ...string) string {
		cmd := exec.Command(bin, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v as nobody: %v", args, err)
		}
		return string(b)
	}
	seen := false
	for _, line := range strings.Split(asNobody("ps"), "\n")[1:] {
		if f := strings.Fields(line); len(f) > 4 && f[2] == "nsinspect" {
			seen = true
			if f[4] != "--" {
				t.Errorf("as nobody, NAMESPACES %q, want -- (unknown): %s", f[4], line)
			}
		}
	}
	if !seen {
		t.Error("as nobody, the ps table has no nsinspect row")
	}
	if out := asNobody("stats", "--no-stream", "--interval", "100ms", "--format", "{{.Container}} {{.PIDs}}"); !strings.Contains(out, " 1\n") {
		t.Errorf("as nobody, stats: %q", out)
	}
}

// A container that starts while stats streams appears at a later sample,
// one that stops drops out, and SIGTERM ends stats cleanly.
func TestStatsStreamsChurn(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	name := "churn-" + token(t)
	removeOnCleanup(t, name)
	var out safeBuffer
	stats := exec.Command(bin, "stats", "--json", "--interval", "200ms")
	stats.Stdout = &out
	if err := stats.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() { // a failing test still stops it
		if !stopped {
			stats.Process.Kill()
			stats.Wait()
		}
	})
	time.Sleep(400 * time.Millisecond)
	mustRun(t, "run", "-d", "--name", name, "--", "sleep", "30")
	waitFor(t, "the new container in stats", func() bool { return strings.Contains(out.String(), `"name":"`+name+`"`) })
	mustRun(t, "rm", "-f", name)
	time.Sleep(600 * time.Millisecond)
	before := strings.Count(out.String(), `"name":"`+name+`"`)
	time.Sleep(600 * time.Millisecond)
	if after := strings.Count(out.String(), `"name":"`+name+`"`); after != before {
		t.Errorf("a removed container still sampled: %d rows then %d", before, after)
	}
	stats.Process.Signal(syscall.SIGTERM)
	stopped = true
	if err := stats.Wait(); err != nil {
		t.Errorf("stats after SIGTERM: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("not a JSON line: %q", line)
		}
	}
}
