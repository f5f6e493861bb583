package inspect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// One small parser per cgroup file format. containerd/cgroups reads the same
// files but only from the live /sys/fs/cgroup, reports unreadable values as 0
// and does not keep the raw text; nsinspect needs fixture roots, "unknown"
// apart from "0", and evidence.

// CgroupLine is one line of /proc/<pid>/cgroup.
type CgroupLine struct {
	Hierarchy   int      // 0 is the unified (v2) hierarchy
	Controllers []string // "memory", "cpu", "name=systemd"; empty on v2
	Path        string   // relative to the reader's cgroup namespace root
}

// parseCgroupFile understands /proc/<pid>/cgroup:
//
//	4:memory:/docker/3f1c...
//	1:name=systemd:/system.slice/docker-3f1c....scope
//	0::/system.slice/docker-3f1c....scope
//
// Only the first two colons separate fields; a path may contain colons.
func parseCgroupFile(r io.Reader) ([]CgroupLine, error) {
	var out []CgroupLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		id, rest, ok1 := strings.Cut(line, ":")
		ctrls, path, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("parsing cgroup line %q: want hierarchy:controllers:path", line)
		}
		h, err := strconv.Atoi(id)
		if err != nil || h < 0 {
			return nil, fmt.Errorf("parsing cgroup line %q: bad hierarchy id", line)
		}
		cl := CgroupLine{Hierarchy: h, Path: path}
		if ctrls != "" {
			cl.Controllers = strings.Split(ctrls, ",")
		}
		out = append(out, cl)
	}
	return out, sc.Err()
}

// parseKeyValues understands the flat keyed files: memory.stat, cpu.stat,
// memory.events, memory.oom_control, pids.events ("key value" per line).
// Lines whose value is not a number are skipped.
func parseKeyValues(b []byte) (map[string]uint64, error) {
	out := map[string]uint64{}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("parsing %q: want key value", line)
		}
		v, err := strconv.ParseUint(string(f[1]), 10, 64)
		if err != nil {
			continue
		}
		out[string(f[0])] = v
	}
	return out, nil
}

// keyValue finds key in a flat keyed file ("key value" lines) without
// building a map: the sampler reads one or two keys of memory.stat and
// cpu.stat for every container every second.
func keyValue(b []byte, key string) (uint64, bool) {
	for len(b) > 0 && key != "" {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(line) > len(key) && line[len(key)] == ' ' && string(line[:len(key)]) == key {
			v, err := strconv.ParseUint(string(bytes.TrimSpace(line[len(key)+1:])), 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// v1Unlimited is the smallest value treated as "no limit" in a cgroup v1
// byte limit. The kernel stores "unlimited" as PAGE_COUNTER_MAX pages and
// prints it as LONG_MAX rounded down to the page size, 9223372036854771712
// with 4 KiB pages; 1 MiB of slack covers every page size.
const v1Unlimited = math.MaxInt64 - 1<<20

// parseLimit understands a one-value limit file: a number, "max" (v2),
// "-1" (v1 cfs quota) or a v1 byte limit near LONG_MAX. It returns nil for
// "no limit".
func parseLimit(s string) (*uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" || s == "-1" {
		return nil, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("parsing limit %q: %w", s, err)
	}
	if v >= v1Unlimited {
		return nil, nil
	}
	return &v, nil
}

// parseUint understands a one-number file such as memory.current.
func parseUint(s string) (uint64, error) {
	return strconv.ParseUint(strings.TrimSpace(s), 10, 64)
}

// parseCPUMax understands cgroup v2 cpu.max: "max 100000" or "50000 100000".
// quota is nil for no limit.
func parseCPUMax(s string) (quota *uint64, period uint64, err error) {
	f := strings.Fields(s)
	if len(f) < 1 || len(f) > 2 {
		return nil, 0, fmt.Errorf("parsing cpu.max %q: want quota [period]", s)
	}
	period = 100000 // the kernel default when only the quota was written
	if len(f) == 2 {
		if period, err = strconv.ParseUint(f[1], 10, 64); err != nil {
			return nil, 0, fmt.Errorf("parsing cpu.max period %q: %w", s, err)
		}
	}
	if f[0] == "max" {
		return nil, period, nil
	}
	q, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("parsing cpu.max quota %q: %w", s, err)
	}
	return &q, period, nil
}

// parsePSI understands pressure files:
//
//	some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=0
func parsePSI(b []byte) (*PSI, error) {
	p := &PSI{}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		l := &PSILine{}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("parsing pressure %q", line)
			}
			var err error
			switch k {
			case "avg10":
				l.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				l.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				l.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				l.TotalMicros, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("parsing pressure %q: %w", line, err)
			}
		}
		switch f[0] {
		case "some":
			p.Some = l
		case "full":
			p.Full = l
		default:
			return nil, fmt.Errorf("parsing pressure: unknown line %q", f[0])
		}
	}
	if p.Some == nil {
		return nil, fmt.Errorf("parsing pressure: no some line")
	}
	return p, nil
}

// countCPUList counts the CPUs in a cpuset list such as "0-3,8,10-11".
func countCPUList(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n := 0
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return 0, fmt.Errorf("parsing cpu list %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, fmt.Errorf("parsing cpu list %q", s)
			}
		}
		if b-a >= math.MaxInt32-n { // no machine has 2^31 CPUs: garbage
			return 0, fmt.Errorf("parsing cpu list %q: too many cpus", s)
		}
		n += b - a + 1
	}
	return n, nil
}

// parseIOBytes sums bytes read and written over all devices, from v1
// blkio.throttle.io_service_bytes ("8:0 Read 4096") or v2 io.stat
// ("8:0 rbytes=4096 wbytes=0 ...").
func parseIOBytes(b []byte) (read, write uint64, err error) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		if len(f) == 3 && !strings.Contains(f[1], "=") { // v1
			v, err := strconv.ParseUint(f[2], 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("parsing io line %q: %w", line, err)
			}
			switch f[1] {
			case "Read":
				read += v
			case "Write":
				write += v
			}
			continue
		}
		for _, kv := range f[1:] {
			// Only the byte counts are read: blk-iocost and blk-iolatency
			// append keys whose values are not integers ("cost.vrate=100.00",
			// "depth=max").
			k, v, ok := strings.Cut(kv, "=")
			if !ok || (k != "rbytes" && k != "wbytes") {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, 0, fmt.Errorf("parsing io line %q: %w", line, err)
			}
			switch k {
			case "rbytes":
				read += n
			case "wbytes":
				write += n
			}
		}
	}
	return read, write, nil
}
