package main

import (
	"sync"
	"time"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/report"
	"github.com/nsinspect/nsinspect/report/metrics"
)

// source answers scrapes from one stats session (counters kept open and
// re-read, as nsinspect stats does) and reads each container's limits and
// posture once, when it is first seen: a container's limits and
// privileges are set when it starts, and reading them at every scrape
// would cost the node more than all its counters.
type source struct {
	fsys    inspect.FS
	session *inspect.StatsSession

	mu    sync.Mutex
	known map[string]known
}

// known is what is read once per container; a container whose init
// changed (same id, another start) is read again.
type known struct {
	pid     int
	start   uint64
	started facts.ContainerFacts
	limits  *facts.Cgroup
	posture *metrics.Posture
}

// newSource reads fsys; now stamps the readings (nil: time.Now), fixed in
// the golden tests.
func newSource(fsys inspect.FS, now func() time.Time) *source {
	return &source{fsys: fsys, known: map[string]known{},
		session: fsys.NewStatsSession(inspect.StatsOptions{Extended: true, Host: fsys.HostNamespaces(), Now: now})}
}

func (s *source) close() { s.session.Close() }

// read is one scrape.
func (s *source) read() metrics.Scrape {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := metrics.Scrape{Errors: map[string]int{}}
	readings, err := s.session.Next()
	if err != nil {
		out.Errors["discovery"]++
		return out
	}
	var ref *inspect.Reference
	seen := map[string]bool{}
	for _, r := range readings {
		c := r.Container
		seen[c.ID] = true
		k, ok := s.known[c.ID]
		if !ok || k.pid != c.Pid || k.start != c.StartTicks {
			k = known{pid: c.Pid, start: c.StartTicks, started: s.fsys.Describe(c)}
			k.limits = k.started.Limits
			if ref == nil {
				ref = s.reference(&out)
			}
			if ref != nil {
				k.posture = s.posture(c, ref, &out)
			}
			s.known[c.ID] = k
		}
		out.Samples = append(out.Samples, metrics.Sample{Container: c, Started: k.started.Started, Usage: r.Cur, Limits: k.limits, Posture: k.posture})
	}
	for id := range s.known {
		if !seen[id] {
			delete(s.known, id)
		}
	}
	return out
}

// reference is the host's init, read once per scrape that meets a new
// container: posture compares with it.
func (s *source) reference(out *metrics.Scrape) *inspect.Reference {
	ref, err := s.fsys.ChooseHostReference()
	if err == nil {
		err = s.fsys.ReadReference(ref, false)
	}
	if err != nil {
		out.Errors["reference"]++
		return nil
	}
	return ref
}

// posture is audit's judgement of the container's init (no window: rates
// are Prometheus's to compute from the counters).
func (s *source) posture(c inspect.Container, ref *inspect.Reference, out *metrics.Scrape) *metrics.Posture {
	opt := inspect.Options{}
	if ref.Process.Rootfs != nil {
		opt.HostRootDevice = ref.Process.Rootfs.Device
	}
	p, err := s.fsys.Inspect(c.Pid, opt)
	if p == nil {
		out.Errors["posture"]++
		return nil
	}
	if err != nil {
		out.Errors["posture"]++ // it left mid-read: judged on what was read
	}
	// Counted by the section that failed; the kernel section (release,
	// UTS names) feeds no posture.
	for _, e := range p.Errors {
		if e.Section != "kernel" {
			out.Errors[e.Section]++
		}
	}
	return metrics.PostureOf(report.Compare(p, ref, nil, nil))
}
