package metrics

import (
	"cmp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// A scrape of 200 containers is some 6000 samples. Made with
// prometheus.MustNewConstMetric, each sample built, and sorted, seven
// label pairs of its own: 30 allocations a sample, which under the
// exporter's soft memory limit kept the collector running for most of a
// scrape's CPU. A container's label values change only with its name or
// posture, so its label pairs are built when it is first seen and every
// sample of it shares them, as client_golang shares a Desc's const
// label pairs (a written dto.LabelPair is immutable by contract).

// series are one container's label pairs, each list sorted by name as
// the exposition wants them.
type series struct {
	key      seriesKey
	labels   []*dto.LabelPair   // the container's, cAdvisor's labels
	info     []*dto.LabelPair   // with info's posture labels; nil without a posture
	findings [][]*dto.LabelPair // with each distinct rule and severity, sorted
}

// seriesKey is what a container's label values are made from: when any
// of it changes (a name found later, a container read again), its series
// are built again.
type seriesKey struct {
	cgroup, name, image, runtime string
	posture                      *Posture
}

func seriesKeyOf(s *Sample) seriesKey {
	return seriesKey{s.Container.Cgroup, s.Container.Name, s.Container.Image, s.Container.Runtime.Name, s.Posture}
}

// labelName holds each label name once: every pair points at it.
var labelName = map[string]*string{}

func init() {
	for _, d := range [][]string{containerLabels, {"privileged", "seccomp", "user_namespace", "host_pid", "host_net", "rule", "severity"}} {
		for _, n := range d {
			labelName[n] = &n
		}
	}
}

func newSeries(k seriesKey) *series {
	c := facts.Container{Cgroup: k.cgroup, Name: k.name, Image: k.image, Runtime: facts.Runtime{Name: k.runtime}}
	sr := &series{key: k, labels: pairs(nil, containerLabels, labels(c))}
	p := k.posture
	if p == nil {
		return sr
	}
	// Only the container's labels are made valid UTF-8 (a container can
	// name itself); info's and finding's values are the kernel's seccomp
	// mode and audit's rules.
	sr.info = pairs(sr.labels, []string{"privileged", "seccomp", "user_namespace", "host_pid", "host_net"},
		[]string{boolLabel(p.Privileged), p.Seccomp, boolLabel(p.UserNamespace), boolLabel(p.HostPID), boolLabel(p.HostNet)})
	// A rule that holds more than once (a finding per mount or per
	// capability) is one series.
	kinds := make([][2]string, 0, len(p.Findings))
	for _, f := range p.Findings {
		kinds = append(kinds, [2]string{f.Rule, string(f.Severity)})
	}
	slices.SortFunc(kinds, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	for _, k := range slices.Compact(kinds) {
		sr.findings = append(sr.findings, pairs(sr.labels, []string{"rule", "severity"}, k[:]))
	}
	return sr
}

// pairs are base with a pair for each name and value, sorted by name.
func pairs(base []*dto.LabelPair, names, values []string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(base)+len(names))
	out = append(out, base...)
	for i, n := range names {
		out = append(out, &dto.LabelPair{Name: labelName[n], Value: &values[i]})
	}
	slices.SortFunc(out, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// compareValues orders two containers' label pairs as the registry
// orders their samples: by value, label after label.
func compareValues(a, b []*dto.LabelPair) int {
	for i := range min(len(a), len(b)) {
		if c := strings.Compare(a[i].GetValue(), b[i].GetValue()); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// metric is a const metric whose label pairs are shared: what
// prometheus.MustNewConstMetric makes, without building the pairs.
type metric struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	value   float64
	counter dto.Counter // the value's, when a counter
	gauge   dto.Gauge   // the value's, when a gauge
	isGauge bool
}

func (m *metric) Desc() *prometheus.Desc { return m.desc }

func (m *metric) Write(out *dto.Metric) error {
	out.Label = m.labels
	if m.isGauge {
		out.Gauge = &m.gauge
	} else {
		out.Counter = &m.counter
	}
	return nil
}

// batch hands out a scrape's metrics from blocks of them: one allocation
// a block instead of several a sample. Each Collect makes a batch of its
// own: the registry encodes what was sent after Collect returns, and a
// second scrape may be collecting by then.
type batch struct{ free []metric }

func (b *batch) metric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels []*dto.LabelPair) *metric {
	if len(b.free) == 0 {
		b.free = make([]metric, 256)
	}
	m := &b.free[0]
	b.free = b.free[1:]
	m.desc, m.labels, m.value, m.isGauge = d, labels, v, t == prometheus.GaugeValue
	m.counter.Value, m.gauge.Value = &m.value, &m.value
	return m
}
