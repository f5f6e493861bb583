package launch_test

// The hostile-container issue's smaller items: what the caller's process
// leaked into containers (supplementary groups, oom_score_adj), Docker's
// per-network-namespace sysctls, and rm of a container that made cgroups
// of its own.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The caller's supplementary groups never reach the container: it has
// the configured list, empty by default, in run and in exec.
func TestHostileCallerGroupsStayOutside(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	name := "groups-" + token(t)
	detach(t, name, "--", "sleep", "300")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--", "grep", "Groups", "/proc/self/status"}, "Groups:"},
		{[]string{"run", "--group-add", "27", "--", "grep", "Groups", "/proc/self/status"}, "Groups: 27"},
		{[]string{"exec", name, "--", "grep", "Groups", "/proc/self/status"}, "Groups:"},
	} {
		out, err := exec.Command("setpriv", append([]string{"--groups", "4,27", "--", bin}, tc.args...)...).CombinedOutput()
		if err != nil || strings.Join(strings.Fields(string(out)), " ") != tc.want {
			t.Errorf("setpriv --groups 4,27 -- nsinspect %v: %v, %q; want %q", tc.args, err, out, tc.want)
		}
	}
}

// The caller's oom_score_adj never reaches the container: 0, or
// --oom-score-adj.
func TestHostileCallerOOMScoreStaysOutside(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if _, err := exec.LookPath("choom"); err != nil {
		t.Skip("choom (util-linux) not installed")
	}
	name := "oom-" + token(t)
	detach(t, name, "--", "sleep", "300")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--", "cat", "/proc/self/oom_score_adj"}, "0\n"},
		{[]string{"run", "--oom-score-adj", "700", "--", "cat", "/proc/self/oom_score_adj"}, "700\n"},
		{[]string{"exec", name, "--", "cat", "/proc/self/oom_score_adj"}, "0\n"},
	} {
		out, err := exec.Command("choom", append([]string{"-n", "500", "--", bin}, tc.args...)...).CombinedOutput()
		if err != nil || string(out) != tc.want {
			t.Errorf("choom -n 500 -- nsinspect %v: %v, %q; want %q", tc.args, err, out, tc.want)
		}
	}
}

// Docker's sysctls for a container's own network namespace, --sysctl for
// the namespaced ones (the host's values unchanged), refusal for the rest.
func TestHostileSysctls(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	read := "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range"
	if out := mustRun(t, "run", "--", "sh", "-c", read); out != "0\n0\t2147483647\n" {
		t.Errorf("a default container's sysctls: %q, want 0 and 0 2147483647", out)
	}
	hostTTL, _ := os.ReadFile("/proc/sys/net/ipv4/ip_default_ttl")
	hostShm, _ := os.ReadFile("/proc/sys/kernel/shmmni")
	if out := mustRun(t, "run", "--sysctl", "net.ipv4.ip_default_ttl=42", "--sysctl", "kernel.shmmni=1234", "--", "sh", "-c", "cat /proc/sys/net/ipv4/ip_default_ttl /proc/sys/kernel/shmmni"); out != "42\n1234\n" {
		t.Errorf("--sysctl net.ipv4.ip_default_ttl=42 kernel.shmmni=1234: %q, want 42 and 1234", out)
	}
	if ttl, _ := os.ReadFile("/proc/sys/net/ipv4/ip_default_ttl"); string(ttl) != string(hostTTL) {
		t.Errorf("the host's ip_default_ttl changed: %q, was %q", ttl, hostTTL)
	}
	if shm, _ := os.ReadFile("/proc/sys/kernel/shmmni"); string(shm) != string(hostShm) {
		t.Errorf("the host's kernel.shmmni changed: %q, was %q", shm, hostShm)
	}
	hostPorts, _ := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if out := mustRun(t, "run", "--network", "host", "--", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"); out != string(hostPorts) {
		t.Errorf("--network host: ip_unprivileged_port_start %q, want the host's %q untouched", out, hostPorts)
	}
	for _, args := range [][]string{
		{"--sysctl", "kernel.panic=1"},
		{"--sysctl", "vm.overcommit_memory=1"},
		{"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"},
		{"--sysctl", "net.ipv4.ip_forward"},
		{"--sysctl", "../../kernel/panic=1"},
	} {
		r := nsi(t, append(append([]string{"run"}, args...), "--", "true")...)
		if r.code != 125 || !strings.Contains(r.stderr, "--sysctl") {
			t.Errorf("run %v: exit %d, stderr %q; want 125 naming --sysctl", args, r.code, r.stderr)
		}
	}
}

// rm of a container that made cgroups of its own removes them depth-first
// and says removed only when everything went; when a cgroup cannot go (a
// mount on it here), rm fails, keeps the state, and gc finishes later.
func TestHostileRmNestedCgroups(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "nested-" + token(t)
	// On v2 the container's one group holds both nested ones.
	script := "mkdir -p /sys/fs/cgroup/memory/a/b /sys/fs/cgroup/pids/c && exec sleep 300"
	if cgroupV2() {
		script = "mkdir -p /sys/fs/cgroup/a/b /sys/fs/cgroup/c && exec sleep 300"
	}
	id, _ := detach(t, name, "--privileged", "--", "sh", "-c", script)
	st, err := readStateFile(id)
	if err != nil {
		t.Fatal(err)
	}
	mem, pids := st.Cgroups.V1["memory"], st.Cgroups.V1["pids"]
	if cgroupV2() {
		mem, pids = st.Cgroups.Unified, st.Cgroups.Unified
	}
	if mem == "" || pids == "" {
		t.Fatalf("no memory or pids cgroup in the state: %+v", st.Cgroups)
	}
	waitFor(t, "the container's own cgroups", func() bool { return exists(mem + "/a/b") })
	// A mount on a/b makes its rmdir fail with EBUSY.
	if err := unix.Mount("tmpfs", mem+"/a/b", "tmpfs", 0, "size=4k"); err != nil {
		t.Fatal(err)
	}
	mounted := true
	t.Cleanup(func() {
		if mounted {
			unix.Unmount(mem+"/a/b", unix.MNT_DETACH)
		}
	})
	r := nsi(t, "rm", "-f", name)
	if r.code == 0 || strings.Contains(r.stdout, name) || !strings.Contains(r.stderr, "not removed") {
		t.Errorf("rm -f with a cgroup that cannot go: exit %d, stdout %q, stderr %q; want a failure saying it is not removed", r.code, r.stdout, r.stderr)
	}
	if !exists(filepath.Join("/run/nsinspect", id)) {
		t.Errorf("the state went although a cgroup stayed")
	}
	unix.Unmount(mem+"/a/b", unix.MNT_DETACH)
	mounted = false
	if r := nsi(t, "rm", "-f", name); r.code != 0 || r.stdout != name+"\n" {
		t.Errorf("rm -f once the cgroup can go: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, d := range []string{mem + "/a/b", mem + "/a", mem, pids + "/c"} {
		if exists(d) {
			t.Errorf("%s is left", d)
		}
	}
}
