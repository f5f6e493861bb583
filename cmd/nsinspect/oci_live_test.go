package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Containers that runc and crun make by hand, with no engine around them:
// with a 64-hex id in a --root nothing names any more (the runtime exited
// after run -d), ps lists them as "oci" by the shape of their default
// cgroup /<id>, with the limits of their config.json, and pid reads the
// same limits; with a free-form id in the runtime's default root, ps and
// pid name them from the runtime's state, as runc and crun. The test
// deletes its containers even when it fails. crun refuses hybrid hosts; it runs on pure
// v1 and v2 (scripts/vm guests).
func TestLiveOCIRuntimes(t *testing.T) {
	requireRoot(t)
	for _, rt := range []string{"runc", "crun"} {
		t.Run(rt, func(t *testing.T) {
			bin, err := exec.LookPath(rt)
			if err != nil {
				t.Skipf("%s not installed (apt-get install %s)", rt, rt)
			}
			hybrid := false
			if _, err := os.Stat("/sys/fs/cgroup/unified/cgroup.controllers"); err == nil {
				hybrid = true
			}
			if rt == "crun" && hybrid {
				t.Skip("crun refuses cgroup hybrid hosts (\"cgroups in hybrid mode not supported\"); it runs in the v1 and v2 guests of scripts/vm")
			}
			bundle := t.TempDir()
			os.Chmod(bundle, 0o755)
			rootfs := filepath.Join(bundle, "rootfs")
			tree := hostileTree(t)
			if out, err := exec.Command("cp", "-a", tree, rootfs).CombinedOutput(); err != nil {
				t.Fatalf("copying the root: %v %s", err, out)
			}
			if out, err := exec.Command(bin, "spec", "--bundle", bundle).CombinedOutput(); err != nil {
				t.Fatalf("%s spec: %v %s", rt, err, out)
			}
			var b []byte
			raw, err := os.ReadFile(filepath.Join(bundle, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			var spec map[string]any
			if err := json.Unmarshal(raw, &spec); err != nil {
				t.Fatal(err)
			}
			process := spec["process"].(map[string]any)
			process["args"], process["terminal"] = []string{"/bin/sleep", "300"}, false
			linux := spec["linux"].(map[string]any)
			linux["resources"] = map[string]any{
				"memory": map[string]any{"limit": liveMemory},
				"cpu":    map[string]any{"quota": liveQuota, "period": livePeriod},
				"pids":   map[string]any{"limit": livePids},
			}
			spec["root"] = map[string]any{"path": "rootfs", "readonly": true}
			if raw, err = json.Marshal(spec); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(bundle, "config.json"), raw, 0o644); err != nil {
				t.Fatal(err)
			}

			b = make([]byte, 32)
			rand.Read(b)
			id := hex.EncodeToString(b)
			state := t.TempDir()
			cli := func(args ...string) *exec.Cmd {
				return exec.Command(bin, append([]string{"--root", state}, args...)...)
			}
			t.Cleanup(func() {
				if out, err := cli("delete", "-f", id).CombinedOutput(); err != nil && !strings.Contains(string(out), "not exist") {
					t.Errorf("%s delete -f: %v %s", rt, err, out)
				}
				// runc and crun remove the cgroup in delete; wait for it.
				for range 50 {
					if m, _ := filepath.Glob("/sys/fs/cgroup/*" + id + "*"); len(m) == 0 {
						if m, _ := filepath.Glob("/sys/fs/cgroup/*/*" + id + "*"); len(m) == 0 {
							return
						}
					}
					time.Sleep(20 * time.Millisecond)
				}
				t.Errorf("%s left its cgroup for %s behind", rt, id)
			})
			// The container inherits run's stdio: a file, not a pipe
			// CombinedOutput would wait on until the container ends.
			logf, err := os.Create(filepath.Join(t.TempDir(), "run.log"))
			if err != nil {
				t.Fatal(err)
			}
			defer logf.Close()
			start := cli("run", "-d", "--bundle", bundle, id)
			start.Stdout, start.Stderr = logf, logf
			if err := start.Run(); err != nil {
				out, _ := os.ReadFile(logf.Name())
				t.Fatalf("%s run -d: %v %s", rt, err, out)
			}
			out, err := cli("state", id).Output()
			if err != nil {
				t.Fatalf("%s state: %v", rt, err)
			}
			var st struct{ Pid int }
			if err := json.Unmarshal(out, &st); err != nil || st.Pid <= 0 {
				t.Fatalf("%s state: %s (%v)", rt, out, err)
			}

			r := psRow(t, "id", id)
			if r == nil {
				_, table, _ := run(t, "ps", "--all")
				t.Fatalf("ps --json has no row %s (pid %d); ps --all:\n%s", id, st.Pid, table)
			}
			// The runtime's default cgroup, per hierarchy: /<id> below
			// the caller's cgroup there on v1 (the root, or a service's
			// where systemd put the caller), next to the caller's
			// populated one on v2 (/system.slice/<id> from a service).
			// ps shows one of them.
			var paths []string
			b, _ = os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.Pid))
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if f := strings.SplitN(l, ":", 3); len(f) == 3 && strings.HasSuffix(f[2], "/"+id) {
					paths = append(paths, f[2])
				}
			}
			if len(paths) == 0 {
				t.Fatalf("%s put its container in no cgroup named after it:\n%s", rt, b)
			}
			if r["runtime"] != "oci" || r["pid"] != float64(st.Pid) || !slices.Contains(paths, r["cgroupPath"].(string)) {
				t.Errorf("ps row: runtime %v, pid %v, cgroupPath %v; want oci, %d, one of %v", r["runtime"], r["pid"], r["cgroupPath"], st.Pid, paths)
			}
			if got := r["memory"].(map[string]any)["limitBytes"]; got != float64(liveMemory) {
				t.Errorf("ps memory.limitBytes %v, want %d", got, liveMemory)
			}
			if got := r["cpu"].(map[string]any)["cpus"]; got != 0.5 {
				t.Errorf("ps cpu.cpus %v, want 0.5", got)
			}
			if got := r["pids"].(map[string]any)["max"]; got != float64(livePids) {
				t.Errorf("ps pids.max %v, want %d", got, livePids)
			}

			for _, ref := range []string{strconv.Itoa(st.Pid), id[:12]} {
				code, out, errOut := run(t, "pid", ref, "--json")
				if code != 0 {
					t.Fatalf("pid %s --json: exit %d: %s", ref, code, errOut)
				}
				var doc map[string]any
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatal(err)
				}
				for path, want := range map[string]any{
					"pid":                      float64(st.Pid),
					"runtime.name":             "oci",
					"runtime.containerId":      id,
					"cgroup.memory.limitBytes": float64(liveMemory),
					"cgroup.cpu.quotaMicros":   float64(liveQuota),
					"cgroup.cpu.periodMicros":  float64(livePeriod),
					"cgroup.pids.max":          float64(livePids),
					"signals.pid1":             true,
					"rootfs.readOnly":          true,
				} {
					if got := get(t, doc, path); got != want {
						t.Errorf("pid %s: .%s = %v, want %v", ref, path, got, want)
					}
				}
			}

			// A free-form id in the runtime's default root (/run/runc,
			// /run/crun): its cgroup /<id> has no recognisable shape, and
			// the runtime's state names it.
			named := "nsi-" + id[:8] + "-web"
			defCli := func(args ...string) *exec.Cmd { return exec.Command(bin, args...) }
			// The runtime makes its default root when it is missing; one
			// this test made goes again, once empty (cleanups run last
			// first, so after the delete below).
			defRoot := "/run/" + rt
			if _, err := os.Stat(defRoot); os.IsNotExist(err) {
				t.Cleanup(func() { os.Remove(defRoot) })
			}
			t.Cleanup(func() {
				if out, err := defCli("delete", "-f", named).CombinedOutput(); err != nil && !strings.Contains(string(out), "not exist") {
					t.Errorf("%s delete -f %s: %v %s", rt, named, err, out)
				}
			})
			start = defCli("run", "-d", "--bundle", bundle, named)
			start.Stdout, start.Stderr = logf, logf
			if err := start.Run(); err != nil {
				out, _ := os.ReadFile(logf.Name())
				t.Fatalf("%s run -d %s: %v %s", rt, named, err, out)
			}
			out, err = defCli("state", named).Output()
			st.Pid = 0
			if err != nil || json.Unmarshal(out, &st) != nil || st.Pid <= 0 {
				t.Fatalf("%s state %s: %v %s", rt, named, err, out)
			}
			r = psRow(t, "name", named)
			if r == nil {
				_, table, _ := run(t, "ps", "--all")
				t.Fatalf("ps --json has no container named %s (pid %d); ps --all:\n%s", named, st.Pid, table)
			}
			if r["runtime"] != rt || r["id"] != named || r["pid"] != float64(st.Pid) {
				t.Errorf("ps row of %s: runtime %v, id %v, pid %v; want %s, %s, %d", named, r["runtime"], r["id"], r["pid"], rt, named, st.Pid)
			}
			doc := inspectJSON(t, st.Pid)
			for path, want := range map[string]any{"runtime.name": rt, "runtime.containerId": named, "runtime.containerName": named} {
				if got := get(t, doc, path); got != want {
					t.Errorf("pid %d: .%s = %v, want %v", st.Pid, path, got, want)
				}
			}
		})
	}
}
