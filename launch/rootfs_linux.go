package launch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
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

// The default root is an allow-list, not the host's / with holes punched
// in it: a deny-list of host secrets can never be complete (the Docker
// daemon's key in /etc/docker, databases under /var/lib, a checkout under
// /work, /.dockerenv). The container gets the host's system directories,
// each as an overlay whose writes stay in the container, and fresh empty
// directories for everything else; nothing else of the host unless -v
// asks for it.
var (
	systemDirs  = []string{"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"}
	scratchDirs = []struct {
		name string
		mode uint32
	}{
		{"tmp", 0o1777}, {"run", 0o755}, {"var", 0o755}, {"var/tmp", 0o1777}, {"root", 0o700},
		{"home", 0o755}, {"srv", 0o755}, {"opt", 0o755}, {"mnt", 0o755},
		{"proc", 0o555}, {"sys", 0o555}, {"dev", 0o755},
	}
)

// v1Mount is a cgroup v1 hierarchy of the host, mounted again inside.
type v1Mount struct {
	dir     string // e.g. "memory", "cpu,cpuacct"
	options string // e.g. "memory", "name=systemd"
}

// hostCgroupMounts reads the host's v1 hierarchies from our mountinfo
// before pivot_root hides it, with their super options less those that
// are not the hierarchy's (rw, xattr, a release_agent).
func hostCgroupMounts() []v1Mount {
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup"))
	if err != nil {
		return nil
	}
	var out []v1Mount
	for _, m := range mounts {
		dir, ok := strings.CutPrefix(m.Mountpoint, "/sys/fs/cgroup/")
		if !ok {
			continue
		}
		var opts []string
		for o := range strings.SplitSeq(m.VFSOptions, ",") {
			switch {
			case o == "rw" || o == "ro" || o == "xattr" || o == "clone_children" || o == "noprefix" || strings.HasPrefix(o, "release_agent="):
			default:
				opts = append(opts, o)
			}
		}
		out = append(out, v1Mount{dir: dir, options: strings.Join(opts, ",")})
	}
	return out
}

// mount is mount(2) for the staging steps before pivot_root, whose paths
// are all nsinspect's own (under the state directory, on its own tmpfs).
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
// host's v1 hierarchies for them, read while the host's tree is visible,
// and the descriptor of the new root.
func setupRootfs(cfg *initConfig) ([]v1Mount, int, error) {
	spec := &cfg.Spec
	if err := mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return nil, -1, setupErr("making / a slave mount: %w", err)
	}
	cgroupMounts := hostCgroupMounts()

	// One tmpfs holds the writable layer and, for the default root, the
	// fresh directories (/tmp, /run, /root, ...): so their sum is bounded
	// by one size, and its pages are charged to the container's memory
	// cgroup as the container writes them.
	stage := cfg.MountDir
	if err := mount("tmpfs", stage, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0700,size="+strconv.FormatInt(spec.tmpfsSize(), 10)); err != nil {
		return nil, -1, setupErr("mounting the writable layer: %w", err)
	}
	// The host's own hosts and resolv.conf, for the per-container copies
	// (host paths, read before anything of the container exists).
	hostHosts, _ := os.ReadFile("/etc/hosts")
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	etc := spec.etcFiles(hostHosts, hostResolv)
	var root string
	var err error
	if cfg.RootfsFd >= 0 {
		root, err = imageRoot(stage, cfg.RootfsFd, etc)
	} else {
		root, err = defaultRoot(stage, spec.ReadOnly, etc, cfg.HiddenEtc)
	}
	if err != nil {
		return nil, -1, err
	}
	pause(cfg, "after-mount")

	// Host trees the container gets (--privileged's /dev, a host /sys for
	// a container without a network namespace) are cloned now, as
	// detached mounts, while the host's tree is visible.
	hostDev := -1
	if spec.Privileged {
		if hostDev, err = cloneTree("/dev"); err != nil {
			return nil, -1, setupErr("cloning the host's /dev: %w", err)
		}
		defer unix.Close(hostDev)
	}
	hostSys, _ := cloneTree("/sys")
	if hostSys >= 0 {
		defer unix.Close(hostSys)
	}

	// pivot_root(".", ".") stacks the old root on top of the new one; a
	// lazy unmount then removes it, and with it every path to the host.
	if err := unix.Chdir(root); err != nil {
		return nil, -1, setupErr("%w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return nil, -1, pivotError(root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return nil, -1, setupErr("detaching the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return nil, -1, setupErr("%w", err)
	}
	rootfd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, -1, setupErr("opening the new root: %w", err)
	}
	pause(cfg, "after-pivot")

	if err := mountPseudo(rootfd, spec, hostDev, hostSys); err != nil {
		unix.Close(rootfd)
		return nil, -1, err
	}
	for i, tree := range cfg.VolumeFds {
		if err := mountVolume(rootfd, tree, spec.Volumes[i]); err != nil {
			unix.Close(rootfd)
			return nil, -1, err
		}
		unix.Close(tree)
	}
	if !spec.Privileged {
		if err := maskPaths(rootfd); err != nil {
			unix.Close(rootfd)
			return nil, -1, err
		}
	}
	return cgroupMounts, rootfd, nil
}

// pivotError explains the one pivot_root failure a user can meet on a
// normal host: the root being the initramfs (rootfs) itself, which can
// never be unmounted and so cannot be pivoted away from.
func pivotError(root string, err error) error {
	if err == unix.EINVAL {
		var sfs unix.Statfs_t
		if unix.Statfs("/", &sfs) == nil && (sfs.Type == unix.RAMFS_MAGIC || sfs.Type == unix.TMPFS_MAGIC) {
			return setupErr("pivot_root into %s: invalid argument: this host's / is its initramfs (rootfs), which pivot_root cannot leave; boot with a real root, or have the init switch_root to a tmpfs first", root)
		}
	}
	return setupErr("pivot_root into %s: %w", root, err)
}

// imageRoot is --rootfs: an overlay whose lower layer is the directory the
// launcher opened and cloned (a detached bind mount, attached here at
// stage/lower, so no path the directory's owner can swap is ever
// resolved again) and whose upper layer is on the stage tmpfs.
func imageRoot(stage string, tree int, etc map[string][]byte) (string, error) {
	lower, upper, work, merged := stage+"/lower", stage+"/upper", stage+"/work", stage+"/merged"
	for _, d := range []string{lower, upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", setupErr("%w", err)
		}
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, lower, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return "", setupErr("attaching --rootfs: %w", err)
	}
	unix.Close(tree)
	if err := mount("overlay", merged, "overlay", 0, fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)); err != nil {
		return "", setupErr("mounting the overlay root: %w", err)
	}
	// The image's /etc is the image's: resolve it inside the new root, and
	// leave an image without a plain /etc directory alone.
	rootfd, err := unix.Open(merged, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", setupErr("%w", err)
	}
	defer unix.Close(rootfd)
	etcfd, err := openIn(rootfd, "/etc", unix.RESOLVE_NO_SYMLINKS)
	if isNotExist(err) {
		etcfd, err = mkdirIn(rootfd, "/etc", 0o755)
	}
	if err != nil {
		return merged, nil
	}
	defer unix.Close(etcfd)
	if k, err := fdKind(etcfd); err != nil || k != unix.S_IFDIR {
		return merged, nil
	}
	return merged, writeEtc(etcfd, etc)
}

// writeEtc writes the per-container files (hostname, hosts, resolv.conf)
// into the directory etc, replacing what is there, never following it.
func writeEtc(etc int, files map[string][]byte) error {
	for name, b := range files {
		unix.Unlinkat(etc, name, 0) // a symlink or file of the image goes (a whiteout in the upper layer)
		how := &unix.OpenHow{Flags: unix.O_CREAT | unix.O_EXCL | unix.O_WRONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW, Mode: 0o644, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS}
		fd, err := unix.Openat2(etc, name, how)
		if err != nil {
			return setupErr("writing /etc/%s: %w", name, err)
		}
		_, err = unix.Write(fd, b)
		unix.Close(fd)
		if err != nil {
			return setupErr("writing /etc/%s: %w", name, err)
		}
	}
	return nil
}

// defaultRoot assembles the allow-list root on the stage tmpfs. The
// container's / is an overlay, as under any runtime: its lower layer is a
// skeleton made here (the fresh directories, /bin -> usr/bin where the
// host has merged /usr), its upper layer is on the stage tmpfs. The host's
// system directories are overlays mounted on it, each with the host's
// directory as the lower layer and its own upper layer on the stage tmpfs.
func defaultRoot(stage string, readOnly bool, etc map[string][]byte, hidden []string) (string, error) {
	skel, upper, work, root := stage+"/skel", stage+"/upper", stage+"/work", stage+"/merged"
	for _, d := range []string{skel, upper, work, root} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", setupErr("%w", err)
		}
	}
	for _, d := range scratchDirs {
		p := filepath.Join(skel, d.name)
		if err := unix.Mkdir(p, 0); err != nil {
			return "", setupErr("creating /%s: %w", d.name, err)
		}
		if err := unix.Chmod(p, d.mode); err != nil {
			return "", setupErr("%w", err)
		}
	}
	if err := os.Symlink("../run", skel+"/var/run"); err != nil {
		return "", setupErr("%w", err)
	}
	var overlays []string
	for _, d := range systemDirs {
		host := "/" + d
		st, err := os.Lstat(host)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return "", setupErr("%w", err)
		case st.Mode()&fs.ModeSymlink != 0: // /bin -> usr/bin on a merged-/usr host
			link, err := os.Readlink(host)
			if err != nil {
				return "", setupErr("%w", err)
			}
			if err := os.Symlink(link, filepath.Join(skel, d)); err != nil {
				return "", setupErr("%w", err)
			}
		case st.IsDir():
			if err := os.Mkdir(filepath.Join(skel, d), 0o755); err != nil {
				return "", setupErr("%w", err)
			}
			overlays = append(overlays, d)
		}
	}
	if err := mount("overlay", root, "overlay", 0, fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", skel, upper, work)); err != nil {
		return "", setupErr("mounting the overlay root: %w", err)
	}
	var flags uintptr
	if readOnly {
		flags = unix.MS_RDONLY
	}
	for _, d := range overlays {
		host := "/" + d
		upper, work := filepath.Join(stage, "layers", d, "upper"), filepath.Join(stage, "layers", d, "work")
		for _, p := range []string{upper, work} {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return "", setupErr("%w", err)
			}
		}
		if d == "etc" {
			if err := hideIn("/etc", upper, hidden); err != nil {
				return "", err
			}
			etcfd, err := unix.Open(upper, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return "", setupErr("%w", err)
			}
			err = writeEtc(etcfd, etc)
			unix.Close(etcfd)
			if err != nil {
				return "", err
			}
		}
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", host, upper, work)
		if err := mount("overlay", filepath.Join(root, d), "overlay", flags, opts); err != nil {
			return "", setupErr("mounting the overlay of %s: %w", host, err)
		}
	}
	return root, nil
}

// unreadableEntries lists, relative to dir, every entry the host does not
// let everyone read: a file without o+r, a directory without o+rx (whose
// contents it does not descend into). That rule, not a list of names, is
// what keeps /etc/shadow, sudoers, SSH host keys, the Docker daemon's
// key.json and whatever else a host keeps there out of the container.
// The launcher walks the host's /etc while the init starts up, so the
// walk costs no start-up time.
func unreadableEntries(dir string) []string {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var out []string
	walkUnreadable(fd, "", &out)
	return out
}

// walkUnreadable is the walk of unreadableEntries below the directory fd
// (which it closes), named rel. Directory entries carry their type, so
// symlinks (most of /etc/ssl/certs and /etc/alternatives) cost no stat;
// every other entry one fstatat relative to its directory.
func walkUnreadable(fd int, rel string, out *[]string) {
	dir := os.NewFile(uintptr(fd), rel)
	defer dir.Close()
	ents, _ := dir.ReadDir(-1)
	for _, e := range ents {
		if e.Type()&fs.ModeSymlink != 0 {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(fd, e.Name(), &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		p := filepath.Join(rel, e.Name())
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Mode&0o005 != 0o005:
			*out = append(*out, p)
		case st.Mode&unix.S_IFMT == unix.S_IFDIR:
			if sub, err := unix.Openat(fd, e.Name(), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
				walkUnreadable(sub, p, out)
			}
		case st.Mode&0o004 == 0:
			*out = append(*out, p)
		}
	}
}

// hideIn whites out the entries in the upper layer of the overlay of dir:
// a whiteout (a 0:0 character device in the upper layer) makes an entry
// absent in the merged view; the directories leading to it are made in
// the upper layer with the host's owner and mode, so the merged view
// shows them as the host has them.
func hideIn(dir, upper string, entries []string) error {
	for _, rel := range entries {
		if !filepath.IsLocal(rel) {
			return setupErr("hiding %s/%s: not a path below it", dir, rel)
		}
		if err := mkdirLike(dir, upper, filepath.Dir(rel)); err != nil {
			return setupErr("hiding %s/%s: %w", dir, rel, err)
		}
		if err := unix.Mknod(filepath.Join(upper, rel), unix.S_IFCHR, 0); err != nil && err != unix.EEXIST {
			return setupErr("hiding %s/%s: %w", dir, rel, err)
		}
	}
	return nil
}

// mkdirLike makes upper/rel and its parents with the owner and mode of
// the same directories under dir.
func mkdirLike(dir, upper, rel string) error {
	if rel == "." {
		return nil
	}
	if err := mkdirLike(dir, upper, filepath.Dir(rel)); err != nil {
		return err
	}
	p := filepath.Join(upper, rel)
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dir, rel), &st); err != nil {
		return err
	}
	if err := unix.Mkdir(p, 0); err != nil {
		return err
	}
	if err := unix.Lchown(p, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	return unix.Chmod(p, st.Mode&0o7777)
}

// cloneTree makes a detached copy of the host's mount tree at path (a
// recursive bind mount not yet attached anywhere). Only for host paths
// nsinspect names itself (/dev, /sys) before pivot_root.
func cloneTree(path string) (int, error) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return -1, &os.PathError{Op: "open_tree", Path: path, Err: err}
	}
	return fd, nil
}

// mountPseudo mounts /proc, /dev and /sys. Their mount points must be
// plain directories of the root: a symlink there is refused (a /proc that
// points elsewhere would put procfs, and its masks, somewhere else:
// CVE-2019-19921, CVE-2026-41579).
func mountPseudo(root int, spec *Spec, hostDev, hostSys int) error {
	for _, d := range []string{"/proc", "/sys", "/dev"} {
		fd, err := openIn(root, d, unix.RESOLVE_NO_SYMLINKS)
		if err != nil {
			if isNotExist(err) {
				if fd, err = mkdirIn(root, d, 0o755); err == nil {
					unix.Close(fd)
					continue
				}
			}
			if errors.Is(err, unix.ELOOP) {
				return setupErr("rootfs: %s must be a directory, not a symlink (refusing to mount through it)", d)
			}
			return setupErr("%w", err)
		}
		k, err := fdKind(fd)
		unix.Close(fd)
		if err != nil || k != unix.S_IFDIR {
			return setupErr("rootfs: %s must be a directory (refusing to mount on it)", d)
		}
	}
	proc, err := mountIn(root, "/proc", "proc", "proc", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NODEV)
	if err != nil {
		return setupErr("mounting /proc: %w", err)
	}
	defer unix.Close(proc)
	if err := writeSysctls(proc, spec); err != nil {
		return err
	}
	if err := setupDev(root, spec, hostDev); err != nil {
		return err
	}
	attrs := unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODEV
	if !spec.Privileged {
		attrs |= unix.MOUNT_ATTR_RDONLY
	}
	sys, err := mountIn(root, "/sys", "sysfs", "sysfs", attrs)
	if err != nil {
		// Without a network namespace of its own the kernel refuses a new
		// sysfs: show the host's, read-only unless --privileged.
		if hostSys < 0 {
			return setupErr("mounting /sys: %w", err)
		}
		target, oerr := openIn(root, "/sys", unix.RESOLVE_NO_SYMLINKS)
		if oerr != nil {
			return setupErr("%w", oerr)
		}
		defer unix.Close(target)
		if !spec.Privileged {
			if err := setAttrs(hostSys, unix.MOUNT_ATTR_RDONLY, true); err != nil {
				return setupErr("making the host's /sys read-only: %w", err)
			}
		}
		if err := attachTo(hostSys, target, "/sys"); err != nil {
			return setupErr("%w", err)
		}
		return nil
	}
	unix.Close(sys)
	return nil
}

// writeSysctls sets the network namespace's sysctls Docker sets (unless
// the container shares the host's network) and the --sysctl values, in
// the container's own procfs before /proc/sys is made read-only.
func writeSysctls(proc int, spec *Spec) error {
	for _, kv := range spec.sysctls() {
		path := "sys/" + strings.ReplaceAll(kv.key, ".", "/")
		how := &unix.OpenHow{Flags: unix.O_WRONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS}
		fd, err := unix.Openat2(proc, path, how)
		if err == unix.ENOENT && kv.implicit {
			continue // an older kernel without it: Docker's defaults are best effort
		}
		if err != nil {
			return setupErr("--sysctl %s: %w", kv.key, err)
		}
		_, err = unix.Write(fd, []byte(kv.value))
		unix.Close(fd)
		if err != nil {
			return setupErr("--sysctl %s=%s: %w", kv.key, kv.value, err)
		}
	}
	return nil
}

// setupDev gives the container a /dev of its own on tmpfs with the few
// nodes Docker creates, a new devpts instance, /dev/shm and /dev/mqueue.
// With --privileged it is the host's /dev instead.
func setupDev(root int, spec *Spec, hostDev int) error {
	dev := -1
	if spec.Privileged && hostDev >= 0 {
		target, err := openIn(root, "/dev", unix.RESOLVE_NO_SYMLINKS)
		if err != nil {
			return setupErr("%w", err)
		}
		err = attachTo(hostDev, target, "/dev")
		unix.Close(target)
		if err != nil {
			return setupErr("binding the host's /dev: %w", err)
		}
		if dev, err = openIn(root, "/dev", unix.RESOLVE_NO_SYMLINKS); err != nil {
			return setupErr("%w", err)
		}
	} else {
		var err error
		dev, err = mountIn(root, "/dev", "tmpfs", "tmpfs", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_STRICTATIME, "mode=755", "size=65536k")
		if err != nil {
			return setupErr("mounting /dev: %w", err)
		}
		old := unix.Umask(0)
		for _, d := range containerDevices {
			if !d.node {
				continue
			}
			if err := unix.Mknodat(dev, d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(uint32(d.major), uint32(d.minor)))); err != nil {
				unix.Umask(old)
				return setupErr("creating /dev/%s: %w", d.name, err)
			}
		}
		unix.Umask(old)
		for link, target := range map[string]string{
			"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
			"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx", "core": "/proc/kcore",
		} {
			if err := unix.Symlinkat(target, dev, link); err != nil {
				return setupErr("creating /dev/%s: %w", link, err)
			}
		}
		for _, d := range []string{"pts", "shm", "mqueue"} {
			if err := unix.Mkdirat(dev, d, 0o755); err != nil {
				return setupErr("creating /dev/%s: %w", d, err)
			}
		}
	}
	defer unix.Close(dev)
	for _, m := range []struct {
		dir, fstype string
		attrs       int
		opts        []string
	}{
		{"pts", "devpts", unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC, []string{"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{"shm", "tmpfs", unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, []string{"mode=1777", "size=65536k"}},
		{"mqueue", "mqueue", unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC, nil},
	} {
		unix.Mkdirat(dev, m.dir, 0o755) // the host's /dev (--privileged) may lack one
		mfd, err := mountIn(dev, m.dir, m.fstype, m.fstype, m.attrs, m.opts...)
		if err != nil {
			return setupErr("mounting /dev/%s: %w", m.dir, err)
		}
		unix.Close(mfd)
	}
	return nil
}

// setupCgroupfs mounts the container's own view of its cgroups read-only at
// /sys/fs/cgroup: inside the cgroup namespace each hierarchy's root is the
// container's cgroup, so /sys/fs/cgroup/memory/memory.limit_in_bytes (v1)
// or /sys/fs/cgroup/memory.max (v2) shows its own limit.
func setupCgroupfs(root int, mode string, v1 []v1Mount, privileged bool) error {
	attrs := unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NOEXEC | unix.MOUNT_ATTR_NODEV
	if !privileged {
		attrs |= unix.MOUNT_ATTR_RDONLY
	}
	if mode == "v2" {
		mfd, err := mountIn(root, "/sys/fs/cgroup", "cgroup2", "cgroup2", attrs)
		if err != nil {
			return setupErr("mounting /sys/fs/cgroup: %w", err)
		}
		unix.Close(mfd)
		return nil
	}
	tmp, err := mountIn(root, "/sys/fs/cgroup", "tmpfs", "tmpfs", unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NODEV, "mode=755", "size=64k")
	if err != nil {
		return setupErr("mounting /sys/fs/cgroup: %w", err)
	}
	defer unix.Close(tmp)
	mounts := make([]struct{ dir, fstype, opts string }, 0, len(v1)+1)
	for _, m := range v1 {
		mounts = append(mounts, struct{ dir, fstype, opts string }{m.dir, "cgroup", m.options})
	}
	if mode == "hybrid" {
		mounts = append(mounts, struct{ dir, fstype, opts string }{"unified", "cgroup2", ""})
	}
	for _, m := range mounts {
		if err := unix.Mkdirat(tmp, m.dir, 0o755); err != nil && err != unix.EEXIST {
			return setupErr("creating /sys/fs/cgroup/%s: %w", m.dir, err)
		}
		var opts []string
		if m.opts != "" {
			opts = strings.Split(m.opts, ",")
		}
		mfd, err := mountIn(tmp, m.dir, m.fstype, m.fstype, attrs, opts...)
		if err != nil {
			return setupErr("mounting /sys/fs/cgroup/%s: %w", m.dir, err)
		}
		unix.Close(mfd)
	}
	// Co-mounted controllers (cpu,cpuacct and net_cls,net_prio on every
	// distribution's v1 layout) are reached by their single names too, as
	// on the host and under runc: cpu -> cpu,cpuacct. Found missing on the
	// pure v1 guest of scripts/vm, where /sys/fs/cgroup/cpu/cpu.cfs_quota_us
	// did not exist inside.
	for _, m := range mounts {
		if m.fstype != "cgroup" || !strings.Contains(m.dir, ",") {
			continue
		}
		for _, name := range strings.Split(m.dir, ",") {
			if err := unix.Symlinkat(m.dir, tmp, name); err != nil && err != unix.EEXIST {
				return setupErr("linking /sys/fs/cgroup/%s to %s: %w", name, m.dir, err)
			}
		}
	}
	if !privileged {
		if err := setAttrs(tmp, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NOEXEC|unix.MOUNT_ATTR_NODEV, false); err != nil {
			return setupErr("making /sys/fs/cgroup read-only: %w", err)
		}
	}
	return nil
}

// mountVolume attaches a volume (a detached tree the launcher cloned from
// the host path it opened) at its target inside the container, creating
// the target there. The target resolves inside the container's root, so
// a symlink in a hostile or shared tree can only lead back into it
// (CVE-2021-30465).
func mountVolume(root, tree int, v Volume) error {
	k, err := fdKind(tree)
	if err != nil {
		return setupErr("--volume %s: %w", v.Source, err)
	}
	var target int
	if k == unix.S_IFDIR {
		target, err = mkdirIn(root, v.Target, 0o755)
	} else {
		target, err = createIn(root, v.Target)
	}
	if err != nil {
		return setupErr("--volume target %s: %w", v.Target, err)
	}
	defer unix.Close(target)
	if tk, err := fdKind(target); err != nil || (tk == unix.S_IFDIR) != (k == unix.S_IFDIR) {
		return setupErr("--volume %s: the target %s is not a %s", v.Source, v.Target, map[bool]string{true: "directory", false: "file"}[k == unix.S_IFDIR])
	}
	if err := attachTo(tree, target, v.Target); err != nil {
		return setupErr("--volume %s: %w", v.Source, err)
	}
	return nil
}

// devNull opens our own /dev/null and checks it is the null device (char
// 1:3), so a mask can never bind some other file (CVE-2025-31133).
func devNull(root int) (int, error) {
	fd, err := openIn(root, "/dev/null", unix.RESOLVE_NO_SYMLINKS)
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

// maskPaths applies Docker's masked paths (/dev/null over files, an empty
// read-only tmpfs over directories) and read-only paths. Each target is
// opened inside the root without following symlinks and checked to be on
// the procfs or sysfs nsinspect mounted, then covered through that
// descriptor.
func maskPaths(root int) error {
	null, err := devNull(root)
	if err != nil {
		return setupErr("%w", err)
	}
	defer unix.Close(null)
	paths := append([]string{}, maskedPaths...)
	// The thermal_throttle directories of every CPU (Docker's list has a
	// glob); /sys is our own sysfs, read-only, so this listing is trusted.
	if cpus, err := os.ReadDir("/sys/devices/system/cpu"); err == nil {
		for _, c := range cpus {
			if p := "/sys/devices/system/cpu/" + c.Name() + "/thermal_throttle"; strings.HasPrefix(c.Name(), "cpu") {
				paths = append(paths, p)
			}
		}
	}
	for _, p := range paths {
		target, err := pseudoTarget(root, p)
		if err != nil {
			return err
		}
		if target < 0 {
			continue
		}
		k, _ := fdKind(target)
		if k == unix.S_IFDIR {
			// A fresh empty tmpfs per directory, attached straight from
			// fsmount: before Linux 6.15 open_tree cannot clone a
			// detached mount (EINVAL), so one tmpfs cannot be shared.
			var empty int
			if empty, err = newFS("tmpfs", "tmpfs", unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC, "mode=755", "size=4k"); err == nil {
				err = attachTo(empty, target, p)
				unix.Close(empty)
			}
		} else {
			err = bindOnto(null, target, p, 0)
		}
		unix.Close(target)
		if err != nil {
			return setupErr("masking %s: %w", p, err)
		}
	}
	for _, p := range readonlyPaths {
		target, err := pseudoTarget(root, p)
		if err != nil {
			return err
		}
		if target < 0 {
			continue
		}
		tree, err := cloneFd(target, true)
		if err == nil {
			if err = setAttrs(tree, unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC, true); err == nil {
				err = attachTo(tree, target, p)
			}
			unix.Close(tree)
		}
		unix.Close(target)
		if err != nil {
			return setupErr("making %s read-only: %w", p, err)
		}
	}
	return nil
}

// pseudoTarget opens a path of Docker's mask lists inside the root and
// checks it lies on procfs or sysfs; -1 when it does not exist (kernels
// differ in what they have).
func pseudoTarget(root int, p string) (int, error) {
	fd, err := openIn(root, p, unix.RESOLVE_NO_SYMLINKS)
	if isNotExist(err) || errors.Is(err, unix.ENOTDIR) {
		return -1, nil
	}
	if err != nil {
		return -1, setupErr("masking %s: %w", p, err)
	}
	magic := int64(unix.PROC_SUPER_MAGIC)
	if strings.HasPrefix(p, "/sys/") {
		magic = unix.SYSFS_MAGIC
	}
	if !onFS(fd, magic) {
		unix.Close(fd)
		return -1, setupErr("masking %s: not on the container's %s (refusing to mask something else)", p, map[bool]string{true: "sysfs", false: "procfs"}[magic == unix.SYSFS_MAGIC])
	}
	return fd, nil
}
