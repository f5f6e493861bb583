package launch_test

// Checklist items 1 to 7 (security-notes.md §9): the root filesystem, its
// mounts, hostile --rootfs trees, masked and read-only paths.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountEntry is one line of /proc/<pid>/mountinfo: the mount point
// (field 5) and the filesystem type (first field after " - ").
type mountEntry struct{ point, fstype, line string }

func parseMountinfo(text string) []mountEntry {
	var out []mountEntry
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		sep := slices.Index(f, "-")
		if len(f) < 5 || sep < 0 || sep+1 >= len(f) {
			continue
		}
		out = append(out, mountEntry{point: f[4], fstype: f[sep+1], line: line})
	}
	return out
}

// Checklist 1: after pivot_root the old root is detached, so the container
// sees only its own mounts, and PID 1's root is the container's /.
func TestChecklist01OnlyContainerMounts(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	mounts := parseMountinfo(mustRun(t, "run", "--", "cat", "/proc/self/mountinfo"))
	allowed := []string{"overlay", "proc", "tmpfs", "devpts", "mqueue", "sysfs", "cgroup", "cgroup2"}
	var points []string
	for _, m := range mounts {
		points = append(points, m.point)
		if !slices.Contains(allowed, m.fstype) {
			t.Errorf("host mount visible inside (type %s): %s", m.fstype, m.line)
		}
	}
	if len(mounts) == 0 || mounts[0].point != "/" || mounts[0].fstype != "overlay" {
		t.Errorf("first mount %+v, want the overlay at /", mounts)
	}
	var roots int
	for _, p := range points {
		if p == "/" {
			roots++
		}
	}
	if roots != 1 {
		t.Errorf("%d mounts at /, want 1 (the old root still stacked?): %v", roots, points)
	}
	wants := []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"}
	for _, h := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"} { // a v1 or hybrid host's
		if exists(h) {
			wants = append(wants, h)
		}
	}
	if cgroupV2() {
		wants = append(wants, "/sys/fs/cgroup")
	}
	for _, want := range wants {
		if !slices.Contains(points, want) {
			t.Errorf("no mount at %s inside; mount points: %v", want, points)
		}
	}

	viaPid1 := mustRun(t, "run", "--", "ls", "-A", "/proc/1/root/")
	direct := mustRun(t, "run", "--", "ls", "-A", "/")
	if viaPid1 != direct || direct == "" {
		t.Errorf("ls /proc/1/root/ inside:\n%s\nls / inside:\n%s\nwant the same, non-empty listing", viaPid1, direct)
	}
}

// Checklist 2: with the host's / shared, nothing the container mounts
// propagates back (the init makes / a slave first).
func TestChecklist02NothingPropagates(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) not installed")
	}
	name := "prop-" + token(t)
	removeOnCleanup(t, name)
	// Only nsinspect's own: other runtimes' overlays (Docker's) may be
	// mounted on the host meanwhile.
	count := `grep -c nsinspect /proc/self/mountinfo || true`
	script := fmt.Sprintf(`%[3]s
%[1]s run --name %[2]s -- sleep 30 &
until [ -n "$(%[1]s ps -q %[2]s)" ]; do sleep 0.01; done
%[3]s
%[1]s kill %[2]s >/dev/null
wait`, bin, name, count)
	out, err := exec.Command("unshare", "-m", "--propagation", "shared", "sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("unshare: %v\n%s", err, out)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 || lines[1] != lines[0] || lines[1] != "0" {
		t.Errorf("nsinspect mounts in a shared parent namespace before and while the container runs: %q, want 0 and 0", out)
	}
}

// Checklist 3: overlay and tmpfs live only in the container's mount
// namespace: the host sees none while it runs, none after its supervisor
// is SIGKILLed and gc ran, and the container dies with its supervisor.
func TestChecklist03NoHostResidueAfterSupervisorKill(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	before := hostMounts()
	id, pid := detach(t, "residue-"+token(t), "--", "sleep", "30")
	if extra := newLines(before, hostMounts()); len(extra) > 0 {
		t.Errorf("host mounts while the container runs:\n%s", strings.Join(extra, "\n"))
	}
	st, err := readStateFile(id)
	if err != nil || st.Supervisor <= 0 {
		t.Fatalf("state of %s: %+v, %v", id, st, err)
	}
	if err := syscall.Kill(st.Supervisor, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the supervisor %d: %v", st.Supervisor, err)
	}
	if !poll(2*time.Second, func() bool { return gone(pid) }) {
		t.Errorf("the container's PID 1 (%d) still runs 2 s after its supervisor was SIGKILLed", pid)
	}
	mustRun(t, "gc")
	if extra := newLines(before, hostMounts()); len(extra) > 0 {
		t.Errorf("host mounts after kill -9 and gc:\n%s", strings.Join(extra, "\n"))
	}
	assertNothingLeft(t, id)
}

// withSymlink builds a busybox rootfs in which dir is a symlink to target.
func withSymlink(t *testing.T, dir, target string) string {
	t.Helper()
	root := busybox(t)
	if err := os.RemoveAll(filepath.Join(root, dir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(root, dir)); err != nil {
		t.Fatal(err)
	}
	return root
}

// victimDir is an empty host directory a hostile rootfs points at.
func victimDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "victim"+token(t))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Checklist 4: a --rootfs whose /proc is a symlink is refused before the
// command runs (the command would leave a marker on a volume).
func TestChecklist04SymlinkedProcRefused(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := withSymlink(t, "proc", "/bad")
	vol := t.TempDir()
	r := nsi(t, "run", "--rootfs", root, "-v", vol+":/vol", "--", "touch", "/vol/marker")
	if r.code != 125 || !strings.Contains(r.stderr, "/proc") {
		t.Errorf("run with proc -> /bad: exit %d, stderr %q; want 125 naming /proc", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(vol, "marker")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the command ran: %s/marker exists (%v)", vol, err)
	}
	if _, err := os.Lstat("/bad"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("/bad exists on the host after the run (%v)", err)
	}
}

// Checklist 4: a --rootfs whose /dev or /sys is a symlink to a host
// directory is refused or handled inside the root: the host directory
// stays empty (CVE-2026-41579).
func TestChecklist04SymlinkedDevSysHarmless(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, dir := range []string{"dev", "sys"} {
		victim := victimDir(t)
		root := withSymlink(t, dir, victim)
		r := nsi(t, "run", "--rootfs", root, "--", "true")
		if r.code != 0 && (r.code != 125 || !strings.Contains(r.stderr, "/"+dir)) {
			t.Errorf("run with %s -> %s: exit %d, stderr %q; want 0, or 125 naming /%s", dir, victim, r.code, r.stderr, dir)
		}
		if ents, err := os.ReadDir(victim); err != nil || len(ents) > 0 {
			t.Errorf("%s -> %s: the host directory now holds %v (%v), want it empty", dir, victim, ents, err)
		}
	}
}

// The marker check of item 4 needs volumes that work: the same command on
// a clean rootfs leaves the marker, and a file volume shows the host file.
func TestChecklist04VolumeMarkerControl(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := busybox(t)
	vol := t.TempDir()
	if r := nsi(t, "run", "--rootfs", root, "-v", vol+":/vol", "--", "touch", "/vol/marker"); r.code != 0 {
		t.Errorf("run -v %s:/vol -- touch /vol/marker: exit %d, stderr %q; want 0", vol, r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(vol, "marker")); err != nil {
		t.Errorf("no marker on the volume after the run: %v", err)
	}
	file := filepath.Join(t.TempDir(), "hosts")
	os.WriteFile(file, []byte("10.9.8.7 volume-test\n"), 0o644)
	if r := nsi(t, "run", "-v", file+":/etc/hosts:ro", "--", "cat", "/etc/hosts"); r.code != 0 || r.stdout != "10.9.8.7 volume-test\n" {
		t.Errorf("run -v %s:/etc/hosts:ro -- cat /etc/hosts: exit %d, stdout %q, stderr %q; want 0 and the host file", file, r.code, r.stdout, r.stderr)
	}
}

// treeOf lists every path under root with its type, mode, size, link
// target and modification time, to show a directory was not written.
func treeOf(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link, _ := os.Readlink(p)
		out = append(out, fmt.Sprintf("%s %v %d %s %d", p, info.Mode(), info.Size(), link, info.ModTime().UnixNano()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Checklist 5: volume targets are resolved inside the container's root
// (runc's dangling-symlink case, CVE-2021-30465 / CVE-2024-45310): nothing
// is created on the host, and the rootfs, a lower layer, is never written.
func TestChecklist05MountTargetInsideRoot(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	foo := "/tmp/foo-" + token(t)
	t.Cleanup(func() { os.RemoveAll(foo) })
	root := busybox(t)
	if err := os.Symlink("/jump/baz/hosts", filepath.Join(root, "etc/hosts")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(foo+"/bar", filepath.Join(root, "jump")); err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(t.TempDir(), "hosts")
	os.WriteFile(hosts, []byte("10.1.2.3 resolved-inside\n"), 0o644)
	before := treeOf(t, root)

	r := nsi(t, "run", "--rootfs", root, "-v", hosts+":/etc/hosts", "--", "cat", "/etc/hosts")
	switch r.code {
	case 0:
		if r.stdout != "10.1.2.3 resolved-inside\n" {
			t.Errorf("/etc/hosts inside: %q, want the volume's content", r.stdout)
		}
	case 125:
	default:
		t.Errorf("run: exit %d, stderr %q; want 0, or 125 refusing the target", r.code, r.stderr)
	}
	if _, err := os.Lstat(foo); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s exists on the host after the run (%v): the target was resolved outside the root", foo, err)
	}
	if after := treeOf(t, root); !slices.Equal(before, after) {
		t.Errorf("the rootfs (the lower layer) was written:\nnew: %v", newLines(before, after))
	}
}

// Checklist 6: Docker's masked paths are empty inside and cannot be
// unmounted.
func TestChecklist06MaskedPaths(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	script := `for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts; do echo "$f:$(cat $f 2>/dev/null | wc -c)"; done
echo "/sys/firmware:$(ls -A /sys/firmware | wc -l)"
for f in /proc/kcore /proc/keys /sys/firmware; do umount $f 2>/dev/null; echo "umount $f:$?"; done`
	r := nsi(t, "run", "--", "sh", "-c", script)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		what, v, _ := strings.Cut(line, ":")
		if strings.HasPrefix(what, "umount ") {
			if v == "0" {
				t.Errorf("%s inside succeeded, want it to fail", what)
			}
		} else if v != "0" {
			t.Errorf("%s inside: %s bytes/entries, want 0 (masked)", what, v)
		}
	}
}

// Checklist 6: a --rootfs whose dev/null is a symlink to core_pattern
// (CVE-2025-31133): the masks come from nsinspect's own /dev/null, and
// core_pattern stays read-only.
func TestChecklist06MasksUseOwnDevNull(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	root := busybox(t)
	if err := os.Symlink("/proc/sys/kernel/core_pattern", filepath.Join(root, "dev/null")); err != nil {
		t.Fatal(err)
	}
	hostBefore, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	script := `stat -c '%F %t:%T' /dev/null
echo "timer_list:$(cat /proc/timer_list | wc -c)"
echo "|/tmp/pwned" > /proc/sys/kernel/core_pattern; echo "write:$?"`
	r := nsi(t, "run", "--rootfs", root, "--", "sh", "-c", script)
	want := "character special file 1:3\ntimer_list:0\nwrite:1\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("run with dev/null -> core_pattern: exit %d, stdout %q, stderr %q; want 0 and %q", r.code, r.stdout, r.stderr, want)
	}
	if hostAfter, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); string(hostAfter) != string(hostBefore) {
		t.Errorf("the host's core_pattern changed: %q, was %q", hostAfter, hostBefore)
	}
}

// Checklist 7: /proc/sys and /proc/sysrq-trigger are read-only inside
// (sysrq-trigger does not exist on every kernel: then writing fails too).
func TestChecklist07ReadOnlyPaths(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	hostBefore, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	script := `echo "|/tmp/pwned" > /proc/sys/kernel/core_pattern; echo "core_pattern:$?"
echo h > /proc/sysrq-trigger; echo "sysrq-trigger:$?"
grep -E ' /proc/(sys|bus|fs|irq) ' /proc/self/mountinfo | cut -d' ' -f5,6`
	r := nsi(t, "run", "--", "sh", "-c", script)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) < 2 || lines[0] == "core_pattern:0" || lines[1] == "sysrq-trigger:0" {
		t.Errorf("writes inside: exit %d, stdout %q; want both to fail", r.code, r.stdout)
	}
	if !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("stderr %q: want EROFS (Read-only file system) for core_pattern", r.stderr)
	}
	for _, l := range lines[min(2, len(lines)):] {
		point, opts, _ := strings.Cut(l, " ")
		if !strings.HasPrefix(opts, "ro,") {
			t.Errorf("%s is mounted %s inside, want ro", point, opts)
		}
	}
	if len(lines) < 3 {
		t.Errorf("no read-only mount of /proc/sys found inside: %q", r.stdout)
	}
	if hostAfter, _ := os.ReadFile("/proc/sys/kernel/core_pattern"); string(hostAfter) != string(hostBefore) {
		t.Errorf("the host's core_pattern changed: %q, was %q", hostAfter, hostBefore)
	}
}
