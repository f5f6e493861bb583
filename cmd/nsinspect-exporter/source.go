package main

import (
	"slices"
	"strings"
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
	oom     *inspect.OOMWatch // nil when the kernel log cannot be read
	oomErr  error             // why, logged at start and counted at the first scrape

	mu         sync.Mutex
	oomCounted bool // oomErr was counted
	known      map[string]known
	kills      *oomCounts
}

// known is what is read once per container; a container whose init
// changed (same id, another start) is read again.
type known struct {
	container facts.Container
	started   time.Time
	limits    *facts.Cgroup
	posture   *metrics.Posture
}

// newSource reads fsys; now stamps the readings (nil: time.Now) and
// kmsgDir is the kernel log's directory ("" follows no log), both for the
// golden tests.
func newSource(fsys inspect.FS, now func() time.Time, kmsgDir string) *source {
	s := &source{fsys: fsys, known: map[string]known{}, kills: newOOMCounts(maxOOMNames),
		session: fsys.NewStatsSession(inspect.StatsOptions{Extended: true, Host: fsys.HostNamespaces(), Now: now})}
	if kmsgDir != "" {
		s.oom, s.oomErr = fsys.WatchOOMKills(kmsgDir)
	}
	return s
}

func (s *source) close() {
	s.session.Close()
	if s.oom != nil {
		s.oom.Close()
	}
}

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
	seen := make(map[string]bool, len(readings))
	out.Samples = make([]metrics.Sample, 0, len(readings))
	for _, r := range readings {
		c := r.Container
		seen[c.ID] = true
		k, ok := s.known[c.ID]
		if !ok || k.container.Pid != c.Pid || k.container.StartTicks != c.StartTicks {
			k = known{container: c, started: s.fsys.StartTime(c.StartTicks)}
			if ref == nil {
				ref = s.reference(&out)
			}
			if ref != nil {
				// one full reading of the init gives the posture and the
				// limits, shares and weight included
				k.posture, k.limits = s.posture(c, ref, &out)
			}
			if k.limits == nil {
				k.limits, _ = s.fsys.ContainerLimits(c.Pid)
			}
			s.known[c.ID] = k
		}
		out.Samples = append(out.Samples, metrics.Sample{Container: c, Started: k.started, Usage: r.Cur, Limits: k.limits, Posture: k.posture})
	}
	// The kills logged since the last scrape, before the containers gone
	// since are forgotten: one OOM-killed and removed in between is
	// still known by its cgroup.
	s.countKills(&out)
	for id := range s.known {
		if !seen[id] {
			delete(s.known, id)
		}
	}
	out.OOMKills = s.kills.list()
	return out
}

// countKills reads the kernel log's OOM kills and counts each under the
// identity of the container whose cgroup holds the killed task (on
// cgroup v2 the limit hit may be a parent's: a pod's); a cgroup of no
// container seen is counted under its path.
func (s *source) countKills(out *metrics.Scrape) {
	if s.oom == nil {
		// A kernel log that could not be opened stays closed (a pod
		// that is not privileged has no /dev/kmsg): counted once, not
		// at every scrape, so that an alert on the errors' rate does not
		// fire for ever on a node where that is the layout.
		if s.oomErr != nil && !s.oomCounted {
			s.oomCounted = true
			out.Errors["oom-watch"]++
		}
		return
	}
	kills, lost, err := s.oom.Read()
	if err != nil {
		out.Errors["oom-watch"]++
	}
	if lost > 0 {
		out.Errors["oom-watch-lost"] += lost
	}
	for _, k := range kills {
		s.kills.add(s.attribute(k))
	}
}

// attribute is the identity a kill counts under: the container seen
// whose cgroup is, or holds, the killed task's.
func (s *source) attribute(k inspect.OOMKill) metrics.OOMCount {
	path := k.TaskMemcg
	if path == "" {
		path = k.Memcg
	}
	id := metrics.OOMCount{Name: path}
	best := -1
	for _, c := range s.known {
		cg := c.container.Cgroup
		if cg != "" && (path == cg || strings.HasPrefix(path, cg+"/")) && len(cg) > best {
			best = len(cg)
			ns, pod, ctr := metrics.KubernetesNames(c.container)
			id = metrics.OOMCount{Namespace: ns, Pod: pod, Container: ctr, Name: c.container.Name}
		}
	}
	return id
}

// maxOOMNames bounds the identities the OOM counter keeps: past it the
// one counted least recently is dropped, so that a node running a
// CronJob a minute cannot grow the exporter without end.
const maxOOMNames = 10000

// oomCounts are the OOM kills by identity, bounded.
type oomCounts struct {
	max   int
	tick  uint64
	count map[metrics.OOMCount]uint64 // the key's Count is 0
	last  map[metrics.OOMCount]uint64
}

func newOOMCounts(max int) *oomCounts {
	return &oomCounts{max: max, count: map[metrics.OOMCount]uint64{}, last: map[metrics.OOMCount]uint64{}}
}

func (o *oomCounts) add(id metrics.OOMCount) {
	o.tick++
	o.count[id]++
	o.last[id] = o.tick
	for len(o.count) > o.max {
		var oldest metrics.OOMCount
		min := ^uint64(0)
		for k, t := range o.last {
			if t < min {
				oldest, min = k, t
			}
		}
		delete(o.count, oldest)
		delete(o.last, oldest)
	}
}

func (o *oomCounts) list() []metrics.OOMCount {
	out := make([]metrics.OOMCount, 0, len(o.count))
	for k, n := range o.count {
		k.Count = n
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b metrics.OOMCount) int {
		return strings.Compare(a.Namespace+"\x00"+a.Pod+"\x00"+a.Container+"\x00"+a.Name, b.Namespace+"\x00"+b.Pod+"\x00"+b.Container+"\x00"+b.Name)
	})
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
func (s *source) posture(c inspect.Container, ref *inspect.Reference, out *metrics.Scrape) (*metrics.Posture, *facts.Cgroup) {
	opt := inspect.Options{}
	if ref.Process.Rootfs != nil {
		opt.HostRootDevice = ref.Process.Rootfs.Device
	}
	p, err := s.fsys.Inspect(c.Pid, opt)
	if p == nil {
		out.Errors["posture"]++
		return nil, nil
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
	return metrics.PostureOf(report.Compare(p, ref, nil, nil)), p.Cgroup
}
