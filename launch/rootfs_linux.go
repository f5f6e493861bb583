package launch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Docker's masked and read-only paths (moby daemon/pkg/oci/defaults.go),
// applied unless --privileged.
var (
	maskedPaths = []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
		"/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// hostSecretDirs and hostSecretFiles are hidden when the lower layer is the
// host's own /: a fresh empty tmpfs over each directory, /dev/null over each
// file. /run and /var/run hold every runtime's control socket
// (docker.sock, containerd.sock, crio.sock, podman.sock); the rest hold
// credentials and other containers' data. docs/run.md lists them.
var (
	hostSecretDirs = []string{
		"/run", "/var/run", "/tmp", "/var/tmp", "/root", "/home", "/etc/ssl/private",
		"/var/lib/docker", "/var/lib/containerd", "/var/lib/containers", "/var/lib/kubelet",
		"/var/lib/lxc", "/var/lib/machines", "/var/lib/nsinspect",
	}
	hostSecretFiles = []string{"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers"}
	hostSecretGlobs = []string{"/etc/ssh/ssh_host_*_key", "/var/run/*.sock", "/run/*.sock"}
)

// v1Mount is a cgroup v1 hierarchy of the host, mounted again inside.
type v1Mount struct {
	dir     string // e.g. "memory", "cpu,cpuacct"
	options string // e.g. "memory", "name=systemd"
}

// hostCgroupMounts reads the host's v1 hierarchies from our mountinfo
// before pivot_root hides it.
func hostCgroupMounts() []v1Mount {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []v1Mount
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(f) || f[sep+1] != "cgroup" || !strings.HasPrefix(f[4], "/sys/fs/cgroup/") {
			continue
		}
		var opts []string
		for o := range strings.SplitSeq(f[sep+3], ",") {
			switch {
			case o == "rw" || o == "ro" || o == "xattr" || o == "clone_children" || o == "noprefix" || strings.HasPrefix(o, "release_agent="):
			default:
				opts = append(opts, o)
			}
		}
		out = append(out, v1Mount{dir: strings.TrimPrefix(f[4], "/sys/fs/cgroup/"), options: strings.Join(opts, ",")})
	}
	return out
}

func mount(source, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(source, target, fstype, flags, data); err != nil {
		return &os.PathError{Op: "mount " + fstype + " " + source, Path: target, Err: err}
	}
	return nil
}

// setupRootfs builds the container's root and pivots into it. Every mount
// is made inside the container's own mount namespace, after / was made a
// slave, so nothing propagates to the host and everything vanishes with
// the namespace, even if the launcher is killed. The cgroup filesystems
// come later, once the cgroup namespace exists; setupRootfs returns the
// host's v1 hierarchies for them, read while the host's tree is visible.
func setupRootfs(cfg *initConfig) ([]v1Mount, error) {
	spec := &cfg.Spec
	if err := mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return nil, setupErr("making / a slave mount: %w", err)
	}
	cgroupMounts := hostCgroupMounts()

	// The writable layer lives on a tmpfs charged to the container's
	// memory cgroup, sized by its memory limit.
	size := "50%"
	if m := spec.Resources.MemoryBytes; m != nil {
		size = strconv.FormatInt(*m, 10)
	}
	stage := cfg.MountDir
	if err := mount("tmpfs", stage, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700,size="+size); err != nil {
		return nil, setupErr("mounting the writable layer: %w", err)
	}
	upper, work, merged := stage+"/upper", stage+"/work", stage+"/merged"
	for _, d := range []string{upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, setupErr("%w", err)
		}
	}
	lower := "/"
	if spec.Rootfs != "" {
		lower = spec.Rootfs
	}
	if strings.ContainsAny(lower, ",:") {
		return nil, setupErr("--rootfs %s: the path may not contain ',' or ':' (overlayfs option syntax)", lower)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := mount("overlay", merged, "overlay", 0, opts); err != nil {
		return nil, setupErr("mounting the overlay root (lower %s): %w", lower, err)
	}
	pause(cfg, "after-mount")

	// A hostile rootfs may make /proc, /sys or /dev symlinks that point
	// mounts at host paths (CVE-2019-19921, CVE-2026-41579): refuse them.
	for _, d := range []string{"proc", "sys", "dev"} {
		p := filepath.Join(merged, d)
		st, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(p, 0o755); err != nil {
				return nil, setupErr("%w", err)
			}
		case err != nil:
			return nil, setupErr("%w", err)
		case !st.IsDir():
			return nil, setupErr("rootfs: /%s must be a directory, not %s (refusing to mount through it)", d, describe(st))
		}
	}

	// Host paths the container gets (volumes, --privileged's /dev, a host
	// /sys) are cloned now as detached mount trees (open_tree), while the
	// host's tree is visible; they are attached after pivot_root
	// (move_mount), at targets resolved inside the container's root.
	type source struct {
		fd  int
		vol Volume
	}
	var sources []source
	for _, v := range spec.Volumes {
		fd, err := cloneTree(v.Source)
		if err != nil {
			return nil, setupErr("--volume %s: %w", v.Source, err)
		}
		sources = append(sources, source{fd, v})
	}
	hostDev := -1
	if spec.Privileged {
		var err error
		if hostDev, err = cloneTree("/dev"); err != nil {
			return nil, setupErr("cloning the host's /dev: %w", err)
		}
	}
	hostSys, _ := cloneTree("/sys")

	// pivot_root(".", ".") stacks the old root on top of the new one; a
	// lazy unmount then removes it, and with it every path to the host.
	if err := unix.Chdir(merged); err != nil {
		return nil, setupErr("%w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return nil, setupErr("pivot_root into %s: %w", merged, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return nil, setupErr("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return nil, setupErr("%w", err)
	}
	pause(cfg, "after-pivot")

	if err := mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV, ""); err != nil {
		return nil, setupErr("%w", err)
	}
	if err := setupDev(spec, hostDev); err != nil {
		return nil, err
	}
	if hostDev >= 0 {
		unix.Close(hostDev)
	}
	sysFlags := uintptr(unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV)
	if !spec.Privileged {
		sysFlags |= unix.MS_RDONLY
	}
	if err := mount("sysfs", "/sys", "sysfs", sysFlags, ""); err != nil {
		// Without a network namespace of its own the kernel may refuse a
		// new sysfs: show the host's, read-only.
		if hostSys < 0 || attach(hostSys, "/sys") != nil {
			return nil, setupErr("mounting /sys: %w", err)
		}
		remountRO("/sys", sysFlags&unix.MS_RDONLY != 0)
	}
	if hostSys >= 0 {
		unix.Close(hostSys)
	}

	for _, s := range sources {
		if err := mountVolume(s.fd, s.vol); err != nil {
			return nil, err
		}
		unix.Close(s.fd)
	}
	m, err := newMasker()
	if err != nil {
		return nil, setupErr("%w", err)
	}
	defer m.done()
	if spec.Rootfs == "" {
		if err := maskHostSecrets(m, spec.Volumes); err != nil {
			return nil, err
		}
	}
	if !spec.Privileged {
		if err := maskPaths(m); err != nil {
			return nil, err
		}
	}
	return cgroupMounts, nil
}

func describe(st fs.FileInfo) string {
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return "a symlink"
	case st.Mode().IsRegular():
		return "a file"
	}
	return "a " + st.Mode().Type().String()
}

// cloneTree makes a detached copy of the mount tree at path (a recursive
// bind mount not yet attached anywhere), to be attached later with attach.
func cloneTree(path string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree", Path: path, Err: err}
	}
	return fd, nil
}

// attach mounts a tree made by cloneTree at target.
func attach(fd int, target string) error {
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move_mount", Path: target, Err: err}
	}
	return nil
}

// mountFd bind-mounts the file or directory behind fd onto target, through
// /proc/self/fd: the source was resolved once, on the host, and cannot be
// swapped for another path in between.
func mountFd(fd int, target string, flags uintptr) error {
	return mount(fmt.Sprintf("/proc/self/fd/%d", fd), target, "", flags, "")
}

func remountRO(target string, ro bool) error {
	if !ro {
		return nil
	}
	return mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC, "")
}

// setupDev gives the container a /dev of its own on tmpfs with the few
// nodes Docker creates, a new devpts instance, /dev/shm and /dev/mqueue.
// With --privileged it is the host's /dev instead.
func setupDev(spec *Spec, hostDev int) error {
	if spec.Privileged && hostDev >= 0 {
		if err := attach(hostDev, "/dev"); err != nil {
			return setupErr("binding the host's /dev: %w", err)
		}
	} else {
		if err := mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
			return setupErr("%w", err)
		}
		old := unix.Umask(0)
		defer unix.Umask(old)
		for _, d := range []struct {
			name         string
			major, minor uint32
		}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
			if err := unix.Mknod("/dev/"+d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
				return setupErr("creating /dev/%s: %w", d.name, err)
			}
		}
		for link, target := range map[string]string{
			"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0", "/dev/stdout": "/proc/self/fd/1",
			"/dev/stderr": "/proc/self/fd/2", "/dev/ptmx": "pts/ptmx", "/dev/core": "/proc/kcore",
		} {
			if err := os.Symlink(target, link); err != nil {
				return setupErr("%w", err)
			}
		}
		for _, d := range []string{"/dev/pts", "/dev/shm", "/dev/mqueue"} {
			if err := os.Mkdir(d, 0o755); err != nil {
				return setupErr("%w", err)
			}
		}
	}
	os.MkdirAll("/dev/pts", 0o755)
	os.MkdirAll("/dev/shm", 0o1777)
	os.MkdirAll("/dev/mqueue", 0o755)
	if err := mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"); err != nil {
		return setupErr("%w", err)
	}
	if err := mount("shm", "/dev/shm", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return setupErr("%w", err)
	}
	if err := mount("mqueue", "/dev/mqueue", "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return setupErr("%w", err)
	}
	return nil
}

// setupCgroupfs mounts the container's own view of its cgroups read-only at
// /sys/fs/cgroup: inside the cgroup namespace each hierarchy's root is the
// container's cgroup, so /sys/fs/cgroup/memory/memory.limit_in_bytes (v1)
// or /sys/fs/cgroup/memory.max (v2) shows its own limit.
func setupCgroupfs(mode string, v1 []v1Mount, privileged bool) error {
	ro := uintptr(unix.MS_RDONLY)
	if privileged {
		ro = 0
	}
	flags := unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | ro
	if mode == "v2" {
		if err := mount("cgroup2", "/sys/fs/cgroup", "cgroup2", flags, ""); err != nil {
			return setupErr("%w", err)
		}
		return nil
	}
	if err := mount("tmpfs", "/sys/fs/cgroup", "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV, "mode=755,size=64k"); err != nil {
		return setupErr("%w", err)
	}
	for _, m := range v1 {
		dir := "/sys/fs/cgroup/" + m.dir
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return setupErr("%w", err)
		}
		if err := mount("cgroup", dir, "cgroup", flags, m.options); err != nil {
			return setupErr("%w", err)
		}
	}
	if mode == "hybrid" {
		os.MkdirAll("/sys/fs/cgroup/unified", 0o755)
		if err := mount("cgroup2", "/sys/fs/cgroup/unified", "cgroup2", flags, ""); err != nil {
			return setupErr("%w", err)
		}
	}
	if ro != 0 {
		if err := mount("", "/sys/fs/cgroup", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV, "mode=755,size=64k"); err != nil {
			return setupErr("%w", err)
		}
	}
	return nil
}

// mountVolume bind-mounts a host path (already opened) at its target,
// creating the target inside the container. After pivot_root every path,
// symlinks included, resolves inside the container's root, so a hostile
// symlink can only lead back into it (CVE-2021-30465).
func mountVolume(fd int, v Volume) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return setupErr("--volume %s: %w", v.Source, err)
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if err := os.MkdirAll(v.Target, 0o755); err != nil {
			return setupErr("--volume target %s: %w", v.Target, err)
		}
	} else {
		os.MkdirAll(filepath.Dir(v.Target), 0o755)
		f, err := os.OpenFile(v.Target, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return setupErr("--volume target %s: %w", v.Target, err)
		}
		f.Close()
	}
	if err := attach(fd, v.Target); err != nil {
		return setupErr("--volume %s: %w", v.Source, err)
	}
	if err := remountRO(v.Target, v.ReadOnly); err != nil {
		return setupErr("--volume %s read-only: %w", v.Source, err)
	}
	return nil
}

// devNull opens our own /dev/null and checks it is the null device (char
// 1:3), so a mask can never bind some other file (CVE-2025-31133).
func devNull() (int, error) {
	fd, err := unix.Open("/dev/null", unix.O_PATH|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		unix.Close(fd)
		return -1, errors.New("/dev/null is not the null device (char 1:3)")
	}
	return fd, nil
}

// masker hides paths: /dev/null over files, and over directories a bind
// of an empty directory — from one read-only tmpfs for those that stay
// empty, from subdirectories of one writable tmpfs for those that get fresh
// content (/run, /tmp, ...). Binding is cheaper than a new tmpfs per path;
// the two helper mounts are detached again by done.
type masker struct {
	null   int
	ro, rw string // helper mount points, made on first use
	n      int
}

const maskHelpers = "/dev/.nsinspect-masks"

func newMasker() (*masker, error) {
	null, err := devNull()
	if err != nil {
		return nil, err
	}
	return &masker{null: null}, nil
}

func (m *masker) helper(name string, flags uintptr, data string) (string, error) {
	dir := maskHelpers + "/" + name
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, mount("tmpfs", dir, "tmpfs", flags, data)
}

// mask hides path. Missing paths and symlinks are skipped (a symlink's
// target is masked on its own, or lies outside what is hidden).
func (m *masker) mask(path string, writable bool) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return nil
	case !st.IsDir():
		return mountFd(m.null, path, unix.MS_BIND)
	case !writable:
		if m.ro == "" {
			if m.ro, err = m.helper("ro", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755,size=4k"); err != nil {
				return err
			}
		}
		return mount(m.ro, path, "", unix.MS_BIND, "")
	}
	if m.rw == "" {
		if m.rw, err = m.helper("rw", unix.MS_NOSUID|unix.MS_NODEV, "mode=755"); err != nil {
			return err
		}
	}
	mode := os.FileMode(0o755)
	switch path {
	case "/tmp", "/var/tmp":
		mode = 0o1777 | os.ModeSticky
	case "/root":
		mode = 0o700
	}
	m.n++
	src := fmt.Sprintf("%s/%d", m.rw, m.n)
	if err := os.Mkdir(src, mode.Perm()); err != nil {
		return err
	}
	if mode&os.ModeSticky != 0 {
		os.Chmod(src, mode)
	}
	return mount(src, path, "", unix.MS_BIND, "")
}

// done detaches the helper mounts (the binds keep their filesystems) and
// removes their directory from /dev.
func (m *masker) done() {
	for _, d := range []string{m.ro, m.rw} {
		if d != "" {
			unix.Unmount(d, unix.MNT_DETACH)
		}
	}
	os.RemoveAll(maskHelpers)
	unix.Close(m.null)
}

// maskHostSecrets hides the host's credentials and control sockets from a
// container whose lower layer is the host's own /. A --volume the user
// asked for is left alone.
func maskHostSecrets(m *masker, vols []Volume) error {
	skip := func(p string) bool {
		for _, v := range vols {
			if v.Target == p || strings.HasPrefix(v.Target, p+"/") {
				return true
			}
		}
		return false
	}
	for _, g := range hostSecretGlobs {
		matches, _ := filepath.Glob(g)
		for _, p := range matches {
			if !skip(p) {
				if err := m.mask(p, false); err != nil {
					return setupErr("masking %s: %w", p, err)
				}
			}
		}
	}
	for _, f := range hostSecretFiles {
		if !skip(f) {
			if err := m.mask(f, false); err != nil {
				return setupErr("masking %s: %w", f, err)
			}
		}
	}
	for _, d := range hostSecretDirs {
		if !skip(d) {
			// /run, /tmp, /root and /home stay writable, fresh and empty;
			// the data directories of other runtimes are empty and read-only.
			writable := d == "/run" || d == "/var/run" || d == "/tmp" || d == "/var/tmp" || d == "/root" || d == "/home"
			if err := m.mask(d, writable); err != nil {
				return setupErr("masking %s: %w", d, err)
			}
		}
	}
	return nil
}

// maskPaths applies Docker's masked and read-only paths.
func maskPaths(m *masker) error {
	paths := append([]string{}, maskedPaths...)
	throttle, _ := filepath.Glob("/sys/devices/system/cpu/cpu*/thermal_throttle")
	paths = append(paths, throttle...)
	for _, p := range paths {
		if err := m.mask(p, false); err != nil {
			return setupErr("masking %s: %w", p, err)
		}
	}
	for _, p := range readonlyPaths {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return setupErr("%w", err)
		}
		if err := mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return setupErr("making %s read-only: %w", p, err)
		}
	}
	return nil
}
