package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The host paths a container gets (--rootfs, -v sources) are opened once,
// by the launcher, and cloned there as detached mount trees (open_tree)
// that the init attaches: no path is resolved again between the check and
// the mount, so a directory swapped for a symlink in between (by whoever
// can write its parent: another user, another container sharing it)
// cannot redirect the mount. The path is opened without following any
// symlink: one in it is an error that says so, since the object a symlink
// names is whatever its owner says at the moment of the mount.

// openHostPath opens path as given, following no symlink on the way.
func openHostPath(flag, path string) (int, error) {
	fd, err := unix.Openat2(unix.AT_FDCWD, path, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
	switch {
	case errors.Is(err, unix.ELOOP):
		// The resolved path, for the message only: it is what the symlink
		// names now, which is exactly what cannot be trusted to last.
		hint := "the path with its symlinks resolved"
		if real, err := filepath.EvalSymlinks(path); err == nil {
			hint = real
		}
		return -1, &ExitError{Code: 125, Err: fmt.Errorf("%s %s: the path has a symlink in it; give %s instead (nsinspect follows no symlink here, so the path cannot be swapped between its check and the mount)", flag, path, hint)}
	case err != nil:
		return -1, &ExitError{Code: 125, Err: fmt.Errorf("%s %s: %w", flag, path, err)}
	}
	return fd, nil
}

// rootfsTree opens the --rootfs directory and clones it.
func rootfsTree(path string) (*os.File, error) {
	fd, err := openHostPath("--rootfs", path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st, root unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("--rootfs %s: not a directory", path)}
	}
	// The host's / itself (a bind mount of it, a path that leads to it) is
	// not an image: it would give the container the whole host. The
	// default root is the way to run on the host's system directories.
	if unix.Stat("/", &root) == nil && st.Dev == root.Dev && st.Ino == root.Ino {
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("--rootfs %s: this is the host's /; leave out --rootfs to run on the host's system directories", path)}
	}
	tree, err := cloneFd(fd, false)
	if err != nil {
		return nil, fmt.Errorf("--rootfs %s: %w", path, err)
	}
	return os.NewFile(uintptr(tree), "rootfs-tree"), nil
}

// volumeTree opens a -v source and clones it, with its submounts as
// docker's -v does (rbind), read-only for :ro.
func volumeTree(v Volume) (*os.File, error) {
	fd, err := openHostPath("--volume", v.Source)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	tree, err := cloneFd(fd, true)
	if err != nil {
		return nil, fmt.Errorf("--volume %s: %w", v.Source, err)
	}
	if v.ReadOnly {
		if err := setAttrs(tree, unix.MOUNT_ATTR_RDONLY, true); err != nil {
			unix.Close(tree)
			return nil, fmt.Errorf("--volume %s:ro: %w", v.Source, err)
		}
	}
	return os.NewFile(uintptr(tree), "volume-tree"), nil
}
