package inspect

import (
	"bytes"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// bufPool holds read buffers: /proc and cgroup files report size 0, so
// os.ReadFile starts at 512 bytes and grows, costing a read (and for some
// files a regeneration in the kernel) per step.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readFile reads a kernel file with as few system calls as possible and
// returns a copy of its content. It uses open/read/close directly: os.Open
// would also register each file with the runtime's poller (an fcntl and an
// epoll_ctl that fails for regular files), tripling the calls per file.
func readFile(path string) ([]byte, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	b, err := readInto(path, bp, false)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// readInto reads the file at path into *buf, grown when the file fills it;
// the result is valid until the next read into it.
//
// singleShow is for the files the kernel makes with a single show
// (single_open: /proc/<pid>/stat, /proc/<pid>/cgroup): such a seq_file
// copies all it holds to the caller, so a read that leaves room in the
// buffer is the whole file and the read that would return 0 is skipped.
// The scan reads two of these per process; on a host of 2000 processes
// that is 4000 system calls fewer. Multi-record files (mountinfo) stop
// short at every kernel page and must be read to the end.
func readInto(path string, buf *[]byte, singleShow bool) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	n := 0
	for {
		if n == len(*buf) {
			*buf = append(*buf, make([]byte, len(*buf)+512)...)
		}
		m, err := unix.Read(fd, (*buf)[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		n += m
		if m == 0 || singleShow && n < len(*buf) {
			return (*buf)[:n], nil
		}
	}
}

// sameContent reports whether the kernel file at path now reads as old,
// reading into buf (which must be larger than old) with one read when it
// can: a seq_file read that does not fill the buffer is the whole file.
func sameContent(path, old string, buf []byte) (bool, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, &os.PathError{Op: "read", Path: path, Err: err}
		}
		n += m
		if m == 0 || n < len(buf) || n > len(old) {
			break
		}
	}
	return string(buf[:n]) == old, nil
}
