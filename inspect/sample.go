package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Sampler reads containers' counters repeatedly. It keeps each file open
// and rereads it from offset 0 (cgroup and proc files regenerate on every
// read from the start), so a sample costs one pread per counter instead of
// open, read and close: streaming hundreds of containers stays cheap.
type Sampler struct {
	// Now is the clock readings are stamped with; tests set a fixed one.
	Now func() time.Time
	// Extended adds what docker stats leaves out: throttling, OOM kills,
	// limit hits and PSI. Without it a sample reads only docker's columns.
	Extended bool
	// HostNamespaces are the host's, to tell a container sharing the
	// host's network; usually the reference's, as ListOptions.Host.
	HostNamespaces []Namespace
	fsys           FS
	mu             sync.Mutex
	groups         map[string]*counterFiles
	stat           *counterFile
	buf            []byte
}

// NewSampler returns a sampler over fsys.
func (fsys FS) NewSampler() *Sampler {
	return &Sampler{Now: time.Now, fsys: fsys, groups: map[string]*counterFiles{}, buf: make([]byte, 64<<10)}
}

// counterFile is a kept-open counter, a raw fd: an *os.File would also be
// registered with the runtime's poller, two system calls more per file.
type counterFile struct {
	fd   int
	path string
}

func openCounter(path string) *counterFile {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	return &counterFile{fd: fd, path: path}
}

// shortReadComplete is the size under which a read that did not fill the
// buffer is known to be the whole file. A seq_file read stops short only
// at the end or when its kernel buffer (a page, at least 4096 bytes) has
// no room for the next record; the counters are either one record
// (cgroup files, memory.stat) or records of a line (/proc/<pid>/net/dev),
// so a short read under 2048 bytes is the end. Skipping the read that
// would return 0 halves the system calls of a sample.
const shortReadComplete = 2048

// read rereads the whole file into buf (grown if needed).
func (c *counterFile) read(buf *[]byte) ([]byte, error) {
	n := 0
	for {
		if n == len(*buf) {
			*buf = append(*buf, make([]byte, len(*buf))...)
		}
		m, err := syscall.Pread(c.fd, (*buf)[n:], int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: c.path, Err: err}
		}
		if m == 0 {
			return (*buf)[:n], nil
		}
		n += m
		if n < shortReadComplete && n < len(*buf) {
			return (*buf)[:n], nil
		}
	}
}

// counterFiles are the open counters of one container.
type counterFiles struct {
	v2                                   bool
	cpu, memUsage, memStat               *counterFile
	oom, failcnt, pids, cpuStat, io, net *counterFile
	psiCPU, psiMem, psiIO                *counterFile
	quota                                *float64 // read once
	limit                                *uint64  // read once; nil: no limit
	inactiveKey                          string
	hostNet                              bool
}

func (g *counterFiles) all() []*counterFile {
	return []*counterFile{g.cpu, g.memUsage, g.memStat, g.oom, g.failcnt, g.pids, g.cpuStat, g.io, g.net, g.psiCPU, g.psiMem, g.psiIO}
}

// open finds a container's cgroup directories from its init's
// /proc/<pid>/cgroup and opens its counters.
func (s *Sampler) open(c *Container) (*counterFiles, error) {
	cg, r, errs := s.fsys.resolveCgroup(c.Pid, true)
	if cg == nil {
		return nil, errors.Join(errs...)
	}
	g := &counterFiles{v2: r.v2, inactiveKey: "total_inactive_file"}
	at := func(ctrl, name string) *counterFile {
		dir, ok := r.dir(ctrl)
		if !ok {
			return nil
		}
		return openCounter(dir + "/" + name)
	}
	ext := func(ctrl, name string) *counterFile {
		if !s.Extended {
			return nil
		}
		return at(ctrl, name)
	}
	if r.v2 {
		// usage_usec and the throttling counters share cpu.stat.
		g.inactiveKey = "inactive_file"
		g.cpuStat = at("cpu", cpuStatFile)
		g.memUsage, g.memStat = at("memory", memoryV2Current), at("memory", memoryStatFile)
		g.oom = ext("memory", memoryV2Events)
		g.io = at("io", ioV2Stat)
	} else {
		g.cpu, g.cpuStat = at("cpuacct", cpuacctV1), ext("cpu", cpuStatFile)
		g.memUsage, g.memStat = at("memory", memoryV1Usage), at("memory", memoryStatFile)
		g.oom, g.failcnt = ext("memory", memoryV1OOMControl), ext("memory", memoryV1Failcnt)
		if g.io = at("blkio", blkioV1Bytes); g.io == nil {
			g.io = at("blkio", blkioV1Own)
		}
	}
	g.pids = at("pids", pidsCurrent)
	// PSI of a group at the host's root cgroup is the host's: not the
	// container's pressure, so it is left out.
	if dir, ok := r.dirs[""]; ok && s.Extended && !(r.roots[""] && r.hostWide("")) {
		g.psiCPU, g.psiMem, g.psiIO = openCounter(dir+"/"+pressureCPU), openCounter(dir+"/"+pressureMemory), openCounter(dir+"/"+pressureIO)
	}
	// Only a network namespace known to be the container's own has its
	// own counters. One that cannot be compared with the host's (another
	// user's link, without root) may be the host's: its bytes are unknown.
	switch same, known := compareLink(s.fsys.pid(c.Pid, "ns", "net"), s.HostNamespaces, NSNet); {
	case !known:
	case same:
		g.hostNet = true
	default:
		g.net = openCounter(s.fsys.pid(c.Pid, "net", "dev"))
	}
	// Limits rarely change: read once per container, from the directories
	// just resolved.
	r.limits(cg)
	g.quota, g.limit = cg.CPU.CPUs, cg.Memory.LimitBytes
	return g, nil
}

// Forget closes the counters of a container that is gone.
func (s *Sampler) Forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[id]; ok {
		for _, f := range g.all() {
			if f != nil {
				syscall.Close(f.fd)
			}
		}
		delete(s.groups, id)
	}
}

// Close closes every open counter.
func (s *Sampler) Close() {
	s.mu.Lock()
	ids := make([]string, 0, len(s.groups))
	for id := range s.groups {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.Forget(id)
	}
}

// Host reads the host's CPU time and online CPU count.
func (s *Sampler) Host() (HostUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stat == nil {
		if s.stat = openCounter(s.fsys.proc("stat")); s.stat == nil {
			return HostUsage{}, fmt.Errorf("opening %s", s.fsys.proc("stat"))
		}
	}
	b, err := s.stat.read(&s.buf)
	if err != nil {
		return HostUsage{}, err
	}
	h := HostUsage{Time: s.Now(), OnlineCPUs: countStatCPUs(b)}
	h.SystemNanos, err = parseSystemCPU(b)
	return h, err
}

// parseSystemCPU sums the first seven fields of the "cpu " line of
// /proc/stat (user nice system idle iowait irq softirq, in USER_HZ ticks)
// and converts them to nanoseconds, as docker's getSystemCPUUsage does.
func parseSystemCPU(b []byte) (uint64, error) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("cpu "))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) < 7 {
			return 0, fmt.Errorf("parsing /proc/stat cpu line: %d fields", len(f))
		}
		var ticks uint64
		for _, x := range f[:7] {
			v, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing /proc/stat cpu line: %w", err)
			}
			ticks += v
		}
		return ticks * (1e9 / userHZ), nil
	}
	return 0, errors.New("no cpu line in /proc/stat")
}

var samplePool = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// ErrGone is returned by Sample for a container whose init or cgroup has
// gone since it was listed.
var ErrGone = errors.New("container gone")

// Sample reads the counters of c.
func (s *Sampler) Sample(c *Container) (Usage, error) {
	s.mu.Lock()
	g, ok := s.groups[c.ID]
	s.mu.Unlock()
	if !ok {
		var err error
		if g, err = s.open(c); err != nil {
			return Usage{}, fmt.Errorf("%w: %w", ErrGone, err)
		}
		s.mu.Lock()
		s.groups[c.ID] = g
		s.mu.Unlock()
	}
	u := Usage{Time: s.Now(), QuotaCPUs: g.quota, MemLimit: g.limit}
	bp := samplePool.Get().(*[]byte)
	defer samplePool.Put(bp)
	buf := *bp
	defer func() { *bp = buf }()
	num := func(f *counterFile) (*uint64, error) {
		if f == nil {
			return nil, nil
		}
		b, err := f.read(&buf)
		if err != nil {
			return nil, err
		}
		v, err := parseUint(string(b))
		if err != nil {
			return nil, err
		}
		return &v, nil
	}
	// keys reads f and looks up keys; a key the file lacks stays nil.
	keys := func(f *counterFile, keys ...string) ([]*uint64, error) {
		out := make([]*uint64, len(keys))
		if f == nil {
			return out, nil
		}
		b, err := f.read(&buf)
		if err != nil {
			return out, err
		}
		for i, k := range keys {
			if v, ok := keyValue(b, k); ok {
				out[i] = &v
			}
		}
		return out, nil
	}
	var err error
	// A cgroup removed under us, or an init that exited, fails its reads
	// (ENODEV, ESRCH): the container is gone.
	gone := func(e error) bool {
		if e != nil && err == nil {
			err = e
		}
		return e != nil
	}
	if u.MemUsage, err = num(g.memUsage); err != nil {
		return Usage{}, fmt.Errorf("%w: %w", ErrGone, err)
	}
	if g.v2 {
		st, e := keys(g.cpuStat, "usage_usec", "nr_periods", "nr_throttled", "throttled_usec")
		if !gone(e) {
			if st[0] != nil {
				u.CPUNanos = ptr(*st[0] * 1000)
			}
			u.Periods, u.Throttled = st[1], st[2]
			if st[3] != nil {
				u.ThrottledNanos = ptr(*st[3] * 1000)
			}
		}
		ev, e := keys(g.oom, "oom_kill", "max")
		if !gone(e) {
			u.OOMKills, u.LimitHits = ev[0], ev[1]
		}
	} else {
		var e error
		u.CPUNanos, e = num(g.cpu)
		gone(e)
		st, e := keys(g.cpuStat, "nr_periods", "nr_throttled", "throttled_time")
		if !gone(e) {
			u.Periods, u.Throttled, u.ThrottledNanos = st[0], st[1], st[2]
		}
		oc, e := keys(g.oom, "oom_kill")
		if !gone(e) {
			u.OOMKills = oc[0]
		}
		u.LimitHits, e = num(g.failcnt)
		gone(e)
	}
	rss, cache := "total_rss", "total_cache"
	if g.v2 {
		rss, cache = "anon", "file"
	}
	if ms, e := keys(g.memStat, g.inactiveKey, rss, cache); !gone(e) {
		u.InactiveFile, u.RSS, u.Cache = ms[0], ms[1], ms[2]
	}
	var e error
	u.Pids, e = num(g.pids)
	gone(e)
	if g.io != nil {
		if b, e := g.io.read(&buf); !gone(e) {
			if rd, wr, perr := parseIOBytes(b); perr == nil {
				u.BlkRead, u.BlkWrite = &rd, &wr
			}
		}
	}
	u.HostNetwork = g.hostNet
	if g.net != nil {
		if b, e := g.net.read(&buf); !gone(e) {
			if rx, tx, perr := parseNetDev(b); perr == nil {
				u.NetRx, u.NetTx = &rx, &tx
			}
		}
	}
	for _, p := range []struct {
		f                   *counterFile
		some, all           **float64
		someTotal, allTotal **uint64
	}{{g.psiCPU, &u.CPUPressure, nil, &u.CPUSomeMicros, &u.CPUFullMicros},
		{g.psiMem, &u.MemPressure, &u.MemFull, &u.MemSomeMicros, &u.MemFullMicros},
		{g.psiIO, &u.IOPressure, nil, &u.IOSomeMicros, &u.IOFullMicros}} {
		if p.f == nil {
			continue
		}
		if b, e := p.f.read(&buf); e == nil {
			if psi, perr := parsePSI(b); perr == nil {
				*p.some = &psi.Some.Avg10
				*p.someTotal = ptr(psi.Some.TotalMicros)
				if psi.Full != nil {
					if p.all != nil {
						*p.all = &psi.Full.Avg10
					}
					*p.allTotal = ptr(psi.Full.TotalMicros)
				}
			}
		}
	}
	if err != nil {
		return Usage{}, fmt.Errorf("%w: %w", ErrGone, err)
	}
	return u, nil
}

// parseNetDev sums received and transmitted bytes over the interfaces of
// /proc/<pid>/net/dev, loopback excluded:
//
//	Inter-|   Receive                            ...|  Transmit
//	 face |bytes    packets errs drop fifo frame ...|bytes    packets ...
//	    lo:    1234      10    0    0    0     0 ...    1234      10 ...
//	  eth0: 9876543    1000    0    0    0     0 ...  123456     900 ...
func parseNetDev(b []byte) (rx, tx uint64, err error) {
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		name, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		if string(bytes.TrimSpace(name)) == "lo" {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) < 9 {
			return 0, 0, fmt.Errorf("parsing net/dev line %q", line)
		}
		r, err1 := strconv.ParseUint(f[0], 10, 64)
		t, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("parsing net/dev line %q", line)
		}
		rx += r
		tx += t
	}
	return rx, tx, nil
}
