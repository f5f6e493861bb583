package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixtures are the trees under ../../testdata, each a fake /proc and
// /sys/fs/cgroup of one host, with the process to inspect and values the
// JSON must hold (jq-like paths into the document).
var fixtures = []struct {
	name string
	pid  int
	want map[string]any
}{
	{"v1-docker", 4242, map[string]any{
		"cgroup.mode": "v1", "cgroup.memory.limitBytes": 536870912.0, "cgroup.memory.oomKills": 2.0,
		"cgroup.memory.workingSetBytes": 167772160.0, "cgroup.cpu.cpus": 1.0, "cgroup.cpu.shares": 512.0,
		"cgroup.cpu.weight": nil, "cgroup.pids.max": 100.0, "runtime.name": "docker",
		"runtime.containerId": "ce7724981083ac1ad9efeaf127c7da058cbfc6fc7df4333efa6293cee54edcf7",
		"signals.sigterm":     "dropped (pid 1 with default action)", "signals.pid1": true,
		"security.seccomp": "filter", "security.label": "docker-default (enforce)",
		"capabilities.privileged": false, "reference.kind": "init", "reference.pid": 1.0,
		"isolated": "ipc mnt net pid pid_for_children uts", "rootfs.fsType": "overlay", "lowerDirs": 3,
		"warnings": "pid1-sigterm oom-kills",
	}},
	{"v1-hybrid", 5681, map[string]any{
		"cgroup.mode": "hybrid", "cgroup.memory.limitBytes": 268435456.0, "cgroup.cpu.quotaMicros": 50000.0,
		"cgroup.cpu.periodMicros": 100000.0, "cgroup.cpu.cpus": 0.5, "cgroup.pids.max": 50.0, "cgroup.pids.current": 2.0,
		"runtime.name": "unknown", "reference.kind": "self", "reference.pid": 3000.0, "security.seccomp": "disabled",
		"isolated": "ipc mnt net pid pid_for_children uts", "rootfs.fsType": "ext4",
	}},
	{"v2-docker-cgroupns", 1, map[string]any{
		"cgroup.mode": "v2", "cgroup.memory.limitBytes": 536870912.0, "cgroup.cpu.cpus": 1.5, "cgroup.cpu.weight": 100.0,
		"cgroup.cpu.shares": nil, "cgroup.pids.max": 200.0, "runtime.name": "docker",
		"runtime.containerId": "54810704d86cd430d6ff02893e92280c70be2a806e60c1587f2ac6be5f6e7cf7",
		"reference.kind":      "init", "signals.sigterm": "handled", "isolated": "", "lowerDirs": 8, "partial": true,
	}},
	{"v2-k8s-burstable", 8123, map[string]any{
		"cgroup.mode": "v2", "cgroup.memory.limitBytes": 268435456.0, "cgroup.memory.oomKills": 3.0,
		"cgroup.memory.limitHits": 120.0, "cgroup.cpu.cpus": 0.5, "cgroup.cpu.weight": 20.0,
		"cgroup.cpu.throttledPeriods": 400.0, "cgroup.pids.max": 4096.0, "runtime.name": "kubernetes",
		"runtime.engine": "containerd", "runtime.qosClass": "Burstable", "runtime.podUid": "6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8",
		"isolated": "cgroup ipc mnt net pid pid_for_children uts", "warnings": "oom-kills cpu-throttled",
	}},
	{"v2-podman-rootless", 9001, map[string]any{
		"cgroup.mode": "v2", "cgroup.memory.limitBytes": nil, "cgroup.cpu.quotaMicros": nil, "cgroup.pids.max": 2048.0,
		"runtime.name": "podman", "runtime.rootless": true, "security.userNamespaced": true, "security.rootMapsTo": 1000.0,
		"isolated": "cgroup ipc mnt net pid pid_for_children user uts", "warnings": "pid1-sigterm no-memory-limit",
	}},
	{"v2-podman-rootless", 8999, map[string]any{
		"runtime.name": "podman", "runtime.role": "monitor", "capabilities.privileged": false,
		"cgroup.pids.max": nil, "cgroup.pids.effectiveMax": 19149.0, "warnings": "",
	}},
	{"v2-host-nolimits", 812, map[string]any{
		"cgroup.mode": "v2", "cgroup.memory.limitBytes": nil, "cgroup.cpu.cpus": nil, "cgroup.pids.max": nil,
		"runtime.name": "none", "capabilities.privileged": true, "signals.sigterm": "handled", "signals.pid1": false,
		"isolated": "", "warnings": "",
	}},
}

func fixtureArgs(name string, pid int, extra ...string) []string {
	root := filepath.Join("..", "..", "testdata", name)
	return append([]string{"--proc-root", filepath.Join(root, "proc"), "--cgroup-root", filepath.Join(root, "sys", "fs", "cgroup"), "pid", strconv.Itoa(pid)}, extra...)
}

// derived computes the summary keys of the want maps.
func derived(doc map[string]any, key string) any {
	switch key {
	case "isolated":
		var out []string
		for _, n := range doc["namespaces"].([]any) {
			if n.(map[string]any)["isolated"] == true {
				out = append(out, n.(map[string]any)["type"].(string))
			}
		}
		return strings.Join(out, " ")
	case "warnings":
		var out []string
		for _, f := range doc["findings"].([]any) {
			if f.(map[string]any)["severity"] != "info" {
				out = append(out, f.(map[string]any)["id"].(string))
			}
		}
		return strings.Join(out, " ")
	case "partial":
		return doc["reference"].(map[string]any)["partial"] != nil
	case "lowerDirs":
		return len(doc["rootfs"].(map[string]any)["lowerDirs"].([]any))
	}
	return nil
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name+"/"+strconv.Itoa(fx.pid), func(t *testing.T) {
			code, out, errOut := run(t, fixtureArgs(fx.name, fx.pid, "--json")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["schemaVersion"] != 1.0 {
				t.Errorf("schemaVersion %v", doc["schemaVersion"])
			}
			for path, want := range fx.want {
				var got any
				if strings.Contains(path, ".") {
					got = get(t, doc, path)
				} else {
					got = derived(doc, path)
				}
				if got != want {
					t.Errorf(".%s = %#v, want %#v", path, got, want)
				}
			}
			// Only the hostname of another UTS namespace, which needs
			// setns, may be missing from a fixture.
			for _, e := range doc["errors"].([]any) {
				e := e.(map[string]any)
				if e["section"] != "kernel" || !strings.Contains(e["error"].(string), "setns") {
					t.Errorf("unexpected error: %v", e)
				}
			}
		})
	}
}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		for _, form := range []struct {
			ext  string
			args []string
		}{{"table", nil}, {"json", []string{"--json"}}, {"explain", []string{"--explain"}}} {
			name := fx.name + "-" + strconv.Itoa(fx.pid) + "." + form.ext
			t.Run(name, func(t *testing.T) {
				code, out, errOut := run(t, fixtureArgs(fx.name, fx.pid, form.args...)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				checkGolden(t, name, out)
			})
		}
	}
}

// checkGolden compares out with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name, out string) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/nsinspect -run %s -update)", err, strings.Split(t.Name(), "/")[0])
	}
	if out != string(want) {
		t.Errorf("output differs from %s (rerun with -update after checking):\n%s", golden, firstDiff(string(want), out))
	}
}

// firstDiff shows the first line that differs.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

func TestTemplateAndJSONAgree(t *testing.T) {
	code, out, errOut := run(t, fixtureArgs("v1-docker", 4242, "--format", "{{.Cgroup.Memory.LimitBytes}} {{.Runtime.Name}} {{.Signals.SIGTERM}} {{json .Capabilities.DroppedVsDocker}}")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if want := "536870912 docker dropped (pid 1 with default action) []\n"; out != want {
		t.Errorf("--format output %q, want %q", out, want)
	}
}

// TestJSONContract checks that every path runbooks rely on (docs/json.md,
// marked "contract") is present in the document.
func TestJSONContract(t *testing.T) {
	code, out, errOut := run(t, fixtureArgs("v1-docker", 4242, "--json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"pid", "process.nspid", "reference.pid", "cgroup.mode",
		"cgroup.memory.limitBytes", "cgroup.memory.usageBytes", "cgroup.memory.workingSetBytes", "cgroup.memory.oomKills",
		"cgroup.cpu.quotaMicros", "cgroup.cpu.periodMicros", "cgroup.cpu.cpus", "cgroup.cpu.shares", "cgroup.cpu.weight",
		"cgroup.cpu.throttledPeriods", "cgroup.pids.max", "cgroup.pids.current", "kernel.release",
		"capabilities.effective", "capabilities.privileged", "security.seccomp", "security.noNewPrivs",
		"signals.pid1", "signals.sigterm", "rootfs.fsType", "rootfs.lowerDirs", "runtime.name", "runtime.containerId",
		"host.memTotalBytes", "host.cpus",
	} {
		get(t, doc, path) // fails the test if a key is missing
	}
	for list, keys := range map[string][]string{
		"namespaces": {"type", "inode", "isolated"},
		"findings":   {"id", "severity", "summary", "evidence"},
	} {
		items := doc[list].([]any)
		if len(items) == 0 {
			t.Fatalf(".%s is empty", list)
		}
		for _, it := range items {
			for _, k := range keys {
				if _, ok := it.(map[string]any)[k]; !ok {
					t.Errorf(".%s[] lacks %q: %v", list, k, it)
				}
			}
		}
	}
	if _, ok := doc["errors"].([]any); !ok {
		t.Errorf(".errors is not an array: %v", doc["errors"])
	}
}

// TestHostEnvironmentRoots: HOST_PROC and HOST_SYS (gopsutil's convention)
// point nsinspect at a host mounted elsewhere, like --proc-root.
func TestHostEnvironmentRoots(t *testing.T) {
	root, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "v2-host-nolimits"))
	t.Setenv("HOST_PROC", filepath.Join(root, "proc"))
	t.Setenv("HOST_SYS", filepath.Join(root, "sys"))
	code, out, errOut := run(t, "pid", "812", "--format", "{{.Process.Comm}} {{.Cgroup.Mode}}")
	if code != 0 || out != "sshd v2\n" {
		t.Errorf("with HOST_PROC/HOST_SYS: exit %d, out %q, err %q; want sshd v2", code, out, errOut)
	}
}
