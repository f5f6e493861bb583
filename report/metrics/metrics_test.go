package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/report"
)

func u64(v uint64) *uint64 { return &v }

// TestCollect: one Kubernetes container and one Docker container, values
// and labels as cAdvisor writes them.
func TestCollect(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	k8s := Sample{
		Container: facts.Container{ID: "f11e", Name: "prod/payments-6b7f9c-kx2lp/payments", Runtime: facts.Runtime{Name: facts.RuntimeKubernetes},
			Cgroup: "/kubepods.slice/kubepods-pod1.slice/cri-containerd-f11e.scope"},
		Started: at.Add(-time.Hour),
		Usage:   facts.Usage{CPUNanos: u64(1_500_000_000), MemUsage: u64(300 << 20), InactiveFile: u64(100 << 20), Periods: u64(10), Throttled: u64(4), OOMKills: u64(2), Pids: u64(7)},
		Limits: &facts.Cgroup{
			Memory: facts.MemoryCgroup{LimitBytes: u64(512 << 20), Sources: facts.Sources{"limitBytes": {File: "memory.max", Raw: "536870912"}}},
			CPU:    facts.CPUCgroup{QuotaMicros: u64(50000), PeriodMicros: u64(100000), Weight: u64(100)},
		},
		Posture: &Posture{Seccomp: "filter", Capabilities: 14, Findings: []report.AuditFinding{
			{Rule: "oom-kills", Severity: report.Critical}, {Rule: "host-sensitive", Severity: report.Warn}, {Rule: "host-sensitive", Severity: report.Warn}}},
	}
	docker := Sample{
		Container: facts.Container{ID: "ce77", Name: "web", Runtime: facts.Runtime{Name: facts.RuntimeDocker}, Cgroup: "/docker/ce77"},
		Usage:     facts.Usage{MemUsage: u64(1000)},
		Limits: &facts.Cgroup{
			Memory: facts.MemoryCgroup{Sources: facts.Sources{"limitBytes": {File: "memory.limit_in_bytes", Raw: "9223372036854771712"}}},
			CPU:    facts.CPUCgroup{PeriodMicros: u64(100000), Shares: u64(1024)},
		},
	}
	c := NewCollector(func() Scrape { return Scrape{Samples: []Sample{k8s, docker}, Errors: map[string]int{"rootfs": 1}} }, func() time.Time { return at })
	const k = `container="payments",id="/kubepods.slice/kubepods-pod1.slice/cri-containerd-f11e.scope",image="",name="prod/payments-6b7f9c-kx2lp/payments",namespace="prod",pod="payments-6b7f9c-kx2lp",runtime="kubernetes"`
	const d = `container="",id="/docker/ce77",image="",name="web",namespace="",pod="",runtime="docker"`
	want := `
# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.
# TYPE container_cpu_usage_seconds_total counter
container_cpu_usage_seconds_total{` + k + `} 1.5
# HELP container_memory_working_set_bytes Current working set in bytes.
# TYPE container_memory_working_set_bytes gauge
container_memory_working_set_bytes{` + d + `} 1000
container_memory_working_set_bytes{` + k + `} 2.097152e+08
# HELP container_spec_memory_limit_bytes Memory limit for the container.
# TYPE container_spec_memory_limit_bytes gauge
container_spec_memory_limit_bytes{` + d + `} 0
container_spec_memory_limit_bytes{` + k + `} 5.36870912e+08
# HELP container_spec_cpu_shares CPU share of the container.
# TYPE container_spec_cpu_shares gauge
container_spec_cpu_shares{` + d + `} 1024
container_spec_cpu_shares{` + k + `} 2597
# HELP container_cpu_cfs_throttled_periods_total Number of throttled period intervals.
# TYPE container_cpu_cfs_throttled_periods_total counter
container_cpu_cfs_throttled_periods_total{` + k + `} 4
# HELP nsinspect_finding An audit finding of a container (docs/rules.md): 1 while it holds.
# TYPE nsinspect_finding gauge
nsinspect_finding{` + strings.TrimSuffix(k, `,runtime="kubernetes"`) + `,rule="host-sensitive",runtime="kubernetes",severity="warn"} 1
nsinspect_finding{` + strings.TrimSuffix(k, `,runtime="kubernetes"`) + `,rule="oom-kills",runtime="kubernetes",severity="critical"} 1
# HELP nsinspect_scrape_errors_total Reads that failed during scrapes, by section; the scrape still answers with the rest.
# TYPE nsinspect_scrape_errors_total counter
nsinspect_scrape_errors_total{section="rootfs"} 1
# HELP nsinspect_containers Containers found on the node at this scrape.
# TYPE nsinspect_containers gauge
nsinspect_containers 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_spec_memory_limit_bytes",
		"container_spec_cpu_shares", "container_cpu_cfs_throttled_periods_total", "nsinspect_finding", "nsinspect_scrape_errors_total", "nsinspect_containers"); err != nil {
		t.Error(err)
	}
	// errors add up over scrapes
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	reg.Gather()
	if n := testutil.ToFloat64(prometheus.CollectorFunc(func(ch chan<- prometheus.Metric) {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "nsinspect_scrape_errors_total" {
				ch <- prometheus.MustNewConstMetric(prometheus.NewDesc("x", "x", nil, nil), prometheus.CounterValue, mf.Metric[0].Counter.GetValue())
			}
		}
	})); n != 3 {
		t.Errorf("scrape errors after three scrapes: %v, want 3", n)
	}
}

// A container names itself where podman reads its name (the container's
// /run/.containerenv): an invalid UTF-8 byte there must not fail the
// scrape, which client_golang would refuse whole.
func TestInvalidUTF8Name(t *testing.T) {
	bad := Sample{Container: facts.Container{ID: "a", Name: "evil\xff\xfe", Runtime: facts.Runtime{Name: facts.RuntimePodman}, Cgroup: "/machine.slice/libpod-a.scope"},
		Usage: facts.Usage{MemUsage: u64(1)}}
	c := NewCollector(func() Scrape {
		return Scrape{Samples: []Sample{bad}, OOMKills: []OOMCount{{Name: "evil\xff", Count: 1}}}
	}, nil)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	found := 0
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			for _, l := range m.Label {
				if l.GetName() == "name" {
					if l.GetValue() != "evil\uFFFD" && l.GetValue() != "evil\uFFFD\uFFFD" {
						t.Errorf("%s: name %q", mf.GetName(), l.GetValue())
					}
					found++
				}
			}
		}
	}
	if found < 3 {
		t.Errorf("only %d series named", found)
	}
}
