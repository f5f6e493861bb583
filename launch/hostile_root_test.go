package launch_test

// The hostile-container tests of the root filesystem: paths swapped while
// a container starts (item 6) and the allow-list default root (item 7).

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// flipper swaps two paths with renameat2(RENAME_EXCHANGE) as fast as it
// can until stopped: one of them is what the launcher is meant to open,
// the other a symlink to somewhere it must never lead.
type flipper struct {
	stop  atomic.Bool
	wg    sync.WaitGroup
	flips atomic.Int64
}

func flip(t *testing.T, a, b string) *flipper {
	t.Helper()
	f := &flipper{}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for !f.stop.Load() {
			if unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE) == nil {
				f.flips.Add(1)
			}
		}
	}()
	t.Cleanup(f.done)
	return f
}

func (f *flipper) done() {
	f.stop.Store(true)
	f.wg.Wait()
}

// Item 6: --rootfs swapped for a symlink to / between nsinspect's checks
// and its mount. The directory is opened once, without following
// symlinks, and mounted from that descriptor: every run either gets the
// image or is refused, never the host's /.
func TestHostile6RootfsSwapRace(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	dir := t.TempDir()
	image, decoy := filepath.Join(dir, "image"), filepath.Join(dir, "decoy")
	if err := os.Rename(busybox(t), image); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(image, "IMAGE"), []byte("image\n"), 0o644)
	if err := os.Symlink("/", decoy); err != nil {
		t.Fatal(err)
	}
	f := flip(t, image, decoy)
	var got []string
	for i := 0; i < rounds(40); i++ {
		r := nsi(t, "run", "--rootfs", image, "--", "sh", "-c", "cat /IMAGE 2>/dev/null || echo HOST")
		switch {
		case r.code == 0 && r.stdout == "image\n":
			got = append(got, "image")
		case r.code == 125:
			got = append(got, "refused")
		default:
			t.Errorf("run %d: exit %d, stdout %q, stderr %q: the container got something other than the image", i, r.code, r.stdout, r.stderr)
		}
	}
	f.done()
	t.Logf("40 runs while the path flipped %d times: %v", f.flips.Load(), got)
	if !slices.Contains(got, "image") {
		t.Errorf("no run got the image: the race test proves nothing (%v)", got)
	}
}

// Item 6: a -v source swapped for a symlink to the host's /etc (by whoever
// can write its parent: another user, another container sharing it).
func TestHostile6VolumeSourceSwapRace(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	dir := t.TempDir()
	data, decoy := filepath.Join(dir, "data"), filepath.Join(dir, "decoy")
	os.Mkdir(data, 0o755)
	os.WriteFile(filepath.Join(data, "MARKER"), []byte("volume\n"), 0o644)
	if err := os.Symlink("/etc", decoy); err != nil {
		t.Fatal(err)
	}
	root := busybox(t)
	f := flip(t, data, decoy)
	for i := 0; i < rounds(40); i++ {
		r := nsi(t, "run", "--rootfs", root, "-v", data+":/data", "--", "sh", "-c", "cat /data/MARKER 2>/dev/null || ls /data")
		if r.code == 125 || r.code == 0 && r.stdout == "volume\n" {
			continue
		}
		t.Errorf("run %d: exit %d, stdout %q, stderr %q: /data is not the volume", i, r.code, r.stdout, r.stderr)
	}
	f.done()
	t.Logf("the path flipped %d times", f.flips.Load())
}

// Item 6: the image's /proc swapped for a symlink to its /etc while the
// container starts (its owner can change the lower layer): procfs lands
// on /proc or the run is refused, and the masks cover the real procfs.
func TestHostile6ProcTargetSwapRace(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := busybox(t)
	decoy := filepath.Join(root, "decoy")
	if err := os.Symlink("/etc", decoy); err != nil {
		t.Fatal(err)
	}
	f := flip(t, filepath.Join(root, "proc"), decoy)
	script := `test -e /proc/self/status && echo "timer_list:$(wc -c < /proc/timer_list)" && echo "sysrq:$(echo h > /proc/sysrq-trigger 2>/dev/null; echo $?)"; test -e /etc/self && echo PROC-ON-ETC; true`
	for i := 0; i < rounds(40); i++ {
		r := nsi(t, "run", "--rootfs", root, "--", "sh", "-c", script)
		if r.code == 125 {
			continue
		}
		if r.code != 0 || r.stdout != "timer_list:0\nsysrq:1\n" {
			t.Errorf("run %d: exit %d, stdout %q, stderr %q; want procfs on /proc with /proc/timer_list masked and sysrq-trigger read-only", i, r.code, r.stdout, r.stderr)
		}
	}
	f.done()
	t.Logf("the path flipped %d times", f.flips.Load())
}

// Item 6: a volume's target inside the image swapped for a symlink to /
// (CVE-2021-30465's shape): the volume lands inside the container's root
// whatever the link says, and the host's / is untouched.
func TestHostile6VolumeTargetSwapRace(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := busybox(t)
	os.Mkdir(filepath.Join(root, "target"), 0o755)
	decoy := filepath.Join(root, "decoy")
	if err := os.Symlink("/", decoy); err != nil {
		t.Fatal(err)
	}
	vol := t.TempDir()
	os.WriteFile(filepath.Join(vol, "MARKER"), []byte("volume\n"), 0o644)
	before := treeOf(t, "/etc")
	f := flip(t, filepath.Join(root, "target"), decoy)
	for i := 0; i < rounds(40); i++ {
		r := nsi(t, "run", "--rootfs", root, "-v", vol+":/target", "--", "sh", "-c", "cat /target/MARKER /MARKER 2>/dev/null | head -1")
		if r.code != 0 && r.code != 125 {
			t.Errorf("run %d: exit %d, stderr %q", i, r.code, r.stderr)
		}
	}
	f.done()
	if exists("/MARKER") {
		os.Remove("/MARKER")
		t.Errorf("the volume was mounted over the host's /")
	}
	if after := treeOf(t, "/etc"); !slices.Equal(before, after) {
		t.Errorf("the host's /etc changed during the runs")
	}
	t.Logf("the path flipped %d times", f.flips.Load())
}

// Item 7: the default root is an allow-list: the host's system
// directories and fresh empty ones, nothing else of the host (no checkout,
// no database, no /.dockerenv).
func TestHostile7DefaultRootAllowList(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	want := []string{"dev", "home", "mnt", "opt", "proc", "root", "run", "srv", "sys", "tmp", "var"}
	for _, d := range []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"} {
		if _, err := os.Lstat("/" + d); err == nil {
			want = append(want, d)
		}
	}
	slices.Sort(want)
	got := strings.Fields(mustRun(t, "run", "--", "ls", "-A", "/"))
	if !slices.Equal(got, want) {
		t.Errorf("ls -A / inside: %v\nwant: %v", got, want)
	}
	for dir, entries := range map[string]string{"/var": "run tmp", "/tmp": "", "/root": "", "/home": "", "/run": "", "/mnt": ""} {
		if out := strings.Join(strings.Fields(mustRun(t, "run", "--", "ls", "-A", dir)), " "); out != entries {
			t.Errorf("ls -A %s inside: %q, want %q (fresh)", dir, out, entries)
		}
	}
	out := mustRun(t, "run", "--hostname", "web", "--", "sh", "-c", "cat /etc/hostname; grep -c localhost /etc/hosts; grep -c 'nameserver 127' /etc/resolv.conf; true")
	if out != "web\n2\n0\n" {
		t.Errorf("/etc/hostname, localhost lines in /etc/hosts, loopback nameservers: %q, want web, 2, 0", out)
	}
}

// Item 7: every file of the container's /etc that the host does not let
// everyone read is hidden (absent). A walk of /etc inside, checked
// against the host's modes, including a secret file and a secret
// directory this test makes in the host's /etc.
func TestHostile7EtcHidesWhatIsNotWorldReadable(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	tok := token(t)
	secretFile, secretDir := "/etc/nsinspect-test-"+tok+".key", "/etc/nsinspect-test-"+tok+".d"
	t.Cleanup(func() { os.Remove(secretFile); os.RemoveAll(secretDir) })
	if err := os.WriteFile(secretFile, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(secretDir, 0o700)
	os.WriteFile(secretDir+"/readable", []byte("x"), 0o644)
	listing := mustRun(t, "run", "--", "find", "/etc")
	seen := map[string]bool{}
	for _, p := range strings.Split(strings.TrimSpace(listing), "\n") {
		seen[p] = true
		if reason := hiddenOnHost(p); reason != "" {
			t.Errorf("%s is visible in the container, but on the host %s", p, reason)
		}
	}
	for _, p := range []string{secretFile, secretDir, secretDir + "/readable", "/etc/shadow"} {
		if seen[p] {
			t.Errorf("%s is visible in the container", p)
		}
	}
	// And the rule does not hide what is world-readable.
	filepath.WalkDir("/etc", func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != "/etc" && hiddenOnHost(p) == "" && !seen[p] {
			if _, lerr := os.Lstat(p); lerr == nil {
				t.Errorf("%s is world-readable on the host but missing in the container", p)
			}
		}
		return nil
	})
}

// hiddenOnHost says why the host's p must be hidden from containers: it,
// or a directory above it, is not readable by everyone.
func hiddenOnHost(p string) string {
	for q := p; q != "/etc" && q != "/"; q = filepath.Dir(q) {
		fi, err := os.Lstat(q)
		if err != nil {
			return ""
		}
		perm := fi.Mode().Perm()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			continue
		case fi.IsDir() && perm&0o005 != 0o005:
			return q + " is not world-readable (" + fi.Mode().String() + ")"
		case !fi.IsDir() && perm&0o004 == 0:
			return q + " is not world-readable (" + fi.Mode().String() + ")"
		}
	}
	return ""
}
