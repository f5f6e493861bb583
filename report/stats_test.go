package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

func u64(v uint64) *uint64   { return &v }
func f64(v float64) *float64 { return &v }

var sampleStatsRows = []StatsRow{
	{Time: time.Unix(1795334401, 0).UTC(), ID: "5e" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Name: "web", Runtime: "docker", Pid: 4242,
		CPUPercent: f64(75), CPUQuotaPercent: f64(50), MemUsageBytes: u64(201326592), MemLimitBytes: 536870912, MemLimited: true, MemPercent: f64(37.5),
		NetRxBytes: u64(1500000), NetTxBytes: u64(250000), BlockReadBytes: u64(4096000), BlockWriteBytes: u64(1024000), PidsCurrent: u64(3),
		ThrottledPercent: f64(20), OOMKills: u64(2), OOMKillsRose: true, LimitHits: u64(45), CPUPressure: f64(5), MemPressure: f64(0.5), IOPressure: f64(3)},
	// wide characters and an unknown everything: the columns still line up
	{ID: "ab" + "0000000000000000000000000000000000000000000000000000000000000000"[2:], Name: "日本語-build", Runtime: "systemd-nspawn", Pid: 7, HostNetwork: true},
}

// The plain-field fast path and the aligner draw exactly what the template
// and tablewriter draw.
func TestStatsTableFastPathMatchesTemplate(t *testing.T) {
	for _, format := range []string{"table", DefaultStatsFormat, WideStatsFormat, "table {{.ID}}\t{{.Pid}}\t{{.Runtime}}"} {
		st, err := ParseStatsFormat(format)
		if err != nil {
			t.Fatal(err)
		}
		if st.cells == nil {
			t.Errorf("%q: no fast path for plain fields", format)
		}
		var fast, slow bytes.Buffer
		if err := st.Write(&fast, sampleStatsRows); err != nil {
			t.Fatal(err)
		}
		// the general path: template per row, tablewriter
		var cells [][]string
		for _, r := range sampleStatsRows {
			var b bytes.Buffer
			r.ID = short(r.ID) // as docker stats shows ids
			if err := st.tmpl.Execute(&b, r); err != nil {
				t.Fatal(err)
			}
			var row []string
			for _, c := range bytes.Split(b.Bytes(), []byte("\t")) {
				row = append(row, string(c))
			}
			cells = append(cells, row)
		}
		if err := renderRows(&slow, st.header, cells); err != nil {
			t.Fatal(err)
		}
		if fast.String() != slow.String() {
			t.Errorf("%q:\nfast:\n%s\ntemplate and tablewriter:\n%s", format, fast.String(), slow.String())
		}
	}
}

// Anything but plain fields keeps the template.
func TestStatsTableTemplateFormats(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"table {{.Name}}\t{{.CPUPerc | printf \"%8s\"}}", "NAME           CPUPERC | PRINTF \"%8S\"\nweb              75.00%\n日本語-build         --\n"},
		{"table {{ .Name }}\t{{.PIDs}}", "NAME           PIDS\nweb            3\n日本語-build   --\n"},
		{"{{.Name}}: {{.NetIO}}", "web: 1.5MB / 250kB\n日本語-build: host\n"},
	} {
		st, err := ParseStatsFormat(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		if st.cells != nil {
			t.Errorf("%q: fast path taken for a non-plain format", tc.format)
		}
		var b bytes.Buffer
		if err := st.Write(&b, sampleStatsRows); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.format, b.String(), tc.want)
		}
	}
}

// TestStatsThrottled: -- is only for counters that could not be read; a
// container with a quota that ran in no period in the interval was
// throttled 0 % of the time.
func TestStatsThrottled(t *testing.T) {
	t0 := time.Unix(1795334400, 0)
	for _, tc := range []struct {
		name           string
		quota          *float64
		p0, t0, p1, t1 *uint64
		want           string
	}{
		{"quota, 0 periods in the interval", f64(0.5), u64(10), u64(2), u64(10), u64(2), "0.00%"},
		{"quota, never ran", f64(1), u64(0), u64(0), u64(0), u64(0), "0.00%"},
		{"quota, 4 of 10 periods", f64(1), u64(10), u64(2), u64(20), u64(6), "40.00%"},
		{"no quota, no period", nil, u64(0), u64(0), u64(0), u64(0), "--"},
		{"counters unread", f64(1), nil, nil, nil, nil, "--"},
		{"counter reset", f64(1), u64(10), u64(5), u64(10), u64(1), "--"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Stats(StatsInput{
				Prev: facts.Usage{Time: t0, QuotaCPUs: tc.quota, Periods: tc.p0, Throttled: tc.t0},
				Cur:  facts.Usage{Time: t0.Add(time.Second), QuotaCPUs: tc.quota, Periods: tc.p1, Throttled: tc.t1},
			})
			if got := r.Throttled(); got != tc.want {
				t.Errorf("THROTTLED = %s, want %s", got, tc.want)
			}
		})
	}
}
