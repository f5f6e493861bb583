package launch_test

// Docker's seccomp profile in nsinspect's containers: the probe's system
// calls get the filter's own verdict on each ABI (the errno the profile
// gives, not whether the call would otherwise succeed), through run, exec
// and --init; common programs still work; unconfined and custom profiles.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/launch/seccomp"
)

// filterVerdicts are what Docker's profile gives a container with its
// default capabilities, for every call the probe makes.
var filterVerdicts = map[string]string{
	"getpid":                         "OK",
	"unshare(CLONE_NEWUSER)":         "EPERM",
	"keyctl":                         "EPERM",
	"add_key":                        "EPERM",
	"io_uring_setup":                 "EPERM",
	"userfaultfd":                    "EPERM",
	"perf_event_open":                "EPERM",
	"personality(READ_IMPLIES_EXEC)": "EPERM",
	"socket(AF_VSOCK)":               "EPERM",
	"socket(AF_ALG)":                 "EPERM",
	"socket(AF_INET)":                "OK",
	"clone3":                         "ENOSYS",
	"kexec_load":                     "EPERM",
	"open_by_handle_at":              "EPERM",
	"above-the-table":                "ENOSYS",
	"status-Seccomp":                 "2",
}

// parseProbe reads `probe syscalls` output into label -> verdict.
func parseProbe(t *testing.T, out string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if label, v, ok := strings.Cut(l, " "); ok {
			got[label] = v
		}
	}
	if len(got) < len(filterVerdicts) {
		t.Fatalf("probe output %q: want a line for each of %d calls", out, len(filterVerdicts))
	}
	return got
}

// abis are the ways the probe enters the kernel here: the native ABI, x86
// (the 32-bit build, through int 0x80) and x32 (the native build with the
// x32 bit). x32 is disabled in most kernels: a call the filter allows then
// fails with the kernel's own ENOSYS, which is how it shows as allowed.
func abis(t *testing.T, root string) map[string][]string {
	out := map[string][]string{"native": {"probe", "syscalls"}}
	if probe386 != "" {
		if err := exec.Command(filepath.Join(root, "bin/probe386"), "syscalls").Run(); err == nil {
			out["x86"] = []string{"probe386", "syscalls"}
		} else {
			t.Logf("x86 ABI not tested: the kernel does not run a 32-bit x86 binary here (%v)", err)
		}
	}
	if runtime.GOARCH == "amd64" {
		out["x32"] = []string{"probe", "syscalls", "x32"}
	}
	return out
}

// wantFor is the verdict of label under the filter through abi: x32 calls
// the filter allows come back ENOSYS when the kernel has x32 off.
func wantFor(label, abi string, x32Enabled bool) string {
	w := filterVerdicts[label]
	if abi == "x32" && w == "OK" && !x32Enabled {
		return "ENOSYS"
	}
	return w
}

// x32Enabled reports whether the kernel runs x32 system calls at all.
func x32Enabled(t *testing.T, root string) bool {
	out, err := exec.Command(filepath.Join(root, "bin/probe"), "syscalls", "x32").Output()
	return err == nil && strings.Contains(string(out), "getpid OK")
}

func checkVerdicts(t *testing.T, what, abi string, out string, x32 bool) {
	t.Helper()
	got := parseProbe(t, out)
	for label := range filterVerdicts {
		if want := wantFor(label, abi, x32); got[label] != want {
			t.Errorf("%s, %s ABI: %s = %s, want %s (the filter's verdict)", what, abi, label, got[label], want)
		}
	}
}

// The probe through each ABI in a default container, started by run, by
// --init and reached by exec.
func TestSeccompDefaultProfileVerdicts(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := attackerRoot(t)
	x32 := x32Enabled(t, root)
	name := "sc-" + token(t)
	detach(t, name, "--rootfs", root, "--", "sleep", "300")
	for abi, cmd := range abis(t, root) {
		for _, how := range []struct {
			what string
			args []string
		}{
			{"run", append([]string{"run", "--rootfs", root, "--"}, cmd...)},
			{"run --init", append([]string{"run", "--init", "--rootfs", root, "--"}, cmd...)},
			{"exec", append([]string{"exec", name, "--"}, cmd...)},
		} {
			r := nsi(t, how.args...)
			if r.code != 0 {
				t.Fatalf("%s %v: exit %d, stderr %q", how.what, cmd, r.code, r.stderr)
			}
			checkVerdicts(t, how.what, abi, r.stdout, x32)
		}
	}
}

// seccomp=unconfined: no filter at all (Seccomp: 0); the calls get the
// kernel's own answers.
func TestSeccompUnconfined(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := attackerRoot(t)
	for abi, cmd := range abis(t, root) {
		for _, args := range [][]string{{"--security-opt", "seccomp=unconfined"}, {"--privileged"}} {
			r := nsi(t, append(append(append([]string{"run", "--rootfs", root}, args...), "--"), cmd...)...)
			got := parseProbe(t, r.stdout)
			// x32 with the kernel's x32 off answers ENOSYS to everything.
			if got["status-Seccomp"] != "0" || got["keyctl"] == "EPERM" || abi != "x32" && got["clone3"] == "ENOSYS" {
				t.Errorf("run %v, %s ABI: %v; want Seccomp 0, keyctl and clone3 answered by the kernel", args, abi, got)
			}
		}
	}
}

// Common programs still work under the filter: a shell and ps, TCP on
// lo, and threads from a glibc program (glibc's pthread_create tries
// clone3 first and falls back to clone on ENOSYS).
func TestSeccompCommonCallsWork(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if out := mustRun(t, "run", "--rootfs", busybox(t), "--", "sh", "-c", "ps >/dev/null && echo ok"); out != "ok\n" {
		t.Errorf("busybox ps: %q", out)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 on the host for the glibc thread and lo checks")
	}
	script := `import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
def serve():
    c, _ = s.accept(); c.sendall(c.recv(5)); c.close()
t = threading.Thread(target=serve); t.start()
c = socket.create_connection(s.getsockname()); c.sendall(b"hello"); print(c.recv(5).decode()); t.join()`
	if out := mustRun(t, "run", "--", "python3", "-c", script); out != "hello\n" {
		t.Errorf("python3 with a thread and TCP on lo: %q, want hello", out)
	}
}

// A custom profile (Docker's JSON format): its rules apply, with their
// errno; a bad file is one line and exit 125, and nothing is made.
func TestSeccompCustomProfile(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile.json")
	os.WriteFile(profile, []byte(`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}`), 0o644)
	r := nsi(t, "run", "--security-opt", "seccomp="+profile, "--rootfs", busybox(t), "--", "sh", "-c", "mkdir /tmp/x; grep Seccomp: /proc/self/status")
	if !strings.Contains(r.stderr, "Permission denied") || !strings.Contains(r.stdout, "Seccomp:\t2") {
		t.Errorf("mkdir under a profile that gives it EACCES: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	for _, bad := range []string{`{"defaultAction": "SCMP_ACT_MAYBE"}`, `not json`, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}`} {
		os.WriteFile(profile, []byte(bad), 0o644)
		r := nsi(t, "run", "--security-opt", "seccomp="+profile, "--", "true")
		if r.code != 125 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "seccomp="+profile) {
			t.Errorf("profile %s: exit %d, stderr %q; want 125 and one line naming the file", bad, r.code, r.stderr)
		}
	}
	if r := nsi(t, "run", "--security-opt", "seccomp="+filepath.Join(dir, "missing.json"), "--", "true"); r.code != 125 {
		t.Errorf("a missing profile file: exit %d, want 125", r.code)
	}
}

// The limit escape of the seccomp issue: root in a default container
// cannot create the user namespace it needs to mount its own cgroup v1
// hierarchy and raise its own limits (memory+swap first where swap is
// accounted, then memory, then pids); unconfined, as under Docker on a
// host without AppArmor, it can (the security model says so).
func TestSeccompLimitEscape(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if !exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") {
		t.Skip("no cgroup v1 memory hierarchy: the escape is a v1 one")
	}
	escape := `unshare -U -r -m -C sh -c 'mount -t tmpfs t /mnt && mkdir /mnt/m /mnt/p && mount -t cgroup -o memory c /mnt/m && mount -t cgroup -o pids c /mnt/p && { echo -1 > /mnt/m/memory.memsw.limit_in_bytes; true; } && echo -1 > /mnt/m/memory.limit_in_bytes && echo max > /mnt/p/pids.max' 2>/dev/null; echo "escape:$?"; exec sleep 300`
	for _, tc := range []struct {
		args   []string
		raised bool
	}{
		{nil, false},
		{[]string{"--security-opt", "seccomp=unconfined"}, true},
	} {
		name := "esc-" + token(t)
		id, _ := detach(t, name, append(append([]string{"--memory", "64m", "--pids-limit", "20"}, tc.args...), "--", "sh", "-c", escape)...)
		st, err := readStateFile(id)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, name+"'s attempt", func() bool { return strings.Contains(mustRun(t, "logs", name), "escape:") })
		mem, _ := os.ReadFile(st.Cgroups.V1["memory"] + "/memory.limit_in_bytes")
		pids, _ := os.ReadFile(st.Cgroups.V1["pids"] + "/pids.max")
		limited := strings.TrimSpace(string(mem)) == "67108864" && strings.TrimSpace(string(pids)) == "20"
		if limited == tc.raised {
			t.Errorf("run %v: the container's own cgroups now hold memory %s and pids %s after %s; raised want %v", tc.args, strings.TrimSpace(string(mem)), strings.TrimSpace(string(pids)), strings.TrimSpace(mustRun(t, "logs", name)), tc.raised)
		}
		mustRun(t, "rm", "-f", name)
	}
}

// The v2 case of the limit escape. A container sees its own cgroup at
// /sys/fs/cgroup, mounted read-only, and has no CAP_SYS_ADMIN to remount
// it. Its one way left is a user and cgroup namespace of its own
// (unshare -U -r -m -C) with a fresh cgroup2 mount: root there maps to the
// host's root, which owns memory.max and pids.max. What stops that write is
// the host's nsdelegate mount option (a cgroup namespace's root is then a
// delegation boundary: EPERM from inside) and, before it, the seccomp
// filter refusing the user namespace. So: never raised when confined;
// unconfined, raised exactly when the host mounted cgroup2 without
// nsdelegate.
func TestSeccompLimitEscapeV2(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if !exists("/sys/fs/cgroup/cgroup.controllers") {
		t.Skip("not a cgroup v2 host: the v1 escape is TestSeccompLimitEscape")
	}
	nsdelegate := hostCgroup2Delegates(t)
	escape := `for f in memory.max pids.max; do echo max > /sys/fs/cgroup/$f 2>/dev/null && echo "direct:$f"; done
mount -o remount,rw /sys/fs/cgroup 2>/dev/null && echo remount
unshare -U -r -m -C sh -c 'mount -t tmpfs t /mnt && mkdir /mnt/c && mount -t cgroup2 c /mnt/c && echo max > /mnt/c/memory.max && echo max > /mnt/c/pids.max && echo userns' 2>/dev/null
echo "escape:done"; exec sleep 300`
	for _, tc := range []struct {
		args   []string
		raised bool
	}{
		{nil, false},
		{[]string{"--security-opt", "seccomp=unconfined"}, !nsdelegate},
	} {
		name := "esc2-" + token(t)
		id, _ := detach(t, name, append(append([]string{"--memory", "64m", "--pids-limit", "20"}, tc.args...), "--", "sh", "-c", escape)...)
		st, err := readStateFile(id)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, name+"'s attempts", func() bool { return strings.Contains(mustRun(t, "logs", name), "escape:done") })
		mem, _ := os.ReadFile(st.Cgroups.Unified + "/memory.max")
		pids, _ := os.ReadFile(st.Cgroups.Unified + "/pids.max")
		limited := strings.TrimSpace(string(mem)) == "67108864" && strings.TrimSpace(string(pids)) == "20"
		if limited == tc.raised {
			t.Errorf("run %v (host nsdelegate %v): the container's cgroup now holds memory.max %s and pids.max %s after %q; raised want %v", tc.args, nsdelegate, strings.TrimSpace(string(mem)), strings.TrimSpace(string(pids)), mustRun(t, "logs", name), tc.raised)
		}
		if logs := mustRun(t, "logs", name); strings.Contains(logs, "direct:") || strings.Contains(logs, "remount") {
			t.Errorf("run %v: the container wrote its read-only /sys/fs/cgroup: %q", tc.args, logs)
		}
		mustRun(t, "rm", "-f", name)
	}
}

// hostCgroup2Delegates reports whether the host's /sys/fs/cgroup is
// cgroup2 mounted with nsdelegate.
func hostCgroup2Delegates(t *testing.T) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 9 && f[4] == "/sys/fs/cgroup" {
			for i, x := range f {
				if x == "-" && i+3 < len(f) && f[i+1] == "cgroup2" {
					return slices.Contains(strings.Split(f[5], ","), "nsdelegate") || slices.Contains(strings.Split(f[i+3], ","), "nsdelegate")
				}
			}
		}
	}
	return false
}

// nsinspect pid of a default container says it has a filter and which
// profile nsinspect gave it.
func TestSeccompPidShowsProfile(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, tc := range []struct {
		args    []string
		mode    string
		profile string
	}{
		{nil, "filter", "default"},
		{[]string{"--security-opt", "seccomp=unconfined"}, "disabled", "unconfined"},
	} {
		name := "scpid-" + token(t)
		detach(t, name, append(tc.args, "--", "sleep", "300")...)
		var doc struct {
			Security struct{ Seccomp string }
			Runtime  struct{ SeccompProfile string }
		}
		if err := json.Unmarshal([]byte(mustRun(t, "pid", name, "--json")), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Security.Seccomp != tc.mode || doc.Runtime.SeccompProfile != tc.profile {
			t.Errorf("pid --json of a container run with %v: seccomp %q, profile %q; want %q, %q", tc.args, doc.Security.Seccomp, doc.Runtime.SeccompProfile, tc.mode, tc.profile)
		}
		if table := mustRun(t, "pid", name); !strings.Contains(table, "nsinspect profile "+tc.profile) {
			t.Errorf("pid table of a container run with %v does not name its profile:\n%s", tc.args, table)
		}
		// Unconfined with Docker's capabilities on a cgroup v1 host, or a
		// v2 host without nsdelegate, it can raise its own limits: rated
		// critical.
		explain := mustRun(t, "pid", name, "--explain")
		critical := strings.Contains(explain, "[critical] seccomp-disabled")
		escapes := exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") || cgroupV2() && !hostCgroup2Delegates(t)
		if want := tc.mode == "disabled" && escapes; critical != want {
			t.Errorf("pid --explain of a container run with %v: critical seccomp-disabled %v, want %v", tc.args, critical, want)
		}
		mustRun(t, "rm", "-f", name)
	}
}

// The same probe under runc with Docker's profile in config.json (runc
// uses libseccomp): every verdict is the same as nsinspect's.
func TestSeccompSameVerdictsAsRunc(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Skip("runc not installed (apt-get install runc; .ci/run does)")
	}
	root := attackerRoot(t)
	profile, err := seccomp.Resolve(nil, dockerCaps)
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	if err := os.Rename(root, filepath.Join(bundle, "rootfs")); err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(bundle, "rootfs")
	if out, err := exec.Command(runc, "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v %s", err, out)
	}
	// A state root of its own: runc's default, /run/runc, would be left
	// behind on the host.
	state := t.TempDir()
	var rows []string
	for abi, cmd := range abis(t, root) {
		var spec map[string]any
		b, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
		json.Unmarshal(b, &spec)
		process := spec["process"].(map[string]any)
		process["args"], process["terminal"], process["noNewPrivileges"] = append([]string{"/bin/" + cmd[0]}, cmd[1:]...), false, true
		process["capabilities"] = map[string]any{"bounding": dockerCaps, "effective": dockerCaps, "permitted": dockerCaps}
		spec["linux"].(map[string]any)["seccomp"] = profile
		b, _ = json.Marshal(spec)
		os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644)
		id := "nsi-sc-" + token(t)
		out, err := exec.Command(runc, "--root", state, "run", "--bundle", bundle, id).Output()
		exec.Command(runc, "--root", state, "delete", "-f", id).Run()
		if err != nil {
			t.Fatalf("runc run %v: %v", cmd, err)
		}
		theirs := parseProbe(t, string(out))
		r := nsi(t, append([]string{"run", "--rootfs", root, "--"}, cmd...)...)
		ours := parseProbe(t, r.stdout)
		labels := make([]string, 0, len(filterVerdicts))
		for l := range filterVerdicts {
			labels = append(labels, l)
		}
		slices.Sort(labels)
		for _, l := range labels {
			rows = append(rows, fmt.Sprintf("%-6s %-32s nsinspect %-7s runc %s", abi, l, ours[l], theirs[l]))
			if ours[l] != theirs[l] {
				t.Errorf("%s ABI, %s: nsinspect %s, runc %s", abi, l, ours[l], theirs[l])
			}
		}
	}
	t.Logf("verdicts, side by side:\n%s", strings.Join(rows, "\n"))
}
