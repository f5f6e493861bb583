package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OOMKill is one kill of the memory cgroup OOM killer, as the kernel logs
// it: "oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/docker/<id>,
// task_memcg=/docker/<id>,task=tail,pid=31019,uid=0". Memcg is the cgroup
// whose limit was hit, as the cgroup's path in the hierarchy (the path
// /proc/<pid>/cgroup shows for a process in it).
type OOMKill struct {
	Memcg     string
	TaskMemcg string
	Seq       uint64
}

// OOMWatch follows the kernel log for memory cgroup OOM kills. A
// container that is OOM-killed and removed between two reads of its
// cgroup leaves no counter to read; the log line stays.
type OOMWatch struct {
	fd  int
	buf []byte
}

// WatchOOMKills opens the kernel log (/dev/kmsg under the FS's root
// device directory) at its end: kills from now on are seen. It needs
// CAP_SYSLOG where kernel.dmesg_restrict is set (Debian's default) —
// root has it.
func (fsys FS) WatchOOMKills(devDir string) (*OOMWatch, error) {
	path := filepath.Join(devDir, "kmsg")
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("seeking to the end of %s: %w", path, err)
	}
	return &OOMWatch{fd: fd, buf: make([]byte, 8192)}, nil
}

// Close closes the log.
func (w *OOMWatch) Close() error { return unix.Close(w.fd) }

// Read returns the OOM kills logged since the last Read, without
// waiting. Each read(2) of /dev/kmsg returns one record; EAGAIN says
// there is none left, EPIPE that records were overwritten before they
// were read (then the next read goes on with the oldest left): lost
// records are counted in lost.
func (w *OOMWatch) Read() (kills []OOMKill, lost int, err error) {
	for range 100000 { // a bound: the ring buffer holds far fewer
		n, err := unix.Read(w.fd, w.buf)
		switch {
		case errors.Is(err, unix.EAGAIN):
			return kills, lost, nil
		case errors.Is(err, unix.EPIPE):
			lost++
			continue
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return kills, lost, err
		}
		if k, ok := parseOOMKill(w.buf[:n]); ok {
			kills = append(kills, k)
		}
	}
	return kills, lost, nil
}

// parseOOMKill reads one /dev/kmsg record: "PRI,SEQ,USEC,FLAGS;TEXT\n"
// then continuation lines. Only the kernel's own records count: a
// process that may write /dev/kmsg can log any text, but the kernel
// gives what userspace writes the user facility (devkmsg_write), never
// facility 0. The task's name, which the process chose, comes last in
// the line, after the cgroups, and is not read.
func parseOOMKill(rec []byte) (OOMKill, bool) {
	head, text, ok := bytes.Cut(rec, []byte(";"))
	if !ok {
		return OOMKill{}, false
	}
	fields := strings.Split(string(head), ",")
	if len(fields) < 3 {
		return OOMKill{}, false
	}
	pri, err := strconv.ParseUint(fields[0], 10, 32)
	if err != nil || pri>>3 != 0 {
		return OOMKill{}, false
	}
	seq, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return OOMKill{}, false
	}
	line, _, _ := bytes.Cut(text, []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("oom-kill:"))
	if !ok {
		return OOMKill{}, false
	}
	// The fields before task= are the kernel's; a cgroup path may hold
	// commas only if someone named a cgroup so, which needs write access
	// to cgroupfs: split at the known keys, in order.
	s := string(rest)
	if i := strings.Index(s, ",task="); i >= 0 {
		s = s[:i]
	}
	k := OOMKill{Seq: seq}
	memcg, ok := between(s, ",oom_memcg=", ",task_memcg=")
	if !ok {
		return OOMKill{}, false
	}
	k.Memcg = memcg
	if i := strings.Index(s, ",task_memcg="); i >= 0 {
		k.TaskMemcg = s[i+len(",task_memcg="):]
	}
	if !strings.HasPrefix(k.Memcg, "/") {
		return OOMKill{}, false
	}
	return k, true
}

// between is the text of s after start up to end (or the end of s).
func between(s, start, end string) (string, bool) {
	i := strings.Index(s, start)
	if i < 0 {
		return "", false
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		s = s[:j]
	}
	return s, true
}
