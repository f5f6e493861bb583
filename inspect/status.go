package inspect

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Status is the part of /proc/<pid>/status nsinspect uses. Field names follow
// the kernel's (fs/proc/array.c).
type Status struct {
	Name      string // comm, escaped by the kernel (\n, \\)
	State     string // "S (sleeping)"
	Tgid      int
	PPid      int
	TracerPid int
	UID       [4]uint32 // real, effective, saved, filesystem
	GID       [4]uint32
	NSpid     []int // pid as seen from each pid namespace, outermost first

	CapInh, CapPrm, CapEff, CapBnd uint64
	CapAmb                         *uint64 // absent before Linux 4.3

	NoNewPrivs     *bool // absent before Linux 4.10
	Seccomp        *int  // absent without CONFIG_SECCOMP
	SeccompFilters *int  // absent before Linux 5.9

	SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt uint64
}

// parseStatus understands /proc/<pid>/status:
//
//	Name:	bash
//	State:	S (sleeping)
//	Uid:	0	0	0	0
//	NSpid:	4242	1
//	CapEff:	00000000a80425fb
//	SigCgt:	0000000000010002
//
// Unknown keys are ignored; a malformed value of a known key is an error.
func parseStatus(r io.Reader) (*Status, error) {
	s := &Status{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	seenName := false
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		// Only one tab follows the colon; a comm may itself begin with a space.
		val = strings.TrimPrefix(val, "\t")
		var err error
		switch key {
		case "Name":
			s.Name, seenName = val, true
		case "State":
			s.State = val
		case "Tgid":
			s.Tgid, err = strconv.Atoi(val)
		case "PPid":
			s.PPid, err = strconv.Atoi(val)
		case "TracerPid":
			s.TracerPid, err = strconv.Atoi(val)
		case "Uid":
			s.UID, err = parseIDs(val)
		case "Gid":
			s.GID, err = parseIDs(val)
		case "NSpid":
			s.NSpid, err = parseInts(val)
		case "CapInh":
			s.CapInh, err = parseHex(val)
		case "CapPrm":
			s.CapPrm, err = parseHex(val)
		case "CapEff":
			s.CapEff, err = parseHex(val)
		case "CapBnd":
			s.CapBnd, err = parseHex(val)
		case "CapAmb":
			var v uint64
			v, err = parseHex(val)
			s.CapAmb = &v
		case "NoNewPrivs":
			var v int
			v, err = strconv.Atoi(val)
			b := v != 0
			s.NoNewPrivs = &b
		case "Seccomp":
			var v int
			v, err = strconv.Atoi(val)
			s.Seccomp = &v
		case "Seccomp_filters":
			var v int
			v, err = strconv.Atoi(val)
			s.SeccompFilters = &v
		case "SigPnd":
			s.SigPnd, err = parseHex(val)
		case "ShdPnd":
			s.ShdPnd, err = parseHex(val)
		case "SigBlk":
			s.SigBlk, err = parseHex(val)
		case "SigIgn":
			s.SigIgn, err = parseHex(val)
		case "SigCgt":
			s.SigCgt, err = parseHex(val)
		}
		if err != nil {
			return nil, fmt.Errorf("parsing status field %s: %w", key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !seenName {
		return nil, fmt.Errorf("parsing status: no Name line")
	}
	return s, nil
}

func parseHex(s string) (uint64, error) {
	return strconv.ParseUint(strings.TrimSpace(s), 16, 64)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(s) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func parseIDs(s string) ([4]uint32, error) {
	var ids [4]uint32
	f := strings.Fields(s)
	if len(f) != 4 {
		return ids, fmt.Errorf("want 4 ids, got %d", len(f))
	}
	for i, v := range f {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return ids, err
		}
		ids[i] = uint32(n)
	}
	return ids, nil
}
