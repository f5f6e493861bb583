package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// unknown is shown for a value that could not be read; the reason is
// listed under the table.
const unknown = "--"

// TableOptions tune the table.
type TableOptions struct {
	// Color paints verdicts; the caller sets it only for a terminal and
	// never under NO_COLOR.
	Color bool
}

// section is one block of the table: a title and rows of
// field, target, reference, verdict.
type section struct {
	title string
	rows  [][4]string
}

// add escapes every cell: most name something a container controls (its
// command line, hostname, cgroup path, mount points, runtime names), and
// each cell passes through here on its way to the terminal.
func (s *section) add(field, target, ref, verdict string) {
	s.rows = append(s.rows, [4]string{Escape(field), Escape(target), Escape(ref), Escape(verdict)})
}

// newTable is the plain, borderless, left-aligned style of docker ps:
// stable without a terminal, easy to grep.
func newTable(w io.Writer) *tablewriter.Table {
	cell := tw.CellConfig{
		Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
		Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
		Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: "   "}},
	}
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off}, Lines: tw.Lines{ShowHeaderLine: tw.Off}},
		})),
		tablewriter.WithConfig(tablewriter.Config{Header: cell, Row: cell}),
	)
}

// renderRows draws header and rows and trims the padding off line ends.
func renderRows(w io.Writer, header []string, rows [][]string) error {
	return renderRowsCut(w, header, rows, 0)
}

// renderRowsCut is renderRows with every line cut to width columns
// (cutLine); 0 cuts nothing.
func renderRowsCut(w io.Writer, header []string, rows [][]string, width int) error {
	var buf bytes.Buffer
	t := newTable(&buf)
	t.Header(header)
	for _, r := range rows {
		if err := t.Append(r); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	for line := range strings.SplitSeq(strings.TrimRight(buf.String(), "\n"), "\n") {
		if _, err := fmt.Fprintln(w, cutLine(strings.TrimRight(line, " "), width)); err != nil {
			return err
		}
	}
	return nil
}

// alignRows draws the same table as renderRows, each column as wide as its
// widest cell plus three spaces, without tablewriter's per-cell machinery:
// stats redraws hundreds of rows every second, and a long-running monitor
// should cost next to nothing.
func alignRows(w io.Writer, header []string, rows [][]string) error {
	return alignRowsCut(w, header, rows, 0)
}

// columnWidths is each column's display width: its widest cell, header
// included.
func columnWidths(header []string, rows [][]string) []int {
	width := make([]int, len(header))
	measure := func(r []string) {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], displayWidth(c))
		}
	}
	measure(header)
	for _, r := range rows {
		measure(r)
	}
	return width
}

// alignRowsCut is alignRows with every line cut to cut columns (cutLine);
// 0 cuts nothing.
func alignRowsCut(w io.Writer, header []string, rows [][]string, cut int) error {
	width := columnWidths(header, rows)
	var b bytes.Buffer
	line := func(r []string) {
		start := b.Len()
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				for n := width[i] - displayWidth(c) + columnGap; n > 0; n-- {
					b.WriteByte(' ')
				}
			}
		}
		// as renderRows: no padding at line ends
		for b.Len() > start && b.Bytes()[b.Len()-1] == ' ' {
			b.Truncate(b.Len() - 1)
		}
		// (a line of no more bytes than cut is no wider)
		if cut > 0 && b.Len()-start > cut {
			l := cutLine(string(b.Bytes()[start:]), cut)
			b.Truncate(start)
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
	line(header)
	for _, r := range rows {
		line(r)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// displayWidth is the terminal width of s as tablewriter measures it, with
// a shortcut for plain ASCII.
func displayWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || s[i] < ' ' {
			return twwidth.Width(s)
		}
	}
	return len(s)
}

// cutMarker ends a cell, or a line, cut to fit the terminal: the same
// three dots as the 32-character cut of ps's COMMAND column.
const cutMarker = "..."

// escapeLen is the length of the escape Escape writes that s starts
// with (\n, \r, \t, \xNN, \uNNNN), or 0. A cut keeps such an escape whole:
// half of one reads as another text ("\x1" then "..."), and a cut
// systemd escape (machine-build\x2d01.scope) is kept whole the same way.
func escapeLen(s string) int {
	if len(s) < 2 || s[0] != '\\' {
		return 0
	}
	hex := func(t string) bool {
		for i := 0; i < len(t); i++ {
			if !strings.ContainsRune(hexDigits, rune(t[i])) {
				return false
			}
		}
		return true
	}
	switch {
	case s[1] == 'n' || s[1] == 'r' || s[1] == 't':
		return 2
	case s[1] == 'x' && len(s) >= 4 && hex(s[2:4]):
		return 4
	case s[1] == 'u' && len(s) >= 6 && hex(s[2:6]):
		return 6
	}
	return 0
}

// truncateWidth cuts s, an escaped cell, to at most w terminal columns,
// ending in cutMarker; s comes back unchanged when it fits. Widths are
// display widths (a CJK character takes two columns), and the cut falls
// between characters, never inside a UTF-8 sequence nor inside an escape
// (escapeLen).
func truncateWidth(s string, w int) string {
	if displayWidth(s) <= w {
		return s
	}
	if w <= len(cutMarker) {
		return cutMarker[:max(w, 0)]
	}
	room := w - len(cutMarker)
	// ends are the byte offsets where a cut may fall, as far as room goes.
	ends := []int{0}
	used := 0
	for end := 0; end < len(s); {
		n := escapeLen(s[end:])
		if n == 0 {
			_, n = utf8.DecodeRuneInString(s[end:])
		}
		used += displayWidth(s[end : end+n])
		if used > room {
			break
		}
		end += n
		ends = append(ends, end)
	}
	// Character by character can measure less than the whole string (a
	// grapheme cluster drawn wider than its parts): back off until the
	// result is measured to fit.
	for i := len(ends) - 1; i > 0; i-- {
		if out := s[:ends[i]] + cutMarker; displayWidth(out) <= w {
			return out
		}
	}
	return cutMarker
}

// cutLine cuts a table's line to width columns (truncateWidth), as ps(1)
// cuts its lines at the terminal's width; 0 cuts nothing.
func cutLine(line string, width int) string {
	if width <= 0 {
		return line
	}
	return truncateWidth(line, width)
}

// fitColumn is a column a table may cut to fit the terminal: its index,
// and the width it is never cut below (nor below its header's).
type fitColumn struct{ col, min int }

// columnGap is the space between columns of renderRows and alignRows.
const columnGap = 3

// fitRows cuts the cells of the long columns of a table, in place, so that
// the table fits width columns: the first long column is cut as far as it
// may go before the next is touched. A table still too wide with every long
// column at its least is left to cutLine. 0 fits nothing.
func fitRows(header []string, rows [][]string, width int, long []fitColumn) {
	if width <= 0 {
		return
	}
	colw := columnWidths(header, rows)
	total := columnGap * (len(colw) - 1)
	for _, cw := range colw {
		total += cw
	}
	for _, l := range long {
		if total <= width {
			break
		}
		if l.col >= len(colw) {
			continue
		}
		least := l.min
		if l.col < len(header) {
			least = max(least, displayWidth(header[l.col]))
		}
		to := max(least, colw[l.col]-(total-width))
		if to >= colw[l.col] {
			continue
		}
		total -= colw[l.col] - to
		colw[l.col] = to
		for _, r := range rows {
			if l.col < len(r) {
				r[l.col] = truncateWidth(r[l.col], to)
			}
		}
	}
}

// CompareNatural orders names as people do: a run of digits compares by
// its value, so t2 comes before t10 (byte order puts t10 first); the rest
// compares byte by byte. Names equal so (t01, t1) fall back to byte order,
// so the order is total and a sort stable from run to run.
func CompareNatural(a, b string) int {
	digit := func(c byte) bool { return '0' <= c && c <= '9' }
	run := func(s string) int {
		n := 0
		for n < len(s) && digit(s[n]) {
			n++
		}
		return n
	}
	x, y := a, b
	for x != "" && y != "" {
		if digit(x[0]) && digit(y[0]) {
			nx, ny := run(x), run(y)
			dx, dy := strings.TrimLeft(x[:nx], "0"), strings.TrimLeft(y[:ny], "0")
			// Without leading zeros, a longer run is a larger number.
			if c := cmp.Compare(len(dx), len(dy)); c != 0 {
				return c
			}
			if c := strings.Compare(dx, dy); c != 0 {
				return c
			}
			x, y = x[nx:], y[ny:]
			continue
		}
		if x[0] != y[0] {
			return cmp.Compare(x[0], y[0])
		}
		x, y = x[1:], y[1:]
	}
	if c := cmp.Compare(len(x), len(y)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

var verdictColor = map[string]string{
	"isolated": "32", "limited": "32", "handled": "32", "enabled": "32", "read-only": "32",
	"shared": "33", "unlimited": "33", "inherited": "33", "dropped": "33", "ignored": "33", "writable": "33", "disabled": "33",
	"privileged": "31", "HOST ROOT": "31", "RUNTIME SOCKET": "31", "OOM KILLED": "31",
}

func paint(v string, on bool) string {
	if !on {
		return v
	}
	if c, ok := verdictColor[v]; ok {
		return "\x1b[" + c + "m" + v + "\x1b[0m"
	}
	return v
}

// WriteTable renders the inspection as sections comparing the target with
// its reference, then lists what could not be read and why.
func WriteTable(w io.Writer, in *Inspection, opt TableOptions) error {
	ref := in.ref
	if ref == nil {
		ref = &facts.Process{}
	}
	// The lines above the table carry comms, container names and errors:
	// escaped like the cells.
	fmt.Fprintf(w, "TARGET     pid %d (%s)%s\n", in.PID, Escape(comm(in.Process)), Escape(targetLabel(in)))
	fmt.Fprintf(w, "REFERENCE  pid %d (%s): %s\n", in.Reference.PID, Escape(in.Reference.Comm), Escape(in.Reference.Reason))
	if in.Reference.Partial != "" {
		fmt.Fprintf(w, "PARTIAL    %s\n", Escape(in.Reference.Partial))
	}
	if in.Host != nil {
		fmt.Fprintf(w, "HOST       %s memory, %s, cgroup %s\n", Bytes(in.Host.MemTotalBytes), plural(in.Host.CPUs, "CPU", "CPUs"), in.Host.CgroupMode)
	}
	refCol := "HOST"
	if in.Reference.Kind == facts.ReferenceProcess {
		refCol = "VS"
	}
	refCol += fmt.Sprintf(" (pid %d)", in.Reference.PID)
	sections := []section{
		processSection(in, ref),
		namespaceSection(in),
		cgroupSection(in, ref),
		kernelSection(in, ref),
		capabilitySection(in, ref),
		securitySection(in, ref),
		signalSection(in, ref),
		rootfsSection(in, ref),
		runtimeSection(in, ref),
	}
	for _, s := range sections {
		if len(s.rows) == 0 {
			continue
		}
		fmt.Fprintln(w)
		rows := make([][]string, len(s.rows))
		for i, r := range s.rows {
			rows[i] = []string{r[0], r[1], r[2], paint(r[3], opt.Color)}
		}
		if err := renderRows(w, []string{s.title, fmt.Sprintf("TARGET (pid %d)", in.PID), refCol, "VERDICT"}, rows); err != nil {
			return err
		}
	}
	if len(in.Errors) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Unavailable (shown as --):")
		for _, e := range in.Errors {
			fmt.Fprintf(w, "  %s: %s\n", Escape(e.Section), Escape(e.Err))
		}
	}
	return nil
}

func comm(p *facts.ProcessInfo) string {
	if p == nil {
		return unknown
	}
	return p.Comm
}

func targetLabel(in *Inspection) string {
	rt := in.Runtime
	if rt == nil || rt.Name == facts.RuntimeNone {
		switch {
		case in.InContainer():
			return ": in its own namespaces"
		case len(in.Unreadable()) > 0:
			return ": namespaces unreadable, runtime not recognised"
		case rt == nil:
			return ": runtime unknown"
		}
		return ": a host process"
	}
	if rt.Name == facts.RuntimeUnknown {
		return ": own namespaces, no runtime recognised"
	}
	if rt.Role == "monitor" {
		return fmt.Sprintf(": %s's monitor for container %s (not itself a container)", rt.Name, short(rt.ContainerID)+rt.ContainerName)
	}
	s := ": " + rt.Name
	if rt.ContainerID != "" {
		s += " container " + short(rt.ContainerID)
	}
	if rt.ContainerName != "" {
		s += " (" + rt.ContainerName + ")"
	}
	return s
}

func processSection(in *Inspection, ref *facts.Process) section {
	s := section{title: "PROCESS"}
	t, r := in.Process, ref.Info
	if t == nil {
		return s
	}
	if r == nil {
		r = &facts.ProcessInfo{}
	}
	pidv := func(p *facts.ProcessInfo) string {
		v := strconv.Itoa(p.PID)
		if n := len(p.NSpid); n > 1 {
			v += fmt.Sprintf(" (%d in its pid namespace)", p.NSpid[n-1])
		}
		return v
	}
	verdict := ""
	if len(t.NSpid) > 1 {
		verdict = "own pid ns"
	}
	s.add("pid", pidv(t), pidv(r), verdict)
	s.add("ppid", strconv.Itoa(t.PPid), strconv.Itoa(r.PPid), "")
	s.add("command", cmdline(t), cmdline(r), "")
	s.add("state", t.State, r.State, "")
	s.add("user", ids(t), ids(r), "")
	s.add("started", started(t), started(r), "")
	return s
}

func cmdline(p *facts.ProcessInfo) string {
	if len(p.Cmdline) == 0 {
		if p.Comm != "" {
			return "[" + p.Comm + "]"
		}
		return unknown
	}
	c := strings.Join(p.Cmdline, " ")
	// Cut by characters, as ps does: a cut inside a UTF-8 sequence would
	// print as \xNN escapes.
	if rs := []rune(c); len(rs) > 60 {
		c = string(rs[:57]) + "..."
	}
	return c
}

func ids(p *facts.ProcessInfo) string {
	if p.PID == 0 {
		return unknown
	}
	s := fmt.Sprintf("uid %d gid %d", p.UID, p.GID)
	if p.EUID != p.UID || p.EGID != p.GID {
		s += fmt.Sprintf(" (effective %d/%d)", p.EUID, p.EGID)
	}
	return s
}

func started(p *facts.ProcessInfo) string {
	if p.StartTime.IsZero() {
		return unknown
	}
	return p.StartTime.Format("2006-01-02 15:04:05 UTC")
}

func namespaceSection(in *Inspection) section {
	s := section{title: "NAMESPACES"}
	for _, n := range in.Namespaces {
		t, r, v := unknown, unknown, ""
		if n.Inode != 0 {
			t = strconv.FormatUint(n.Inode, 10)
		}
		if n.ReferenceInode != 0 {
			r = strconv.FormatUint(n.ReferenceInode, 10)
		}
		switch {
		case n.Isolated == nil && (n.Inode == 0 || n.ReferenceInode == 0):
			// neither shared nor own: unknown
			if n.Type != facts.NSPIDForChildren && n.Type != facts.NSTimeForChildren {
				v = "unreadable"
			}
		case n.Isolated == nil:
		case *n.Isolated:
			v = "isolated"
		default:
			v = "shared"
		}
		s.add(string(n.Type), t, r, v)
	}
	return s
}

// limitText shows a byte limit: the value, "unlimited (host: 23.5GiB)" when
// the kernel file says there is none, or -- when it could not be read.
func limitText(v *uint64, src facts.Sources, field string, host *facts.Host) string {
	if v != nil {
		return Bytes(*v)
	}
	if _, ok := src[field]; !ok {
		return unknown
	}
	if host != nil {
		return "unlimited (host: " + Bytes(host.MemTotalBytes) + ")"
	}
	return "unlimited"
}

func bytesText(v *uint64) string {
	if v == nil {
		return unknown
	}
	return Bytes(*v)
}

func numText(v *uint64) string {
	if v == nil {
		return unknown
	}
	return strconv.FormatUint(*v, 10)
}

func strText(v *string) string {
	if v == nil {
		return unknown
	}
	return *v
}

func limitVerdict(own, effective *uint64, src facts.Sources, field string) string {
	switch {
	case own != nil:
		return "limited"
	case effective != nil:
		return "inherited"
	case src[field].File != "":
		return "unlimited"
	}
	return ""
}

func cgroupSection(in *Inspection, ref *facts.Process) section {
	s := section{title: "CGROUP"}
	t := in.Cgroup
	if t == nil {
		return s
	}
	r := ref.Cgroup
	if r == nil {
		r = &facts.Cgroup{}
	}
	s.add("mode", string(t.Mode), string(r.Mode), "")
	s.add("path", cgroupPath(t), cgroupPath(r), "")
	tm, rm := t.Memory, r.Memory
	s.add("memory limit", limitText(tm.LimitBytes, tm.Sources, "limitBytes", in.Host), limitText(rm.LimitBytes, rm.Sources, "limitBytes", in.Host),
		limitVerdict(tm.LimitBytes, tm.EffectiveLimitBytes, tm.Sources, "limitBytes"))
	if tm.LimitBytes == nil && tm.EffectiveLimitBytes != nil {
		s.add("memory limit (parent)", Bytes(*tm.EffectiveLimitBytes), bytesText(rm.EffectiveLimitBytes), "inherited")
	}
	if _, ok := tm.Sources["highBytes"]; ok {
		s.add("memory high", limitText(tm.HighBytes, tm.Sources, "highBytes", nil), limitText(rm.HighBytes, rm.Sources, "highBytes", nil), "")
	}
	if _, ok := tm.Sources["softLimitBytes"]; ok {
		s.add("memory soft limit", limitText(tm.SoftLimitBytes, tm.Sources, "softLimitBytes", nil), limitText(rm.SoftLimitBytes, rm.Sources, "softLimitBytes", nil), "")
	}
	if _, ok := tm.Sources["swapLimitBytes"]; ok {
		tv, rv, v := limitText(tm.SwapLimitBytes, tm.Sources, "swapLimitBytes", nil), limitText(rm.SwapLimitBytes, rm.Sources, "swapLimitBytes", nil), ""
		if h := in.Host; h != nil && h.SwapTotalBytes != nil && *h.SwapTotalBytes == 0 {
			// A swap limit on a host without swap allows nothing: say so.
			tv, rv, v = tv+" (no swap on host)", rv+" (no swap on host)", "no swap on host"
		}
		s.add("swap limit", tv, rv, v)
	}
	s.add("memory usage", hostWide(bytesText(tm.UsageBytes), tm.HostWide), hostWide(bytesText(rm.UsageBytes), rm.HostWide), "")
	s.add("working set", bytesText(tm.WorkingSetBytes), bytesText(rm.WorkingSetBytes), "")
	s.add("page cache", bytesText(tm.CacheBytes), bytesText(rm.CacheBytes), "")
	oomVerdict := ""
	if tm.OOMKills != nil && *tm.OOMKills > 0 {
		oomVerdict = "OOM KILLED"
	}
	s.add("oom kills", numText(tm.OOMKills), numText(rm.OOMKills), oomVerdict)
	s.add("limit hits", numText(tm.LimitHits), numText(rm.LimitHits), "")

	tc, rc := t.CPU, r.CPU
	s.add("cpu quota", quotaText(tc, in.Host), quotaText(rc, in.Host), limitVerdict(tc.QuotaMicros, nil, tc.Sources, "quotaMicros"))
	if tc.Shares != nil || rc.Shares != nil {
		s.add("cpu shares", numText(tc.Shares), numText(rc.Shares), "")
	}
	if tc.Weight != nil || rc.Weight != nil {
		s.add("cpu weight", numText(tc.Weight), numText(rc.Weight), "")
	}
	s.add("cpuset", strText(tc.CpusetCPUs), strText(rc.CpusetCPUs), "")
	s.add("cpu usage", hostWide(microsText(tc.UsageMicros), tc.UsageHostWide), hostWide(microsText(rc.UsageMicros), rc.UsageHostWide), "")
	s.add("throttled", throttleText(tc), throttleText(rc), "")
	tp, rp := t.Pids, r.Pids
	s.add("pids max", countLimit(tp.Max, tp.Sources, "max"), countLimit(rp.Max, rp.Sources, "max"), limitVerdict(tp.Max, tp.EffectiveMax, tp.Sources, "max"))
	if tp.Max == nil && tp.EffectiveMax != nil {
		s.add("pids max (parent)", numText(tp.EffectiveMax), numText(rp.EffectiveMax), "inherited")
	}
	s.add("pids current", numText(tp.Current), numText(rp.Current), "")
	if t.Pressure.Memory != nil || t.Pressure.CPU != nil {
		s.add("pressure (avg10)", hostWide(psiText(t.Pressure), t.Pressure.HostWide), hostWide(psiText(r.Pressure), r.Pressure.HostWide), "")
	}
	return s
}

// hostWide marks a usage figure read at a root cgroup, which counts the
// whole host rather than the process's group.
func hostWide(v string, wide bool) string {
	if wide && v != unknown {
		return v + " (host-wide)"
	}
	return v
}

func cgroupPath(c *facts.Cgroup) string {
	if c == nil || len(c.Paths) == 0 {
		return unknown
	}
	// The unified line on v2; otherwise the memory hierarchy, the one
	// limits are most often asked about.
	for _, p := range c.Paths {
		if c.Mode == facts.CgroupV2 && p.Hierarchy == 0 {
			return p.Path
		}
		if c.Mode != facts.CgroupV2 && slices.Contains(p.Controllers, "memory") {
			return "memory:" + p.Path
		}
	}
	return c.Paths[0].Path
}

func quotaText(c facts.CPUCgroup, host *facts.Host) string {
	if c.CPUs != nil {
		return fmt.Sprintf("%s (%d/%d µs)", CPUs(*c.CPUs), *c.QuotaMicros, *c.PeriodMicros)
	}
	if _, ok := c.Sources["quotaMicros"]; !ok {
		return unknown
	}
	if host != nil {
		return "unlimited (host: " + plural(host.CPUs, "CPU", "CPUs") + ")"
	}
	return "unlimited"
}

func countLimit(v *uint64, src facts.Sources, field string) string {
	if v != nil {
		return strconv.FormatUint(*v, 10)
	}
	if _, ok := src[field]; ok {
		return "unlimited"
	}
	return unknown
}

func microsText(v *uint64) string {
	if v == nil {
		return unknown
	}
	return Micros(*v)
}

func throttleText(c facts.CPUCgroup) string {
	if c.Periods == nil || c.ThrottledPeriods == nil {
		return unknown
	}
	if *c.Periods == 0 {
		return "0 of 0 periods"
	}
	return fmt.Sprintf("%d of %d periods (%s)", *c.ThrottledPeriods, *c.Periods, Percent(float64(*c.ThrottledPeriods)/float64(*c.Periods)))
}

func psiText(p facts.Pressure) string {
	var parts []string
	for _, x := range []struct {
		name string
		v    *facts.PSI
	}{{"cpu", p.CPU}, {"mem", p.Memory}, {"io", p.IO}} {
		if x.v != nil && x.v.Some != nil {
			parts = append(parts, fmt.Sprintf("%s %.2f%%", x.name, x.v.Some.Avg10))
		}
	}
	if len(parts) == 0 {
		return unknown
	}
	return strings.Join(parts, ", ")
}

func kernelSection(in *Inspection, ref *facts.Process) section {
	s := section{title: "KERNEL"}
	t, r := in.Kernel, ref.Kernel
	if t == nil {
		return s
	}
	if r == nil {
		r = &facts.Kernel{}
	}
	verdict := "same kernel"
	if r.Release != "" && r.Release != t.Release {
		verdict = "differs"
	}
	s.add("release", t.Release, orUnknown(r.Release), verdict)
	utsVerdict := ""
	if n, ok := in.namespace(facts.NSUTS); ok && n.Isolated != nil {
		utsVerdict = map[bool]string{true: "isolated", false: "shared"}[*n.Isolated]
	}
	s.add("hostname", strText(t.Hostname), strText(r.Hostname), utsVerdict)
	if t.Domainname != nil && *t.Domainname != "(none)" && *t.Domainname != "" {
		s.add("domainname", *t.Domainname, strText(r.Domainname), "")
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return unknown
	}
	return s
}

// capSummary describes the effective set against Docker's default and the
// full set: "14 (Docker's default)", "41 (all)", "40 of 41: all but
// CAP_SYS_RESOURCE", "15: Docker's default +CAP_SYS_ADMIN". The names are
// in the JSON and the explanation.
func capSummary(c *facts.Capabilities) string {
	if c == nil {
		return unknown
	}
	e := c.Effective
	n, all := e.Count(), c.LastCap+1
	missing := facts.CapSet{Bits: ^e.Bits, Last: c.LastCap}.Names()
	switch {
	case e.Full():
		return fmt.Sprintf("%d (all)", n)
	case n == 0:
		return "0 (none)"
	case len(c.AddedVsDocker) == 0 && len(c.DroppedVsDocker) == 0:
		return fmt.Sprintf("%d (Docker's default)", n)
	case len(missing) <= 3:
		return fmt.Sprintf("%d of %d: all but %s", n, all, strings.Join(missing, ", "))
	case len(c.AddedVsDocker)+len(c.DroppedVsDocker) <= 4:
		d := fmt.Sprintf("%d: Docker's default", n)
		for _, a := range c.AddedVsDocker {
			d += " +" + a
		}
		for _, a := range c.DroppedVsDocker {
			d += " -" + a
		}
		return d
	case n <= 5:
		return fmt.Sprintf("%d: %s", n, e.String())
	}
	return fmt.Sprintf("%d of %d (%s)", n, all, e.Hex())
}

func capSection(set func(*facts.Capabilities) *facts.CapSet, c *facts.Capabilities) string {
	if c == nil {
		return unknown
	}
	s := set(c)
	if s == nil {
		return unknown
	}
	if s.Full() {
		return fmt.Sprintf("%d (all)", s.Count())
	}
	if s.Count() == 0 {
		return "0 (none)"
	}
	return fmt.Sprintf("%d (%s)", s.Count(), s.Hex())
}

func capabilitySection(in *Inspection, ref *facts.Process) section {
	s := section{title: "CAPABILITIES"}
	t, r := in.Capabilities, ref.Capabilities
	if t == nil {
		return s
	}
	s.add("effective", capSummary(t), capSummary(r), "")
	for _, x := range []struct {
		name string
		get  func(*facts.Capabilities) *facts.CapSet
	}{
		{"permitted", func(c *facts.Capabilities) *facts.CapSet { return &c.Permitted }},
		{"bounding", func(c *facts.Capabilities) *facts.CapSet { return &c.Bounding }},
		{"inheritable", func(c *facts.Capabilities) *facts.CapSet { return &c.Inheritable }},
		{"ambient", func(c *facts.Capabilities) *facts.CapSet { return c.Ambient }},
	} {
		s.add(x.name, capSection(x.get, t), capSection(x.get, r), "")
	}
	priv := func(c *facts.Capabilities) string {
		if c == nil {
			return unknown
		}
		if c.Privileged {
			return "yes"
		}
		return "no"
	}
	v := ""
	if t.Privileged {
		v = "privileged"
	}
	s.add("privileged", priv(t), priv(r), v)
	return s
}

func securitySection(in *Inspection, ref *facts.Process) section {
	s := section{title: "SECURITY"}
	t, r := in.Security, ref.Security
	if t == nil {
		return s
	}
	if r == nil {
		r = &facts.Security{}
	}
	seccomp := func(x *facts.Security) string {
		if x.Seccomp == "" {
			return unknown
		}
		if x.SeccompFilters != nil && x.Seccomp == "filter" {
			return fmt.Sprintf("filter (%d)", *x.SeccompFilters)
		}
		return x.Seccomp
	}
	v := map[string]string{"filter": "enabled", "strict": "enabled", "disabled": "disabled"}[t.Seccomp]
	target := seccomp(t)
	if in.Runtime != nil && in.Runtime.SeccompProfile != "" {
		target += ", nsinspect profile " + in.Runtime.SeccompProfile
	}
	s.add("seccomp", target, seccomp(r), v)
	nnp := func(x *facts.Security) string {
		if x.NoNewPrivs == nil {
			return unknown
		}
		return strconv.FormatBool(*x.NoNewPrivs)
	}
	s.add("no_new_privs", nnp(t), nnp(r), "")
	lsm := func(x *facts.Security) string {
		if x.LSM == "" {
			return unknown
		}
		if x.Label == "" {
			return x.LSM
		}
		return x.LSM + ": " + x.Label
	}
	s.add("lsm", lsm(t), lsm(r), "")
	userns := func(x *facts.Security) string {
		if len(x.UIDMap) == 0 {
			return unknown
		}
		if !x.UserNamespaced {
			return "identity (root is root)"
		}
		if x.RootMapsTo != nil {
			return fmt.Sprintf("root is uid %d outside", *x.RootMapsTo)
		}
		return "root unmapped"
	}
	uv := ""
	if t.UserNamespaced {
		uv = "isolated"
	}
	s.add("uid map", userns(t), userns(r), uv)
	return s
}

func signalSection(in *Inspection, ref *facts.Process) section {
	s := section{title: "SIGNALS"}
	t, r := in.Signals, ref.Signals
	if t == nil {
		return s
	}
	if r == nil {
		r = &facts.Signals{}
	}
	yes := map[bool]string{true: "yes", false: "no"}
	s.add("pid 1 of its ns", yes[t.PID1], yes[r.PID1], "")
	short := func(v string) string {
		if v == "" {
			return unknown
		}
		return v
	}
	verdictWord := func(v string) string {
		switch v {
		case facts.VerdictDropped:
			return "dropped"
		case facts.VerdictIgnored:
			return "ignored"
		case facts.VerdictHandled, facts.VerdictProbablyHandled:
			return "handled"
		}
		return ""
	}
	s.add("SIGTERM", short(t.SIGTERM), short(r.SIGTERM), verdictWord(t.SIGTERM))
	s.add("SIGINT", short(t.SIGINT), short(r.SIGINT), verdictWord(t.SIGINT))
	set := func(x facts.SigSet) string {
		if x == 0 {
			return "none"
		}
		n := x.Names()
		if len(n) > 6 {
			return fmt.Sprintf("%d signals (%016x)", len(n), uint64(x))
		}
		return x.String()
	}
	s.add("caught", set(t.Caught), set(r.Caught), "")
	s.add("ignored", set(t.Ignored), set(r.Ignored), "")
	s.add("blocked", set(t.Blocked), set(r.Blocked), "")
	return s
}

func rootfsSection(in *Inspection, ref *facts.Process) section {
	s := section{title: "ROOTFS"}
	t, r := in.Rootfs, ref.Rootfs
	if t == nil {
		return s
	}
	if r == nil {
		r = &facts.Rootfs{}
	}
	fs := func(x *facts.Rootfs) string {
		if x.FSType == "" {
			return unknown
		}
		return x.FSType + " " + x.Source
	}
	v := ""
	if t.FSType == "overlay" {
		v = "union"
	}
	s.add("/", fs(t), fs(r), v)
	ro := map[bool]string{true: "read-only", false: "writable"}
	s.add("mode", ro[t.ReadOnly], ro[r.ReadOnly], "")
	if t.FSType == "overlay" || r.FSType == "overlay" {
		layers := func(x *facts.Rootfs) string {
			if x.FSType != "overlay" {
				return ""
			}
			return plural(len(x.LowerDirs), "layer", "layers")
		}
		s.add("lower layers", layers(t), layers(r), "")
		for i, l := range t.LowerDirs {
			if i >= 8 {
				s.add("", fmt.Sprintf("... %d more", len(t.LowerDirs)-i), "", "")
				break
			}
			s.add("", l, "", "")
		}
		s.add("upper layer", t.UpperDir, r.UpperDir, "")
	}
	s.add("mounts", strconv.Itoa(t.MountCount), strconv.Itoa(r.MountCount), "")
	for _, m := range t.Notable {
		if !in.InContainer() {
			break // a host's own / and /dev are not findings
		}
		s.add(m.Kind, m.Mountpoint, "", map[string]string{"host-root": "HOST ROOT", "runtime-socket": "RUNTIME SOCKET"}[m.Kind])
	}
	rw := map[bool]string{true: "writable", false: "read-only"}
	s.add("/proc/sys", rw[t.ProcSysWritable], rw[r.ProcSysWritable], "")
	return s
}

func runtimeSection(in *Inspection, ref *facts.Process) section {
	s := section{title: "RUNTIME"}
	t, r := in.Runtime, ref.Runtime
	if t == nil {
		return s
	}
	if r == nil {
		r = &facts.Runtime{}
	}
	s.add("runtime", t.Name, orUnknown(r.Name), "")
	if t.ContainerID != "" || r.ContainerID != "" {
		s.add("container id", short(t.ContainerID), short(r.ContainerID), "")
	}
	if t.ContainerName != "" {
		s.add("name", t.ContainerName, r.ContainerName, "")
	}
	if t.PodUID != "" {
		s.add("pod uid", t.PodUID, r.PodUID, "")
		s.add("qos class", t.QoSClass, r.QoSClass, "")
	}
	if t.Engine != "" {
		s.add("engine", t.Engine, r.Engine, "")
	}
	if t.Namespace != "" {
		s.add("namespace", t.Namespace, r.Namespace, "")
	}
	if t.Role != "" {
		s.add("role", t.Role, r.Role, "")
	}
	return s
}
