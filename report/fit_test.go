package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateWidth(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"redis-server", 12, "redis-server"},
		{"redis-server", 20, "redis-server"},
		{"redis-server", 11, "redis-se..."},
		{"/kubepods.slice/kubepods-burstable.slice", 12, "/kubepods..."},
		// wide characters take two columns: 日本 and the dots are 7
		{"日本語-build", 8, "日本..."},
		{"日本語-build", 9, "日本語..."},
		{"日本語-build", 11, "日本語-b..."},
		{"日本語-build", 12, "日本語-build"},
		// a cut falls between characters, never inside one
		{"printf Grüße; sleep", 13, "printf Grü..."},
		// nor inside an escape Escape wrote
		{`ab\x1b[31mred`, 6, "ab..."},
		{`ab\x1b[31mred`, 8, "ab..."},
		{`ab\x1b[31mred`, 9, `ab\x1b...`},
		{`\u202eevil.sh`, 8, "..."},
		{`\u202eevil.sh`, 10, `\u202ee...`},
		{`a\nb\tc`, 5, "a..."},
		// systemd's escapes look the same and are kept whole too
		{`/machine.slice/machine-build\x2d01.scope`, 31, `/machine.slice/machine-build...`},
		{`/machine.slice/machine-build\x2d01.scope`, 35, `/machine.slice/machine-build\x2d...`},
		// a lone backslash is a character like any other
		{`C:\Windows\system32`, 8, `C:\Wi...`},
		{"abcdef", 3, "..."},
		{"abcdef", 2, ".."},
		{"abcdef", 0, ""},
	} {
		got := truncateWidth(tc.in, tc.w)
		if got != tc.want {
			t.Errorf("truncateWidth(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
		if w := displayWidth(got); w > tc.w {
			t.Errorf("truncateWidth(%q, %d) is %d columns wide", tc.in, tc.w, w)
		}
	}
}

// A cut of an escaped string is the escape of a cut of the raw one, at a
// character boundary: the property that no cut splits a character or an
// escape, over strings mixing what Escape rewrites with wide characters.
func TestTruncateWidthCutsWhatEscapeWrote(t *testing.T) {
	raws := []string{
		"plain ascii command line",
		"\x1b]0;owned\x07 title",
		"bidi \u202eexe.txt\u202c end",
		"日本語のコンテナ名前-long-name",
		"tab\there\nnewline\rcr",
		"bad \xff\xfe bytes and ü",
		"\x9b31m C1 CSI",
		"mixed 日\x1b本\u2066語 ok",
	}
	for _, raw := range raws {
		esc := Escape(raw)
		// the raw string's character boundaries, as Escape decodes it
		var cuts []int
		for i := 0; i <= len(raw); {
			cuts = append(cuts, i)
			if i == len(raw) {
				break
			}
			_, n := utf8.DecodeRuneInString(raw[i:])
			i += n
		}
		for w := 0; w <= displayWidth(esc)+1; w++ {
			got := truncateWidth(esc, w)
			if displayWidth(got) > w || !utf8.ValidString(got) {
				t.Fatalf("truncateWidth(%q, %d) = %q: %d columns, valid UTF-8 %v", esc, w, got, displayWidth(got), utf8.ValidString(got))
			}
			if got == esc {
				continue
			}
			prefix, ok := strings.CutSuffix(got, cutMarker)
			if !ok {
				if w < len(cutMarker) {
					continue
				}
				t.Fatalf("truncateWidth(%q, %d) = %q: no %q at the end", esc, w, got, cutMarker)
			}
			if !slices.ContainsFunc(cuts, func(k int) bool { return Escape(raw[:k]) == prefix }) {
				t.Errorf("truncateWidth(%q, %d) = %q: %q is not the escape of a prefix of the raw string", esc, w, got, prefix)
			}
		}
	}
}

func TestCutLine(t *testing.T) {
	line := "be42b6838156   be42b6838156   cri-o   3310"
	for _, tc := range []struct {
		width int
		want  string
	}{
		{0, line}, {len(line), line}, {100, line},
		{20, "be42b6838156   be..."},
		{16, "be42b6838156 ..."},
	} {
		if got := cutLine(line, tc.width); got != tc.want {
			t.Errorf("cutLine at %d = %q, want %q", tc.width, got, tc.want)
		}
	}
}

// The long columns are cut in their order, each as far as its least width
// before the next is touched, and never below it.
func TestFitRows(t *testing.T) {
	header := []string{"ID", "NAME", "COMMAND"}
	rows := func() [][]string {
		return [][]string{
			{"f83b8fa7c0fc", "default/web-5d8f7b9c4-abcde/nginx", "nginx: master process nginx"},
			{"a521bfcfd1b2", "api", "node server.js"},
		}
	}
	long := []fitColumn{{2, 12}, {1, 12}} // COMMAND first, then NAME
	for _, tc := range []struct {
		width int
		want  [][]string
	}{
		// 12 + 33 + 27 and two gaps of 3: 78 fits
		{78, rows()},
		{0, rows()},
		// 10 too many: COMMAND alone gives them, down to 17
		{68, [][]string{
			{"f83b8fa7c0fc", "default/web-5d8f7b9c4-abcde/nginx", "nginx: master ..."},
			{"a521bfcfd1b2", "api", "node server.js"},
		}},
		// 28 too many: COMMAND down to its 12, then NAME to 20
		{50, [][]string{
			{"f83b8fa7c0fc", "default/web-5d8f7...", "nginx: ma..."},
			{"a521bfcfd1b2", "api", "node serv..."},
		}},
		// both at their least, still too wide: the lines are cut later
		{20, [][]string{
			{"f83b8fa7c0fc", "default/w...", "nginx: ma..."},
			{"a521bfcfd1b2", "api", "node serv..."},
		}},
	} {
		got := rows()
		fitRows(header, got, tc.width, long)
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("fitRows at %d:\n got %q\nwant %q", tc.width, got, tc.want)
		}
	}
}

func TestCompareNatural(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"t1", "t2", -1},
		{"t2", "t10", -1},
		{"t10", "t11", -1},
		{"t11", "t2", 1},
		{"t1", "t1", 0},
		{"web-9", "web-10", -1},
		{"a", "a1", -1},
		{"x2y10", "x2y9", 1},
		{"2ea9fd0e4ba3", "be42b6838156", -1},
		// a number beyond 64 bits compares by its digits
		{"t99999999999999999999", "t100000000000000000000", -1},
		// equal as numbers: byte order decides, so the order is total
		{"t01", "t1", -1},
		{"t1", "t01", 1},
		{"db", "d984babdc8aa", 1},
		{"", "a", -1},
	} {
		if got := CompareNatural(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareNatural(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	names := []string{"t10", "t2", "t11", "t1", "t3", "t20", "t100", "t9"}
	slices.SortFunc(names, CompareNatural)
	if want := []string{"t1", "t2", "t3", "t9", "t10", "t11", "t20", "t100"}; !slices.Equal(names, want) {
		t.Errorf("sorted %q, want %q", names, want)
	}
}

func TestSortStats(t *testing.T) {
	rows := func() []StatsRow {
		return []StatsRow{
			{Name: "t10", ID: "a", CPUPercent: f64(5), MemUsageBytes: u64(300)},
			{Name: "t2", ID: "b", CPUPercent: nil, MemUsageBytes: u64(100)},
			{Name: "t1", ID: "c", CPUPercent: f64(50), MemUsageBytes: nil},
			{Name: "t11", ID: "d", CPUPercent: f64(5), MemUsageBytes: u64(300)},
			{Name: "web", Runtime: "podman", ID: "e", CPUPercent: f64(0.5), MemUsageBytes: u64(200)},
			{Name: "web", Runtime: "docker", ID: "f", CPUPercent: f64(0.5), MemUsageBytes: u64(200)},
		}
	}
	for _, tc := range []struct {
		by   StatsOrder
		want string // ids
	}{
		{SortName, "cbadfe"}, // t1 t2 t10 t11, then web: docker before podman
		{SortCPU, "cadfeb"},  // 50, 5 (t10 t11), 0.5 (docker, podman), unknown last
		{SortMem, "adfebc"},  // 300 (t10 t11), 200, 100, unknown last
	} {
		r := rows()
		SortStats(r, tc.by)
		var ids strings.Builder
		for _, x := range r {
			ids.WriteString(x.ID)
		}
		if ids.String() != tc.want {
			t.Errorf("SortStats by %s: %s, want %s", tc.by, ids.String(), tc.want)
		}
	}
}

func TestParseStatsSort(t *testing.T) {
	for _, key := range []string{"cpu", "mem", "name", ""} { // "": the listing's order
		if got, err := ParseStatsSort(key); err != nil || string(got) != key {
			t.Errorf("ParseStatsSort(%q) = %q, %v", key, got, err)
		}
	}
	for _, key := range []string{" ", "CPU", "memory", "pids"} {
		_, err := ParseStatsSort(key)
		if want := fmt.Sprintf("unknown --sort %q: want cpu, mem or name", key); err == nil || err.Error() != want {
			t.Errorf("ParseStatsSort(%q): %v, want %q", key, err, want)
		}
	}
}

// statsNamed are rows t1 … tn.
func statsNamed(n int) []StatsRow {
	var rows []StatsRow
	for i := 1; i <= n; i++ {
		rows = append(rows, StatsRow{ID: fmt.Sprintf("%012d", i), Name: fmt.Sprintf("t%d", i), MemLimitBytes: 1 << 30})
	}
	return rows
}

// The live view's height: header and rows in height-1 lines (the cursor
// keeps the last), the last of them saying how many rows did not fit.
func TestStatsTableFitsHeight(t *testing.T) {
	for _, tc := range []struct {
		rows, height int
		noTrunc      bool
		shown, more  int
	}{
		{10, 0, false, 10, 0},  // no height: everything
		{10, 12, false, 10, 0}, // 11 lines fit in 12
		{10, 11, false, 8, 2},  // 11 lines do not fit in 10: 8 rows, the header and "2 more"
		{10, 6, false, 3, 7},
		{10, 6, true, 10, 0}, // --no-trunc shows all
		{10, 2, false, 0, 10},
	} {
		st, err := NewStatsTable(Format{Kind: "table"}, tc.noTrunc)
		if err != nil {
			t.Fatal(err)
		}
		st.Fit(0, tc.height)
		var b bytes.Buffer
		if err := st.Write(&b, statsNamed(tc.rows)); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		wantLines := 1 + tc.shown
		if tc.more > 0 {
			wantLines++
			if want := fmt.Sprintf("%d more (--no-trunc shows all)", tc.more); lines[len(lines)-1] != want {
				t.Errorf("%d rows in %d lines: last line %q, want %q", tc.rows, tc.height, lines[len(lines)-1], want)
			}
		}
		if len(lines) != wantLines {
			t.Errorf("%d rows in %d lines (no-trunc %v): %d lines, want %d:\n%s", tc.rows, tc.height, tc.noTrunc, len(lines), wantLines, b.String())
		}
		if tc.height > 0 && !tc.noTrunc && len(lines) > max(tc.height-1, 2) {
			t.Errorf("%d lines drawn on a %d-line terminal", len(lines), tc.height)
		}
	}
}

// A stats table fits the width: names are cut first, ids keep their 12
// characters, and --no-trunc fits nothing.
func TestStatsTableFitsWidth(t *testing.T) {
	rows := append(slices.Clone(sampleStatsRows), StatsRow{ID: strings.Repeat("c", 64), Name: "kube-system/metrics-server-6d94bc8694-z8xkq/metrics-server"})
	for _, format := range []string{"table", WideStatsFormat, `table {{.Name}}\t{{.CPUPerc}}\t{{.ID}}`} {
		st, err := ParseStatsFormat(format)
		if err != nil {
			t.Fatal(err)
		}
		var whole bytes.Buffer
		if err := st.Write(&whole, rows); err != nil {
			t.Fatal(err)
		}
		for width := 20; width <= 240; width += 7 {
			st.Fit(width, 0)
			var b bytes.Buffer
			if err := st.Write(&b, rows); err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
				if displayWidth(l) > width {
					t.Errorf("%q at %d: a line of %d columns: %q", format, width, displayWidth(l), l)
				}
			}
			if widest(whole.String()) <= width && b.String() != whole.String() {
				t.Errorf("%q at %d: a table that fits was changed:\n%s", format, width, b.String())
			}
			if strings.Contains(b.String(), "ccccccccc...") {
				t.Errorf("%q at %d: an id was cut:\n%s", format, width, b.String())
			}
		}
		st.Fit(0, 0)
	}
	st, err := NewStatsTable(Format{Kind: "table"}, true)
	if err != nil {
		t.Fatal(err)
	}
	st.Fit(40, 5)
	var b bytes.Buffer
	if err := st.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "kube-system/metrics-server-6d94bc8694-z8xkq/metrics-server") || strings.Count(b.String(), "\n") != 4 {
		t.Errorf("--no-trunc at 40 by 5 cut something:\n%s", b.String())
	}
}

// ps's table: the cgroup path is cut first, then the pod, the command and
// the name; a table that fits, or one with NoTrunc, is drawn whole.
func TestWriteContainersFits(t *testing.T) {
	rows := []ContainerRow{{
		ID: strings.Repeat("8527473bda7e", 5) + "abcd", Name: "default/web-5d8f7b9c4-abcde/nginx", Runtime: "kubernetes", Pid: 3120, Status: "running",
		Namespaces: []string{"pid", "net"}, Command: []string{"nginx:", "master", "process"},
		CgroupPath: "/kubepods.slice/kubepods-burstable.slice/cri-containerd-8527473bda7e.scope",
		Pod:        &RowPod{UID: "8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", QoSClass: "Burstable"},
	}}
	draw := func(opt PsTable) []string {
		var b bytes.Buffer
		if err := WriteContainers(&b, rows, opt); err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	}
	whole := draw(PsTable{Wide: true})
	full := widest(strings.Join(whole, "\n"))
	if got := draw(PsTable{Wide: true, Width: full}); !slices.Equal(got, whole) {
		t.Errorf("at its own width %d the table changed:\n%s", full, strings.Join(got, "\n"))
	}
	// 10 columns too many: the cgroup path gives them, the pod is whole
	cut := draw(PsTable{Wide: true, Width: full - 10})
	path := rows[0].CgroupPath
	for _, want := range []string{"   " + path[:len(path)-13] + "...   ", "   8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b (Burstable)"} {
		if !strings.Contains(cut[1], want) {
			t.Errorf("at %d: no %q in %q", full-10, want, cut[1])
		}
	}
	// Every long column at its least: 12 + 12 + 10 + 4 + 10 + 12 + 9 + 4
	// + 6 + 12 + 12 + 12 and eleven gaps of 3 is 148.
	narrow := draw(PsTable{Wide: true, Width: 148})
	for _, want := range []string{"/kubepods...", "8e1f2a3b-...", "nginx: ma...", "default/w..."} {
		if !strings.Contains(narrow[1], want) {
			t.Errorf("at 150: no %q in %q", want, narrow[1])
		}
	}
	if !strings.HasPrefix(narrow[1], "8527473bda7e   ") || !strings.HasSuffix(narrow[1], "   8e1f2a3b-...") {
		t.Errorf("at 150 the id was cut: %q", narrow[1])
	}
	if got := draw(PsTable{Wide: true, Width: 60, NoTrunc: true}); !slices.Equal(got, draw(PsTable{Wide: true, NoTrunc: true})) {
		t.Errorf("NoTrunc at 60 columns cut something:\n%s", strings.Join(got, "\n"))
	}
	for _, l := range draw(PsTable{Wide: true, Width: 60}) {
		if displayWidth(l) > 60 {
			t.Errorf("at 60: a line of %d columns: %q", displayWidth(l), l)
		}
	}
}

// widest is the width of the widest line of text.
func widest(text string) int {
	w := 0
	for _, l := range strings.Split(text, "\n") {
		w = max(w, displayWidth(l))
	}
	return w
}
