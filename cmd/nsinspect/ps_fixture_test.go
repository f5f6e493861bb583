package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/nsinspect/nsinspect/inspect/fixture"
	"github.com/nsinspect/nsinspect/report"
)

// nodeRoots lays out testdata/<name> (fixture.Node).
func nodeRoots(t testing.TB, name string) (procRoot, cgroupRoot string) {
	return fixture.Node(t, filepath.Join("..", "..", "testdata", name))
}

// nodeArgs are the global flags that point nsinspect at a whole-host fixture.
func nodeArgs(t testing.TB, name string, args ...string) []string {
	t.Helper()
	proc, cg := nodeRoots(t, name)
	return append([]string{"--proc-root", proc, "--cgroup-root", cg}, args...)
}

// The UPTIME column and uptimeSeconds follow the wall clock: goldens hold a
// placeholder, and TestPsUptime checks the values.
var uptimeJSON = regexp.MustCompile(`"uptimeSeconds": [-0-9.e+]+`)

func maskUptime(out string) string {
	if strings.HasPrefix(strings.TrimSpace(out), "[") {
		return uptimeJSON.ReplaceAllString(out, `"uptimeSeconds": "(wall clock)"`)
	}
	lines := strings.Split(out, "\n")
	u, c := strings.Index(lines[0], "UPTIME"), strings.Index(lines[0], "COMMAND")
	if u < 0 || c < u {
		return out
	}
	for i, l := range lines {
		if len(l) < c {
			continue
		}
		cell := "*"
		if i == 0 {
			cell = "UPTIME"
		}
		lines[i] = l[:u] + cell + strings.Repeat(" ", 9-len(cell)) + l[c:]
	}
	return strings.Join(lines, "\n")
}

func TestPsGolden(t *testing.T) {
	for _, fixture := range []string{"node-v2", "node-v1"} {
		roots := nodeArgs(t, fixture)
		for _, form := range []struct {
			name string
			args []string
		}{
			{"table", []string{"ps"}},
			{"all.wide", []string{"ps", "--all", "-o", "wide"}},
			{"json", []string{"ps", "--json"}},
		} {
			name := "ps-" + fixture + "." + form.name
			t.Run(name, func(t *testing.T) {
				code, out, errOut := run(t, append(slices.Clone(roots), form.args...)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				checkGolden(t, name, maskUptime(out))
			})
		}
	}
}

// psJSON runs ps --json (plus extra flags) over the roots and indexes the
// rows by name.
func psJSON(t *testing.T, roots []string, extra ...string) map[string]map[string]any {
	t.Helper()
	code, out, errOut := run(t, append(append(slices.Clone(roots), "ps", "--json"), extra...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]any{}
	for _, r := range rows {
		byName[r["name"].(string)] = r
	}
	if len(byName) != len(rows) {
		t.Errorf("%d rows but %d names", len(rows), len(byName))
	}
	return byName
}

func TestPsJSONValues(t *testing.T) {
	rows := map[string]map[string]map[string]any{}
	for _, fixture := range []string{"node-v2", "node-v1"} {
		rows[fixture] = psJSON(t, nodeArgs(t, fixture), "--all")
	}
	for _, tc := range []struct {
		fixture string
		name    string
		want    map[string]any
	}{
		{"node-v2", "web", map[string]any{
			"runtime": "docker", "pid": 4010.0, "status": "running", "memory.limitBytes": 536870912.0, "cpu.cpus": 1.5,
			"pids.current": 3.0, "pids.max": 100.0, "processes": 3.0, "namespaces": "pid net mnt uts ipc cgroup",
			"started": "2026-11-23T06:13:21Z", "command": "nginx: master process nginx -g daemon off;",
			"id": "f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3", "pod": nil, "exitCode": nil,
		}},
		{"node-v2", "api", map[string]any{
			"runtime": "podman", "pid": 5010.0, "memory.limitBytes": nil, "cpu.cpus": nil, "pids.max": 2048.0,
			"namespaces": "pid net mnt uts ipc cgroup user", "processes": 2.0,
		}},
		{"node-v2", "db", map[string]any{
			"runtime": "podman", "pid": 5110.0, "memory.limitBytes": 1073741824.0, "cpu.cpus": 2.0, "pids.max": nil,
			"pids.current": 3.0, "cgroupPath": "/machine.slice/libpod-210fd3c88e0ca7eff40c822de832712176288d99c520d0bb3b6014efc069b956.scope/container",
		}},
		{"node-v2", "build-01", map[string]any{
			"runtime": "systemd-nspawn", "pid": 5210.0, "namespaces": "pid mnt uts ipc cgroup", "memory.limitBytes": nil,
			"pids.max": 16384.0, "cgroupPath": `/machine.slice/machine-build\x2d01.scope`,
		}},
		{"node-v2", "c1", map[string]any{"runtime": "lxc", "pid": 5320.0, "memory.limitBytes": 268435456.0, "cpu.cpus": 1.0, "processes": 2.0}},
		{"node-v2", "demo", map[string]any{"runtime": "nsinspect", "pid": 5410.0, "memory.limitBytes": 67108864.0, "cpu.cpus": 0.25, "pids.max": 64.0}},
		// a limit above the host's memory is shown as set: ps reports the cgroup
		{"node-v2", "be42b6838156", map[string]any{"runtime": "cri-o", "pid": 3310.0, "memory.limitBytes": 34359738368.0, "pids.current": 5.0, "processes": 1.0}},
		{"node-v2", "default/web-5d8f7b9c4-abcde/nginx", map[string]any{
			"runtime": "kubernetes", "pid": 3120.0, "pod.qosClass": "Burstable", "pod.uid": "8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
			"memory.limitBytes": 268435456.0, "cpu.cpus": 0.5, "pids.max": 4096.0, "processes": 3.0,
		}},
		{"node-v2", "prod/payments-6b7f9c-kx2lp/payments", map[string]any{"pod.qosClass": "Guaranteed", "memory.limitBytes": 1073741824.0, "cpu.cpus": 1.0}},
		{"node-v2", "tools/debug-shell/shell", map[string]any{"pod.qosClass": "BestEffort", "memory.limitBytes": nil, "cpu.cpus": nil, "pids.max": nil}},
		{"node-v2", "unshare", map[string]any{
			"runtime": "namespaces", "pid": 6200.0, "namespaces": "pid mnt", "processes": 1.0,
			"cgroupPath": "/user.slice/user-1000.slice/session-7.scope", "id": "29f1e1ab7c21e3df000000000000000000000000000000000000000000000000",
		}},
		{"node-v1", "cache", map[string]any{
			"runtime": "docker", "pid": 3010.0, "memory.limitBytes": 268435456.0, "cpu.cpus": 0.5, "pids.max": 200.0,
			"pids.current": 5.0, "namespaces": "pid net mnt uts ipc", "processes": 2.0,
		}},
		{"node-v1", "bf5b8f159b8d", map[string]any{"runtime": "containerd", "memory.limitBytes": nil, "cpu.cpus": nil, "pids.max": nil}},
		{"node-v1", "shop/cart-7c9d8-pq4rs/cart", map[string]any{"pod.qosClass": "Burstable", "memory.limitBytes": 536870912.0, "cpu.cpus": 1.0}},
		{"node-v1", "kube-system/metrics-server-6d94bc8694-z8xkq/metrics-server", map[string]any{
			"pod.qosClass": "Guaranteed", "memory.limitBytes": 209715200.0, "cpu.cpus": 0.2, "pids.max": 1024.0,
		}},
		{"node-v1", "web1", map[string]any{"runtime": "lxc", "pid": 6010.0, "namespaces": "pid net mnt uts ipc cgroup", "memory.limitBytes": 1073741824.0}},
	} {
		t.Run(tc.fixture+"/"+tc.name, func(t *testing.T) {
			row, ok := rows[tc.fixture][tc.name]
			if !ok {
				t.Fatalf("no row named %q", tc.name)
			}
			for path, want := range tc.want {
				var got any
				switch path {
				case "pod":
					got = row["pod"] // omitted for containers outside a pod
				case "namespaces", "command":
					var parts []string
					for _, n := range row[path].([]any) {
						parts = append(parts, n.(string))
					}
					got = strings.Join(parts, " ")
				default:
					got = get(t, row, path)
				}
				if got != want {
					t.Errorf(".%s = %#v, want %#v", path, got, want)
				}
			}
		})
	}
}

// --all adds the unshare process of node-v2; node-v1 has none.
func TestPsAllAddsNamespaceGroups(t *testing.T) {
	for fixture, extra := range map[string][]string{"node-v2": {"unshare"}, "node-v1": nil} {
		t.Run(fixture, func(t *testing.T) {
			added := psAllAdds(t, fixture)
			for _, name := range extra {
				if !slices.Contains(added, name) {
					t.Errorf("--all did not add %s: %v", name, added)
				}
			}
			if fixture == "node-v1" && len(added) != 0 {
				t.Errorf("--all added %v, want nothing", added)
			}
		})
	}
}

// psAllAdds lists the names ps --all shows beyond ps.
func psAllAdds(t *testing.T, fixture string) []string {
	t.Helper()
	roots := nodeArgs(t, fixture)
	plain, all := psJSON(t, roots), psJSON(t, roots, "--all")
	var added []string
	for name := range all {
		if _, ok := plain[name]; !ok {
			added = append(added, name)
		}
	}
	slices.Sort(added)
	return added
}

func TestPsAllLeavesOutMonitors(t *testing.T) {
	if added := psAllAdds(t, "node-v2"); !slices.Equal(added, []string{"unshare"}) {
		t.Errorf("--all added %v, want [unshare]", added)
	}
}

func TestPsUptime(t *testing.T) {
	args := nodeArgs(t, "node-v2", "ps", "--json")
	before := time.Now()
	code, out, errOut := run(t, args...)
	after := time.Now()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []report.ContainerRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		lo, hi := before.Sub(r.Started).Seconds(), after.Sub(r.Started).Seconds()
		if r.UptimeSeconds < lo-1 || r.UptimeSeconds > hi+1 || r.Started.IsZero() {
			t.Errorf("%s: uptimeSeconds %f, want between %f and %f (started %v)", r.Name, r.UptimeSeconds, lo, hi, r.Started)
		}
	}
	// The table shows the same as a compact duration.
	args = nodeArgs(t, "node-v2", "ps", "web")
	before = time.Now()
	code, out, _ = run(t, args...)
	after = time.Now()
	started := time.Unix(1795334400+80001, 0)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("ps web: exit %d, %q", code, out)
	}
	u := strings.Index(lines[0], "UPTIME")
	cell := strings.Fields(lines[1][u:])[0]
	if cell != report.Duration(before.Sub(started)) && cell != report.Duration(after.Sub(started)) {
		t.Errorf("UPTIME %q, want %q", cell, report.Duration(after.Sub(started)))
	}
}

func TestPsQuietFormatAndFilter(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"quiet", []string{"ps", "-q"}, "be42b6838156\nf83b8fa7c0fc\nd984babdc8aa\n8527473bda7e\n0d7871fc800b\n" +
			"f11e4dcae011\n2ea9fd0e4ba3\na668b5ae40da\nb0fc294d6e7d\n6480f8c926fc\na521bfcfd1b2\n210fd3c88e0c\n5ec5cf7e9d0b\n"},
		{"quiet all", []string{"ps", "-q", "--all", "unshare"}, "29f1e1ab7c21\n"},
		// {{.ID}} is short, as in docker ps; --no-trunc gives the full one.
		{"format", []string{"ps", "--format", "{{.ID}} {{.Runtime}} {{.Pid}}", "web", "api", "c1"},
			"f83b8fa7c0fc docker 4010\nb0fc294d6e7d lxc 5320\na521bfcfd1b2 podman 5010\n"},
		{"format no-trunc", []string{"ps", "--no-trunc", "--format", "{{.ID}} {{.Runtime}} {{.Pid}}", "web", "api", "c1"},
			"f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3 docker 4010\n" +
				"b0fc294d6e7dcf44000000000000000000000000000000000000000000000000 lxc 5320\n" +
				"a521bfcfd1b295f6941d9fc3777b55c63c5012804d5921f2b49fd060a5924170 podman 5010\n"},
		{"quiet no-trunc", []string{"ps", "-q", "--no-trunc", "web"}, "f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3\n"},
		// A table template: docker's header names, aligned columns, \t as
		// the shell passes it.
		{"table template", []string{"ps", "--format", `table {{.ID}}\t{{.Names}}\t{{.Pid}}`, "web", "api"},
			"CONTAINER ID   NAMES   PID\nf83b8fa7c0fc   web     4010\na521bfcfd1b2   api     5010\n"},
		// No "<nil>": no limit is "unlimited", what is not known "--";
		// {{json}} keeps null.
		{"format without limits", []string{"ps", "--format", "{{.Names}} {{.Memory.LimitBytes}} {{.CPU.CPUs}} {{.Pids.Max}} {{.Pids.Current}} {{json .Memory}}", "api"},
			"api unlimited unlimited 2048 2 {\"limitBytes\":null}\n"},
		{"format json row", []string{"ps", "--format", "{{json .Pids}}", "web"}, "{\"current\":3,\"max\":100}\n"},
		{"format short and fields", []string{"ps", "--format", "{{.Short}} {{.Name}} {{.Processes}} {{json .Namespaces}}", "build-01"},
			"5ec5cf7e9d0b build-01 2 [\"pid\",\"mnt\",\"uts\",\"ipc\",\"cgroup\"]\n"},
		{"id prefix", []string{"ps", "-q", "f83b"}, "f83b8fa7c0fc\n"},
		{"full id", []string{"ps", "-q", "210fd3c88e0ca7eff40c822de832712176288d99c520d0bb3b6014efc069b956"}, "210fd3c88e0c\n"},
		{"prefix shorter than four matches nothing", []string{"ps", "-q", "f83"}, ""},
		{"kubernetes name", []string{"ps", "-q", "prod/payments-6b7f9c-kx2lp/payments"}, "f11e4dcae011\n"},
		{"unknown name", []string{"ps", "-q", "nosuch"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append(slices.Clone(roots), tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if out != tc.want {
				t.Errorf("output\n%s\nwant\n%s", out, tc.want)
			}
		})
	}
}

func TestPsFilterTable(t *testing.T) {
	roots := nodeArgs(t, "node-v1")
	code, out, errOut := run(t, append(slices.Clone(roots), "ps", "cache", "web1")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "CONTAINER ID") || !strings.Contains(lines[1], " cache ") || !strings.Contains(lines[2], " web1 ") {
		t.Errorf("ps cache web1:\n%s", out)
	}
	// No match: the header alone, as docker ps prints it.
	code, out, _ = run(t, append(slices.Clone(roots), "ps", "nosuch")...)
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "CONTAINER ID") {
		t.Errorf("ps nosuch: exit %d\n%s", code, out)
	}
}

// The COMMAND column is cut to 32 characters; a cut must not split a UTF-8
// character. node-v2's unshare runs `sh -c 'printf Grüße; ...'`, whose 29th
// byte is the first half of "ü".
func TestPsCommandTruncationKeepsUTF8(t *testing.T) {
	const full = "unshare -pmf sh -c printf Grüße; sleep infinity"
	code, out, errOut := run(t, nodeArgs(t, "node-v2", "ps", "--all", "unshare")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !utf8.ValidString(out) || strings.ContainsRune(out, utf8.RuneError) {
		t.Errorf("ps output holds a broken character:\n%q", out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	i := strings.Index(lines[len(lines)-1], "unshare -pmf")
	if i < 0 {
		t.Fatalf("no unshare row:\n%s", out)
	}
	cell := strings.TrimSpace(lines[len(lines)-1][i:])
	if !strings.HasSuffix(cell, "...") || !strings.HasPrefix(full, strings.TrimSuffix(cell, "...")) || utf8.RuneCountInString(cell) > 32 {
		t.Errorf("COMMAND %q: want a prefix of %q cut at a character boundary, plus \"...\", at most 32 characters", cell, full)
	}
}

func TestPidResolvesContainerNames(t *testing.T) {
	roots := map[string][]string{"node-v2": nodeArgs(t, "node-v2"), "node-v1": nodeArgs(t, "node-v1")}
	for _, tc := range []struct {
		fixture, ref, want string
	}{
		{"node-v2", "web", "4010 docker\n"},
		{"node-v2", "c1", "5320 lxc\n"},
		{"node-v2", "build-01", "5210 systemd-nspawn\n"},
		{"node-v2", "demo", "5410 nsinspect\n"},
		{"node-v2", "api", "5010 podman\n"},
		{"node-v2", "f83b8fa7", "4010 docker\n"},
		{"node-v2", "0d7871fc800b", "3010 kubernetes\n"},
		{"node-v1", "cache", "3010 docker\n"},
		{"node-v1", "web1", "6010 lxc\n"},
	} {
		t.Run(tc.fixture+"/"+tc.ref, func(t *testing.T) {
			code, out, errOut := run(t, append(slices.Clone(roots[tc.fixture]), "pid", tc.ref, "--format", "{{.PID}} {{.Runtime.Name}}")...)
			if code != 0 || out != tc.want {
				t.Errorf("pid %s: exit %d, out %q, err %q; want %q", tc.ref, code, out, errOut, tc.want)
			}
		})
	}
}

// ps shows Kubernetes containers as namespace/pod/container; pid must take
// the name ps shows.
func TestPidResolvesKubernetesNames(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	for ref, want := range map[string]string{
		"prod/payments-6b7f9c-kx2lp/payments": "3020\n",
		"default/web-5d8f7b9c4-abcde/nginx":   "3120\n",
	} {
		code, out, errOut := run(t, append(slices.Clone(roots), "pid", ref, "--format", "{{.PID}}")...)
		if code != 0 || out != want {
			t.Errorf("pid %s: exit %d, out %q, err %q; want %q", ref, code, out, errOut, want)
		}
	}
}

func TestPidUnknownContainer(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	for _, ref := range []string{"nosuch", "f83"} {
		code, out, errOut := run(t, append(slices.Clone(roots), "pid", ref)...)
		if code != exitUsage || out != "" || errOut != "nsinspect: no such container: "+ref+"\n" {
			t.Errorf("pid %s: exit %d, out %q, err %q; want exit 2 and \"no such container: %s\"", ref, code, out, errOut, ref)
		}
	}
}
