package main

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

// The time of the node-v2 sample (its /proc/uptime, 86400 s after btime);
// node-v2-t1 is the same host one second later.
var (
	statsT0 = time.Unix(1795334400+86400, 0).UTC()
	statsT1 = statsT0.Add(time.Second)
)

// nodeStats builds the rows stats prints for node-v2, the way statsRun does,
// but from two trees: containers are discovered in node-v2, sampled there at
// statsT0 and again in node-v2-t1 at statsT1.
func nodeStats(t *testing.T) []report.StatsRow {
	t.Helper()
	proc0, cg0 := nodeRoots(t, "node-v2")
	proc1, cg1 := nodeRoots(t, "node-v2-t1")
	fs0, fs1 := inspect.NewFS(proc0, cg0), inspect.NewFS(proc1, cg1)
	cs, _, err := fs0.Discover(false)
	if err != nil {
		t.Fatal(err)
	}
	host, err := fs0.Host()
	if err != nil {
		t.Fatal(err)
	}
	s0, s1 := fs0.NewSampler(), fs1.NewSampler()
	defer s0.Close()
	defer s1.Close()
	s0.Now = func() time.Time { return statsT0 }
	s1.Now = func() time.Time { return statsT1 }
	// as stats does for -o wide, JSON and templates: the counters docker
	// leaves out too
	s0.Extended, s1.Extended = true, true
	s0.HostNamespaces, s1.HostNamespaces = fs0.HostNamespaces(), fs1.HostNamespaces()
	h0, err := s0.Host()
	if err != nil {
		t.Fatal(err)
	}
	h1, err := s1.Host()
	if err != nil {
		t.Fatal(err)
	}
	var rows []report.StatsRow
	for i := range cs {
		c := &cs[i]
		u0, err := s0.Sample(c)
		if err != nil {
			t.Fatalf("sampling %s at t0: %v", c.Name, err)
		}
		u1, err := s1.Sample(c)
		if err != nil {
			t.Fatalf("sampling %s at t1: %v", c.Name, err)
		}
		rows = append(rows, report.Stats(report.StatsInput{
			Container: *c, Prev: u0, Cur: u1, PrevHost: h0, Host: h1, MemTotal: host.MemTotalBytes, FirstOOM: u0.OOMKills,
		}))
	}
	return rows
}

func statsRow(t *testing.T, rows []report.StatsRow, name string) report.StatsRow {
	t.Helper()
	i := slices.IndexFunc(rows, func(r report.StatsRow) bool { return r.Name == name })
	if i < 0 {
		t.Fatalf("no stats row %q", name)
	}
	return rows[i]
}

func fmtF(v *float64) string {
	if v == nil {
		return "nil"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func fmtU(v *uint64) string {
	if v == nil {
		return "nil"
	}
	return strconv.FormatUint(*v, 10)
}

// nearly compares a computed percentage with the hand-computed one.
func nearly(got *float64, want float64) bool {
	return got != nil && math.Abs(*got-want) < 1e-9
}

// The arithmetic of docker stats (peers.md §2), computed by hand from the
// counters in testdata/node-v2 and node-v2-t1 (their README lists them).
// The host's "cpu" line advances 400 ticks over 4 CPUs: 4 s of CPU time, so
// a container's CPU % is its usage_usec delta / 10000.
func TestStatsArithmetic(t *testing.T) {
	rows := nodeStats(t)
	const hostMem = 17179869184 // MemTotal 16777216 kB
	type want struct {
		cpu, quota, throttled *float64 // nil: the row must show none
		memUsage, memLimit    uint64
		limited               bool
		memPct                float64
		rx, tx, rd, wr        uint64
		hostNet               bool // rx and tx must be null
		oomRose               bool
		oom, hits             string
		cells                 string // CPUPerc MemUsage MemPerc NetIO BlockIO PIDs, "|"-separated
	}
	f := func(v float64) *float64 { return &v }
	for name, w := range map[string]want{
		// 750000 µs in 1 s on a 1.5-CPU quota; 2 of 10 periods throttled
		"web": {cpu: f(75), quota: f(50), throttled: f(20), memUsage: 268435456 - 67108864, memLimit: 536870912, limited: true,
			memPct: 37.5, rx: 1500000, tx: 250000, rd: 4096000, wr: 1024000, oom: "0", hits: "0",
			cells: "75.00%|192MiB / 512MiB|37.50%|1.5MB / 250kB|4.1MB / 1.02MB|3"},
		// no memory limit: the host's memory stands in, as docker shows it
		"api": {cpu: f(50), memUsage: 104857600 - 20971520, memLimit: hostMem, memPct: 83886080.0 / hostMem * 100,
			rx: 10500000, tx: 2100000, oom: "0", hits: "0",
			cells: "50.00%|80MiB / 16GiB|0.49%|10.5MB / 2.1MB|0B / 0B|2"},
		"db": {cpu: f(100), quota: f(50), throttled: f(0), memUsage: 536870912 - 134217728, memLimit: 1073741824, limited: true,
			memPct: 37.5, rx: 20000500, tx: 30001500, rd: 52428800, wr: 104857600, oom: "0", hits: "0",
			cells: "100.00%|384MiB / 1GiB|37.50%|20MB / 30MB|52.4MB / 105MB|3"},
		// OOM kill count 1 → 2 between the samples; 5 of 10 periods throttled
		"default/web-5d8f7b9c4-abcde/nginx": {cpu: f(25), quota: f(50), throttled: f(50), memUsage: 262144000 - 10485760,
			memLimit: 268435456, limited: true, memPct: 93.75, rx: 880100000, tx: 1230200000, rd: 3145728, oomRose: true,
			oom: "2!", hits: "45", cells: "25.00%|240MiB / 256MiB|93.75%|880MB / 1.23GB|3.15MB / 0B|3"},
		"prod/payments-6b7f9c-kx2lp/payments": {cpu: f(10), quota: f(10), throttled: f(0), memUsage: 314572800,
			memLimit: 1073741824, limited: true, memPct: 300.0 / 1024 * 100, rx: 5001000, tx: 7002000, rd: 10485760, wr: 2105344,
			oom: "0", hits: "0", cells: "10.00%|300MiB / 1GiB|29.30%|5MB / 7MB|10.5MB / 2.11MB|2"},
		"tools/debug-shell/shell": {cpu: f(0), memUsage: 2097152, memLimit: hostMem, memPct: 2097152.0 / hostMem * 100,
			rx: 4096, tx: 2048, oom: "0", hits: "0", cells: "0.00%|2MiB / 16GiB|0.01%|4.1kB / 2.05kB|0B / 0B|1"},
		// above 100 %: docker's CPU % runs to 100 × CPUs. nspawn shares the
		// host's network namespace, whose counters (91.3GB / 12.4GB) are the
		// whole host's traffic: NET I/O says "host" and the bytes are null
		// (docker shows 0B / 0B for --network host, which reads as idle).
		"build-01": {cpu: f(120), memUsage: 1073741824 - 268435456, memLimit: hostMem, memPct: 4.6875,
			hostNet: true, rd: 734003200, wr: 104857600,
			oom: "0", hits: "0", cells: "120.00%|768MiB / 16GiB|4.69%|host|734MB / 105MB|2"},
		// a limit above the host's memory shows the host's memory instead
		"be42b6838156": {cpu: f(2), memUsage: 33554432 - 4194304, memLimit: hostMem, memPct: 29360128.0 / hostMem * 100,
			rx: 65536, tx: 32768, wr: 413696, oom: "0", hits: "0", cells: "2.00%|28MiB / 16GiB|0.17%|65.5kB / 32.8kB|0B / 414kB|5"},
		"c1": {cpu: f(3), quota: f(3), throttled: f(0), memUsage: 67108864, memLimit: 268435456, limited: true, memPct: 25,
			rx: 123456, tx: 654321, oom: "0", hits: "0", cells: "3.00%|64MiB / 256MiB|25.00%|123kB / 654kB|0B / 0B|2"},
		// no period elapsed under a quota: nothing was throttled, 0 %
		"demo": {cpu: f(0), quota: f(0), throttled: f(0), memUsage: 8388608 - 1048576, memLimit: 67108864, limited: true, memPct: 10.9375,
			oom: "0", hits: "0", cells: "0.00%|7MiB / 64MiB|10.94%|0B / 0B|0B / 0B|2"},
	} {
		t.Run(name, func(t *testing.T) {
			r := statsRow(t, rows, name)
			for _, p := range []struct {
				what      string
				got, want *float64
			}{{"CPUPercent", r.CPUPercent, w.cpu}, {"CPUQuotaPercent", r.CPUQuotaPercent, w.quota}, {"ThrottledPercent", r.ThrottledPercent, w.throttled}} {
				if (p.want == nil) != (p.got == nil) || (p.want != nil && !nearly(p.got, *p.want)) {
					t.Errorf("%s = %s, want %s", p.what, fmtF(p.got), fmtF(p.want))
				}
			}
			if r.MemUsageBytes == nil || *r.MemUsageBytes != w.memUsage {
				t.Errorf("MemUsageBytes = %s, want %d", fmtU(r.MemUsageBytes), w.memUsage)
			}
			if r.MemLimitBytes != w.memLimit || r.MemLimited != w.limited {
				t.Errorf("MemLimitBytes %d limited %v, want %d %v", r.MemLimitBytes, r.MemLimited, w.memLimit, w.limited)
			}
			if !nearly(r.MemPercent, w.memPct) {
				t.Errorf("MemPercent = %s, want %v", fmtF(r.MemPercent), w.memPct)
			}
			for _, p := range []struct {
				what string
				got  *uint64
				want uint64
			}{{"NetRxBytes", r.NetRxBytes, w.rx}, {"NetTxBytes", r.NetTxBytes, w.tx}, {"BlockReadBytes", r.BlockReadBytes, w.rd}, {"BlockWriteBytes", r.BlockWriteBytes, w.wr}} {
				if w.hostNet && strings.HasPrefix(p.what, "Net") {
					if p.got != nil {
						t.Errorf("%s = %d, want null: the container is on the host's network", p.what, *p.got)
					}
					continue
				}
				if p.got == nil || *p.got != p.want {
					t.Errorf("%s = %s, want %d", p.what, fmtU(p.got), p.want)
				}
			}
			if r.HostNetwork != w.hostNet {
				t.Errorf("HostNetwork = %v, want %v", r.HostNetwork, w.hostNet)
			}
			if r.OOMKillsRose != w.oomRose || r.OOM() != w.oom || r.Hits() != w.hits {
				t.Errorf("OOM %q (rose %v), hits %q; want %q (rose %v), %q", r.OOM(), r.OOMKillsRose, r.Hits(), w.oom, w.oomRose, w.hits)
			}
			cells := strings.Join([]string{r.CPUPerc(), r.MemUsage(), r.MemPerc(), r.NetIO(), r.BlockIO(), r.PIDs()}, "|")
			if cells != w.cells {
				t.Errorf("columns %q, want %q", cells, w.cells)
			}
			if !r.Time.Equal(statsT1) {
				t.Errorf("Time %v, want %v", r.Time, statsT1)
			}
		})
	}
	if len(rows) != 13 {
		t.Errorf("%d rows, want 13", len(rows))
	}
}

func TestStatsGolden(t *testing.T) {
	rows := nodeStats(t)
	for _, tc := range []struct {
		name, format string
	}{
		{"stats-node-v2.table", report.DefaultStatsFormat},
		{"stats-node-v2.wide", report.WideStatsFormat},
		{"stats-node-v2.custom", `table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}`},
		{"stats-node-v2.ndjson", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if tc.format == "" {
				for _, r := range rows {
					if err := report.WriteJSONLine(&b, r); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				st, err := report.ParseStatsFormat(tc.format)
				if err != nil {
					t.Fatal(err)
				}
				if err := st.Write(&b, rows); err != nil {
					t.Fatal(err)
				}
			}
			checkGolden(t, tc.name, b.String())
		})
	}
}

// The real command over one tree: both samples read the same counters, so
// the deltas are zero and CPU % has no interval to measure (docker prints
// 0.00% only when the host's CPU time moved).
func TestStatsCommandNoStream(t *testing.T) {
	code, out, errOut := run(t, nodeArgs(t, "node-v1", "stats", "--no-stream", "-o", "wide")...)
	if code != 0 || strings.Count(out, "\n") != 8 || !strings.Contains(out, "84MiB / 256MiB") {
		t.Errorf("stats on node-v1: exit %d, err %q\n%s", code, errOut, out)
	}
	code, out, errOut = run(t, nodeArgs(t, "node-v2", "stats", "--no-stream")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	header := strings.Fields(strings.NewReplacer("CONTAINER ID", "CONTAINER_ID", "MEM USAGE / LIMIT", "MEM_USAGE", "NET I/O", "NET_IO",
		"BLOCK I/O", "BLOCK_IO", "CPU %", "CPU%", "MEM %", "MEM%").Replace(lines[0]))
	if want := []string{"CONTAINER_ID", "NAME", "CPU%", "MEM_USAGE", "MEM%", "NET_IO", "BLOCK_IO", "PIDS"}; !slices.Equal(header, want) {
		t.Fatalf("header %q, want %q", header, want)
	}
	if len(lines) != 14 {
		t.Fatalf("%d rows, want 13:\n%s", len(lines)-1, out)
	}
	cpu, mem := strings.Index(lines[0], "CPU %"), strings.Index(lines[0], "MEM USAGE")
	for _, l := range lines[1:] {
		if got := strings.TrimSpace(l[cpu:mem]); got != "--" {
			t.Errorf("CPU %% %q, want -- (no host CPU time elapsed): %s", got, l)
		}
		if !strings.Contains(l[mem:], " / ") {
			t.Errorf("no MEM USAGE / LIMIT: %s", l)
		}
	}
	if !strings.Contains(out, "190MiB / 512MiB") {
		t.Errorf("web's memory at t0 missing:\n%s", out)
	}
}

func TestStatsUnknownContainer(t *testing.T) {
	code, out, errOut := run(t, nodeArgs(t, "node-v2", "stats", "--no-stream", "web", "nosuch")...)
	if code != exitUsage || out != "" || errOut != "nsinspect: no such container: nosuch\n" {
		t.Errorf("stats nosuch: exit %d, out %q, err %q; want exit 2, \"no such container: nosuch\"", code, out, errOut)
	}
}
