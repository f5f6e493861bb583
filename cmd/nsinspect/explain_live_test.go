package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/report"
)

// row is the cells of the explain free table row that starts with what.
func row(t *testing.T, out, what string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, what) {
			var cells []string
			for _, c := range strings.Split(strings.TrimPrefix(l, what), "   ") {
				if c = strings.TrimSpace(c); c != "" {
					cells = append(cells, c)
				}
			}
			return cells
		}
	}
	t.Fatalf("no row %q in:\n%s", what, out)
	return nil
}

func hostRAM(t *testing.T) uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// TestLiveExplainFree: for a --memory 512m --cpus 1 container, explain
// free says what a program inside reads (the host's memory and CPUs)
// next to the limit and quota, and what the Go runtime and the JVM
// derive.
func TestLiveExplainFree(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	name := launched(t, bin, []string{"--memory", "512m", "--cpus", "1"}, "sleep", "300")
	code, out, errOut := runGuarded(t, bin, "explain", "free", "--pid", name)
	if code != 0 {
		t.Fatalf("explain free: exit %d %s", code, errOut)
	}
	host := report.Bytes(hostRAM(t))
	ncpu := runtime.NumCPU()
	for _, tc := range []struct {
		row  string
		want []string
	}{
		{"/proc/meminfo (free, top, procps)", []string{host, "limit 512MiB"}},
		{"sysinfo(2) totalram (busybox free)", []string{host + " (never namespaced)", "limit 512MiB"}},
		{"nproc (sched_getaffinity)", []string{strconv.Itoa(ncpu), fmt.Sprintf("quota 1 CPU, cpuset %d CPUs", ncpu)}},
		{"Go 1.25+ GOMAXPROCS", []string{strconv.Itoa(min(ncpu, 2)) + " (the quota rounded up, at least 2)", fmt.Sprintf("quota 1 CPU, cpuset %d CPUs", ncpu)}},
		{"JVM container support", []string{"1 CPU, max heap 128MiB", "limit 512MiB"}},
	} {
		if got := row(t, out, tc.row); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: %q, want %q", tc.row, got, tc.want)
		}
	}
	if !strings.Contains(out, "[info] memory-view: free inside shows the host's") || !strings.Contains(out, "[info] cpu-view:") {
		t.Errorf("explain free lacks --explain's memory-view and cpu-view findings:\n%s", out)
	}
	// The topics list, and a bad topic.
	if code, out, _ := runGuarded(t, bin, "explain"); code != 0 || !strings.Contains(out, "free ") || !strings.Contains(out, "pid1 ") {
		t.Errorf("explain: exit %d\n%s", code, out)
	}
	if code, _, errOut := runGuarded(t, bin, "explain", "nope"); code != 2 || !strings.Contains(errOut, `unknown topic "nope"`) {
		t.Errorf("explain nope: exit %d %q", code, errOut)
	}
}

// TestLiveExplainFreeLxcfs mounts lxcfs for a container: procps free
// (/proc/meminfo, lxcfs's file) reports the limit, busybox free
// (sysinfo(2), which no file changes) still the host's memory, and
// explain free says both.
func TestLiveExplainFreeLxcfs(t *testing.T) {
	requireRoot(t)
	for _, tool := range []string{"lxcfs", "free", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (lxcfs, procps, busybox-static)", tool)
		}
	}
	containerTestLock(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	os.Mkdir(mnt, 0o755)
	// lxcfs makes /run/lxcfs/{controllers,root} for its private mounts
	// and leaves them: remove them after it when they are new (empty
	// directories only, never a running lxcfs's).
	_, err := os.Stat("/run/lxcfs")
	madeRun := os.IsNotExist(err)
	lx := exec.Command("lxcfs", "-f", "-p", filepath.Join(dir, "lxcfs.pid"), mnt)
	lx.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := lx.Start(); err != nil {
		t.Fatal(err)
	}
	// lxcfs unmounts on SIGTERM; a lazy unmount covers a crash. Before
	// TempDir's removal: cleanups run last first.
	t.Cleanup(func() {
		lx.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { lx.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			lx.Process.Kill()
			<-done
		}
		unix.Unmount(mnt, unix.MNT_DETACH)
		if madeRun {
			os.Remove("/run/lxcfs/controllers")
			os.Remove("/run/lxcfs/root")
			os.Remove("/run/lxcfs")
		}
	})
	meminfo := filepath.Join(mnt, "proc", "meminfo")
	waitFor(t, func() bool { _, err := os.Stat(meminfo); return err == nil })
	name := launched(t, bin, []string{"--memory", "256m", "-v", meminfo + ":/proc/meminfo:ro"}, "sleep", "300")

	total := func(args ...string) uint64 {
		t.Helper()
		code, out, errOut := runGuarded(t, bin, append([]string{"exec", name}, args...)...)
		if code != 0 {
			t.Fatalf("exec %v: exit %d %s", args, code, errOut)
		}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Mem:" {
				n, _ := strconv.ParseUint(f[1], 10, 64)
				return n
			}
		}
		t.Fatalf("exec %v: no Mem: line in %q", args, out)
		return 0
	}
	if got := total("free", "-b"); got != 256<<20 {
		t.Errorf("procps free inside (lxcfs's /proc/meminfo): total %d, want the limit %d", got, 256<<20)
	}
	host := hostRAM(t)
	if got := total("busybox", "free", "-b"); got != host {
		t.Errorf("busybox free inside (sysinfo): total %d, want the host's %d", got, host)
	}
	code, out, errOut := runGuarded(t, bin, "explain", "free", "--pid", name)
	if code != 0 {
		t.Fatalf("explain free: exit %d %s", code, errOut)
	}
	if got := row(t, out, "/proc/meminfo: fuse.lxcfs over it"); strings.Join(got, "|") != "256MiB (lxcfs: the limit)|limit 256MiB" {
		t.Errorf("lxcfs row %q", got)
	}
	if got := row(t, out, "sysinfo(2) totalram (busybox free)"); got[0] != report.Bytes(host)+" (never namespaced)" {
		t.Errorf("sysinfo row %q", got)
	}
}

// explain free reads the container's /proc/meminfo and /proc/cpuinfo,
// which the container controls: through its root only, never blocking,
// regular files only. A chrooted process whose tree holds a FIFO, a
// symlink to a host file, or a file of its own there: nsinspect returns,
// never shows the host file's figure, and says why it read nothing.
func TestLiveHostileExplainFree(t *testing.T) {
	requireRoot(t)
	bin := buildBinary(t)
	secret := hostFile(t, "MemTotal:       4242 kB\nprocessor\t: 0\nprocessor\t: 1\nprocessor\t: 2\n")
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, proc string)
		meminfo string // the cell of the /proc/meminfo row
		unread  []string
	}{
		{"fifos", func(t *testing.T, proc string) {
			for _, f := range []string{"meminfo", "cpuinfo"} {
				if err := syscall.Mkfifo(filepath.Join(proc, f), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}, "--", []string{"meminfo: ", "not a regular file (fifo)", "cpuinfo: "}},
		{"symlinks to a host file", func(t *testing.T, proc string) {
			symlink(t, secret, filepath.Join(proc, "meminfo"))
			symlink(t, secret, filepath.Join(proc, "cpuinfo"))
		}, "--", []string{"meminfo: ", "cpuinfo: "}},
		{"its own file", func(t *testing.T, proc string) {
			os.WriteFile(filepath.Join(proc, "meminfo"), []byte("MemTotal: 1024 kB\n"), 0o644)
			os.WriteFile(filepath.Join(proc, "cpuinfo"), []byte("processor\t: 0\n"), 0o644)
		}, "1MiB", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := hostileTree(t)
			proc := filepath.Join(dir, "proc")
			os.Mkdir(proc, 0o755)
			tc.setup(t, proc)
			cg := newTestCgroup(t)
			pid := startChrooted(t, dir, cg.procs)
			code, out, errOut := runGuarded(t, bin, "explain", "free", "--pid", strconv.Itoa(pid))
			if code != 0 {
				t.Fatalf("explain free: exit %d: %s", code, errOut)
			}
			if strings.Contains(out, "4242 kB") || strings.Contains(out, "4.1MiB") {
				t.Errorf("explain free shows the host file's figure:\n%s", out)
			}
			if got := row(t, out, "/proc/meminfo (free, top, procps)"); got[0] != tc.meminfo {
				t.Errorf("/proc/meminfo row %q, want %q first", got, tc.meminfo)
			}
			for _, u := range tc.unread {
				if !strings.Contains(out, "unread: "+u) && !strings.Contains(out, u) {
					t.Errorf("explain free does not say %q:\n%s", u, out)
				}
			}
		})
	}
}
