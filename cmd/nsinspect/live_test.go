package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live test skipped: creating namespaces and cgroups needs root; run `go test ./...` as root")
	}
}

// testCgroup is a cgroup the test creates under nsinspect-test with known
// limits, on v1/hybrid (one directory per controller) or v2.
type testCgroup struct {
	dirs  []string // leaf directories, removed in Cleanup
	procs []string // cgroup.procs files a process writes 0 to, to join
}

const (
	liveMemory = 268435456 // 256MiB
	liveQuota  = 50000     // with period 100000: 0.5 CPU
	livePeriod = 100000
	livePids   = 50
)

func newTestCgroup(t *testing.T) *testCgroup {
	t.Helper()
	return newTestCgroupAt(t, fmt.Sprintf("live-%d-%d", os.Getpid(), time.Now().UnixNano()), "")
}

// newTestCgroupAt makes nsinspect-test/<rel> with the live limits, and
// joins processes to <rel>/<leaf> (leaf "" for rel itself): the shape of a
// container whose init made a sub-cgroup, as systemd inside one does.
func newTestCgroupAt(t *testing.T, rel, leaf string) *testCgroup {
	t.Helper()
	cg := &testCgroup{}
	write := func(dir, file, val string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(val), 0); err != nil {
			t.Fatalf("writing %s/%s: %v", dir, file, err)
		}
	}
	// made lists every directory created, parents first, for Cleanup.
	var made []string
	mkdir := func(dir string) {
		t.Helper()
		var missing []string
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				break
			}
			missing = append([]string{d}, missing...)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		made = append(made, missing...)
	}
	t.Cleanup(func() {
		for i := len(made) - 1; i >= 0; i-- {
			d := made[i]
			// The kernel may need a moment after the last task exits.
			var err error
			for range 50 {
				if err = os.Remove(d); err == nil || os.IsNotExist(err) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil && !os.IsNotExist(err) && filepath.Base(d) != "nsinspect-test" {
				t.Errorf("removing test cgroup %s: %v", d, err)
			}
		}
		// The shared parent goes with the last test using it, whoever
		// made it: another test binary (a second go test on the host) may
		// have made it while this one's cgroup was there. Still in use,
		// the removal fails, and that is fine.
		for _, p := range []string{"/sys/fs/cgroup/nsinspect-test", "/sys/fs/cgroup/memory/nsinspect-test", "/sys/fs/cgroup/cpu/nsinspect-test", "/sys/fs/cgroup/pids/nsinspect-test"} {
			os.Remove(p)
		}
	})
	join := func(dir string) {
		leafDir := filepath.Join(dir, leaf)
		mkdir(leafDir)
		cg.dirs = append(cg.dirs, dir)
		cg.procs = append(cg.procs, leafDir+"/cgroup.procs")
	}
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		parent := "/sys/fs/cgroup/nsinspect-test"
		mkdir(parent)
		write("/sys/fs/cgroup", "cgroup.subtree_control", "+memory +cpu +pids")
		write(parent, "cgroup.subtree_control", "+memory +cpu +pids")
		dir := filepath.Join(parent, rel)
		mkdir(dir)
		// Controllers reach the container's cgroup through every level,
		// enabled from the top down: a level can only enable what its
		// parent has enabled for it.
		var levels []string
		for d := filepath.Dir(dir); d != parent; d = filepath.Dir(d) {
			levels = append([]string{d}, levels...)
		}
		for _, d := range levels {
			write(d, "cgroup.subtree_control", "+memory +cpu +pids")
		}
		write(dir, "memory.max", strconv.Itoa(liveMemory))
		write(dir, "cpu.max", fmt.Sprintf("%d %d", liveQuota, livePeriod))
		write(dir, "pids.max", strconv.Itoa(livePids))
		join(dir)
	} else {
		for _, ctrl := range []string{"memory", "cpu", "pids"} {
			dir := filepath.Join("/sys/fs/cgroup", ctrl, "nsinspect-test", rel)
			mkdir(dir)
			join(dir)
		}
		write(cg.dirs[0], "memory.limit_in_bytes", strconv.Itoa(liveMemory))
		write(cg.dirs[1], "cpu.cfs_period_us", strconv.Itoa(livePeriod))
		write(cg.dirs[1], "cpu.cfs_quota_us", strconv.Itoa(liveQuota))
		write(cg.dirs[2], "pids.max", strconv.Itoa(livePids))
	}
	return cg
}

// liveProc is a process in new pid, net, uts, ipc and mnt namespaces inside
// a test cgroup: sh as PID 1 running script, with only keepCaps.
type liveProc struct {
	pid int
	cmd *exec.Cmd
}

var keepCaps = []int{unix.CAP_CHOWN, unix.CAP_KILL, unix.CAP_SETGID, unix.CAP_SETUID, unix.CAP_NET_BIND_SERVICE}

const keepCapsNames = "CAP_CHOWN,CAP_KILL,CAP_SETGID,CAP_SETUID,CAP_NET_BIND_SERVICE"

func startLive(t *testing.T, cg *testCgroup, script string, ready func(status string) bool) *liveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	var bits []string
	for _, c := range keepCaps {
		bits = append(bits, strconv.Itoa(c))
	}
	cmd.Env = append(os.Environ(),
		"NSINSPECT_TEST_HELPER=ns-init",
		"NSINSPECT_TEST_CGROUPS="+strings.Join(cg.procs, " "),
		"NSINSPECT_TEST_HOSTNAME=nsi-live",
		"NSINSPECT_TEST_KEEP_CAPS="+strings.Join(bits, ","),
		"NSINSPECT_TEST_SCRIPT="+script,
	)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWNS,
		// No Pdeathsig: it fires when the forking OS thread exits, and
		// nsinspect's UTS reader ends a locked thread of this very process.
		// Cleanup kills the helper; its scripts end on their own within a
		// minute should the test binary die first.
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting helper: %v", err)
	}
	p := &liveProc{pid: cmd.Process.Pid, cmd: cmd}
	t.Cleanup(func() {
		// SIGTERM would be dropped by a PID 1 without a handler: SIGKILL
		// from the parent namespace always gets through.
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
		if err == nil && strings.Contains(string(st), "Name:\tsh\n") && ready(string(st)) {
			return p
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("helper pid %d never became ready", p.pid)
	return nil
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	waitForWithin(t, 5*time.Second, cond)
}

// waitForWithin is waitFor for a setup whose length depends on the
// machine: a script's thousands of files take seconds under emulation
// (scripts/vm).
func waitForWithin(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("condition not reached within %v", d)
}

// sigCgtHas reports whether the shell the helper became catches sig. The
// helper is a Go program, which catches every signal, and execve shows the
// new name a moment before it resets the handlers: Go always catches
// SIGURG (goroutine preemption), a shell never does.
func sigCgtHas(status string, sig syscall.Signal) bool {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "SigCgt:\t"); ok {
			n, _ := strconv.ParseUint(v, 16, 64)
			return n&(1<<(sig-1)) != 0 && n&(1<<(syscall.SIGURG-1)) == 0
		}
	}
	return false
}

// inspectJSON runs nsinspect pid <pid> --json and decodes the document.
func inspectJSON(t *testing.T, pid int) map[string]any {
	t.Helper()
	code, out, errOut := run(t, "pid", strconv.Itoa(pid), "--json")
	if code != 0 {
		t.Fatalf("nsinspect pid %d --json: exit %d: %s", pid, code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("decoding JSON: %v\n%s", err, out)
	}
	return doc
}

// get walks a decoded JSON document along a jq-like path: "cgroup.memory.limitBytes".
func get(t *testing.T, doc any, path string) any {
	t.Helper()
	v := doc
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not an object in %v", path, k, v)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%s: no key %q", path, k)
		}
	}
	return v
}

func TestLivePIDInNamespacesAndCgroup(t *testing.T) {
	requireRoot(t)
	cg := newTestCgroup(t)
	// sh stays PID 1 (the trailing "true" stops it from exec'ing sleep).
	p := startLive(t, cg, "sleep 60; true", func(string) bool { return true })
	// sh blocks signals while it forks sleep; inspect it once it waits.
	waitFor(t, func() bool {
		w, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", p.pid))
		return string(w) == "do_wait"
	})
	doc := inspectJSON(t, p.pid)

	if got := get(t, doc, "pid"); got != float64(p.pid) {
		t.Errorf(".pid = %v, want %d", got, p.pid)
	}
	nspid := get(t, doc, "process.nspid").([]any)
	if len(nspid) != 2 || nspid[0] != float64(p.pid) || nspid[1] != float64(1) {
		t.Errorf(".process.nspid = %v, want [%d 1]", nspid, p.pid)
	}

	// Exactly the namespaces the helper was cloned with are isolated, and
	// every inode equals what readlink shows.
	var isolated []string
	for _, n := range get(t, doc, "namespaces").([]any) {
		n := n.(map[string]any)
		typ := n["type"].(string)
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", p.pid, typ))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(":[%d]", uint64(n["inode"].(float64))); !strings.HasSuffix(link, want) {
			t.Errorf("namespace %s: inode in JSON %v, readlink %s", typ, n["inode"], link)
		}
		if n["isolated"] == true {
			isolated = append(isolated, typ)
		}
	}
	if want := []string{"ipc", "mnt", "net", "pid", "pid_for_children", "uts"}; !slices.Equal(isolated, want) {
		t.Errorf("isolated namespaces %v, want %v", isolated, want)
	}

	for path, want := range map[string]any{
		"cgroup.memory.limitBytes": float64(liveMemory),
		"cgroup.cpu.quotaMicros":   float64(liveQuota),
		"cgroup.cpu.periodMicros":  float64(livePeriod),
		"cgroup.cpu.cpus":          0.5,
		"cgroup.pids.max":          float64(livePids),
		"signals.pid1":             true,
		"signals.sigterm":          "dropped (pid 1 with default action)",
		"kernel.hostname":          "nsi-live",
		"runtime.name":             "unknown",
		"capabilities.privileged":  false,
		"security.noNewPrivs":      false,
	} {
		if got := get(t, doc, path); got != want {
			t.Errorf(".%s = %v, want %v", path, got, want)
		}
	}
	if cur, ok := get(t, doc, "cgroup.pids.current").(float64); !ok || cur < 1 || cur > 3 {
		t.Errorf(".cgroup.pids.current = %v, want 1..3 (sh and sleep)", get(t, doc, "cgroup.pids.current"))
	}
	if u, ok := get(t, doc, "cgroup.memory.usageBytes").(float64); !ok || u <= 0 || u > liveMemory {
		t.Errorf(".cgroup.memory.usageBytes = %v, want within (0, limit]", get(t, doc, "cgroup.memory.usageBytes"))
	}
	release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	if got := get(t, doc, "kernel.release"); got != strings.TrimSpace(string(release)) {
		t.Errorf(".kernel.release = %v, want %s", got, release)
	}
	if kind := get(t, doc, "reference.kind"); kind != "init" && kind != "self" {
		t.Errorf(".reference.kind = %v, want init or self", kind)
	}

	var eff []string
	for _, c := range get(t, doc, "capabilities.effective").([]any) {
		eff = append(eff, c.(string))
	}
	if got := strings.Join(eff, ","); got != keepCapsNames {
		t.Errorf(".capabilities.effective = %s, want %s", got, keepCapsNames)
	}
	t.Run("capsh agrees", func(t *testing.T) {
		if _, err := exec.LookPath("capsh"); err != nil {
			t.Skip("capsh not installed (apt-get install libcap2-bin; .ci/run does)")
		}
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
		var hex string
		for _, line := range strings.Split(string(st), "\n") {
			if v, ok := strings.CutPrefix(line, "CapEff:\t"); ok {
				hex = v
			}
		}
		out, err := exec.Command("capsh", "--decode="+hex).Output()
		if err != nil {
			t.Fatal(err)
		}
		_, names, _ := strings.Cut(strings.TrimSpace(string(out)), "=")
		if got := strings.ToUpper(names); got != strings.Join(eff, ",") {
			t.Errorf("capsh --decode=%s gives %s, nsinspect %s", hex, got, strings.Join(eff, ","))
		}
	})

	// The verdict holds in practice: SIGTERM from the host leaves a PID 1
	// without a handler running.
	syscall.Kill(p.pid, syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(p.pid, 0); err != nil {
		t.Errorf("pid %d died of SIGTERM although nsinspect said it would be dropped", p.pid)
	}
}

func TestLivePID1WithTrapHandlesSIGTERM(t *testing.T) {
	requireRoot(t)
	cg := newTestCgroup(t)
	p := startLive(t, cg, `trap "exit 7" TERM; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done`,
		func(st string) bool { return sigCgtHas(st, syscall.SIGTERM) })
	doc := inspectJSON(t, p.pid)
	if got := get(t, doc, "signals.sigterm"); got != "handled" {
		t.Errorf(".signals.sigterm = %v, want handled", got)
	}
	if got := get(t, doc, "signals.pid1"); got != true {
		t.Errorf(".signals.pid1 = %v, want true", got)
	}
	syscall.Kill(p.pid, syscall.SIGTERM)
	err := p.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 {
		t.Errorf("after SIGTERM the trapping init ended with %v, want exit status 7", err)
	}
}

func TestLiveZombieStillReports(t *testing.T) {
	requireRoot(t)
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Not waited for: it stays a zombie until the Wait in Cleanup.
	t.Cleanup(func() { cmd.Wait() })
	pid := cmd.Process.Pid
	for i := 0; i < 200; i++ {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if strings.Contains(string(b), ") Z ") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, out, errOut := run(t, "pid", strconv.Itoa(pid), "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if st := get(t, doc, "process.state"); !strings.HasPrefix(st.(string), "Z") {
		t.Errorf(".process.state = %v, want Z (zombie)", st)
	}
	errs, _ := json.Marshal(get(t, doc, "errors"))
	if !strings.Contains(string(errs), "zombie") {
		t.Errorf(".errors = %s, want a zombie reason", errs)
	}
	if get(t, doc, "rootfs") != nil {
		t.Errorf(".rootfs = %v, want null for a zombie (no mount namespace left)", get(t, doc, "rootfs"))
	}
}

func TestLiveNonRootSeesWhatItCan(t *testing.T) {
	requireRoot(t)
	bin := buildBinary(t)
	cmd := exec.Command(bin, "pid", strconv.Itoa(os.Getpid()), "--json")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("as nobody: %v (%s)", err, out)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	// status and cgroup stay readable; namespaces and mounts need ptrace
	// access to a root process and are marked.
	if get(t, doc, "process.comm") == "" || get(t, doc, "cgroup") == nil {
		t.Errorf("as nobody, process and cgroup should still be read")
	}
	errs, _ := json.Marshal(get(t, doc, "errors"))
	if !strings.Contains(string(errs), "permission denied") {
		t.Errorf(".errors = %s, want permission denied entries", errs)
	}
	for _, n := range get(t, doc, "namespaces").([]any) {
		if e := n.(map[string]any)["error"]; e != "permission denied" {
			t.Errorf("namespace %v: error %v, want permission denied", n.(map[string]any)["type"], e)
		}
	}
}

// testBinary is this test binary's absolute path, for re-running it as a
// helper process (helper_test.go) from another directory or under exec -a.
func testBinary(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// buildBinary builds nsinspect into a directory any user may enter, for
// tests that run it as another user or in another namespace. When
// NSINSPECT_TEST_BIN names a binary built elsewhere (a VM guest has no Go
// toolchain), that binary is used instead.
func buildBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NSINSPECT_TEST_BIN"); p != "" {
		return p
	}
	dir, err := os.MkdirTemp("", "nsinspect-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "nsinspect")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Under hidepid, another user's process is invisible and its /proc entry
// gives ENOENT as if it did not exist: nsinspect must say it may be hidden.
// The test mounts a private procfs with hidepid in a new mount namespace,
// never touching the host's /proc.
func TestLiveHidepid(t *testing.T) {
	requireRoot(t)
	for _, tool := range []string{"unshare", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s (util-linux) not installed", tool)
		}
	}
	bin := buildBinary(t)
	script := `mount -t proc -o hidepid=invisible proc /proc && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$0" pid 1`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, bin)
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitUsage {
		t.Fatalf("nsinspect pid 1 under hidepid as nobody: %v, want exit %d; output %q", err, exitUsage, out)
	}
	if !strings.Contains(string(out), "hidden by hidepid") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("output %q, want one line saying hidden by hidepid", out)
	}
}

// containerTestLock holds, until the test ends, the host-wide lock of the
// tests that start nsinspect containers: launch's tests hold it for their
// whole run, because their leak and gc checks read every nsinspect
// container on the host.
func containerTestLock(t *testing.T) {
	t.Helper()
	// On /run itself, as launch's: a lock file would be left behind.
	f, err := os.Open("/run")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}
