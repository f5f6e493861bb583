package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// psRow runs ps --json (and args) and returns the row whose key is val, or
// nil.
func psRow(t *testing.T, key string, val any, args ...string) map[string]any {
	t.Helper()
	code, out, errOut := run(t, append([]string{"ps", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("ps --json: exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("decoding ps --json: %v", err)
	}
	for _, r := range rows {
		if r[key] == val {
			return r
		}
	}
	return nil
}

// Processes in test-made cgroups shaped like other runtimes' are found,
// named, limited and sampled as those runtimes' containers: Docker's
// cgroupfs layout, the same with systemd inside (the init in
// <id>/init.scope, the limits on <id>), and a Burstable Kubernetes pod.
// The cgroups sit under nsinspect-test, which the unanchored patterns
// allow; layouts anchored at the root (/lxc, /machine.slice) are covered
// by the fixtures only.
func TestLiveRuntimeLayouts(t *testing.T) {
	requireRoot(t)
	stamp := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	id := func(c string) string { return strings.Repeat(c, 32) }
	const uid = "0f5a6e3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
	for _, tc := range []struct {
		name, rel, leaf, runtime, id string
		pod                          string // "uid qos"
	}{
		{name: "docker", rel: "docker/" + id("d1"), runtime: "docker", id: id("d1")},
		{name: "docker with systemd inside", rel: "docker/" + id("d2"), leaf: "init.scope", runtime: "docker", id: id("d2")},
		{name: "kubernetes burstable", rel: "kubepods/burstable/pod" + uid + "/" + id("e3"), runtime: "kubernetes", id: id("e3"), pod: uid + " Burstable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cg := newTestCgroupAt(t, "layout-"+stamp+"/"+tc.rel, tc.leaf)
			p := startLive(t, cg, "sleep 60; true", func(string) bool { return true })

			r := psRow(t, "id", tc.id)
			if r == nil {
				t.Fatalf("ps --json has no row %s", tc.id)
			}
			if r["runtime"] != tc.runtime || r["pid"] != float64(p.pid) || r["name"] != tc.id[:12] {
				t.Errorf("row %v %v %v, want runtime %s, pid %d, name %s", r["runtime"], r["pid"], r["name"], tc.runtime, p.pid, tc.id[:12])
			}
			if got := r["memory"].(map[string]any)["limitBytes"]; got != float64(liveMemory) {
				t.Errorf("memory.limitBytes %v, want %d (the container's cgroup, not its init's)", got, liveMemory)
			}
			if got := r["cpu"].(map[string]any)["cpus"]; got != 0.5 {
				t.Errorf("cpu.cpus %v, want 0.5", got)
			}
			if got := r["pids"].(map[string]any)["max"]; got != float64(livePids) {
				t.Errorf("pids.max %v, want %d", got, livePids)
			}
			if want := "/nsinspect-test/layout-" + stamp + "/" + tc.rel; r["cgroupPath"] != want {
				t.Errorf("cgroupPath %v, want %s", r["cgroupPath"], want)
			}
			if tc.pod != "" {
				pod, _ := r["pod"].(map[string]any)
				if got := fmt.Sprint(pod["uid"], " ", pod["qosClass"]); got != tc.pod {
					t.Errorf("pod %q, want %q", got, tc.pod)
				}
			}

			code, out, errOut := run(t, "pid", tc.id[:8], "--format", "{{.PID}} {{.Runtime.Name}}")
			if want := strconv.Itoa(p.pid) + " " + tc.runtime + "\n"; code != 0 || out != want {
				t.Errorf("pid %s: exit %d %q %s, want %q", tc.id[:8], code, out, errOut, want)
			}

			code, out, errOut = run(t, "stats", "--no-stream", "--json", "--interval", "100ms", tc.id[:12])
			var row map[string]any
			if code != 0 || json.Unmarshal([]byte(out), &row) != nil {
				t.Fatalf("stats %s: exit %d %q %s", tc.id[:12], code, out, errOut)
			}
			if row["memLimitBytes"] != float64(liveMemory) || row["memLimited"] != true {
				t.Errorf("stats memLimitBytes %v limited %v, want %d true", row["memLimitBytes"], row["memLimited"], liveMemory)
			}
			// sh and sleep
			if row["pids"] != float64(2) {
				t.Errorf("stats pids %v, want 2", row["pids"])
			}
		})
	}
}

// A process in its own pid and mount namespaces, in a cgroup no runtime
// made (what unshare or bwrap leave): not a container, but --all lists it
// as a namespace group with its cgroup's limits.
func TestLiveNamespaceGroupInTestCgroup(t *testing.T) {
	requireRoot(t)
	cg := newTestCgroup(t)
	p := startLive(t, cg, "sleep 60; true", func(string) bool { return true })
	if r := psRow(t, "pid", float64(p.pid)); r != nil {
		t.Errorf("ps without --all lists the namespace group: %v", r)
	}
	r := psRow(t, "pid", float64(p.pid), "--all")
	if r == nil {
		t.Fatalf("ps --all has no row with pid %d", p.pid)
	}
	ns, _ := json.Marshal(r["namespaces"])
	if r["runtime"] != "namespaces" || r["name"] != "sh" || string(ns) != `["pid","net","mnt","uts","ipc"]` {
		t.Errorf("row %v %v %s, want runtime namespaces, name sh, namespaces pid net mnt uts ipc", r["runtime"], r["name"], ns)
	}
	if got := r["memory"].(map[string]any)["limitBytes"]; got != float64(liveMemory) {
		t.Errorf("memory.limitBytes %v, want %d", got, liveMemory)
	}
}

// A number that is no live PID is tried as a container's id prefix before
// failing: 27220293 is a Docker id's first 8 characters, not a process (an
// id prefix of digits only happens to 2.3 % of 8-character prefixes). A
// live PID stays that PID, and a number naming nothing says no such
// process.
func TestLivePidNumericIDPrefix(t *testing.T) {
	requireRoot(t)
	stamp := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	id := "27220293" + strings.Repeat("ab", 28)
	cg := newTestCgroupAt(t, "numeric-"+stamp+"/docker/"+id, "")
	p := startLive(t, cg, "sleep 60; true", func(string) bool { return true })
	for _, tc := range []struct {
		arg  string
		code int
		out  string
	}{
		{"27220293", 0, strconv.Itoa(p.pid) + " docker\n"},
		{strconv.Itoa(p.pid), 0, strconv.Itoa(p.pid) + " docker\n"},
		{"99999998", exitUsage, ""},
	} {
		code, out, errOut := run(t, "pid", tc.arg, "--format", "{{.PID}} {{.Runtime.Name}}")
		if code != tc.code || out != tc.out {
			t.Errorf("pid %s: exit %d, stdout %q, stderr %q; want %d, %q", tc.arg, code, out, errOut, tc.code, tc.out)
		}
		if tc.code != 0 && !strings.Contains(errOut, "no such process") {
			t.Errorf("pid %s: stderr %q, want no such process", tc.arg, errOut)
		}
	}
}
