package main

import (
	"bytes"
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
	"syscall"
	"testing"
	"time"
)

// TestLiveDaemonSetLayout runs the exporter as deploy/kubernetes runs it:
// inside a container (nsinspect run) sharing only the host's pid
// namespace, with nothing but CAP_SYS_PTRACE, a read-only root, and the
// host's /proc, cgroupfs and state directories bind-mounted read-only
// under /host. Docker containers of a private dockerd must carry their
// names, and a Kubernetes-shaped container (a kubepods cgroup, kubelet's
// log names) its pod, namespace and container. The network is the
// container's own, as a pod's: the test scrapes from inside with
// nsinspect exec. Last, nsinspect audit judges the exporter's container.
func TestLiveDaemonSetLayout(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live DaemonSet layout test skipped: containers and cgroups need root")
	}
	for _, bin := range []string{"dockerd", "docker", "containerd", "runc", "busybox"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("live DaemonSet layout test skipped: %s is not installed (apt-get install docker.io containerd runc busybox-static; .ci/run does)", bin)
		}
	}
	containerLock(t)
	b := make([]byte, 4)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	dir := t.TempDir()
	nsi := build(t, dir, "../nsinspect", "nsinspect")
	exporter := build(t, dir, ".", "nsinspect-exporter")

	dk := privateDocker(t, tag)
	web := "nsx-web-" + tag
	// dockerd loads its docker-default AppArmor profile with
	// apparmor_parser where the kernel has AppArmor on (the VM guests'
	// Debian kernel) and refuses to start the container without it.
	var opts []string
	if b, _ := os.ReadFile("/sys/module/apparmor/parameters/enabled"); strings.TrimSpace(string(b)) == "Y" {
		if _, err := exec.LookPath("apparmor_parser"); err != nil {
			opts = []string{"--security-opt", "apparmor=unconfined"}
		}
	}
	dk.docker(t, append(append([]string{"run", "-d", "--name", web, "--memory", "64m"}, opts...), dk.image, "sleep", "1d")...)

	// A container beside the exporter's: both in /nsinspect/, so the
	// kernel shows its cgroup to the exporter as "/../<id>", up to the
	// ancestor they share only, which the exporter must place under the
	// host's cgroupfs and label with its host path.
	sib := "nsx-sib-" + tag
	t.Cleanup(func() { exec.Command(nsi, "rm", "-f", sib).Run() })
	sibOut, err := exec.Command(nsi, "run", "-d", "--name", sib, "--memory", "32m", "--", "sleep", "1d").Output()
	if err != nil {
		t.Fatalf("nsinspect run %s: %v", sib, err)
	}
	sibID := strings.TrimSpace(string(sibOut))

	// The Kubernetes-shaped container: a process in new namespaces in a
	// cgroupfs-driver kubelet cgroup, and kubelet's names for it in a
	// state root of the test's own (the host's /var/log is not touched).
	uid := "6f1c2b9e-8a4d-4c1e-9b3a-" + tag + "0000"
	id := strings.Repeat(tag, 8)
	k8s := newKubeCgroup(t, "nsx-k8s-"+tag+"/kubepods/burstable/pod"+uid+"/"+id)
	state := filepath.Join(dir, "state")
	pods := filepath.Join(state, "var/log/pods", "shop_cart-7d4b9_"+uid)
	logs := filepath.Join(state, "var/log/containers")
	for _, d := range []string{filepath.Join(pods, "app"), logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join("/var/log/pods", "shop_cart-7d4b9_"+uid, "app/0.log"), filepath.Join(logs, "cart-7d4b9_shop_app-"+id+".log")); err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "1d")
	sleeper.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sleeper.Process.Kill(); sleeper.Wait() })
	k8s.join(t, sleeper.Process.Pid)

	exp := "nsx-exporter-" + tag
	port := strings.TrimPrefix(freeAddr(t), "127.0.0.1:")
	t.Cleanup(func() { exec.Command(nsi, "rm", "-f", exp).Run() })
	args := []string{"run", "-d", "--name", exp, "--pid", "host", "--cap-drop", "ALL", "--cap-add", "SYS_PTRACE", "--read-only",
		"--memory", "64m", "--cpus", "0.25",
		"-v", "/proc:/host/proc:ro",
		"-v", "/sys/fs/cgroup:/host/sys/fs/cgroup:ro",
		"-v", dk.dataRoot + "/containers:/host" + dk.dataRoot + "/containers:ro",
		// The DaemonSet's /run/containerd/io.containerd.runtime.v2.task:
		// this dockerd's containerd keeps its tasks under its exec root.
		"-v", dk.taskDir() + ":/host" + dk.taskDir() + ":ro",
		"-v", state + "/var/log/pods:/host/var/log/pods:ro",
		"-v", state + "/var/log/containers:/host/var/log/containers:ro",
		"-v", filepath.Dir(exporter) + ":/opt/nsinspect:ro",
		"--", "/opt/nsinspect/nsinspect-exporter", "--web.listen-address", "127.0.0.1:" + port,
		"--path.procfs", "/host/proc", "--path.sysfs", "/host/sys", "--path.rootfs", "/host"}
	if out, err := exec.Command(nsi, args...).CombinedOutput(); err != nil {
		t.Fatalf("nsinspect %s: %v %s", strings.Join(args, " "), err, out)
	}

	// Scraped from inside the exporter's network namespace, as a pod's
	// Prometheus reaches it over the pod network.
	var metrics string
	want := []string{
		fmt.Sprintf(`container_spec_memory_limit_bytes{container="",id="%s",image=%q,name=%q,namespace="",pod="",runtime="docker"} 6.7108864e+07`, dk.cgroup(t, web), dk.image, web),
		fmt.Sprintf(`container_processes{container="app",id="/nsx-k8s-%s/kubepods/burstable/pod%s/%s",image="",name="shop/cart-7d4b9/app",namespace="shop",pod="cart-7d4b9",runtime="kubernetes"} 1`, tag, uid, id),
		fmt.Sprintf(`nsinspect_container_info{container="",host_net="false",host_pid="false",id="%s",image=%q,name=%q,namespace="",pod="",privileged="false",runtime="docker",seccomp="filter",user_namespace="false"} 1`, dk.cgroup(t, web), dk.image, web),
		// the sibling, by its host path (its name is in /run/nsinspect,
		// which the DaemonSet's layout does not mount: the short id)
		fmt.Sprintf(`container_spec_memory_limit_bytes{container="",id="/nsinspect/%s",image="",name=%q,namespace="",pod="",runtime="nsinspect"} 3.3554432e+07`, sibID, sibID[:12]),
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := exec.Command(nsi, "exec", exp, "busybox", "wget", "-qO-", "http://127.0.0.1:"+port+"/metrics").CombinedOutput()
		metrics = string(out)
		missing := 0
		for _, w := range want {
			if !strings.Contains(metrics, w) {
				missing++
			}
		}
		if err == nil && missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			logs, _ := exec.Command(nsi, "logs", exp).CombinedOutput()
			for _, w := range want {
				if !strings.Contains(metrics, w) {
					t.Errorf("no series %s", w)
				}
			}
			t.Fatalf("scrape from inside: %v; exporter's log:\n%s\nmetrics (%d bytes), lines naming the test:\n%s", err, logs, len(metrics), grepLines(metrics, tag))
		}
		time.Sleep(300 * time.Millisecond)
	}
	// The exporter read what it reads through the mounts it was given:
	// no section failed for want of a privilege.
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "nsinspect_scrape_errors_total{") && !strings.HasSuffix(l, " 0") && !strings.Contains(l, `section="oom-watch"`) {
			t.Errorf("scrape errors in the DaemonSet layout: %s", l)
		}
	}

	// The exporter's own container under nsinspect audit: what the
	// layout is for (the host's pid namespace, CAP_SYS_PTRACE, the host's
	// /proc and cgroupfs read-only) is reported for what it is, and
	// nothing it could avoid is found: no runtime socket, no host root,
	// no writable host directory or kernel interface, no missing limit or
	// filter. docs/exporter.md lists these findings as the accepted ones.
	out, _ := exec.Command(nsi, "audit", exp, "--window", "0", "--json").Output()
	var findings []struct{ Rule, Severity, Summary string }
	if err := json.Unmarshal(out, &findings); err != nil {
		t.Fatalf("audit --json: %v %s", err, out)
	}
	got := map[string]string{}
	var sensitive []string
	for _, f := range findings {
		got[f.Rule] = f.Severity
		if f.Rule == "host-sensitive" {
			sensitive = append(sensitive, f.Summary)
		}
	}
	wantRules := map[string]string{"cap-sys-ptrace": "critical", "host-pid": "warn", "host-sensitive": "warn", "lsm-unconfined": "info", "root-without-userns": "info"}
	if fmt.Sprint(got) != fmt.Sprint(wantRules) {
		t.Errorf("audit of the exporter's container: %v, want exactly %v\n%s", got, wantRules, out)
	}
	slices.Sort(sensitive)
	wantSensitive := []string{"The host's /proc is mounted at /host/proc, read-only"}
	// On a v1 or hybrid host /sys/fs/cgroup is a tmpfs, a host directory
	// like any; on v2 it is the cgroup2 filesystem itself, which
	// host-sensitive leaves to cap-sys-admin and privileged (rules.md).
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		wantSensitive = append(wantSensitive, "The host's /sys/fs/cgroup is mounted at /host/sys/fs/cgroup, read-only")
	}
	if !slices.Equal(sensitive, wantSensitive) {
		t.Errorf("host-sensitive findings %q, want exactly %q", sensitive, wantSensitive)
	}
}

// grepLines is the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// kubeCgroup is one cgroup made by the test, in every hierarchy the
// exporter reads, removed (deepest first) when the test ends.
type kubeCgroup struct{ procs []string }

func newKubeCgroup(t *testing.T, rel string) *kubeCgroup {
	var roots []string
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		roots = []string{"/sys/fs/cgroup"}
	} else {
		for _, c := range []string{"memory", "cpu", "cpuacct", "pids", "blkio"} {
			if _, err := os.Stat("/sys/fs/cgroup/" + c + "/cgroup.procs"); err == nil {
				roots = append(roots, "/sys/fs/cgroup/"+c)
			}
		}
	}
	cg := &kubeCgroup{}
	for _, root := range roots {
		var made []string
		for d := filepath.Join(root, rel); d != root; d = filepath.Dir(d) {
			if _, err := os.Stat(d); err == nil {
				break
			}
			made = append(made, d)
		}
		t.Cleanup(func() {
			for _, d := range made { // deepest first
				var err error
				for range 50 {
					if err = os.Remove(d); err == nil || os.IsNotExist(err) {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if err != nil && !os.IsNotExist(err) {
					t.Errorf("removing test cgroup %s: %v", d, err)
				}
			}
		})
		if root == "/sys/fs/cgroup" {
			// v2: the controllers are enabled down to the leaf's parent
			os.WriteFile(root+"/cgroup.subtree_control", []byte("+memory +cpu +pids +io"), 0)
			parts := strings.Split(rel, "/")
			for i := 1; i < len(parts); i++ {
				d := filepath.Join(root, filepath.Join(parts[:i]...))
				os.MkdirAll(d, 0o755)
				os.WriteFile(d+"/cgroup.subtree_control", []byte("+memory +cpu +pids +io"), 0)
			}
		}
		if err := os.MkdirAll(filepath.Join(root, rel), 0o755); err != nil {
			t.Fatal(err)
		}
		cg.procs = append(cg.procs, filepath.Join(root, rel, "cgroup.procs"))
	}
	return cg
}

func (cg *kubeCgroup) join(t *testing.T, pid int) {
	for _, p := range cg.procs {
		if err := os.WriteFile(p, []byte(strconv.Itoa(pid)), 0); err != nil {
			t.Fatalf("moving %d into %s: %v", pid, p, err)
		}
	}
}

// dockerd is a private Docker daemon: its socket, data root and exec
// root under one temp directory, stopped by pid when the test ends,
// with its containers removed first.
type dockerd struct {
	sock, dataRoot, image string
}

func (d *dockerd) docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", append([]string{"-H", "unix://" + d.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// cgroup is the container's cgroup path as the exporter's id label has it.
func (d *dockerd) cgroup(t *testing.T, name string) string {
	return d.cgroupParent() + "/" + d.docker(t, "inspect", "-f", "{{.Id}}", name)
}

// taskDir is where the containerd this dockerd starts keeps its tasks.
func (d *dockerd) taskDir() string {
	return filepath.Join(filepath.Dir(d.dataRoot), "exec", "containerd", "daemon", "io.containerd.runtime.v2.task")
}

func (d *dockerd) cgroupParent() string {
	return "/nsx-docker-" + filepath.Base(filepath.Dir(d.dataRoot))[len("nsx-dk-"):]
}

func privateDocker(t *testing.T, tag string) *dockerd {
	// Short: a unix socket path holds at most 107 bytes.
	dir := filepath.Join("/tmp", "nsx-dk-"+tag)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	d := &dockerd{sock: filepath.Join(dir, "docker.sock"), dataRoot: filepath.Join(dir, "root"), image: "busybox:nsx-" + tag}
	// What dockerd and its containerd make on the host when missing goes
	// again if this test made it.
	var made []string
	for _, p := range []string{"/run/containerd", "/run/docker", "/run/runc"} {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			made = append(made, p)
		}
	}
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dockerd", "--data-root", d.dataRoot, "--exec-root", filepath.Join(dir, "exec"),
		"-H", "unix://"+d.sock, "--pidfile", filepath.Join(dir, "docker.pid"), "--cgroup-parent", d.cgroupParent(),
		"--bridge=none", "--iptables=false", "--ip-masq=false", "--ip6tables=false")
	cmd.Stdout, cmd.Stderr = log, log
	// containerd writes a stack dump to $TMPDIR when it gets SIGUSR1,
	// which dockerd sends it when a health check fails on a loaded
	// machine: into this daemon's directory, removed with it, not /tmp.
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); log.Close(); close(done) }()
	t.Cleanup(func() {
		if ids, err := exec.Command("docker", "-H", "unix://"+d.sock, "ps", "-aq").Output(); err == nil {
			for _, id := range strings.Fields(string(ids)) {
				exec.Command("docker", "-H", "unix://"+d.sock, "rm", "-f", id).Run()
			}
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("dockerd did not stop on SIGTERM in 30 s; killing it")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("dockerd's log (tail):\n%s", tail(b, 40))
		}
		for _, p := range made {
			os.RemoveAll(p)
		}
		for _, c := range []string{"memory", "cpu", "cpuacct", "pids", "blkio", "devices", "freezer", "cpuset", "systemd", "unified", ""} {
			os.Remove(filepath.Join("/sys/fs/cgroup", c, d.cgroupParent()))
		}
		exec.Command("umount", "-R", dir).Run()
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if fi, err := os.Stat(d.sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if exec.Command("docker", "-H", "unix://"+d.sock, "version").Run() == nil {
				break
			}
		}
		if i == 300 {
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("dockerd did not answer in 30 s; log:\n%s", tail(b, 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The image: busybox alone, imported (no registry here).
	root := filepath.Join(dir, "image")
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	bb, _ := exec.LookPath("busybox")
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "bin/busybox"), data, 0o755)
	for _, a := range []string{"sh", "sleep"} {
		os.Symlink("busybox", filepath.Join(root, "bin", a))
	}
	imp := exec.Command("sh", "-c", fmt.Sprintf("tar -C %s -c . | docker -H unix://%s import - %s", root, d.sock, d.image))
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v %s", err, out)
	}
	return d
}

func tail(b []byte, n int) []byte {
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}
