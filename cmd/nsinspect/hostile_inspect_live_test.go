package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect/fixture"
)

// Live tests of nsinspect beside hostile containers: a process in its own
// pid and mount namespaces, chrooted into a test-made busybox tree whose
// marker files are a FIFO or symlinks that point out of the tree. The
// binary is run as a whole process under a generous timeout, a hang guard
// only: a command that blocked on such a file is killed and the test
// fails, and no wall time is asserted.

// hostileGuard is how long an nsinspect command may take before the test
// calls it hung; it returns in milliseconds when it works.
const hostileGuard = 60 * time.Second

// hostileTree makes a root for a chrooted process: busybox as /bin/sleep,
// an empty /run and /etc.
func hostileTree(t *testing.T) string {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("live test skipped: needs a static busybox (apt-get install busybox-static)")
	}
	if out, _ := exec.Command("file", "-L", busybox).Output(); len(out) > 0 && !bytes.Contains(out, []byte("statically linked")) {
		t.Skipf("live test skipped: %s is not statically linked (install busybox-static)", busybox)
	}
	dir := t.TempDir()
	for _, d := range []string{"bin", "run", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", filepath.Join(dir, "bin", "sleep")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hostFile writes a file of the host, outside every container root, that a
// container must not be able to make nsinspect read.
func hostFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host-secret")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// startChrooted starts `unshare --fork --pid --mount --kill-child` running
// /bin/sleep chrooted into dir, after joining the given cgroup.procs files
// (writing 0 moves the writer), and returns the pid of sleep: PID 1 of its
// namespace, whose root is dir. Cleanup kills both processes it started.
func startChrooted(t *testing.T, dir string, cgroupProcs []string) int {
	t.Helper()
	for _, tool := range []string{"unshare", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("live test skipped: %s not installed", tool)
		}
	}
	script := `for f in $NSI_CGROUPS; do echo 0 > "$f" || exit 3; done; exec chroot "$0" /bin/sleep 120`
	cmd := exec.Command("unshare", "--fork", "--pid", "--mount", "--kill-child", "sh", "-c", script, dir)
	cmd.Env = append(os.Environ(), "NSI_CGROUPS="+strings.Join(cgroupProcs, " "))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting unshare: %v", err)
	}
	child := 0
	t.Cleanup(func() {
		// Killing the chrooted sleep (PID 1 of its namespace) lets unshare
		// reap it and exit; unshare is killed too should it linger. Once
		// unshare is waited for, neither process is left.
		waited := make(chan struct{})
		go func() { cmd.Wait(); close(waited) }()
		if child > 0 {
			syscall.Kill(child, syscall.SIGKILL)
		} else {
			cmd.Process.Kill()
		}
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-waited
		}
	})
	children := fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(children)
		f := strings.Fields(string(b))
		if len(f) != 1 {
			continue
		}
		child, _ = strconv.Atoi(f[0])
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", child))
		root, _ := os.Readlink(fmt.Sprintf("/proc/%d/root", child))
		if string(comm) == "sleep\n" && root == dir {
			return child
		}
	}
	t.Fatalf("the chrooted sleep (child of unshare %d) never started", cmd.Process.Pid)
	return 0
}

// runGuarded runs the nsinspect binary under the hang guard and returns
// its exit code and output.
func runGuarded(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileGuard)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	t.Logf("nsinspect %s: %v", strings.Join(args, " "), time.Since(start))
	if ctx.Err() != nil {
		t.Fatalf("nsinspect %s did not return within %v (hung on a file the container controls?); killed. stderr: %s", strings.Join(args, " "), hostileGuard, errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running nsinspect %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// A process whose cgroup no runtime claims is told by its marker files;
// they are the container's, and nsinspect pid must read them inside its
// root, never block on them, and say why one was not used.
func TestLiveHostileMarkersPid(t *testing.T) {
	requireRoot(t)
	bin := buildBinary(t)
	secret := hostFile(t, "name=\"hostleak\"\nid=\"hostleak\"\n")
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		check func(t *testing.T, pid int, doc map[string]any, out string)
	}{
		{"containerenv links to /etc/hostname", func(t *testing.T, dir string) {
			symlink(t, "/etc/hostname", filepath.Join(dir, "run/.containerenv"))
		}, func(t *testing.T, pid int, doc map[string]any, out string) {
			// The host has /etc/hostname, the container's root has not.
			if rt := get(t, doc, "runtime.name"); rt != "unknown" {
				t.Errorf("runtime.name %v, want unknown: the link resolves inside the container's root, where there is no /etc/hostname", rt)
			}
		}},
		{"containerenv links to a host file whose path the root also has", func(t *testing.T, dir string) {
			symlink(t, secret, filepath.Join(dir, "run/.containerenv"))
			os.MkdirAll(filepath.Join(dir, filepath.Dir(secret)), 0o755)
			if err := os.WriteFile(filepath.Join(dir, secret), []byte("name=\"inroot\"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, pid int, doc map[string]any, out string) {
			if strings.Contains(out, "hostleak") {
				t.Errorf("the report holds the host file's content:\n%s", out)
			}
			if rt, name := get(t, doc, "runtime.name"), get(t, doc, "runtime.containerName"); rt != "podman" || name != "inroot" {
				t.Errorf("runtime %v named %v, want podman named inroot (the file at that path inside the root)", rt, name)
			}
		}},
		{"dockerenv links to a host file", func(t *testing.T, dir string) {
			symlink(t, secret, filepath.Join(dir, ".dockerenv"))
		}, func(t *testing.T, pid int, doc map[string]any, out string) {
			if rt := get(t, doc, "runtime.name"); rt != "unknown" {
				t.Errorf("runtime.name %v, want unknown: /.dockerenv resolves inside the root, where the target is missing", rt)
			}
		}},
		{"containerenv is a fifo", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "run/.containerenv"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, pid int, doc map[string]any, out string) {
			if rt := get(t, doc, "runtime.name"); rt != "unknown" {
				t.Errorf("runtime.name %v, want unknown", rt)
			}
			want := fmt.Sprintf("reading /proc/%d/root/run/.containerenv: not a regular file (fifo)", pid)
			found := false
			for _, e := range get(t, doc, "errors").([]any) {
				e := e.(map[string]any)
				found = found || (e["section"] == "runtime" && e["error"] == want)
			}
			if !found {
				errs, _ := json.Marshal(get(t, doc, "errors"))
				t.Errorf(".errors = %s, want a runtime entry %q", errs, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := hostileTree(t)
			tt.setup(t, dir)
			cg := newTestCgroup(t) // a cgroup no runtime pattern claims
			pid := startChrooted(t, dir, cg.procs)
			code, out, errOut := runGuarded(t, bin, "pid", strconv.Itoa(pid), "--json")
			if code != 0 {
				t.Fatalf("nsinspect pid %d --json: exit %d: %s", pid, code, errOut)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("decoding JSON: %v\n%s", err, out)
			}
			tt.check(t, pid, doc, out)
		})
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// ps and stats name podman containers from the /run/.containerenv in each
// one's root: a FIFO there must not hang them, a link must not name the
// container from a host file.
func TestLiveHostileContainersPsStats(t *testing.T) {
	requireRoot(t)
	bin := buildBinary(t)
	secret := hostFile(t, "name=\"hostleak\"\n")
	stamp := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	fifoID, linkID := strings.Repeat("f1", 32), strings.Repeat("e2", 32)

	fifoDir := hostileTree(t)
	if err := syscall.Mkfifo(filepath.Join(fifoDir, "run/.containerenv"), 0o644); err != nil {
		t.Fatal(err)
	}
	linkDir := hostileTree(t)
	symlink(t, secret, filepath.Join(linkDir, "run/.containerenv"))
	os.MkdirAll(filepath.Join(linkDir, filepath.Dir(secret)), 0o755)
	if err := os.WriteFile(filepath.Join(linkDir, secret), []byte("name=\"inroot\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Cgroups shaped like podman's (cgroupfs driver), so each process is a
	// podman container whose init is the chrooted sleep.
	startChrooted(t, fifoDir, newTestCgroupAt(t, "hostile-"+stamp+"/libpod-"+fifoID, "").procs)
	startChrooted(t, linkDir, newTestCgroupAt(t, "hostile-"+stamp+"/libpod-"+linkID, "").procs)
	want := map[string]string{fifoID: fifoID[:12], linkID: "inroot"}

	t.Run("ps --all", func(t *testing.T) {
		code, out, errOut := runGuarded(t, bin, "ps", "--all", "--json")
		if code != 0 {
			t.Fatalf("ps --all --json: exit %d: %s", code, errOut)
		}
		var rows []map[string]any
		if err := json.Unmarshal([]byte(out), &rows); err != nil {
			t.Fatalf("decoding ps --json: %v", err)
		}
		checkHostileNames(t, "ps --all", out, rows, want)
	})
	t.Run("stats --no-stream", func(t *testing.T) {
		code, out, errOut := runGuarded(t, bin, "stats", "--no-stream", "--json", "--interval", "100ms")
		if code != 0 {
			t.Fatalf("stats --no-stream --json: exit %d: %s", code, errOut)
		}
		var rows []map[string]any
		for dec := json.NewDecoder(strings.NewReader(out)); ; {
			var r map[string]any
			if err := dec.Decode(&r); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("decoding stats --json: %v\n%s", err, out)
			}
			rows = append(rows, r)
		}
		checkHostileNames(t, "stats --no-stream", out, rows, want)
	})
}

func checkHostileNames(t *testing.T, cmd, out string, rows []map[string]any, want map[string]string) {
	t.Helper()
	if strings.Contains(out, "hostleak") {
		t.Errorf("%s names a container from the host's file:\n%s", cmd, out)
	}
	got := map[string]any{}
	for _, r := range rows {
		if id, _ := r["id"].(string); want[id] != "" {
			got[id] = r["name"]
		}
	}
	for id, name := range want {
		if got[id] != name {
			t.Errorf("%s: container %s named %v, want %s", cmd, id[:12], got[id], name)
		}
	}
}

// The Docker Engine API socket, found under the proc root's PID 1 root,
// accepts and never answers: ps still returns, naming the container by its
// short id. The host is a fixture (testdata/node-v2, whose docker container
// has no config.v2.json here) so the real /var/run/docker.sock is never
// touched; the socket and the command are real.
func TestHostileDockerSocketPs(t *testing.T) {
	procSrc, cgroupRoot := nodeRoots(t, "node-v2")
	proc, err := os.MkdirTemp("", "nsi-proc-") // a socket path is at most 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(proc) })
	entries, err := os.ReadDir(procSrc)
	if err != nil {
		t.Fatal(err)
	}
	// Every entry links to the fixture's (self keeps its relative link
	// text), except PID 1, whose tree is copied to be changed.
	for _, e := range entries {
		from, to := filepath.Join(procSrc, e.Name()), filepath.Join(proc, e.Name())
		if e.Name() == "1" {
			fixture.CopyUnescaped(t, from, to)
			continue
		}
		if e.Type()&os.ModeSymlink != 0 {
			link, _ := os.Readlink(from)
			from = link
		}
		symlink(t, from, to)
	}
	const id = "f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3"
	if err := os.RemoveAll(filepath.Join(proc, "1/root/var/lib/docker/containers", id)); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(proc, "1/root/var/run/docker.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket at %s: %v", sock, err)
	}
	var held []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accepted, never answered
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})

	bin := buildBinary(t)
	code, out, errOut := runGuarded(t, bin, "--proc-root", proc, "--cgroup-root", cgroupRoot, "ps", "--json")
	if code != 0 {
		t.Fatalf("ps --json: exit %d: %s", code, errOut)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("decoding ps --json: %v", err)
	}
	checkHostileNames(t, "ps", out, rows, map[string]string{id: id[:12]})
}
