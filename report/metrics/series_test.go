package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/report"
)

// A container's label pairs are kept between scrapes: a name found
// later, or a posture read again, shows at the next scrape, and a
// container gone is forgotten.
func TestSeriesFollowContainer(t *testing.T) {
	c := facts.Container{ID: "ce77", Runtime: facts.Runtime{Name: facts.RuntimeDocker}, Cgroup: "/docker/ce77"}
	samples := []Sample{{Container: c, Usage: facts.Usage{Pids: u64(1)}}}
	col := NewCollector(func() Scrape { return Scrape{Samples: samples} }, nil)
	scrape := func(want string) {
		t.Helper()
		if err := testutil.CollectAndCompare(col, strings.NewReader(want), "container_processes", "nsinspect_finding"); err != nil {
			t.Error(err)
		}
	}
	const head = "# HELP container_processes Number of processes running inside the container.\n# TYPE container_processes gauge\n"
	scrape(head + `container_processes{container="",id="/docker/ce77",image="",name="",namespace="",pod="",runtime="docker"} 1` + "\n")

	samples[0].Container.Name = "web"
	scrape(head + `container_processes{container="",id="/docker/ce77",image="",name="web",namespace="",pod="",runtime="docker"} 1` + "\n")

	samples[0].Posture = &Posture{Findings: []report.AuditFinding{{Rule: "no-memory-limit", Severity: report.Warn}}}
	scrape(head + `container_processes{container="",id="/docker/ce77",image="",name="web",namespace="",pod="",runtime="docker"} 1` + "\n" +
		"# HELP nsinspect_finding An audit finding of a container (docs/rules.md): 1 while it holds.\n# TYPE nsinspect_finding gauge\n" +
		`nsinspect_finding{container="",id="/docker/ce77",image="",name="web",namespace="",pod="",rule="no-memory-limit",runtime="docker",severity="warn"} 1` + "\n")

	samples = nil
	scrape("")
	if n := len(col.series); n != 0 {
		t.Errorf("%d containers' series kept after they left", n)
	}
}
