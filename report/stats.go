package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// StatsRow is one container in one sample of nsinspect stats: docker
// stats' columns computed with docker's arithmetic, and what docker leaves
// out. JSON (one object per container per sample) carries the raw numbers;
// the methods give docker's formatted columns to tables and templates.
type StatsRow struct {
	Time    time.Time `json:"time"`
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Runtime string    `json:"runtime"`
	Pid     int       `json:"pid"`
	// CPUPercent is docker's: container CPU time over host CPU time in the
	// interval, times the online CPUs, so 0 to 100×CPUs.
	CPUPercent *float64 `json:"cpuPercent"`
	// CPUQuotaPercent is the share of the container's own quota used.
	CPUQuotaPercent *float64 `json:"cpuQuotaPercent"`
	// MemUsageBytes is usage minus inactive file, as docker computes it.
	MemUsageBytes *uint64 `json:"memUsageBytes"`
	// MemLimitBytes is the limit, or the host's memory when there is none
	// (or it is larger), as docker shows it; MemLimited says which.
	MemLimitBytes uint64   `json:"memLimitBytes"`
	MemLimited    bool     `json:"memLimited"`
	MemPercent    *float64 `json:"memPercent"`
	NetRxBytes    *uint64  `json:"netRxBytes"`
	NetTxBytes    *uint64  `json:"netTxBytes"`
	// HostNetwork: the container shares the host's network namespace;
	// its interfaces' counters are the host's, so the bytes are null.
	HostNetwork      bool     `json:"hostNetwork"`
	BlockReadBytes   *uint64  `json:"blockReadBytes"`
	BlockWriteBytes  *uint64  `json:"blockWriteBytes"`
	PidsCurrent      *uint64  `json:"pids"`
	ThrottledPercent *float64 `json:"throttledPercent"` // throttled periods in the interval
	OOMKills         *uint64  `json:"oomKills"`
	OOMKillsRose     bool     `json:"oomKillsRose"` // the count rose during this session
	LimitHits        *uint64  `json:"limitHits"`
	CPUPressure      *float64 `json:"cpuPressure"` // PSI some avg10, percent
	MemPressure      *float64 `json:"memPressure"`
	MemPressureFull  *float64 `json:"memPressureFull"`
	IOPressure       *float64 `json:"ioPressure"`
}

// StatsInput is one container's two readings and the host's.
type StatsInput struct {
	Container      facts.Container
	Prev, Cur      facts.Usage
	PrevHost, Host facts.HostUsage
	MemTotal       uint64
	FirstOOM       *uint64 // the OOM count when the session first saw it
}

// Stats computes a row from two readings.
func Stats(in StatsInput) StatsRow {
	c, p, u := in.Container, in.Prev, in.Cur
	r := StatsRow{Time: u.Time.UTC(), ID: c.ID, Name: c.Name, Runtime: c.Runtime.Name, Pid: c.Pid,
		PidsCurrent: u.Pids, NetRxBytes: u.NetRx, NetTxBytes: u.NetTx, HostNetwork: u.HostNetwork, BlockReadBytes: u.BlkRead, BlockWriteBytes: u.BlkWrite,
		OOMKills: u.OOMKills, LimitHits: u.LimitHits,
		CPUPressure: u.CPUPressure, MemPressure: u.MemPressure, MemPressureFull: u.MemFull, IOPressure: u.IOPressure}
	if u.CPUNanos != nil && p.CPUNanos != nil && *u.CPUNanos >= *p.CPUNanos {
		cpuDelta := float64(*u.CPUNanos - *p.CPUNanos)
		if sys := float64(in.Host.SystemNanos) - float64(in.PrevHost.SystemNanos); sys > 0 && in.Host.OnlineCPUs > 0 {
			v := cpuDelta / sys * float64(in.Host.OnlineCPUs) * 100
			r.CPUPercent = &v
		}
		if wall := u.Time.Sub(p.Time).Nanoseconds(); u.QuotaCPUs != nil && *u.QuotaCPUs > 0 && wall > 0 {
			v := cpuDelta / (*u.QuotaCPUs * float64(wall)) * 100
			r.CPUQuotaPercent = &v
		}
	}
	if u.MemUsage != nil {
		used := *u.MemUsage
		if u.InactiveFile != nil && *u.InactiveFile < used {
			used -= *u.InactiveFile
		}
		r.MemUsageBytes = &used
	}
	r.MemLimitBytes = in.MemTotal
	if u.MemLimit != nil && (in.MemTotal == 0 || *u.MemLimit < in.MemTotal) {
		r.MemLimitBytes, r.MemLimited = *u.MemLimit, true
	}
	if r.MemUsageBytes != nil && r.MemLimitBytes > 0 {
		v := float64(*r.MemUsageBytes) / float64(r.MemLimitBytes) * 100
		r.MemPercent = &v
	}
	if u.Periods != nil && p.Periods != nil && u.Throttled != nil && p.Throttled != nil && *u.Throttled >= *p.Throttled {
		switch {
		case *u.Periods > *p.Periods:
			v := float64(*u.Throttled-*p.Throttled) / float64(*u.Periods-*p.Periods) * 100
			r.ThrottledPercent = &v
		case *u.Periods == *p.Periods && u.QuotaCPUs != nil:
			// A period is counted only when the group ran in it: an idle
			// container with a quota had none, and none was throttled.
			v := 0.0
			r.ThrottledPercent = &v
		}
	}
	if u.OOMKills != nil && in.FirstOOM != nil && *u.OOMKills > *in.FirstOOM {
		r.OOMKillsRose = true
	}
	return r
}

func pct(v *float64) string {
	if v == nil {
		return unknown
	}
	return strconv.FormatFloat(*v, 'f', 2, 64) + "%"
}

// decimal formats like docker's NET I/O and BLOCK I/O columns (powers of
// 1000: 446B, 5.48MB).
func decimal(v *uint64) string {
	if v == nil {
		return unknown
	}
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f, i := float64(*v), 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return trimFloat(f) + units[i]
}

// Docker's column names for --format templates.

// Container is the short id, as docker stats' {{.Container}}.
func (r StatsRow) Container() string { return short(r.ID) }

// CPUPerc is docker's CPU % column.
func (r StatsRow) CPUPerc() string { return pct(r.CPUPercent) }

// MemUsage is docker's MEM USAGE / LIMIT column.
func (r StatsRow) MemUsage() string {
	used := unknown
	if r.MemUsageBytes != nil {
		used = Bytes(*r.MemUsageBytes)
	}
	return used + " / " + Bytes(r.MemLimitBytes)
}

// MemPerc is docker's MEM % column.
func (r StatsRow) MemPerc() string { return pct(r.MemPercent) }

// NetIO is docker's NET I/O column.
// A container on the host's network shows "host": docker shows 0B / 0B, which
// reads as an idle container.
func (r StatsRow) NetIO() string {
	if r.HostNetwork {
		return "host"
	}
	return decimal(r.NetRxBytes) + " / " + decimal(r.NetTxBytes)
}

// BlockIO is docker's BLOCK I/O column.
func (r StatsRow) BlockIO() string {
	return decimal(r.BlockReadBytes) + " / " + decimal(r.BlockWriteBytes)
}

// PIDs is docker's PIDS column.
func (r StatsRow) PIDs() string {
	if r.PidsCurrent == nil {
		return unknown
	}
	return strconv.FormatUint(*r.PidsCurrent, 10)
}

// QuotaPerc is the CPU % of the container's own quota.
func (r StatsRow) QuotaPerc() string { return pct(r.CPUQuotaPercent) }

// Throttled is the throttled share of CFS periods in the interval.
func (r StatsRow) Throttled() string { return pct(r.ThrottledPercent) }

// OOM is the OOM-kill count, marked with "!" when it rose this session.
func (r StatsRow) OOM() string {
	if r.OOMKills == nil {
		return unknown
	}
	s := strconv.FormatUint(*r.OOMKills, 10)
	if r.OOMKillsRose {
		s += "!"
	}
	return s
}

// Hits is the memory limit-hit count.
func (r StatsRow) Hits() string {
	if r.LimitHits == nil {
		return unknown
	}
	return strconv.FormatUint(*r.LimitHits, 10)
}

// PSI is cpu/mem/io pressure (some, avg10).
func (r StatsRow) PSI() string {
	if r.CPUPressure == nil && r.MemPressure == nil && r.IOPressure == nil {
		return unknown
	}
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	return f(r.CPUPressure) + "/" + f(r.MemPressure) + "/" + f(r.IOPressure)
}

// statsColumns are docker's header names for the template fields.
var statsColumns = map[string]string{
	"ID": "CONTAINER ID", "Container": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
	"MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS", "Runtime": "RUNTIME", "Pid": "PID",
	"QuotaPerc": "CPU % QUOTA", "Throttled": "THROTTLED", "OOM": "OOM KILLS", "Hits": "LIMIT HITS", "PSI": "PSI CPU/MEM/IO",
}

// DefaultStatsFormat is docker stats' table; WideStatsFormat adds what
// docker leaves out.
const (
	DefaultStatsFormat = "table {{.Container}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
	WideStatsFormat    = DefaultStatsFormat + "\t{{.QuotaPerc}}\t{{.Throttled}}\t{{.OOM}}\t{{.Hits}}\t{{.PSI}}\t{{.Runtime}}"
)

// StatsTable is a parsed docker-style --format: "table " plus tab-separated
// fields gives a header and aligned columns; anything else is one line per
// row.
type StatsTable struct {
	tmpl   *template.Template
	header []string
	table  bool
	// cells, when every cell of a table format is a plain {{.Field}} (the
	// default and wide formats), renders without the template: stats
	// redraws hundreds of rows a second, and reflection per cell is most
	// of that cost.
	cells   []func(StatsRow) string
	noTrunc bool
	// long are the columns cut to fit the terminal: the names.
	long          []fitColumn
	width, height int
}

// statsCells are the plain fields a table format may name, as the
// template would print them.
var statsCells = map[string]func(StatsRow) string{
	"ID": func(r StatsRow) string { return r.ID }, "Container": StatsRow.Container, "Name": func(r StatsRow) string { return r.Name },
	"CPUPerc": StatsRow.CPUPerc, "MemUsage": StatsRow.MemUsage, "MemPerc": StatsRow.MemPerc, "NetIO": StatsRow.NetIO,
	"BlockIO": StatsRow.BlockIO, "PIDs": StatsRow.PIDs, "QuotaPerc": StatsRow.QuotaPerc, "Throttled": StatsRow.Throttled,
	"OOM": StatsRow.OOM, "Hits": StatsRow.Hits, "PSI": StatsRow.PSI,
	"Runtime": func(r StatsRow) string { return r.Runtime }, "Pid": func(r StatsRow) string { return strconv.Itoa(r.Pid) },
}

// StatsFormat is what stats offers --format: a row's fields and docker
// stats' columns.
var StatsFormat = FormatSpec{Command: "stats", Wide: true, Row: StatsRow{}, Headers: statsColumns}

// ParseStatsFormat compiles a stats --format template ("table …" or not).
func ParseStatsFormat(format string) (*StatsTable, error) {
	if format == "table" {
		return NewStatsTable(Format{Kind: "table"}, false)
	}
	f, err := parseTemplateFormat(format, StatsFormat)
	if err != nil {
		return nil, err
	}
	return NewStatsTable(f, false)
}

// NewStatsTable is how stats prints in format f: docker's table, the wide
// one, or a template; nil for JSON, which is one object per row. Ids are
// short, as docker stats shows them, unless noTrunc.
func NewStatsTable(f Format, noTrunc bool) (*StatsTable, error) {
	switch f.Kind {
	case "json":
		return nil, nil
	case "table", "wide":
		text := DefaultStatsFormat
		if f.Kind == "wide" {
			text = WideStatsFormat
		}
		var err error
		if f, err = parseTemplateFormat(text, StatsFormat); err != nil {
			return nil, err
		}
	}
	st := &StatsTable{tmpl: f.tmpl, table: f.Table, header: f.header, noTrunc: noTrunc}
	if st.table {
		for i, field := range f.fields {
			// Only names are long: ids are short already (12, cut
			// further they may name two containers), and the figures
			// are a few characters.
			if field == "Name" || field == "Names" {
				st.long = append(st.long, fitColumn{i, minFitWidth})
			}
		}
		for _, field := range f.fields {
			c, ok := statsCells[field]
			if !ok {
				st.cells = nil
				break
			}
			st.cells = append(st.cells, c)
		}
	}
	return st, nil
}

// Fit makes a table (not a bare template, whose layout is the user's) fit
// a terminal of width columns and height lines: names are cut, then lines,
// as in ps's table; when the rows do not fit the height, as many as fit
// are drawn and a last line says how many more there are. 0 fits nothing,
// as for output that is not a terminal; a table made with noTrunc
// (--no-trunc) fits nothing either.
func (st *StatsTable) Fit(width, height int) { st.width, st.height = width, height }

// moreLine is the last line of a table cut to the terminal's height.
func moreLine(n int) string { return strconv.Itoa(n) + " more (--no-trunc shows all)" }

// Write renders rows.
func (st *StatsTable) Write(w io.Writer, rows []StatsRow) error {
	if !st.table {
		for _, r := range rows {
			if !st.noTrunc {
				r.ID = short(r.ID)
			}
			if err := WriteTemplate(w, st.tmpl, r); err != nil {
				return err
			}
		}
		return nil
	}
	width, more := st.width, 0
	if st.noTrunc {
		width = 0
	}
	// The screen holds height lines; the cursor stays on the last, so a
	// redraw of height lines would scroll the header away.
	if lines := st.height - 1; !st.noTrunc && st.height > 0 && 1+len(rows) > lines {
		shown := max(lines-2, 0) // the header, and the line saying how many more
		rows, more = rows[:shown], len(rows)-shown
	}
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		// Both paths draw from the escaped row, so a name with control
		// characters prints the same with and without the template.
		r = sanitize(r)
		if !st.noTrunc {
			r.ID = short(r.ID)
		}
		if st.cells != nil {
			line := make([]string, len(st.cells))
			for i, f := range st.cells {
				line[i] = f(r)
			}
			cells = append(cells, line)
			continue
		}
		var b strings.Builder
		if err := executeTemplate(&b, st.tmpl, r); err != nil {
			return err
		}
		cells = append(cells, strings.Split(b.String(), "\t"))
	}
	fitRows(st.header, cells, width, st.long)
	if err := alignRowsCut(w, st.header, cells, width); err != nil {
		return err
	}
	if more > 0 {
		_, err := io.WriteString(w, cutLine(moreLine(more), width)+"\n")
		return err
	}
	return nil
}

// StatsOrder is the order of stats' rows (--sort).
type StatsOrder string

// The orders --sort offers: by name, as a stable list; by CPU % or by
// memory use, highest first, as ctop and systemd-cgtop sort their live
// views.
const (
	SortName StatsOrder = "name"
	SortCPU  StatsOrder = "cpu"
	SortMem  StatsOrder = "mem"
)

// StatsSortKeys are --sort's keys, for its help and completion.
var StatsSortKeys = []string{string(SortCPU), string(SortMem), string(SortName)}

// ParseStatsSort resolves a --sort key; an unknown one is an error naming
// the keys there are.
func ParseStatsSort(key string) (StatsOrder, error) {
	if key == "" || slices.Contains(StatsSortKeys, key) {
		return StatsOrder(key), nil
	}
	return "", fmt.Errorf("unknown --sort %q: want cpu, mem or name", key)
}

// SortStats orders rows in place; no order keeps the rows as they are. By name, names compare naturally
// (CompareNatural: t2 before t10), then runtime and id tell apart equal
// names. By cpu (CPU %) or mem (memory used, as MEM USAGE counts it) the
// highest come first, a value not known (a first sample's CPU %) last, and
// equal values by name.
func SortStats(rows []StatsRow, by StatsOrder) {
	if by == "" {
		return // the listing's own order: runtime, then name, as ps
	}
	byName := func(a, b StatsRow) int {
		if c := CompareNatural(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(a.Runtime, b.Runtime); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	}
	slices.SortStableFunc(rows, func(a, b StatsRow) int {
		c := 0
		switch by {
		case SortCPU:
			c = highestFirst(a.CPUPercent, b.CPUPercent)
		case SortMem:
			c = highestFirst(a.MemUsageBytes, b.MemUsageBytes)
		}
		if c != 0 {
			return c
		}
		return byName(a, b)
	})
}

// highestFirst compares two values for a descending sort, nil (not known)
// after any value.
func highestFirst[T cmp.Ordered](a, b *T) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*b, *a)
}
