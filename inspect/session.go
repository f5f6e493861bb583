package inspect

import (
	"errors"
	"time"
)

// StatsSession is one stats session: containers rediscovered at every
// sample, their counters kept open (Sampler), and what a rate needs from
// the sample before (each container's last reading and the host's). A
// front end calls Next once per interval: nsinspect stats draws a table
// from what it returns, an exporter would answer a scrape with it.
type StatsSession struct {
	fsys     FS
	opt      StatsOptions
	scanner  *Scanner
	sampler  *Sampler
	memTotal uint64
	prev     map[string]Usage
	firstOOM map[string]*uint64
	prevHost HostUsage
	started  bool
}

// StatsOptions tune a StatsSession.
type StatsOptions struct {
	// Extended reads what docker stats leaves out too (Sampler.Extended).
	Extended bool
	// Host is the host's namespaces, as ListOptions.Host: to tell a
	// container's own network namespace from the host's.
	Host []Namespace
	// Select keeps the containers the session follows, of those found at
	// a sample; nil keeps all. first is true at the first sample, where a
	// container asked for by name must exist; later one that stopped just
	// drops out. An error from Select ends Next with it.
	Select func(cs []Container, first bool) ([]Container, error)
	// Now stamps the readings (Sampler.Now); nil is time.Now.
	Now func() time.Time
}

// StatsReading is one container in one sample, with what a row of stats
// is computed from (report.StatsInput has the same fields): its reading
// before (zero when the session first sees it), its reading now, the
// host's two, the host's memory (the limit docker shows for a container
// without one) and the container's OOM-kill count when the session first
// saw it (nil when the kernel does not count them).
type StatsReading struct {
	Container      Container
	Prev, Cur      Usage
	PrevHost, Host HostUsage
	MemTotal       uint64
	FirstOOM       *uint64
}

// NewStatsSession starts a session over fsys; Close ends it.
func (fsys FS) NewStatsSession(opt StatsOptions) *StatsSession {
	s := &StatsSession{fsys: fsys, opt: opt, scanner: fsys.NewScanner(), sampler: fsys.NewSampler(),
		prev: map[string]Usage{}, firstOOM: map[string]*uint64{}}
	s.sampler.Extended = opt.Extended
	s.sampler.HostNamespaces = opt.Host
	if opt.Now != nil {
		s.sampler.Now = opt.Now
	}
	if h, err := fsys.Host(); err == nil {
		s.memTotal = h.MemTotalBytes
	}
	return s
}

// Close closes the counters the session keeps open.
func (s *StatsSession) Close() { s.sampler.Close() }

// Next discovers the containers and reads each once. A container seen for
// the first time is in the result at once, as in docker stats: what one
// reading tells (memory, pids, OOM kills) is known, the rates need the
// next one. A container gone since discovery drops out and its counters
// are closed; if it comes back, its rates start afresh, and its OOM kills
// still count from when the session first saw it. A process moved into a
// container shows in the next sample (Scanner).
func (s *StatsSession) Next() ([]StatsReading, error) {
	first := !s.started
	s.started = true
	procs, err := s.scanner.Scan()
	if err != nil {
		return nil, err
	}
	cs := s.scanner.Containers(procs, ListOptions{Host: s.opt.Host})
	if s.opt.Select != nil {
		if cs, err = s.opt.Select(cs, first); err != nil {
			return nil, err
		}
	}
	host, err := s.sampler.Host()
	if err != nil {
		return nil, err
	}
	var out []StatsReading
	seen := map[string]bool{}
	for i := range cs {
		c := &cs[i]
		u, err := s.sampler.Sample(c)
		if err != nil {
			if errors.Is(err, ErrGone) {
				s.sampler.Forget(c.ID)
				continue
			}
			return nil, err
		}
		seen[c.ID] = true
		if _, ok := s.firstOOM[c.ID]; !ok {
			s.firstOOM[c.ID] = u.OOMKills
		}
		out = append(out, StatsReading{Container: *c, Prev: s.prev[c.ID], Cur: u, PrevHost: s.prevHost, Host: host,
			MemTotal: s.memTotal, FirstOOM: s.firstOOM[c.ID]})
		s.prev[c.ID] = u
	}
	for id := range s.prev {
		if !seen[id] {
			delete(s.prev, id)
			s.sampler.Forget(id)
		}
	}
	s.prevHost = host
	return out, nil
}
