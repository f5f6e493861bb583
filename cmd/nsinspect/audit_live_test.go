package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/report"
)

// auditRuleSets runs audit --json on names and maps each container's
// name to its sorted "rule=severity" list.
func auditRuleSets(t *testing.T, bin string, args ...string) (int, map[string][]string) {
	t.Helper()
	code, out, errOut := runGuarded(t, bin, append([]string{"audit", "--json"}, args...)...)
	var fs []report.AuditFinding
	if err := json.Unmarshal([]byte(out), &fs); err != nil {
		t.Fatalf("audit --json: %v (exit %d, stderr %q)", err, code, errOut)
	}
	got := map[string][]string{}
	for _, f := range fs {
		got[f.Name] = append(got[f.Name], f.Rule+"="+string(f.Severity))
	}
	for _, v := range got {
		slices.Sort(v)
	}
	return code, got
}

// launched starts `nsinspect run -d --name <unique> FLAGS -- args...` and
// removes it (rm -f) when the test ends, whatever happened.
func launched(t *testing.T, bin string, flags []string, args ...string) string {
	t.Helper()
	b := make([]byte, 4)
	rand.Read(b)
	name := "nsi-test-" + hex.EncodeToString(b)
	t.Cleanup(func() { runGuarded(t, bin, "rm", "-f", name) })
	code, out, errOut := runGuarded(t, bin, append(append(append([]string{"run", "-d", "--name", name}, flags...), "--"), args...)...)
	if code != 0 || len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("run -d: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	return name
}

func ruleSet(ids ...string) []string {
	var out []string
	for _, id := range ids {
		r, ok := report.RuleByID(id)
		if !ok {
			panic("no rule " + id)
		}
		out = append(out, id+"="+string(r.Severity))
	}
	slices.Sort(out)
	return out
}

// TestLiveAuditLaunched: the exact rules of nsinspect run's containers —
// with default flags (the set docs/rules.md lists), without limits,
// --cap-add SYS_ADMIN, --privileged, a PID 1 that leaves zombies, a busy
// one under a quota — and the exit codes a gate branches on.
func TestLiveAuditLaunched(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	handles := "trap 'exit 0' TERM; while :; do sleep 1; done"
	def := detached(t, bin, "sh", "-c", handles)
	nolim := launched(t, bin, []string{"--memory", "0", "--pids-limit", "0"}, "sh", "-c", handles)
	admin := launched(t, bin, []string{"--cap-add", "SYS_ADMIN"}, "sh", "-c", handles)
	priv := launched(t, bin, []string{"--privileged"}, "sh", "-c", handles)
	// Six children that exit at once and a PID 1 (sleep, after exec) that
	// never waits for them.
	zomb := detached(t, bin, "sh", "-c", "for i in 1 2 3 4 5 6; do true & done; exec sleep 300")
	busy := launched(t, bin, []string{"--cpus", "0.1"}, "sh", "-c", "trap 'exit 0' TERM; while :; do :; done")

	base := report.LaunchDefaultRules
	with := func(ids ...string) []string { return ruleSet(append(slices.Clone(base), ids...)...) }
	code, got := auditRuleSets(t, bin, "--window", "0", def, nolim, admin, priv)
	if code != 0 {
		t.Errorf("audit without --fail-on: exit %d, want 0", code)
	}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{def, ruleSet(base...)},
		{nolim, with("no-memory-limit", "no-pids-limit")},
		{admin, with("cap-sys-admin")},
	} {
		if !slices.Equal(got[tc.name], tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got[tc.name], tc.want)
		}
	}

	// nsinspect run --privileged: every capability, the host's devices,
	// writable /sys and /proc/sys, no seccomp filter (critical where
	// cgroup v1 or a cgroup2 without nsdelegate lets root raise its own
	// limits, else warn); it keeps no_new_privs.
	seccomp := "seccomp-disabled=warn"
	if slices.Contains(got[priv], "seccomp-disabled=critical") {
		seccomp = "seccomp-disabled=critical"
	}
	want := append(with("privileged", "sys-writable", "proc-sys-writable", "host-devices"), seccomp)
	// cgroup v1's device list is a file; v2's is an eBPF program no file shows
	if _, err := os.Stat("/sys/fs/cgroup/devices/devices.list"); err == nil {
		want = append(want, "devices-allow-all=critical")
	}
	slices.Sort(want)
	if !slices.Equal(got[priv], want) {
		t.Errorf("%s (--privileged):\n got %v\nwant %v", priv, got[priv], want)
	}

	// The rate rules: one window for both.
	_, got = auditRuleSets(t, bin, "--window", "1s", "--rule", "cpu-throttled,zombies", zomb, busy)
	if want := ruleSet("zombies"); !slices.Equal(got[zomb], want) {
		t.Errorf("zombies: %v, want %v", got[zomb], want)
	}
	if want := ruleSet("cpu-throttled"); !slices.Equal(got[busy], want) {
		t.Errorf("--cpus 0.1 busy loop: %v, want %v", got[busy], want)
	}

	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--fail-on", "warn", def}, 0, ""},
		{[]string{"--fail-on", "warn", nolim}, 3, ""},
		{[]string{"--fail-on", "critical", nolim}, 0, ""},
		{[]string{"--fail-on", "critical", "--skip", "privileged,devices-allow-all,seccomp-disabled", priv}, 0, ""},
		{[]string{"--fail-on", "warn", "--rule", "no-memory-limit", def, nolim}, 3, ""},
		{[]string{"no-such-container-" + def}, 2, "no such container"},
		{[]string{"--rule", "no-such-rule"}, 2, `unknown rule "no-such-rule"`},
		{[]string{"--fail-on", "bad"}, 2, `unknown severity "bad"`},
		{[]string{"--window", "-1s"}, 2, "invalid --window"},
		{[]string{"-o", "xml"}, 2, "want table, json or junit"},
	} {
		code, _, errOut := runGuarded(t, bin, append([]string{"audit", "--window", "0"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.err) || (tc.err != "" && strings.Count(errOut, "\n") != 1) {
			t.Errorf("audit %q: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, errOut, tc.code, tc.err)
		}
	}

	// JUnit: one suite per container, a failure per finding at or above
	// --fail-on.
	code, out, _ := runGuarded(t, bin, "audit", "--window", "0", "--format", "junit", "--fail-on", "warn", def, nolim)
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name     string `xml:"name,attr"`
			Failures int    `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil || code != 3 {
		t.Fatalf("junit: exit %d, %v\n%s", code, err, out)
	}
	if len(doc.Suites) != 2 || doc.Suites[0].Failures != 0 || doc.Suites[1].Failures != 2 || !strings.HasPrefix(doc.Suites[1].Name, nolim+" (nsinspect ") {
		t.Errorf("junit suites %+v, want %s with 0 failures, %s with 2", doc.Suites, def, nolim)
	}

	// The table, every container of the host: ours are there.
	code, out, _ = runGuarded(t, bin, "audit", "--window", "0")
	for _, name := range []string{def, nolim, admin, priv} {
		if !strings.Contains(out, name+" (nsinspect ") {
			t.Errorf("audit of the host lists no %s:\n%s", name, out)
		}
	}
	if code != 0 && code != 1 {
		t.Errorf("audit of the host: exit %d", code)
	}
}

// TestLiveAuditHostileContainer: a container controls its init, its
// mounts and its files; none of that may turn a critical finding into a
// pass. Each case is a way a reviewer found to do it.
func TestLiveAuditHostileContainer(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	sockDir, data := filepath.Join(dir, "sock"), filepath.Join(dir, "data")
	os.Mkdir(sockDir, 0o755)
	os.Mkdir(data, 0o777)
	l, err := net.Listen("unix", filepath.Join(sockDir, "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The chroot cases need a static busybox in the container's /bin
	// (busybox-static): it is the one binary that runs chrooted there.
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox, statically linked (apt-get install busybox-static)")
	}
	// /bin, or where it links to (Debian's merged /usr): run refuses a
	// volume path with a symlink in it.
	binDir, err := filepath.EvalSymlinks("/bin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		flags  []string
		script string
		rules  string
		want   []string // rule=severity that must be there
		code   int      // with --fail-on critical
	}{
		// The init chroots; a sibling keeps the container's view.
		{"init chrooted, a sibling not", []string{"-v", "/etc:/hostetc", "-v", sockDir + ":/hostrun"},
			"sleep 1d & exec chroot /bin /busybox sleep 1d", "host-sensitive,runtime-socket",
			[]string{"host-sensitive=critical", "runtime-socket=critical"}, 3},
		// Every process chrooted: the mounts cannot be judged, which is
		// not a pass.
		{"every process chrooted", []string{"-v", "/etc:/hostetc"},
			"exec chroot /bin /busybox sleep 1d", "host-sensitive", nil, 1},
		// The init enters a user namespace of its own; a sibling keeps
		// CAP_SYS_ADMIN in the host's.
		{"init in a nested user namespace", []string{"--cap-add", "SYS_ADMIN"},
			"sleep 1d & exec unshare -U -r --keep-caps sleep 1d", "cap-sys-admin",
			[]string{"cap-sys-admin=critical"}, 3},
		// The host's /proc moved over the container's own.
		{"host /proc moved onto /proc", []string{"--cap-add", "SYS_ADMIN", "-v", "/proc:/hostproc"},
			"mount --move /hostproc /proc && exec sleep 1d", "host-sensitive",
			[]string{"host-sensitive=critical"}, 3},
		// A writable volume filled with entries before the socket's bind.
		{"socket search flooded", []string{"-v", data + ":/data", "-v", sockDir + ":/hostrun"},
			"i=0; while [ $i -lt 5000 ]; do : > /data/f$i; i=$((i+1)); done; exec sleep 1d", "runtime-socket",
			[]string{"runtime-socket=critical"}, 3},
		// Host directories inside the sensitive ones.
		{"host /bin and /proc/sys", []string{"-v", binDir + ":/hb", "-v", "/proc/sys:/x"},
			"exec sleep 1d", "host-sensitive", []string{"host-sensitive=critical"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := launched(t, bin, tc.flags, "sh", "-c", tc.script)
			// the script's setup first: its last step execs sleep as PID 1
			// (5000 files take seconds in an emulated guest)
			waitForWithin(t, time.Minute, func() bool {
				_, out, _ := runGuarded(t, bin, "pid", name, "--format", "{{.Process.Comm}}")
				return strings.TrimSpace(out) == "sleep" || strings.TrimSpace(out) == "busybox"
			})
			code, got := auditRuleSets(t, bin, "--window", "0", "--fail-on", "critical", "--rule", tc.rules, name)
			for _, w := range tc.want {
				if !slices.Contains(got[name], w) {
					t.Errorf("%s: %v, want %s", name, got[name], w)
				}
			}
			if tc.name == "host /bin and /proc/sys" && len(got[name]) != 2 {
				t.Errorf("%s: %v, want a host-sensitive finding for each bind", name, got[name])
			}
			if code != tc.code {
				t.Errorf("audit --fail-on critical: exit %d, want %d", code, tc.code)
			}
		})
	}
}
