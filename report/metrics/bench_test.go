package metrics

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/report"
)

// benchScrape is a node of n nsinspect-run-like containers, every
// counter and limit known, listed by name as a session lists them (not
// in the exposition's order), the same posture pointers at every scrape
// as the exporter's source keeps them.
func benchScrape(n int) Scrape {
	var s Scrape
	for i := range n {
		id := fmt.Sprintf("%064x", uint64(i)*0x9e3779b97f4a7c15)
		v := func(x uint64) *uint64 { x += uint64(i); return &x }
		s.Samples = append(s.Samples, Sample{
			Container: facts.Container{ID: id, Name: fmt.Sprintf("benchx-%d", i), Runtime: facts.Runtime{Name: "nsinspect"},
				Cgroup: "/nsinspect/" + id},
			Started: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
			Usage: facts.Usage{CPUNanos: v(1e9), Periods: v(10), Throttled: v(1), ThrottledNanos: v(1e6), RSS: v(1 << 20), Cache: v(2 << 20),
				CPUSomeMicros: v(100), CPUFullMicros: v(50), MemSomeMicros: v(1), MemFullMicros: v(1), IOSomeMicros: v(2), IOFullMicros: v(1),
				MemUsage: v(4 << 20), InactiveFile: v(1 << 20), OOMKills: v(0), NetRx: v(1000), NetTx: v(2000), BlkRead: v(4096), BlkWrite: v(8192), Pids: v(1)},
			Limits: &facts.Cgroup{
				Memory: facts.MemoryCgroup{LimitBytes: v(64 << 20), Sources: facts.Sources{"limitBytes": {File: "memory.limit_in_bytes"}}},
				CPU:    facts.CPUCgroup{PeriodMicros: v(100000), Shares: v(1024)},
			},
			Posture: &Posture{Seccomp: "filter", Capabilities: 14, Findings: []report.AuditFinding{
				{Rule: "no-pids-limit", Severity: report.Warn}, {Rule: "no-cpu-limit", Severity: report.Info}, {Rule: "writable-rootfs", Severity: report.Info}}},
		})
	}
	return s
}

// BenchmarkGather is the metrics' share of a scrape of 200 containers:
// Collect, client_golang's gathering and the text encoding; the node's
// reading is not in it (cmd/nsinspect-exporter's BenchmarkScrapeLive).
func BenchmarkGather(b *testing.B) {
	s := benchScrape(200)
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(func() Scrape { return s }, nil))
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		mfs, err := reg.Gather()
		if err != nil {
			b.Fatal(err)
		}
		out.Reset()
		enc := expfmt.NewEncoder(&out, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(out.Len()), "bytes/scrape")
}
