package launch_test

// The checklist tests' part of the harness (security-notes.md §9):
// containers started through the CLI in the background, polling for a
// state a container reaches, and the host-side facts the tests assert
// (cgroup directories, state directories, processes, mounts).

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
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// dockerCaps is Docker's default capability set, in bit order, and the
// mask it makes in /proc/<pid>/status.
var dockerCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
	"CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
}

const dockerCapMask = "00000000a80425fb"

// token is a short random hex string for names and host paths a test owns.
func token(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// mustRun runs nsinspect and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := nsi(t, args...)
	if r.code != 0 {
		t.Fatalf("nsinspect %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// removeOnCleanup removes the container name when the test ends, running
// or not.
func removeOnCleanup(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() { nsiWith(t, nil, nil, "rm", "-f", name) })
}

// detach starts `run -d --name name args...` and returns the full id
// printed by run -d and the container's PID 1 as the host sees it.
func detach(t *testing.T, name string, args ...string) (id string, pid int) {
	t.Helper()
	removeOnCleanup(t, name)
	out := mustRun(t, append([]string{"run", "-d", "--name", name}, args...)...)
	id = strings.TrimSpace(out)
	if len(id) != 64 {
		t.Fatalf("run -d printed %q, want a 64-hex id", out)
	}
	return id, runningPid(t, name)
}

// runningPid waits until ps lists name as running and returns its pid.
func runningPid(t *testing.T, name string) int {
	t.Helper()
	var pid int
	waitFor(t, "container "+name+" running", func() bool {
		r := nsi(t, "ps", "--format", "{{.Pid}}", name)
		pid, _ = strconv.Atoi(strings.TrimSpace(r.stdout))
		return r.code == 0 && pid > 0
	})
	return pid
}

// containerID is the full id of a listed container.
func containerID(t *testing.T, name string) string {
	t.Helper()
	id := strings.TrimSpace(mustRun(t, "ps", "-a", "--no-trunc", "--format", "{{.ID}}", name))
	if len(id) != 64 {
		t.Fatalf("ps --format {{.ID}} %s: %q, want a 64-hex id", name, id)
	}
	return id
}

// waitFor polls cond every 10 ms for up to 60 s and fails the test if it
// never holds. The limit only bounds a hung test (generously: the VM
// guests of scripts/vm emulate their CPU); no assertion is about time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !poll(60*time.Second, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// poll reports whether cond held within d.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// launcher is a foreground `nsinspect run` started in the background, so
// a test can signal it while its container runs.
type launcher struct {
	cmd      *exec.Cmd
	out, err safeBuffer
	done     chan struct{}
	code     int
}

// startLauncher starts nsinspect with args and extra environment. The
// launcher is SIGKILLed and reaped when the test ends, if still running.
func startLauncher(t *testing.T, env []string, extra []*os.File, args ...string) *launcher {
	t.Helper()
	l := &launcher{done: make(chan struct{})}
	l.cmd = exec.Command(bin, args...)
	l.cmd.Env = append(os.Environ(), env...)
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.err
	l.cmd.ExtraFiles = extra
	if err := l.cmd.Start(); err != nil {
		t.Fatalf("starting nsinspect %v: %v", args, err)
	}
	go func() {
		err := l.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			l.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				l.code = 128 + int(ws.Signal())
			}
		}
		close(l.done)
	}()
	t.Cleanup(func() {
		select {
		case <-l.done:
		default:
			l.cmd.Process.Kill()
			<-l.done
			nsiWith(t, nil, nil, "gc") // what the killed launcher left
		}
	})
	return l
}

func (l *launcher) pid() int { return l.cmd.Process.Pid }

func (l *launcher) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := l.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling the launcher: %v", err)
	}
}

// wait returns the launcher's exit code (128+N when a signal N killed it).
func (l *launcher) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-l.done:
		return l.code
	case <-time.After(60 * time.Second):
		// SIGABRT is not one the launcher forwards: the Go runtime dumps
		// every goroutine to stderr, which says where it hangs.
		l.cmd.Process.Signal(syscall.SIGABRT)
		select {
		case <-l.done:
		case <-time.After(2 * time.Second):
		}
		t.Fatalf("the launcher did not exit; stderr:\n%s", l.err.String())
	}
	return -1
}

// stateFile is the part of /run/nsinspect/<id>/state.json the tests read.
type stateFile struct {
	ID         string `json:"id"`
	Pid        int    `json:"pid"`
	Supervisor int    `json:"supervisor"`
	Status     string `json:"status"`
	Cgroups    struct {
		V1      map[string]string `json:"v1"`
		Unified string            `json:"unified"`
	} `json:"cgroups"`
}

func readStateFile(id string) (*stateFile, error) {
	b, err := os.ReadFile(filepath.Join("/run/nsinspect", id, "state.json"))
	if err != nil {
		return nil, err
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// stateBySupervisor finds the state directory whose supervisor is pid.
func stateBySupervisor(pid int) *stateFile {
	ents, _ := os.ReadDir("/run/nsinspect")
	for _, e := range ents {
		if st, err := readStateFile(e.Name()); err == nil && st.Supervisor == pid {
			return st
		}
	}
	return nil
}

// cgroupDirs lists the container's cgroup directories left in any
// hierarchy (prefix: the id or its first 12 characters).
func cgroupDirs(prefix string) []string {
	var out []string
	for _, pattern := range []string{"/sys/fs/cgroup/*/nsinspect/" + prefix + "*", "/sys/fs/cgroup/nsinspect/" + prefix + "*"} {
		m, _ := filepath.Glob(pattern)
		out = append(out, m...)
	}
	return out
}

// assertNothingLeft checks, explicitly, that a container with this id (or
// id prefix) has neither cgroup directories nor a state directory left.
func assertNothingLeft(t *testing.T, prefix string) {
	t.Helper()
	if dirs := cgroupDirs(prefix); len(dirs) > 0 {
		t.Errorf("cgroups left for %s: %v", prefix, dirs)
	}
	if m, _ := filepath.Glob("/run/nsinspect/" + prefix + "*"); len(m) > 0 {
		t.Errorf("state left for %s: %v", prefix, m)
	}
}

// rounds is how many times a repeated live test repeats: n, or a fifth of
// it (at least 4) under -test.short, which the VM guests of scripts/vm
// use because they emulate their CPUs. The full counts run on the host.
func rounds(n int) int {
	if testing.Short() {
		return max(n/5, 4)
	}
	return n
}

// cgroupV2 reports whether the host is pure cgroup v2 (the v2 guest of
// scripts/vm); this machine is hybrid, the v1 guest pure v1.
func cgroupV2() bool { return exists("/sys/fs/cgroup/cgroup.controllers") }

// cgroupInside is the path, inside a container, of one controller's
// interface file: /sys/fs/cgroup/<ctrl>/<v1> on v1 and hybrid hosts,
// /sys/fs/cgroup/<v2> on v2 (its cgroup namespace shows its own cgroup at
// the root of the mount).
func cgroupInside(ctrl, v1, v2 string) string {
	if cgroupV2() {
		return "/sys/fs/cgroup/" + v2
	}
	return "/sys/fs/cgroup/" + ctrl + "/" + v1
}

// containerCgroupDir is the container's cgroup directory on the host that
// every layout has and that lists its processes in cgroup.procs: the v2
// group, the hybrid host's unified directory (made after the v1 ones), or
// on pure v1 the pids hierarchy's.
func containerCgroupDir(id string) string {
	switch {
	case cgroupV2():
		return "/sys/fs/cgroup/nsinspect/" + id
	case exists("/sys/fs/cgroup/unified/cgroup.controllers"):
		return "/sys/fs/cgroup/unified/nsinspect/" + id
	default:
		return "/sys/fs/cgroup/pids/nsinspect/" + id
	}
}

// cgroupHierarchies lists the host's cgroup hierarchies: /sys/fs/cgroup
// itself on v2, else every mount point directly below it (the symlinks
// of co-mounted controllers, cpu -> cpu,cpuacct, left out).
func cgroupHierarchies() []string {
	if cgroupV2() {
		return []string{"/sys/fs/cgroup"}
	}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && filepath.Dir(f[4]) == "/sys/fs/cgroup" && strings.Contains(l, " - cgroup") {
			out = append(out, f[4])
		}
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// gone reports whether pid has exited (no such process, or a zombie).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) == 0 || f[0] == "Z" || f[0] == "X"
}

// statusField is a field of /proc/<pid>/status, "" if unreadable.
func statusField(pid int, field string) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// catches reports whether pid has a handler installed for sig (SigCgt).
func catches(pid int, sig syscall.Signal) bool {
	mask, err := strconv.ParseUint(statusField(pid, "SigCgt"), 16, 64)
	return err == nil && mask&(1<<(uint(sig)-1)) != 0
}

// trapped reports whether the container's command, not the init that
// precedes it, catches sig: the init is a Go process, which catches every
// signal, and one it receives is lost to the command it execs.
func trapped(pid int, sig syscall.Signal) bool {
	if argv, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.HasPrefix(string(argv), "nsinspect\x00init\x00") {
		return false
	}
	// The init is a Go program, which catches every signal; execve swaps in
	// the command's argv a moment before it resets the handlers, so a
	// cmdline already the command's can come with the init's SigCgt (a
	// SIGTERM sent then is lost: PID 1's default action is to ignore it).
	// Go always catches SIGURG (goroutine preemption), shells never do.
	mask, err := strconv.ParseUint(statusField(pid, "SigCgt"), 16, 64)
	return err == nil && mask&(1<<(uint(sig)-1)) != 0 && mask&(1<<(uint(syscall.SIGURG)-1)) == 0
}

// children lists the children of pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// hostMounts lists the lines of the test's own mountinfo that name
// overlay or nsinspect.
func hostMounts() []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		// nsinspect's own (its overlays' layers and tmpfs live under
		// /run/nsinspect): another runtime's overlays, Docker's, come
		// and go on a busy host.
		if strings.Contains(line, "nsinspect") {
			out = append(out, line)
		}
	}
	return out
}

// newLines lists the lines of after that before has not.
func newLines(before, after []string) []string {
	var out []string
	for _, l := range after {
		if !slices.Contains(before, l) {
			out = append(out, l)
		}
	}
	return out
}

// procLeakCheck complements leakCheck: the harness finds nsinspect
// processes by their command line, which misses a detached container's
// supervisor ("/proc/self/exe supervise") and a container's init
// ("nsinspect init"). This finds them by /proc/<pid>/exe and fails the
// test if one it started is still running when it ends.
func procLeakCheck(t *testing.T) {
	t.Helper()
	before := binProcs()
	t.Cleanup(func() {
		var left []string
		for i := 0; i < 60; i++ {
			if left = newLines(before, binProcs()); len(left) == 0 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("nsinspect processes left running: %v", left)
	})
}

// binProcs lists "pid cmdline" of the processes running the binary under
// test.
func binProcs() []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err != nil || exe != bin || gone(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		out = append(out, strconv.Itoa(pid)+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	sort.Strings(out)
	return out
}

// safeBuffer is a bytes.Buffer a reader goroutine fills while the test
// reads it.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
