package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Reads of files that a container or another user controls, and of kernel
// files that can block.
//
// nsinspect runs as root beside containers it does not trust, and a path
// through /proc/<pid>/root is not confined to that root: the kernel walks
// an absolute symlink from the *reader's* root, so a container whose
// /run/.containerenv links to /etc/hostname makes the reader open the
// host's file. A FIFO there blocks open(2) until a writer comes; a device
// node's open(2) runs its driver (a watchdog arms on open); a FUSE file
// (lxcfs, or a FUSE daemon of the container's own) blocks every call its
// daemon does not answer, O_NONBLOCK or not. A user's home directory is the
// same kind of tree for the files nsinspect reads there (rootless podman's
// store).
//
// So every such read goes through readIn:
//
//   - each path is resolved by openat2(2) with RESOLVE_IN_ROOT, which walks
//     absolute symlinks and ".." from the given root, never above it, and
//     RESOLVE_NO_MAGICLINKS, so no /proc/<n>/root or /proc/self/fd/<n> link
//     inside the tree jumps out of it;
//   - the file is first opened O_PATH, which opens nothing (no FIFO wait, no
//     driver call), and fstat'd; only a regular file is then opened for
//     reading, through /proc/self/fd/<n>, which reopens the very inode that
//     was checked: the container cannot swap a device in between;
//   - it reads at most limit bytes, and a larger file is an error: a
//     truncated marker or store would be parsed as if it were whole;
//   - the whole walk runs on a goroutine of its own under readTimeout.
//
// A read that times out cannot be cancelled (a task blocked on FUSE or on
// another process's mm lock waits in the kernel), only abandoned. hangs
// remembers it until its goroutine returns, and reads of the same path fail
// at once meanwhile: a caller that samples for hours (stats, an exporter)
// leaves at most one stuck goroutine per path, not one per sample.

// readTimeout bounds every read of a file a container or another user
// controls (open, resolution and read together), and of kernel files that
// wait on another process (cmdline, environ). A local file or a healthy
// FUSE daemon answers in microseconds; a second is long enough never to
// fail a loaded host and short enough that a hung file costs ps one second.
const readTimeout = time.Second

// Bounds of what readIn reads, per file.
const (
	// markerLimit: /run/.containerenv holds a few hundred bytes.
	markerLimit = 64 << 10
	// storeLimit: podman's containers.json holds about a kilobyte per
	// container, so some eight thousand containers.
	storeLimit = 8 << 20
)

// hangs are the reads of one FS that timed out and have not returned,
// keyed by the path they read. The path names the process
// (/proc/<pid>/root/..., /proc/<pid>/cmdline), so a process that gets the
// pid of one whose read hangs fails fast too, until that read returns
// (which it usually does when the old process is gone: a FUSE daemon in
// the container dies with it).
type hangs struct {
	mu      sync.Mutex
	stuck   map[string]*pendingRead
	timeout time.Duration
	// stall, set by tests, runs on the read's goroutine before the read:
	// a blocking stall stands in for a FUSE file that never answers.
	stall func(path string)
}

type pendingRead struct {
	started time.Time
	done    bool // the goroutine returned; guarded by hangs.mu
}

func newHangs() *hangs {
	return &hangs{stuck: map[string]*pendingRead{}, timeout: readTimeout}
}

// withDeadline runs read on a goroutine and waits for it at most the FS's
// timeout. path names the read in errors and in hangs.
func withDeadline[T any](fsys FS, path string, read func() (T, error)) (T, error) {
	h := fsys.hangs
	if h == nil {
		h = &hangs{timeout: readTimeout} // an FS not made by NewFS: no memory
	}
	var zero T
	h.mu.Lock()
	if p, ok := h.stuck[path]; ok {
		h.mu.Unlock()
		return zero, fmt.Errorf("%s: %w after %v (FUSE?) at %s and that read still hangs; not retried until it returns",
			path, ErrTimedOut, h.timeout, p.started.Format(time.TimeOnly))
	}
	h.mu.Unlock()

	type result struct {
		v   T
		err error
	}
	p := &pendingRead{started: time.Now()}
	ch := make(chan result, 1) // buffered: an abandoned goroutine still ends
	stall := h.stall
	go func() {
		if stall != nil {
			stall(path)
		}
		v, err := read()
		ch <- result{v, err}
		h.mu.Lock()
		p.done = true
		if h.stuck[path] == p {
			delete(h.stuck, path)
		}
		h.mu.Unlock()
	}()
	timer := time.NewTimer(h.timeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-timer.C:
		h.mu.Lock()
		if !p.done && h.stuck != nil {
			h.stuck[path] = p
		}
		h.mu.Unlock()
		return zero, fmt.Errorf("%s: %w after %v (FUSE?)", path, ErrTimedOut, h.timeout)
	}
}

// readSlow reads a kernel file that can block on another process:
// /proc/<pid>/cmdline and environ take the target's mm lock
// (access_remote_vm), which a task stuck in a page fault on a hung FUSE or
// NFS mapping holds, and environ's open waits on its exec lock. Files the
// kernel answers from its own structures (stat, status, cgroup, ns links,
// mountinfo) do not wait on the target and are read directly, without a
// goroutine: ps reads them for every process.
func (fsys FS) readSlow(path string) ([]byte, error) {
	return withDeadline(fsys, path, func() ([]byte, error) { return readFile(path) })
}

// readIn reads a regular file of at most limit bytes inside root, a
// directory nsinspect trusts (opened as it is: /proc/<pid>/root, the host's
// root). Each of rels is resolved inside the directory the one before it
// named, the first inside root, so readIn(lim, "/proc/1/root",
// "home/alice", ".local/share/f") resolves the home directory inside the
// host's root and the file inside the home. See the comment at the top.
func (fsys FS) readIn(limit int, root string, rels ...string) ([]byte, error) {
	path := joinRels(root, rels)
	return withDeadline(fsys, path, func() ([]byte, error) {
		fd, err := walkIn(path, root, rels)
		if err != nil {
			return nil, err
		}
		defer unix.Close(fd)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fileType(st.Mode))
		}
		rfd, err := unix.Open(fdPath(fd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: reopening for reading: %w", path, err)
		}
		defer unix.Close(rfd)
		return readLimit(path, rfd, limit)
	})
}

// existsIn reports whether rels name anything inside root (see readIn),
// resolved the same confined way: the existence check of a marker such as
// /.dockerenv, whatever its type. A missing file is false and no error.
func (fsys FS) existsIn(root string, rels ...string) (bool, error) {
	path := joinRels(root, rels)
	return withDeadline(fsys, path, func() (bool, error) {
		fd, err := walkIn(path, root, rels)
		if err != nil {
			if absent(err) {
				return false, nil
			}
			return false, err
		}
		unix.Close(fd)
		return true, nil
	})
}

// walkIn opens root and then each of rels inside the one before, O_PATH:
// the last is returned open (the caller closes it), following its final
// symlink, inside the root.
func walkIn(path, root string, rels []string) (int, error) {
	dir, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("%s: opening %s: %w", path, root, err)
	}
	for i, rel := range rels {
		flags := uint64(unix.O_PATH)
		if i < len(rels)-1 {
			flags |= unix.O_DIRECTORY
		}
		fd, err := openIn(dir, rel, flags)
		unix.Close(dir)
		if err != nil {
			return -1, fmt.Errorf("%s: %w", path, err)
		}
		dir = fd
	}
	return dir, nil
}

// openIn is openat2(dirfd, rel) confined to dirfd. The kernel answers
// EAGAIN when a rename during the walk might have let ".." escape; it is
// retried a few times, not forever, since the container can keep renaming.
func openIn(dirfd int, rel string, flags uint64) (int, error) {
	how := unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for range 16 {
		fd, err := unix.Openat2(dirfd, rel, &how)
		switch err {
		case nil:
			return fd, nil
		case unix.EINTR, unix.EAGAIN:
			continue
		case unix.ENOSYS:
			return -1, fmt.Errorf("openat2 (Linux 5.6): %w", ErrUnsupported)
		}
		return -1, err
	}
	return -1, fmt.Errorf("openat2 %s: %w", rel, unix.EAGAIN)
}

// readLimit reads fd to its end, failing when it holds more than limit
// bytes.
func readLimit(path string, fd, limit int) ([]byte, error) {
	buf := make([]byte, 0, min(limit+1, 4<<10))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):min(cap(buf), limit+1)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			return nil, fmt.Errorf("%s: %w (over %d KiB)", path, ErrTooLarge, limit>>10)
		}
	}
}

// absent is true for an error that means there is no such file: a missing
// entry, a file where a directory was expected, or the process is gone.
func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ESRCH)
}

// joinRels is the path readIn names in errors and keys hangs by:
// /proc/42/root/run/.containerenv, /proc/1/root/home/alice/.local/...
func joinRels(root string, rels []string) string {
	p := strings.TrimSuffix(root, "/")
	for _, r := range rels {
		p += "/" + strings.Trim(r, "/")
	}
	return p
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	}
	return fmt.Sprintf("mode %#o", mode&unix.S_IFMT)
}

// devLimit bounds the /dev entries read for hostDeviceNode: a container's
// /dev holds a few dozen; a host's, a few hundred.
const devLimit = 4096

// deviceNodesIn lists the device nodes directly in dir (a directory inside
// root, resolved confined to it) as "name b|c major:minor": read with
// getdents and fstatat(AT_SYMLINK_NOFOLLOW) on the opened directory, so
// nothing the container names is followed or opened, under the read
// deadline and bounded.
func (fsys FS) deviceNodesIn(root, dir string) ([]string, error) {
	path := joinRels(root, []string{dir})
	return withDeadline(fsys, path, func() ([]string, error) {
		fd, err := walkIn(path, root, []string{dir})
		if err != nil {
			return nil, err
		}
		defer unix.Close(fd)
		// O_PATH descriptors cannot be read: reopen the same inode.
		dfd, err := unix.Open(fdPath(fd), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		f := os.NewFile(uintptr(dfd), path)
		defer f.Close()
		names, err := f.Readdirnames(devLimit)
		if err != nil && len(names) == 0 {
			return nil, nil
		}
		var out []string
		for _, n := range names {
			var st unix.Stat_t
			if unix.Fstatat(dfd, n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
				continue
			}
			kind := ""
			switch st.Mode & unix.S_IFMT {
			case unix.S_IFBLK:
				kind = "b"
			case unix.S_IFCHR:
				kind = "c"
			default:
				continue
			}
			out = append(out, fmt.Sprintf("%s %s %d:%d", n, kind, unix.Major(st.Rdev), unix.Minor(st.Rdev)))
		}
		return out, nil
	})
}
