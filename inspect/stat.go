package inspect

import (
	"bytes"
	"fmt"
	"strconv"
)

// Stat is the part of /proc/<pid>/stat nsinspect uses.
type Stat struct {
	PID        int
	Comm       string
	State      string
	PPid       int
	Flags      uint64 // field 9: the task's PF_* flags
	StartTicks uint64 // field 22: start time after boot, in USER_HZ ticks
}

// pfKthread is PF_KTHREAD (include/linux/sched.h): set by the kernel on
// its own threads, never by a process.
const pfKthread = 0x00200000

// parseStat understands /proc/<pid>/stat:
//
//	4242 (my (odd) comm) S 1 4242 4242 0 -1 4194560 ... 22:starttime ...
//
// The comm is whatever lies between the first '(' and the last ')', since a
// comm may itself contain spaces and parentheses.
func parseStat(b []byte) (*Stat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return nil, fmt.Errorf("parsing stat: no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return nil, fmt.Errorf("parsing stat pid: %w", err)
	}
	// Fields 3 (state), 4 (ppid), 9 (flags) and 22 (starttime), found in place: the
	// scan parses every process's stat, and splitting all 52 fields cost
	// an allocation per process.
	var rest [20][]byte // rest[0] is field 3; field n is rest[n-3]
	nf := 0
	for f := b[closing+1:]; nf < len(rest); nf++ {
		i := 0
		for i < len(f) && asciiSpace(f[i]) {
			i++
		}
		f = f[i:]
		if len(f) == 0 {
			break
		}
		j := 0
		for j < len(f) && !asciiSpace(f[j]) {
			j++
		}
		rest[nf], f = f[:j], f[j:]
	}
	if nf < len(rest) {
		return nil, fmt.Errorf("parsing stat: %d fields after comm, want at least 20", nf)
	}
	ppid, err := strconv.Atoi(string(rest[1]))
	if err != nil {
		return nil, fmt.Errorf("parsing stat ppid: %w", err)
	}
	flags, err := strconv.ParseUint(string(rest[6]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("parsing stat flags: %w", err)
	}
	start, err := strconv.ParseUint(string(rest[19]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("parsing stat starttime: %w", err)
	}
	return &Stat{PID: pid, Comm: string(b[open+1 : closing]), State: string(rest[0]), PPid: ppid, Flags: flags, StartTicks: start}, nil
}

// asciiSpace is what bytes.Fields splits on, for the ASCII the kernel writes.
func asciiSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// Stat reads /proc/<pid>/stat.
func (fsys FS) Stat(pid int) (*Stat, error) {
	b, err := readFile(fsys.pid(pid, "stat"))
	if err != nil {
		return nil, err
	}
	return parseStat(b)
}

// ProcessIs reports whether pid runs and is the process that started at
// ticks (field 22 of its stat): a pid reused since, or a zombie, is not.
func (fsys FS) ProcessIs(pid int, ticks uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := fsys.Stat(pid)
	return err == nil && st.StartTicks == ticks && st.State != "Z" && st.State != "X"
}
