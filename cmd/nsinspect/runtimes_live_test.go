package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/nsinspect/nsinspect/report"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The real runtimes, each run privately by the test: a containerd and a
// dockerd on their own sockets, data roots and exec roots under one temp
// directory (nothing at /var/lib/docker or /run/containerd is assumed, so
// nsinspect must discover them from the running processes, as for any user
// with a custom data root), and runc run by hand. Every value nsinspect
// shows is compared with what the runtime itself says: docker inspect and
// docker stats, ctr tasks, runc list and runc state. At the end the test
// removes its containers, stops the daemons by pid, and checks that no
// shim, container process, overlay or netns mount or cgroup of theirs is
// left.

// realRuntimes is one private containerd + dockerd.
type realRuntimes struct {
	dir          string // everything of theirs lives below
	ctdSock      string
	dockerSock   string
	ns           string // the test's containerd namespace
	cgroupParent string // dockerd's --cgroup-parent
	image        string
	rootfs       string // a busybox root for ctr and runc
	pids         []int  // container processes seen, all gone at the end
	tally        map[string][2]int
}

// docker runs the docker CLI against the private daemon.
func (r *realRuntimes) docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"-H", "unix://" + r.dockerSock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *realRuntimes) ctr(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ctr", append([]string{"-a", r.ctdSock, "-n", r.ns}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// compare counts one compared field of a runtime and reports a mismatch.
func (r *realRuntimes) compare(t *testing.T, runtime, what string, got, want any) {
	t.Helper()
	n := r.tally[runtime]
	n[0]++
	// JSON numbers decode as float64; both sides are compared as JSON.
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if bytes.Equal(g, w) {
		n[1]++
	} else {
		t.Errorf("%s: %s: nsinspect says %v, the runtime %v", runtime, what, got, want)
	}
	r.tally[runtime] = n
}

// startDaemon starts cmd with its output in a log file and returns a stop
// function that ends it by pid: SIGTERM, then SIGKILL after 30 s.
func startDaemon(t *testing.T, cmd *exec.Cmd, log string) func() {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// containerd writes a stack dump to $TMPDIR when it gets SIGUSR1,
	// which dockerd sends it when a health check fails on a loaded
	// machine: into the daemon's directory, removed with it, not /tmp.
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Dir(log))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	return func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop on SIGTERM in 30 s; killing it", cmd.Path)
			cmd.Process.Kill()
			<-done
		}
	}
}

// waitSocket waits until something listens on path.
func waitSocket(t *testing.T, path, log string) {
	t.Helper()
	for range 300 {
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("%s never appeared; log:\n%s", path, b)
}

// busyboxRoot makes a root filesystem with busybox and a few applets.
func busyboxRoot(t *testing.T, dir string) {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("live test skipped: needs a static busybox (apt-get install busybox-static)")
	}
	b, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp", "run"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "sleep", "cat"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
}

// newRealRuntimes starts the private daemons; their cleanup is registered
// before anything is started, and runs even when the test fails.
func newRealRuntimes(t *testing.T) *realRuntimes {
	requireRoot(t)
	for _, bin := range []string{"containerd", "containerd-shim-runc-v2", "ctr", "dockerd", "docker", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("live test skipped: %s is not installed (apt-get install --no-install-recommends docker.io containerd runc; .ci/run does)", bin)
		}
	}
	b := make([]byte, 4)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	// Short: a unix socket path holds at most 107 bytes.
	dir, err := os.MkdirTemp("/tmp", "nsi-rt-")
	if err != nil {
		t.Fatal(err)
	}
	r := &realRuntimes{
		dir: dir, ctdSock: filepath.Join(dir, "ctd.sock"), dockerSock: filepath.Join(dir, "docker.sock"),
		ns: "nsi-" + tag, cgroupParent: "/nsi-docker-" + tag, image: "busybox:nsi-" + tag,
		rootfs: filepath.Join(dir, "rootfs"), tally: map[string][2]int{},
	}
	// Directories of the host that the daemons make for themselves when
	// missing, removed again if this test made them.
	var made []string
	for _, d := range []string{"/run/containerd", "/run/docker", "/run/runc"} {
		if _, err := os.Stat(d); os.IsNotExist(err) {
			made = append(made, d)
		}
	}
	var stops []func()
	t.Cleanup(func() {
		r.removeContainers(t)
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
		r.checkNothingLeft(t)
		for _, d := range made {
			os.RemoveAll(d)
		}
		os.RemoveAll("/run/containerd/runc/" + r.ns) // the shims' runc root for the namespace
		os.RemoveAll(dir)
	})
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
`, filepath.Join(dir, "ctd-root"), filepath.Join(dir, "ctd-state"), r.ctdSock, r.ctdSock+".ttrpc")
	if err := os.WriteFile(filepath.Join(dir, "containerd.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "containerd.log")
	stops = append(stops, startDaemon(t, exec.Command("containerd", "--config", filepath.Join(dir, "containerd.toml")), log))
	waitSocket(t, r.ctdSock, log)
	log = filepath.Join(dir, "dockerd.log")
	stops = append(stops, startDaemon(t, exec.Command("dockerd",
		"--containerd", r.ctdSock,
		"--data-root", filepath.Join(dir, "docker-root"),
		"--exec-root", filepath.Join(dir, "docker-exec"),
		"-H", "unix://"+r.dockerSock,
		"--pidfile", filepath.Join(dir, "docker.pid"),
		"--cgroup-parent", r.cgroupParent,
		"--bridge=none", "--iptables=false", "--ip-masq=false", "--ip6tables=false",
	), log))
	waitSocket(t, r.dockerSock, log)
	busyboxRoot(t, r.rootfs)
	imp := exec.Command("docker", "-H", "unix://"+r.dockerSock, "import", "-", r.image)
	tar := exec.Command("tar", "-C", r.rootfs, "-c", ".")
	pipe, err := tar.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	imp.Stdin = pipe
	if err := tar.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v %s", err, out)
	}
	tar.Wait()
	return r
}

// removeContainers removes every container of the test's daemons and
// runc root, whatever state the test left them in.
func (r *realRuntimes) removeContainers(t *testing.T) {
	if ids, err := exec.Command("docker", "-H", "unix://"+r.dockerSock, "ps", "-aq").Output(); err == nil {
		for _, id := range strings.Fields(string(ids)) {
			if out, err := exec.Command("docker", "-H", "unix://"+r.dockerSock, "rm", "-f", id).CombinedOutput(); err != nil {
				t.Errorf("docker rm -f %s: %v %s", id, err, out)
			}
		}
	}
	ctr := func(args ...string) ([]byte, error) {
		return exec.Command("ctr", append([]string{"-a", r.ctdSock, "-n", r.ns}, args...)...).CombinedOutput()
	}
	if out, err := ctr("containers", "ls", "-q"); err == nil {
		for _, id := range strings.Fields(string(out)) {
			ctr("tasks", "kill", "-s", "KILL", id)
			for range 100 {
				if out, _ := ctr("tasks", "ls"); !strings.Contains(string(out), id+" ") || strings.Contains(string(out), "STOPPED") {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			ctr("tasks", "rm", "-f", id)
			if out, err := ctr("containers", "rm", id); err != nil {
				t.Errorf("ctr containers rm %s: %v %s", id, err, out)
			}
		}
	}
	for _, root := range []string{"", filepath.Join(r.dir, "runc-root")} {
		args := []string{"list", "-q"}
		if root != "" {
			args = append([]string{"--root", root}, args...)
		}
		out, _ := exec.Command("runc", args...).Output()
		for _, id := range strings.Fields(string(out)) {
			if !strings.HasPrefix(id, r.ns) {
				continue // not this test's
			}
			del := []string{"delete", "-f", id}
			if root != "" {
				del = append([]string{"--root", root}, del...)
			}
			if out, err := exec.Command("runc", del...).CombinedOutput(); err != nil {
				t.Errorf("runc delete -f %s: %v %s", id, err, out)
			}
		}
	}
}

// checkNothingLeft is the leak check, limited to what this test made: its
// daemons' shims, the container processes it saw, mounts under its
// directory, and cgroups named after its namespace and cgroup parent.
func (r *realRuntimes) checkNothingLeft(t *testing.T) {
	deadline := time.Now().Add(10 * time.Second)
	var left []string
	for {
		left = left[:0]
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if bytes.Contains(cmdline, []byte(r.dir)) {
				left = append(left, fmt.Sprintf("process %d: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
			}
		}
		for _, pid := range r.pids {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); len(st) > 0 {
					left = append(left, fmt.Sprintf("container process %d: %s", pid, strings.Fields(string(st))[1]))
				}
			}
		}
		mi, _ := os.ReadFile("/proc/self/mountinfo")
		for _, l := range strings.Split(string(mi), "\n") {
			if strings.Contains(l, r.dir) {
				left = append(left, "mount: "+l)
			}
		}
		// The runtimes leave the parents they made (containerd's
		// /<namespace>, dockerd's --cgroup-parent), which the test
		// removes; the containers' own cgroups must be gone.
		for _, pat := range []string{"/sys/fs/cgroup/*/" + r.ns, "/sys/fs/cgroup/" + r.ns, "/sys/fs/cgroup/*" + r.cgroupParent, "/sys/fs/cgroup" + r.cgroupParent} {
			m, _ := filepath.Glob(pat)
			for _, d := range m {
				if sub, _ := filepath.Glob(d + "/*/cgroup.procs"); len(sub) > 0 {
					left = append(left, "cgroup: "+filepath.Dir(sub[0]))
				} else if err := syscall.Rmdir(d); err != nil {
					left = append(left, fmt.Sprintf("cgroup %s: %v", d, err))
				}
			}
		}
		for _, pat := range []string{"/sys/fs/cgroup/*/" + r.ns + "-*", "/sys/fs/cgroup/" + r.ns + "-*"} {
			m, _ := filepath.Glob(pat)
			for _, d := range m {
				left = append(left, "cgroup: "+d)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, l := range left {
		t.Errorf("left behind: %s", l)
	}
}

func pidJSON(t *testing.T, ref string) map[string]any {
	t.Helper()
	code, out, errOut := run(t, "pid", ref, "--json")
	if code != 0 {
		t.Fatalf("pid %s --json: exit %d: %s", ref, code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// dockerSize parses docker stats' sizes: "1.5MiB", "320KiB", "0B".
func dockerSize(s string) (float64, error) {
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f * u.mult, err
		}
	}
	return 0, fmt.Errorf("no unit in %q", s)
}

func strs(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// realPath resolves a layer path as the host sees it (overlay2 mounts its
// lower layers through the short links of overlay2/l).
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func TestLiveRealRuntimes(t *testing.T) {
	r := newRealRuntimes(t)

	// dockerd loads its docker-default AppArmor profile with
	// apparmor_parser when the kernel has AppArmor on (the VM guests'
	// Debian kernel) and refuses to start containers without it.
	var opts []string
	if apparmorOn() {
		if _, err := exec.LookPath("apparmor_parser"); err != nil {
			opts = []string{"--security-opt", "apparmor=unconfined"}
			t.Log("AppArmor is on but apparmor_parser is not installed: the Docker containers run with --security-opt apparmor=unconfined")
		}
	}
	dockerRun := func(args ...string) string {
		t.Helper()
		return r.docker(t, append(append([]string{"run", "-d"}, opts...), args...)...)
	}
	vol := filepath.Join(r.dir, "vol")
	os.Mkdir(vol, 0o755)
	// t1: limits and capabilities; t2: privileged; t3: three processes,
	// and a host directory holding the daemon's socket mounted at
	// /var/run (the socket reachable through a directory).
	dockerRun("--name", r.ns+"-t1", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "50",
		"--cap-add", "NET_ADMIN", "--cap-drop", "MKNOD", "-v", vol+":/data", r.image, "sleep", "300")
	// --privileged asks runc for every capability the kernel has; a host
	// whose own bounding set lacks one (this CI VM has no
	// CAP_SYS_RESOURCE) cannot start it, and t2 is then the nearest
	// thing it can start.
	names := []string{r.ns + "-t1", r.ns + "-t2", r.ns + "-t3"}
	if out, err := exec.Command("docker", append(append([]string{"-H", "unix://" + r.dockerSock, "run", "-d"}, opts...), "--name", r.ns+"-p", "--privileged", r.image, "sleep", "300")...).CombinedOutput(); err == nil {
		names = append(names, r.ns+"-p")
	} else if !strings.Contains(string(out), "unable to apply caps") {
		t.Fatalf("docker run --privileged: %v %s", err, out)
	} else {
		t.Logf("docker run --privileged cannot start here (%s); Privileged=true is not compared", strings.TrimSpace(string(out)))
	}
	dockerRun("--name", r.ns+"-t2", "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=unconfined", r.image, "sleep", "300")
	// t4: CAP_SYS_ADMIN and one of the host's disks: as good as
	// privileged, which nsinspect must say although docker's Privileged
	// is false (on cgroup v2 no file shows the device policy).
	disk := ""
	if ents, err := os.ReadDir("/sys/block"); err == nil {
		for _, e := range ents {
			if n := e.Name(); !strings.HasPrefix(n, "loop") && !strings.HasPrefix(n, "ram") {
				if _, err := os.Stat("/dev/" + n); err == nil {
					disk = "/dev/" + n
					break
				}
			}
		}
	}
	if disk != "" {
		dockerRun("--name", r.ns+"-t4", "--cap-add", "SYS_ADMIN", "--device", disk, r.image, "sleep", "300")
	}
	dockerRun("--name", r.ns+"-t3", "-v", r.dir+":/var/run:ro", r.image, "sh", "-c", "sleep 300 & sleep 300 & wait")

	// audit: Docker's defaults, and the daemon's socket mounted by name
	// and (t3) through its directory.
	dockerRun("--name", r.ns+"-default", r.image, "sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait")
	dockerRun("--name", r.ns+"-sock", "--memory", "64m", "--pids-limit", "50", "-v", r.dockerSock+":/var/run/docker.sock", r.image, "sleep", "300")
	t.Run("audit", func(t *testing.T) {
		code, out, errOut := run(t, "audit", "--window", "0", "--json", r.ns+"-default", r.ns+"-sock", r.ns+"-t3")
		if code != 0 {
			t.Fatalf("audit: exit %d, %s", code, errOut)
		}
		var fs []report.AuditFinding
		if err := json.Unmarshal([]byte(out), &fs); err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, f := range fs {
			got[f.Name] = append(got[f.Name], f.Rule+"="+string(f.Severity))
		}
		// Docker's defaults, as docs/rules.md lists them (lsm-unconfined
		// only without an AppArmor profile).
		var want []string
		for _, id := range report.DockerDefaultRules {
			if id == "lsm-unconfined" && len(opts) == 0 && apparmorOn() {
				continue
			}
			rule, _ := report.RuleByID(id)
			want = append(want, id+"="+string(rule.Severity))
		}
		slices.Sort(want)
		def := got[r.ns+"-default"]
		slices.Sort(def)
		if !slices.Equal(def, want) {
			t.Errorf("a default Docker container: %v, want %v", def, want)
		}
		if !slices.Contains(got[r.ns+"-sock"], "runtime-socket=critical") || !slices.Contains(got[r.ns+"-t3"], "runtime-socket=critical") {
			t.Errorf("docker.sock by name: %v; through /var/run: %v; want runtime-socket=critical in both", got[r.ns+"-sock"], got[r.ns+"-t3"])
		}
		if code, _, _ := run(t, "audit", "--window", "0", "--fail-on", "critical", r.ns+"-sock"); code != 3 {
			t.Errorf("audit --fail-on critical of the socket's container: exit %d, want 3", code)
		}
	})

	t.Run("docker", func(t *testing.T) {
		for _, name := range names {
			var ins []struct {
				ID         string
				Name       string
				State      struct{ Pid int }
				HostConfig struct {
					Memory     int64
					NanoCpus   int64
					PidsLimit  *int64
					CapAdd     []string
					CapDrop    []string
					Privileged bool
				}
				GraphDriver struct{ Data map[string]string }
				Mounts      []struct {
					Type, Source, Destination string
					RW                        bool
				}
			}
			if err := json.Unmarshal([]byte(r.docker(t, "inspect", name)), &ins); err != nil || len(ins) != 1 {
				t.Fatalf("docker inspect %s: %v", name, err)
			}
			d := ins[0]
			r.pids = append(r.pids, d.State.Pid)
			// By each of the names docker accepts: the name, .Name, the
			// short id.
			for _, ref := range []string{name, d.Name, d.ID[:12]} {
				doc := pidJSON(t, ref)
				r.compare(t, "docker", ref+": State.Pid", doc["pid"], d.State.Pid)
			}
			doc := pidJSON(t, name)
			r.compare(t, "docker", name+": Name", "/"+fmt.Sprint(get(t, doc, "runtime.containerName")), d.Name)
			r.compare(t, "docker", name+": Id", get(t, doc, "runtime.containerId"), d.ID)
			r.compare(t, "docker", name+": runtime", get(t, doc, "runtime.name"), "docker")
			mem := any(nil)
			if d.HostConfig.Memory > 0 {
				mem = float64(d.HostConfig.Memory)
			}
			r.compare(t, "docker", name+": HostConfig.Memory", get(t, doc, "cgroup.memory.limitBytes"), mem)
			nano := int64(0)
			if q, ok := get(t, doc, "cgroup.cpu.quotaMicros").(float64); ok {
				nano = int64(q * 1e9 / get(t, doc, "cgroup.cpu.periodMicros").(float64))
			}
			r.compare(t, "docker", name+": HostConfig.NanoCpus", nano, d.HostConfig.NanoCpus)
			pids := any(nil)
			if l := d.HostConfig.PidsLimit; l != nil && *l > 0 {
				pids = float64(*l)
			}
			r.compare(t, "docker", name+": HostConfig.PidsLimit", get(t, doc, "cgroup.pids.max"), pids)
			r.compare(t, "docker", name+": HostConfig.Privileged", get(t, doc, "capabilities.privileged"), d.HostConfig.Privileged)
			if !d.HostConfig.Privileged {
				// nsinspect lists capabilities in bit order, docker as given.
				slices.Sort(d.HostConfig.CapAdd)
				slices.Sort(d.HostConfig.CapDrop)
				added, dropped := strs(get(t, doc, "capabilities.addedVsDocker")), strs(get(t, doc, "capabilities.droppedVsDocker"))
				slices.Sort(added)
				slices.Sort(dropped)
				r.compare(t, "docker", name+": HostConfig.CapAdd", added, d.HostConfig.CapAdd)
				r.compare(t, "docker", name+": HostConfig.CapDrop", dropped, d.HostConfig.CapDrop)
			}
			var lower []string
			for _, l := range strs(get(t, doc, "rootfs.lowerDirs")) {
				lower = append(lower, realPath(l))
			}
			var want []string
			for _, l := range strings.Split(d.GraphDriver.Data["LowerDir"], ":") {
				want = append(want, realPath(l))
			}
			r.compare(t, "docker", name+": GraphDriver.Data.LowerDir", lower, want)
			r.compare(t, "docker", name+": GraphDriver.Data.UpperDir", get(t, doc, "rootfs.upperDir"), d.GraphDriver.Data["UpperDir"])
			// Mounts: the host directory holding docker.sock is flagged
			// at its destination, with its source.
			for _, m := range d.Mounts {
				found := false
				for _, n := range get(t, doc, "rootfs.notable").([]any) {
					n := n.(map[string]any)
					// mountpoint is the socket's path in the container
					if n["kind"] == "runtime-socket" && strings.HasPrefix(fmt.Sprint(n["mountpoint"]), m.Destination+"/") {
						found = true
					}
				}
				sock := m.Source == r.dir
				r.compare(t, "docker", name+": Mounts "+m.Destination+" flagged as a runtime socket", found, sock)
			}
		}
		// ps lists the three by name, with docker's pid.
		for _, name := range names {
			row := psRow(t, "name", name)
			if row == nil {
				t.Errorf("ps has no row %s", name)
				continue
			}
			pid, _ := strconv.Atoi(r.docker(t, "inspect", "-f", "{{.State.Pid}}", name))
			r.compare(t, "docker", "ps "+name+": pid", row["pid"], pid)
			r.compare(t, "docker", "ps "+name+": runtime", row["runtime"], "docker")
			r.compare(t, "docker", "ps "+name+": image", row["image"], r.docker(t, "inspect", "-f", "{{.Config.Image}}", name))
		}
	})

	t.Run("docker-sys-admin-with-a-disk", func(t *testing.T) {
		if disk == "" {
			t.Skip("this machine has no disk to give a container")
		}
		doc := pidJSON(t, r.ns+"-t4")
		if get(t, doc, "capabilities.privileged") != true || !strings.Contains(fmt.Sprint(get(t, doc, "capabilities.privilegedReason")), disk) {
			t.Errorf("--cap-add SYS_ADMIN --device %s: privileged %v (%v), want true naming %s", disk, get(t, doc, "capabilities.privileged"), get(t, doc, "capabilities.privilegedReason"), disk)
		}
	})

	t.Run("docker-stats", func(t *testing.T) {
		// MEM USAGE within 5 %, PIDS equal, for each container. A
		// container's memory still moves for a while after it started
		// (the runtime's setup pages are uncharged), so docker stats is
		// read before and after nsinspect, and nsinspect's reading must
		// lie within 5 % of the range the two span.
		dockerStats := func() map[string][2]float64 {
			out := map[string][2]float64{}
			for _, l := range strings.Split(r.docker(t, "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}\t{{.PIDs}}"), "\n") {
				f := strings.Split(l, "\t")
				if len(f) != 3 {
					t.Fatalf("docker stats line %q", l)
				}
				usage, err := dockerSize(strings.TrimSpace(strings.Split(f[1], "/")[0]))
				if err != nil {
					t.Fatal(err)
				}
				pids, _ := strconv.Atoi(f[2])
				out[f[0]] = [2]float64{usage, float64(pids)}
			}
			return out
		}
		before := dockerStats()
		code, out, errOut := run(t, "stats", "--no-stream", "--json")
		if code != 0 {
			t.Fatalf("stats --no-stream --json: exit %d: %s", code, errOut)
		}
		after := dockerStats()
		byName := map[string]map[string]any{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var s map[string]any
			if err := json.Unmarshal([]byte(l), &s); err != nil {
				t.Fatalf("stats line %q: %v", l, err)
			}
			byName[fmt.Sprint(s["name"])] = s
		}
		for name, b := range before {
			a, ok := after[name]
			s := byName[name]
			if !ok || s == nil {
				t.Errorf("stats has no %s", name)
				continue
			}
			lo, hi := min(a[0], b[0]), max(a[0], b[0])
			got, _ := s["memUsageBytes"].(float64)
			within := got >= lo*0.95 && got <= hi*1.05
			if !within {
				t.Logf("%s: nsinspect memUsageBytes %v, docker stats MEM USAGE %v before and %v after", name, got, b[0], a[0])
			}
			r.compare(t, "docker", name+": docker stats MEM USAGE within 5 %", within, true)
			if a[1] == b[1] {
				r.compare(t, "docker", name+": docker stats PIDS", s["pids"], b[1])
			}
		}
	})

	t.Run("containerd", func(t *testing.T) {
		// ctr's ids are free-form: ctr1 lives in /<namespace>/ctr1.
		id := "ctr1"
		r.ctr(t, "run", "-d", "--memory-limit", "33554432", "--rootfs", r.rootfs, id, "/bin/sleep", "300")
		var pid int
		for _, l := range strings.Split(r.ctr(t, "tasks", "ls"), "\n")[1:] {
			if f := strings.Fields(l); len(f) == 3 && f[0] == id {
				pid, _ = strconv.Atoi(f[1])
			}
		}
		if pid == 0 {
			t.Fatalf("ctr tasks ls has no %s", id)
		}
		r.pids = append(r.pids, pid)
		row := psRow(t, "name", id)
		if row == nil {
			t.Fatalf("ps has no row %s", id)
		}
		r.compare(t, "containerd", "ps: ctr tasks PID", row["pid"], pid)
		r.compare(t, "containerd", "ps: runtime", row["runtime"], "containerd")
		r.compare(t, "containerd", "ps: id", row["id"], id)
		r.compare(t, "containerd", "ps: --memory-limit", get(t, row, "memory.limitBytes"), 33554432)
		doc := pidJSON(t, id)
		r.compare(t, "containerd", "pid: ctr tasks PID", doc["pid"], pid)
		r.compare(t, "containerd", "pid: namespace", get(t, doc, "runtime.namespace"), r.ns)
		r.compare(t, "containerd", "pid: containerName", get(t, doc, "runtime.containerName"), id)
		r.compare(t, "containerd", "pid: --memory-limit", get(t, doc, "cgroup.memory.limitBytes"), 33554432)
	})

	t.Run("runc", func(t *testing.T) {
		bundle := filepath.Join(r.dir, "bundle")
		os.MkdirAll(bundle, 0o755)
		if out, err := exec.Command("runc", "spec", "--bundle", bundle).CombinedOutput(); err != nil {
			t.Fatalf("runc spec: %v %s", err, out)
		}
		raw, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
		var spec map[string]any
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		process := spec["process"].(map[string]any)
		process["args"], process["terminal"] = []string{"/bin/sleep", "300"}, false
		spec["root"] = map[string]any{"path": r.rootfs, "readonly": true}
		spec["linux"].(map[string]any)["resources"] = map[string]any{"pids": map[string]any{"limit": 20}}
		raw, _ = json.Marshal(spec)
		os.WriteFile(filepath.Join(bundle, "config.json"), raw, 0o644)

		// Detached in runc's default root, and in the foreground with a
		// --root of its own, found through the running runc.
		detached, fg := r.ns+"-web", r.ns+"-fg"
		logf, err := os.Create(filepath.Join(r.dir, "runc.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		start := exec.Command("runc", "run", "-d", "--bundle", bundle, detached)
		start.Stdout, start.Stderr = logf, logf
		if err := start.Run(); err != nil {
			t.Fatalf("runc run -d: %v", err)
		}
		root := filepath.Join(r.dir, "runc-root")
		front := exec.Command("runc", "--root", root, "run", "--bundle", bundle, fg)
		front.Stdout, front.Stderr = logf, logf
		if err := front.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			exec.Command("runc", "--root", root, "kill", fg, "KILL").Run()
			front.Wait()
		})
		state := func(root, id string) int {
			for range 100 {
				args := []string{"state", id}
				if root != "" {
					args = append([]string{"--root", root}, args...)
				}
				out, err := exec.Command("runc", args...).Output()
				var st struct {
					Pid    int
					Status string
				}
				if err == nil && json.Unmarshal(out, &st) == nil && st.Status == "running" {
					return st.Pid
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("runc state %s never says running", id)
			return 0
		}
		for _, c := range []struct{ root, id string }{{"", detached}, {root, fg}} {
			pid := state(c.root, c.id)
			r.pids = append(r.pids, pid)
			var list []struct {
				ID     string
				Pid    int
				Status string
			}
			args := []string{"list", "--format", "json"}
			if c.root != "" {
				args = append([]string{"--root", c.root}, args...)
			}
			out, err := exec.Command("runc", args...).Output()
			if err != nil || json.Unmarshal(out, &list) != nil {
				t.Fatalf("runc list: %v %s", err, out)
			}
			i := slices.IndexFunc(list, func(e struct {
				ID     string
				Pid    int
				Status string
			}) bool {
				return e.ID == c.id
			})
			if i < 0 {
				t.Fatalf("runc list has no %s", c.id)
			}
			row := psRow(t, "name", c.id)
			if row == nil {
				t.Errorf("ps has no row %s", c.id)
				continue
			}
			r.compare(t, "runc", c.id+": runc list pid", row["pid"], list[i].Pid)
			r.compare(t, "runc", c.id+": runc state pid", row["pid"], pid)
			r.compare(t, "runc", c.id+": ps runtime", row["runtime"], "runc")
			r.compare(t, "runc", c.id+": ps id", row["id"], c.id)
			r.compare(t, "runc", c.id+": pids limit", get(t, row, "pids.max"), 20)
			doc := pidJSON(t, c.id)
			r.compare(t, "runc", c.id+": pid", doc["pid"], pid)
			r.compare(t, "runc", c.id+": runtime.name", get(t, doc, "runtime.name"), "runc")
			r.compare(t, "runc", c.id+": rootfs.readOnly", get(t, doc, "rootfs.readOnly"), true)
		}
	})

	for _, rt := range []string{"docker", "containerd", "runc"} {
		n := r.tally[rt]
		t.Logf("%s: %d of %d compared values equal", rt, n[1], n[0])
	}
}

// apparmorOn reports whether the kernel has AppArmor on.
func apparmorOn() bool {
	b, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return strings.TrimSpace(string(b)) == "Y"
}
