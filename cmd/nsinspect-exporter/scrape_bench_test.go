package main

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report/metrics"
)

// BenchmarkScrapeLive is one /metrics scrape of the live host, as the
// handler serve builds answers it, by stage: the read alone (the stats
// session's Next and the samples), the gathering (Collect, and
// client_golang checking and sorting the metrics), and the whole scrape
// as curl asks for it and as Prometheus does (gzip). The first scrape,
// which reads every container's limits and posture, is made before the
// timer starts. Start the containers first, e.g. 200 of
// `nsinspect run -d -- sleep 3600`; scripts/bench/exporter.sh measures
// the binary.
func BenchmarkScrapeLive(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("live scrape benchmark skipped: reading every container needs root")
	}
	src := newSource(inspect.NewFS(inspect.DefaultProcRoot, "/sys/fs/cgroup"), nil, "")
	defer src.close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(src.read, nil))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{MaxRequestsInFlight: 1, ErrorHandling: promhttp.ContinueOnError})
	if _, err := reg.Gather(); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d containers", len(src.known))
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			src.read()
		}
	})
	b.Run("gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, tc := range []struct{ name, accept, encoding string }{
		{"curl", "*/*", ""},
		{"prometheus", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", "gzip"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				req := httptest.NewRequest("GET", "/metrics", nil)
				req.Header.Set("Accept", tc.accept)
				if tc.encoding != "" {
					req.Header.Set("Accept-Encoding", tc.encoding)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("scrape: %d", w.Code)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/scrape")
		})
	}
}
