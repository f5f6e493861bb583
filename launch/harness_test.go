package launch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bin is the nsinspect binary under test and probe the hostile helper the
// security tests run inside containers (testdata/probe), both static;
// probe386 is the probe built for 32-bit x86, whose system calls take the
// x86 ABI. TestMain builds them when the tests run as root, unless
// NSINSPECT_TEST_BIN / NSINSPECT_TEST_PROBE / NSINSPECT_TEST_PROBE386
// name binaries built elsewhere (a guest without a Go toolchain runs the
// tests that way).
var bin, probe, probe386 string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Geteuid() == 0 {
			dir, err := os.MkdirTemp("", "nsinspect-launch-test-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			os.Chmod(dir, 0o755)
			for _, b := range []struct {
				dst      *string
				env, pkg string
				goarch   string
			}{
				{&bin, "NSINSPECT_TEST_BIN", "../cmd/nsinspect", ""},
				{&probe, "NSINSPECT_TEST_PROBE", "./testdata/probe", ""},
				{&probe386, "NSINSPECT_TEST_PROBE386", "./testdata/probe", "386"},
			} {
				if p := os.Getenv(b.env); p != "" {
					*b.dst = p
					continue
				}
				if b.goarch != "" && runtime.GOARCH != "amd64" {
					continue // a 32-bit x86 probe only means something on x86-64
				}
				*b.dst = filepath.Join(dir, filepath.Base(b.pkg)+b.goarch)
				build := exec.Command("go", "build", "-o", *b.dst, b.pkg)
				build.Env = append(os.Environ(), "CGO_ENABLED=0")
				if b.goarch != "" {
					build.Env = append(build.Env, "GOARCH="+b.goarch)
				}
				if out, err := build.CombinedOutput(); err != nil {
					fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b.pkg, err, out)
					return 1
				}
			}
			// The leak and gc checks here read every nsinspect container
			// on the host: cmd/nsinspect's tests that start some (go test
			// runs the packages at the same time) wait for this lock.
			unlock, err := containerTestLock()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer unlock()
		}
		return m.Run()
	}()
	os.Exit(code)
}

// containerTestLock takes the host-wide lock of the tests that start
// nsinspect containers (cmd/nsinspect's containerTestLock takes the same).
func containerTestLock() (func(), error) {
	// The lock is on /run itself, a directory every host has: a lock
	// file of its own would be left behind.
	f, err := os.Open("/run")
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// requireRoot skips a test that needs root, saying why.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("container test skipped: it creates namespaces, cgroups and mounts, which needs root; run `go test ./...` as root")
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// nsi runs the nsinspect binary with args and a 60 s limit.
func nsi(t *testing.T, args ...string) result {
	t.Helper()
	return nsiWith(t, nil, nil, args...)
}

func nsiWith(t *testing.T, stdin []byte, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running nsinspect %v: %v", args, err)
	}
	return r
}

// snapshot is what a container could leave behind on the host: cgroup
// directories, mounts, state directories, nsinspect processes, zombies.
type snapshot map[string][]string

func snap() snapshot {
	s := snapshot{}
	for _, root := range []string{"/sys/fs/cgroup"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if strings.Count(strings.TrimPrefix(p, root), "/") > 4 {
				return filepath.SkipDir
			}
			// nsinspect's own parent and containers only: cmd/nsinspect's
			// tests, which may run meanwhile, make nsinspect-test/...
			if filepath.Base(p) == "nsinspect" || strings.Contains(p, "/nsinspect/") {
				s["cgroup"] = append(s["cgroup"], p)
			}
			return nil
		})
	}
	s["mount"] = hostMounts()
	if ents, err := os.ReadDir("/run/nsinspect"); err == nil {
		for _, e := range ents {
			if e.IsDir() {
				s["state"] = append(s["state"], e.Name())
			}
		}
	}
	procs, _ := os.ReadDir("/proc")
	self := fmt.Sprint(os.Getpid())
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' || p.Name() == self {
			continue
		}
		stat, err := os.ReadFile("/proc/" + p.Name() + "/stat")
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if strings.Contains(string(cmdline), bin) && bin != "" {
			s["process"] = append(s["process"], p.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
		if len(fields) > 1 && fields[0] == "Z" && fields[1] == self {
			s["zombie"] = append(s["zombie"], p.Name())
		}
	}
	for k := range s {
		sort.Strings(s[k])
	}
	return s
}

// diff lists what after has that before had not.
func (before snapshot) diff(after snapshot) []string {
	var out []string
	for k, vs := range after {
		for _, v := range vs {
			if !slices.Contains(before[k], v) {
				out = append(out, k+": "+v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// leakCheck snapshots the host now and, when the test ends, fails it if
// anything new is left (after giving asynchronous cleanup 3 s). Only what
// this test binary made counts: cmd/nsinspect's tests, which go test runs
// at the same time, start nsinspect containers of their own.
func leakCheck(t *testing.T) {
	t.Helper()
	before := snap()
	t.Cleanup(func() {
		var left []string
		for i := 0; i < 60; i++ {
			if left = ours(before.diff(snap())); len(left) == 0 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("left behind on the host:\n  %s", strings.Join(left, "\n  "))
	})
}

var containerIDRE = regexp.MustCompile(`[0-9a-f]{64}`)

// ours drops the leftovers of containers another nsinspect binary runs:
// their state names a live supervisor whose executable is not bin. A
// container whose supervisor is gone is counted, whoever made it.
func ours(left []string) []string {
	var out []string
	for _, l := range left {
		if id := containerIDRE.FindString(l); id != "" && foreign(id) {
			continue
		}
		// The parent /nsinspect cgroup stays while a foreign container
		// lives in it.
		if strings.HasSuffix(l, "/nsinspect") && foreignChildren(strings.TrimPrefix(l, "cgroup: ")) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func foreign(id string) bool {
	// The tests drive the binary from outside: the state file is read as
	// any user of it would, by its documented fields.
	b, err := os.ReadFile(filepath.Join("/run/nsinspect", id, "state.json"))
	if err != nil {
		return false
	}
	var st struct{ Supervisor int }
	if json.Unmarshal(b, &st) != nil || st.Supervisor <= 0 {
		return false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", st.Supervisor))
	if err != nil {
		return false
	}
	mine, _ := filepath.EvalSymlinks(bin)
	return exe != bin && exe != mine
}

func foreignChildren(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	n := 0
	for _, e := range ents {
		if e.IsDir() {
			if !foreign(e.Name()) {
				return false
			}
			n++
		}
	}
	return n > 0
}

// busybox builds a root filesystem of busybox-static with its applets.
func busybox(t *testing.T) string {
	t.Helper()
	src, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("busybox-static not installed (apt-get install busybox-static; .ci/run does)")
	}
	root := t.TempDir()
	if err := os.MkdirAll(root+"/bin", 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(root+"/bin/busybox", b, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(root+"/bin/busybox", "--install", "-s", root+"/bin").CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v %s", err, out)
	}
	// --install -s links to the absolute path of this copy on the host;
	// make them point at /bin/busybox as seen inside.
	ents, _ := os.ReadDir(root + "/bin")
	for _, e := range ents {
		if e.Name() != "busybox" {
			os.Remove(root + "/bin/" + e.Name())
			os.Symlink("busybox", root+"/bin/"+e.Name())
		}
	}
	for _, d := range []string{"etc", "tmp", "proc", "sys", "dev", "root"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	return root
}
