package report

import (
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// TestCPUViewUsable: the CPUs a container may use are the smaller of its
// quota and its cpuset; nproc counts the cpuset; only /proc/cpuinfo (and
// /proc/stat) keep the host's count.
func TestCPUViewUsable(t *testing.T) {
	u := func(v uint64) *uint64 { return &v }
	n := func(v int) *int { return &v }
	f := func(v float64) *float64 { return &v }
	s := func(v string) *string { return &v }
	const dir = "/sys/fs/cgroup/cpu,cpuacct/docker/x"
	for _, tc := range []struct {
		name    string
		cpu     facts.CPUCgroup
		summary string
		has     []string
		hasNot  []string
	}{
		{
			name: "cpuset 0 without quota (docker run --cpuset-cpus 0)",
			cpu: facts.CPUCgroup{CpusetCPUs: s("0"), CpusetCount: n(1), Shares: u(1024), Sources: facts.Sources{
				"quotaMicros": {File: dir + "/cpu.cfs_quota_us", Raw: "-1"}, "cpusetCpus": {File: "/sys/fs/cgroup/cpuset/docker/x/cpuset.cpus", Raw: "0"}}},
			summary: "No CPU quota: it may use 1 CPU (its cpuset 0); nproc shows 1",
			has: []string{"the smaller of its quota and its cpuset 0: 1 CPU", "nproc shows 1", "so here it is right",
				"/proc/cpuinfo and /proc/stat are not namespaced and still list the host's 2 CPUs"},
			hasNot: []string{"may use all 2", "sizes its thread pool from nproc"},
		},
		{
			name: "quota 0.5 on a cpuset of 2",
			cpu: facts.CPUCgroup{QuotaMicros: u(50000), PeriodMicros: u(100000), CPUs: f(0.5), CpusetCPUs: s("0-1"), CpusetCount: n(2), Sources: facts.Sources{
				"quotaMicros": {File: dir + "/cpu.cfs_quota_us", Raw: "50000"}, "periodMicros": {File: dir + "/cpu.cfs_period_us", Raw: "100000"}}},
			summary: "The CPU limit (--cpus) is a CFS quota of 50000 µs per 100000 µs period = 0.50 CPUs; it may use 0.50 CPUs; nproc shows 2",
			has:     []string{"starts 2 threads for 0.50 CPUs and over-subscribes", "/proc/cpuinfo and /proc/stat list the host's 2 CPUs"},
			hasNot:  []string{"not namespaced"},
		},
		{
			name: "quota 1.5 on a cpuset of 1: the cpuset is the bound",
			cpu: facts.CPUCgroup{QuotaMicros: u(150000), PeriodMicros: u(100000), CPUs: f(1.5), CpusetCPUs: s("1"), CpusetCount: n(1), Sources: facts.Sources{
				"quotaMicros": {File: dir + "/cpu.cfs_quota_us", Raw: "150000"}, "cpusetCpus": {File: "/sys/fs/cgroup/cpuset/docker/x/cpuset.cpus", Raw: "1"}}},
			summary: "The CPU limit (--cpus) is a CFS quota of 150000 µs per 100000 µs period = 1.50 CPUs; it may use 1 CPU; nproc shows 1",
			has:     []string{"its cpuset 1: 1 CPU", "so here it is right", "still list the host's 2 CPUs"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dockerContainer(capabilities(0, allCaps))
			p.Cgroup.CPU = tc.cpu
			host := &facts.Host{MemTotalBytes: 8 << 30, CPUs: 2, Sources: facts.Sources{"cpus": {File: "/proc/stat", Raw: "2 cpuN lines"}}}
			got := finding(t, Compare(p, hostReference(allCaps), host, nil), "cpu-view")
			if got.Summary != tc.summary {
				t.Errorf("summary\n got %q\nwant %q", got.Summary, tc.summary)
			}
			for _, w := range tc.has {
				if !strings.Contains(got.Detail, w) {
					t.Errorf("detail lacks %q:\n%s", w, got.Detail)
				}
			}
			for _, w := range tc.hasNot {
				if strings.Contains(got.Detail+got.Summary, w) {
					t.Errorf("finding says %q:\n%s", w, got.Detail)
				}
			}
			files := map[string]bool{}
			for _, e := range got.Evidence {
				files[e.File] = true
			}
			for name, e := range tc.cpu.Sources {
				if !files[e.File] {
					t.Errorf("evidence lacks %s (%s): %v", e.File, name, got.Evidence)
				}
			}
			if !files["/proc/stat"] {
				t.Errorf("evidence lacks the host's CPU count: %v", got.Evidence)
			}
		})
	}
}
