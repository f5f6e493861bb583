package metrics

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/report"
)

// Sample is one container at one scrape.
type Sample struct {
	Container facts.Container
	Started   time.Time
	Usage     facts.Usage
	// Limits are the container's cgroup limits, read once per container
	// (nil: could not be read).
	Limits  *facts.Cgroup
	Posture *Posture
}

// Posture is what audit and the comparison with the host say of a
// container, read once per container.
type Posture struct {
	Privileged    bool
	Seccomp       string
	UserNamespace bool
	HostPID       bool
	HostNet       bool
	Capabilities  int // effective
	Findings      []report.AuditFinding
}

// PostureOf is the posture of a container from its init's inspection.
func PostureOf(in *report.Inspection) *Posture {
	p := &Posture{Seccomp: "unknown"}
	if c := in.Capabilities; c != nil {
		p.Privileged, p.Capabilities = c.Privileged, c.Effective.Count()
	}
	if s := in.Security; s != nil {
		p.Seccomp, p.UserNamespace = s.Seccomp, s.UserNamespaced
	}
	shared := in.Shared()
	p.HostPID, p.HostNet = slices.Contains(shared, string(facts.NSPID)), slices.Contains(shared, string(facts.NSNet))
	p.Findings = report.AuditTargets([]report.AuditTarget{{Now: in}}, report.AuditOptions{}).Findings()
	return p
}

// Scrape is what one scrape read: the containers, and how many reads of
// each section failed (a container that left mid-scrape, an unreadable
// file): those count in nsinspect_scrape_errors_total, and the scrape
// still answers.
type Scrape struct {
	Samples []Sample
	Errors  map[string]int
	// OOMKills are the exporter's lifetime counts of OOM kills by
	// container identity, removed containers included.
	OOMKills []OOMCount
}

// OOMCount is the OOM kills of one container identity (a Kubernetes
// namespace, pod and container, or a runtime's name) since the exporter
// started: a replaced container keeps counting under its name, and one
// removed right after its kill is still counted, from the kernel's log.
type OOMCount struct {
	Namespace, Pod, Container, Name string
	Count                           uint64
}

// Collector answers each scrape with what read returns then.
type Collector struct {
	read func() Scrape
	now  func() time.Time

	mu     sync.Mutex
	errors map[string]float64
	series map[string]*series // by container id, of the last scrape
}

// NewCollector makes the collector; now stamps the scrape duration (nil:
// time.Now), for tests with a fixed clock.
func NewCollector(read func() Scrape, now func() time.Time) *Collector {
	if now == nil {
		now = time.Now
	}
	return &Collector{read: read, now: now, errors: map[string]float64{}, series: map[string]*series{}}
}

// Labels of every container metric: cAdvisor's, and the runtime.
var containerLabels = []string{"id", "name", "image", "container", "pod", "namespace", "runtime"}

func desc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, append(slices.Clone(containerLabels), extra...), nil)
}

var (
	cpuUsage      = desc("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.")
	cfsPeriods    = desc("container_cpu_cfs_periods_total", "Number of elapsed enforcement period intervals.")
	cfsThrottled  = desc("container_cpu_cfs_throttled_periods_total", "Number of throttled period intervals.")
	throttledSecs = desc("container_cpu_cfs_throttled_seconds_total", "Total time duration the container has been throttled.")
	memRSS        = desc("container_memory_rss", "Size of RSS in bytes.")
	memCache      = desc("container_memory_cache", "Number of bytes of page cache memory.")
	cpuWaiting    = desc("container_pressure_cpu_waiting_seconds_total", "Total time duration tasks in the container have waited due to CPU congestion.")
	cpuStalled    = desc("container_pressure_cpu_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to CPU congestion.")
	memWaiting    = desc("container_pressure_memory_waiting_seconds_total", "Total time duration tasks in the container have waited due to memory congestion.")
	memStalled    = desc("container_pressure_memory_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to memory congestion.")
	ioWaiting     = desc("container_pressure_io_waiting_seconds_total", "Total time duration tasks in the container have waited due to IO congestion.")
	ioStalled     = desc("container_pressure_io_stalled_seconds_total", "Total time duration no tasks in the container could make progress due to IO congestion.")
	workingSet    = desc("container_memory_working_set_bytes", "Current working set in bytes.")
	memUsage      = desc("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed")
	memLimit      = desc("container_spec_memory_limit_bytes", "Memory limit for the container.")
	cpuQuota      = desc("container_spec_cpu_quota", "CPU quota of the container.")
	cpuPeriod     = desc("container_spec_cpu_period", "CPU period of the container.")
	cpuShares     = desc("container_spec_cpu_shares", "CPU share of the container.")
	oomEvents     = desc("container_oom_events_total", "Count of out of memory events observed for the container")
	netRx         = desc("container_network_receive_bytes_total", "Cumulative count of bytes received")
	netTx         = desc("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted")
	fsReads       = desc("container_fs_reads_bytes_total", "Cumulative count of bytes read")
	fsWrites      = desc("container_fs_writes_bytes_total", "Cumulative count of bytes written")
	processes     = desc("container_processes", "Number of processes running inside the container.")
	startTime     = desc("container_start_time_seconds", "Start time of the container since unix epoch in seconds.")
	info          = desc("nsinspect_container_info", "A container nsinspect found, with its posture: privileged, seccomp mode, own user namespace, the host's pid and network namespaces shared.", "privileged", "seccomp", "user_namespace", "host_pid", "host_net")
	capabilities  = desc("nsinspect_container_capabilities", "Effective capabilities of the container's init.")
	finding       = desc("nsinspect_finding", "An audit finding of a container (docs/rules.md): 1 while it holds.", "rule", "severity")
	scrapeSeconds = prometheus.NewDesc("nsinspect_scrape_duration_seconds", "How long reading the node took for this scrape.", nil, nil)
	scrapeErrors  = prometheus.NewDesc("nsinspect_scrape_errors_total", "Reads that failed during scrapes, by section; the scrape still answers with the rest.", []string{"section"}, nil)
	containersN   = prometheus.NewDesc("nsinspect_containers", "Containers found on the node at this scrape.", nil, nil)
	oomKills      = prometheus.NewDesc("nsinspect_container_oom_kills_total", "Memory cgroup OOM kills by container identity since the exporter started, from the kernel log: kept when the container is replaced or removed.", []string{"namespace", "pod", "container", "name"}, nil)
)

// Describe sends nothing: the collector is unchecked, as its label
// values come and go with the containers (prometheus.Collector).
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the node once and sends every metric. The containers go
// out in the order of their label values, the exposition's: the
// registry sorts each family's samples, and input already in order costs
// it one pass instead of a sort of thousands of samples.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := c.now()
	s := c.read()
	took := c.now().Sub(start)
	c.mu.Lock()
	rows := c.rows(s.Samples)
	c.mu.Unlock()
	slices.SortFunc(rows, func(a, b row) int { return compareValues(a.series.labels, b.series.labels) })
	var b batch
	for _, r := range rows {
		collectOne(ch, &b, r.sample, r.series)
	}
	c.mu.Lock()
	for section, n := range s.Errors {
		c.errors[section] += float64(n)
	}
	for _, section := range sortedKeys(c.errors) {
		ch <- prometheus.MustNewConstMetric(scrapeErrors, prometheus.CounterValue, c.errors[section], section)
	}
	c.mu.Unlock()
	for _, o := range s.OOMKills {
		ch <- prometheus.MustNewConstMetric(oomKills, prometheus.CounterValue, float64(o.Count), validLabels(o.Namespace, o.Pod, o.Container, o.Name)...)
	}
	ch <- prometheus.MustNewConstMetric(containersN, prometheus.GaugeValue, float64(len(s.Samples)))
	ch <- prometheus.MustNewConstMetric(scrapeSeconds, prometheus.GaugeValue, took.Seconds())
}

// row is one sample with its container's series.
type row struct {
	sample *Sample
	series *series
}

// rows pairs each sample with its container's series, built for a
// container not seen before (or whose labels or posture changed), and
// forgets the series of containers this scrape did not see.
func (c *Collector) rows(samples []Sample) []row {
	rows := make([]row, len(samples))
	next := make(map[string]*series, len(samples))
	for i := range samples {
		smp := &samples[i]
		k := seriesKeyOf(smp)
		sr := c.series[smp.Container.ID]
		if sr == nil || sr.key != k {
			sr = newSeries(k)
		}
		next[smp.Container.ID] = sr
		rows[i] = row{smp, sr}
	}
	c.series = next
	return rows
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// labels are cAdvisor's for a container: id is its cgroup path; name
// the runtime's name; a Kubernetes container, named
// namespace/pod/container by ps, has those three too. image is Docker's
// (config.v2.json), empty elsewhere (an empty label is an absent one to
// Prometheus).
func labels(c facts.Container) []string {
	namespace, pod, container := KubernetesNames(c)
	return validLabels(c.Cgroup, c.Name, c.Image, container, pod, namespace, c.Runtime.Name)
}

// validLabels makes label values valid UTF-8, as the exposition formats
// require (client_golang refuses the metric otherwise). A name can be
// the container's own choice — podman's is read from the container's
// /run/.containerenv — and one invalid byte must not take the whole
// scrape down: it becomes U+FFFD.
func validLabels(v ...string) []string {
	for i := range v {
		v[i] = strings.ToValidUTF8(v[i], "\uFFFD")
	}
	return v
}

// KubernetesNames are a Kubernetes container's namespace, pod and
// container, from the namespace/pod/container name ps gives it; empty
// for other runtimes.
func KubernetesNames(c facts.Container) (namespace, pod, container string) {
	if c.Runtime.Name != facts.RuntimeKubernetes {
		return "", "", ""
	}
	parts := strings.SplitN(c.Name, "/", 3)
	switch len(parts) {
	case 3:
		return parts[0], parts[1], parts[2]
	case 2:
		return parts[0], parts[1], ""
	}
	return "", "", ""
}

func collectOne(ch chan<- prometheus.Metric, b *batch, s *Sample, sr *series) {
	u := s.Usage
	put := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- b.metric(d, t, v, sr.labels)
	}
	// counter divides (never multiplies by 1e-9, which turns 30 s into
	// 30.000000000000004)
	counter := func(d *prometheus.Desc, v *uint64, per float64) {
		if v != nil {
			put(d, prometheus.CounterValue, float64(*v)/per)
		}
	}
	gauge := func(d *prometheus.Desc, v *uint64) {
		if v != nil {
			put(d, prometheus.GaugeValue, float64(*v))
		}
	}
	counter(cpuUsage, u.CPUNanos, 1e9)
	counter(cfsPeriods, u.Periods, 1)
	counter(cfsThrottled, u.Throttled, 1)
	counter(throttledSecs, u.ThrottledNanos, 1e9)
	gauge(memRSS, u.RSS)
	gauge(memCache, u.Cache)
	// PSI only from the container's own cgroup (the sampler leaves it nil
	// where that would be the host's root).
	counter(cpuWaiting, u.CPUSomeMicros, 1e6)
	counter(cpuStalled, u.CPUFullMicros, 1e6)
	counter(memWaiting, u.MemSomeMicros, 1e6)
	counter(memStalled, u.MemFullMicros, 1e6)
	counter(ioWaiting, u.IOSomeMicros, 1e6)
	counter(ioStalled, u.IOFullMicros, 1e6)
	gauge(memUsage, u.MemUsage)
	if u.MemUsage != nil {
		ws := *u.MemUsage
		if u.InactiveFile != nil && *u.InactiveFile < ws {
			ws -= *u.InactiveFile
		}
		put(workingSet, prometheus.GaugeValue, float64(ws))
	}
	counter(oomEvents, u.OOMKills, 1)
	counter(netRx, u.NetRx, 1)
	counter(netTx, u.NetTx, 1)
	counter(fsReads, u.BlkRead, 1)
	counter(fsWrites, u.BlkWrite, 1)
	gauge(processes, u.Pids)
	if !s.Started.IsZero() {
		put(startTime, prometheus.GaugeValue, float64(s.Started.UnixNano())/1e9)
	}
	if lim := s.Limits; lim != nil {
		// cAdvisor's spec values: 0 for no memory limit, as it reports
		// the absence; the quota only when there is one.
		if _, known := lim.Memory.Sources["limitBytes"]; known {
			v := 0.0
			if lim.Memory.LimitBytes != nil {
				v = float64(*lim.Memory.LimitBytes)
			}
			put(memLimit, prometheus.GaugeValue, v)
		}
		gauge(cpuQuota, lim.CPU.QuotaMicros)
		gauge(cpuPeriod, lim.CPU.PeriodMicros)
		shares := lim.CPU.Shares
		if shares == nil && lim.CPU.Weight != nil {
			// v2: cAdvisor converts cpu.weight back to shares
			// (the inverse of runc's shares → weight).
			w := *lim.CPU.Weight
			v := 2 + ((w-1)*262142)/9999
			shares = &v
		}
		gauge(cpuShares, shares)
	}
	if sr.info != nil {
		ch <- b.metric(info, prometheus.GaugeValue, 1, sr.info)
		put(capabilities, prometheus.GaugeValue, float64(s.Posture.Capabilities))
		for _, f := range sr.findings {
			ch <- b.metric(finding, prometheus.GaugeValue, 1, f)
		}
	}
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
