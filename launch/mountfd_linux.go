package launch

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// Mounting by descriptor. A path inside a container's root can be changed
// by whoever writes that tree (a hostile --rootfs, a volume shared with
// another container) between the moment it is checked and the moment a
// mount lands on it: a /proc swapped for a symlink makes procfs land
// elsewhere and leaves the real one unmasked (CVE-2019-19921); a volume
// target swapped for a symlink puts the host's directory where the
// attacker chose (CVE-2021-30465). So every target is opened once with
// openat2(RESOLVE_IN_ROOT), which keeps symlinks and ".." inside the
// container's root, checked through that descriptor, and mounted onto
// through it with move_mount(MOVE_MOUNT_T_EMPTY_PATH); filesystems are made
// with fsopen/fsmount and never pass through a path at all. This needs the
// new mount API (Linux 5.2), openat2 (5.6) and mount_setattr (5.12).

// inRoot is the resolution every path inside the container goes through.
const inRoot = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// openIn opens path inside root (a directory descriptor that stands for
// the container's /) as an O_PATH descriptor, with extra RESOLVE_ flags.
func openIn(root int, path string, resolve uint64) (int, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: inRoot | resolve}
	fd, err := unix.Openat2(root, relative(path), how)
	if err != nil {
		return -1, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return fd, nil
}

func relative(path string) string {
	if p := strings.TrimLeft(path, "/"); p != "" {
		return p
	}
	return "."
}

// mkdirIn makes path and its missing parents inside root and returns an
// O_PATH descriptor of it.
func mkdirIn(root int, path string, mode uint32) (int, error) {
	return makeIn(root, path, func(dir int, name string) error {
		if err := unix.Mkdirat(dir, name, mode); err != nil && err != unix.EEXIST {
			return err
		}
		return nil
	})
}

// createIn makes path an empty regular file inside root (for a bind mount
// of a file onto it) and returns an O_PATH descriptor of it.
func createIn(root int, path string) (int, error) {
	return makeIn(root, path, func(dir int, name string) error {
		how := &unix.OpenHow{Flags: unix.O_CREAT | unix.O_WRONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW, Mode: 0o644, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS}
		fd, err := unix.Openat2(dir, name, how)
		if err == nil {
			unix.Close(fd)
		}
		return err
	})
}

// makeIn opens path inside root, or makes it with create in its parent
// (made as directories first). Existing components resolve inside root (a
// symlink among them leads somewhere inside the container, never out);
// what it makes is opened without following anything, so a directory
// swapped for a symlink right after it was made is an error, not a
// redirection.
func makeIn(root int, path string, create func(dir int, name string) error) (int, error) {
	fd, err := openIn(root, path, 0)
	if err == nil || !isNotExist(err) {
		return fd, err
	}
	parent, base := splitPath(path)
	pfd, err := mkdirIn(root, parent, 0o755)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	if err := create(pfd, base); err != nil {
		return -1, &os.PathError{Op: "create", Path: path, Err: err}
	}
	return openBeneath(pfd, base, path)
}

// openBeneath opens name in dir without following any symlink.
func openBeneath(dir int, name, path string) (int, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC | unix.O_NOFOLLOW, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS}
	fd, err := unix.Openat2(dir, name, how)
	if err != nil {
		return -1, &os.PathError{Op: "openat2", Path: path, Err: err}
	}
	return fd, nil
}

func splitPath(path string) (parent, base string) {
	path = "/" + strings.Trim(path, "/")
	i := strings.LastIndexByte(path, '/')
	return path[:i], path[i+1:]
}

func isNotExist(err error) bool {
	pe, ok := err.(*os.PathError)
	return ok && pe.Err == unix.ENOENT
}

// fdKind is the file type of fd, from fstat.
func fdKind(fd int) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Mode & unix.S_IFMT, nil
}

// onFS reports whether fd lies on a filesystem of the given statfs magic.
func onFS(fd int, magic int64) bool {
	var sfs unix.Statfs_t
	return unix.Fstatfs(fd, &sfs) == nil && int64(sfs.Type) == magic
}

// attachTo mounts a detached tree (from fsmount or open_tree) onto the
// object target refers to.
func attachTo(tree, target int, path string) error {
	if err := unix.MoveMount(tree, "", target, "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move_mount", Path: path, Err: err}
	}
	return nil
}

// newFS makes a filesystem and a detached mount of it, ready for attachTo.
// Options are "key=value" or bare flags, as mount -o takes them.
func newFS(fstype, source string, attrs int, options ...string) (int, error) {
	fsfd, err := unix.Fsopen(fstype, unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("fsopen %s: %w", fstype, err)
	}
	defer unix.Close(fsfd)
	if source != "" {
		if err := unix.FsconfigSetString(fsfd, "source", source); err != nil {
			return -1, fmt.Errorf("%s source=%s: %w", fstype, source, err)
		}
	}
	for _, o := range options {
		if k, v, ok := strings.Cut(o, "="); ok {
			err = unix.FsconfigSetString(fsfd, k, v)
		} else {
			err = unix.FsconfigSetFlag(fsfd, o)
		}
		if err != nil {
			return -1, fmt.Errorf("%s option %s: %w", fstype, o, err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("creating %s: %w", fstype, err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, attrs)
	if err != nil {
		return -1, fmt.Errorf("fsmount %s: %w", fstype, err)
	}
	return mfd, nil
}

// mountIn makes a filesystem and mounts it at dir inside root; dir must be
// a plain directory (no symlink anywhere on the way). It returns the mount's
// root descriptor, for creating what goes inside it.
func mountIn(root int, dir, fstype, source string, attrs int, options ...string) (int, error) {
	target, err := openIn(root, dir, unix.RESOLVE_NO_SYMLINKS)
	if err != nil {
		return -1, err
	}
	defer unix.Close(target)
	if k, err := fdKind(target); err != nil || k != unix.S_IFDIR {
		return -1, fmt.Errorf("%s is not a directory: refusing to mount %s on it", dir, fstype)
	}
	mfd, err := newFS(fstype, source, attrs, options...)
	if err != nil {
		return -1, err
	}
	if err := attachTo(mfd, target, dir); err != nil {
		unix.Close(mfd)
		return -1, err
	}
	return mfd, nil
}

// cloneFd makes a detached copy of the mount of the object fd refers to
// (a bind mount of it), recursive when asked.
func cloneFd(fd int, recursive bool) (int, error) {
	flags := uint(unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC | unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	tree, err := unix.OpenTree(fd, "", flags)
	if err != nil {
		return -1, fmt.Errorf("open_tree: %w", err)
	}
	return tree, nil
}

// setAttrs changes mount attributes (read-only, nosuid, ...) of a mount,
// detached or attached, and of its submounts when recursive.
func setAttrs(fd int, set uint64, recursive bool) error {
	flags := uint(unix.AT_EMPTY_PATH)
	if recursive {
		flags |= unix.AT_RECURSIVE
	}
	if err := unix.MountSetattr(fd, "", flags, &unix.MountAttr{Attr_set: set}); err != nil {
		return fmt.Errorf("mount_setattr: %w", err)
	}
	return nil
}

// bindOnto binds the object src refers to onto target inside root: a file
// onto a file, a directory onto a directory.
func bindOnto(src, target int, path string, set uint64) error {
	tree, err := cloneFd(src, false)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer unix.Close(tree)
	if set != 0 {
		if err := setAttrs(tree, set, false); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return attachTo(tree, target, path)
}
