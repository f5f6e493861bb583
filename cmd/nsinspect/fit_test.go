package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

// fitWidths are the terminal widths the fitted tables are kept at: the
// classic terminal, where nothing but the lines' cut makes ps fit, and a
// wide one, where the long cells alone do.
var fitWidths = []int{80, 200}

// psRowsAt lists a fixture as ps does, with the uptimes as they were at
// statsT0 (the fixture's own clock) rather than at the wall clock's now,
// so that the widths of a fitted table stay the same from day to day.
func psRowsAt(t *testing.T, fixture string, all bool) []report.ContainerRow {
	t.Helper()
	proc, cg := nodeRoots(t, fixture)
	rows, err := listContainers(inspect.NewFS(proc, cg), all, nil, inspect.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if !rows[i].Started.IsZero() {
			rows[i].UptimeSeconds = statsT0.Sub(rows[i].Started).Seconds()
		}
	}
	return rows
}

// checkFits fails for a line wider than width or not valid UTF-8.
func checkFits(t *testing.T, out string, width int) {
	t.Helper()
	for i, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if w := twwidth.Width(l); w > width {
			t.Errorf("line %d is %d columns wide, want at most %d: %q", i+1, w, width, l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not valid UTF-8: %q", i+1, l)
		}
	}
}

func TestPsFitGolden(t *testing.T) {
	for _, form := range []struct {
		name string
		all  bool
		opt  report.PsTable
	}{{"table", false, report.PsTable{}}, {"all.wide", true, report.PsTable{Wide: true}}} {
		rows := psRowsAt(t, "node-v2", form.all)
		for _, width := range fitWidths {
			name := fmt.Sprintf("ps-node-v2.%s.%d", form.name, width)
			t.Run(name, func(t *testing.T) {
				opt := form.opt
				opt.Width = width
				var b bytes.Buffer
				if err := report.WriteContainers(&b, rows, opt); err != nil {
					t.Fatal(err)
				}
				checkFits(t, b.String(), width)
				checkGolden(t, name, b.String())
				// --no-trunc draws the whole table whatever the width.
				opt.NoTrunc = true
				var full, whole bytes.Buffer
				if err := report.WriteContainers(&full, rows, opt); err != nil {
					t.Fatal(err)
				}
				opt.Width = 0
				if err := report.WriteContainers(&whole, rows, opt); err != nil {
					t.Fatal(err)
				}
				if full.String() != whole.String() {
					t.Errorf("--no-trunc at %d columns differs from the table drawn without a width", width)
				}
			})
		}
	}
}

func TestStatsFitGolden(t *testing.T) {
	rows := nodeStats(t)
	for _, form := range []struct{ name, format string }{
		{"table", report.DefaultStatsFormat},
		{"wide", report.WideStatsFormat},
	} {
		for _, width := range fitWidths {
			name := fmt.Sprintf("stats-node-v2.%s.%d", form.name, width)
			t.Run(name, func(t *testing.T) {
				st, err := report.ParseStatsFormat(form.format)
				if err != nil {
					t.Fatal(err)
				}
				st.Fit(width, 0)
				var b bytes.Buffer
				if err := st.Write(&b, rows); err != nil {
					t.Fatal(err)
				}
				checkFits(t, b.String(), width)
				checkGolden(t, name, b.String())
			})
		}
	}
}

// openPty opens a pseudo-terminal of cols by lines and returns its two
// ends: what a program writes to the terminal end is read from the other.
func openPty(t *testing.T, cols, lines int) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("TIOCGPTN: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	// Raw output: no \n to \r\n, so what is read is what was written.
	tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Oflag &^= unix.OPOST
	if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	setPtySize(t, master, cols, lines)
	return master, tty
}

func setPtySize(t *testing.T, master *os.File, cols, lines int) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: uint16(lines)}); err != nil {
		t.Fatalf("TIOCSWINSZ: %v", err)
	}
}

// ptyReader collects what is written to a pty.
type ptyReader struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func readPty(master *os.File) *ptyReader {
	r := &ptyReader{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return r
}

func (r *ptyReader) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// waitFor polls r until done says its output is complete.
func (r *ptyReader) waitFor(t *testing.T, what string, done func(string) bool) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if out := r.String(); done(out) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s; read:\n%q", what, r.String())
		}
	}
}

// On a terminal ps fits the width the kernel gives (TIOCGWINSZ), else
// COLUMNS; output that is no terminal is the whole table even with
// COLUMNS set; --no-trunc cuts nothing.
func TestPsFitsTheTerminal(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	rows := psRowsAt(t, "node-v2", false)
	ps := func(t *testing.T, cols int, env string, extra ...string) string {
		t.Helper()
		master, tty := openPty(t, cols, 24)
		t.Setenv("COLUMNS", env)
		r := readPty(master)
		var errb bytes.Buffer
		if code := Main(append(append(slices.Clone(roots), "ps"), extra...), strings.NewReader(""), tty, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		want := strings.Count(maskUptime(psTableAt(t, rows, 0, true)), "\n")
		return r.waitFor(t, "ps table", func(out string) bool { return strings.Count(out, "\n") == want })
	}
	for _, tc := range []struct {
		name  string
		cols  int
		env   string
		width int // the width the table must fit, 0 for the whole table
		extra []string
	}{
		{"TIOCGWINSZ", 100, "", 100, nil},
		{"TIOCGWINSZ before COLUMNS", 120, "90", 120, nil},
		{"COLUMNS when the terminal has no size", 0, "90", 90, nil},
		{"no size at all", 0, "", 0, nil},
		{"no-trunc", 100, "", 0, []string{"--no-trunc"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := ps(t, tc.cols, tc.env, tc.extra...)
			want := psTableAt(t, rows, tc.width, slices.Contains(tc.extra, "--no-trunc"))
			if maskUptime(out) != maskUptime(want) {
				t.Errorf("ps on a %d-column terminal (COLUMNS %q):\n%s\nwant:\n%s", tc.cols, tc.env, out, want)
			}
		})
	}
	t.Run("piped with COLUMNS", func(t *testing.T) {
		t.Setenv("COLUMNS", "80")
		code, out, errOut := run(t, append(slices.Clone(roots), "ps")...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		checkGolden(t, "ps-node-v2.table", maskUptime(out))
	})
}

// psTableAt is the ps table of rows at width, with wall-clock uptimes as
// the command computes them.
func psTableAt(t *testing.T, rows []report.ContainerRow, width int, noTrunc bool) string {
	t.Helper()
	now := time.Now()
	rows = slices.Clone(rows)
	for i := range rows {
		rows[i].UptimeSeconds = now.Sub(rows[i].Started).Seconds()
	}
	var b bytes.Buffer
	if err := report.WriteContainers(&b, rows, report.PsTable{Width: width, NoTrunc: noTrunc}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The live view on a terminal: as many rows as its height holds, then a
// line saying how many more; after SIGWINCH the next redraw takes the new
// size. Rows come in --sort order.
func TestStatsLiveViewFitsTheTerminal(t *testing.T) {
	master, tty := openPty(t, 100, 10)
	r := readPty(master)
	cmd := exec.Command(buildBinary(t), append(nodeArgs(t, "node-v2"), "stats", "--interval", "100ms", "--sort", "name")...)
	cmd.Stdout, cmd.Stderr = tty, tty
	cmd.Env = slices.DeleteFunc(os.Environ(), func(e string) bool {
		return strings.HasPrefix(e, "NO_COLOR=") || strings.HasPrefix(e, "COLUMNS=") || strings.HasPrefix(e, "LINES=")
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	const redraw = "\x1b[H\x1b[2J\x1b[?25l"
	// frames are the complete redraws so far (the last may be partial).
	frames := func(out string) []string {
		f := strings.Split(out, redraw)
		if len(f) < 2 {
			return nil
		}
		return f[1 : len(f)-1]
	}
	out := r.waitFor(t, "two redraws", func(out string) bool { return len(frames(out)) >= 1 })
	first := strings.Split(strings.TrimRight(frames(out)[0], "\n"), "\n")
	// 10 lines: 9 drawn (the cursor keeps the last), the header, 7 rows,
	// and the 6 of node-v2's 13 containers that do not fit.
	if len(first) != 9 || first[8] != "6 more (--no-trunc shows all)" {
		t.Errorf("a 10-line terminal: %d lines, want 9 ending in \"6 more (--no-trunc shows all)\":\n%s", len(first), strings.Join(first, "\n"))
	}
	checkFits(t, frames(out)[0], 100)
	var names []string
	for _, l := range first[1 : len(first)-1] {
		names = append(names, strings.Fields(l)[1])
	}
	// by name, the names cut to fit 100 columns
	if want := []string{"api", "be42b6838156", "build-01", "c1", "db", "default/w...", "default/w..."}; !slices.Equal(names, want) {
		t.Errorf("rows %q, want %q (--sort name)", names, want)
	}
	// SIGWINCH is what makes stats read the size again: the kernel sends
	// it to a terminal's foreground group, which stats, started without a
	// controlling terminal, is not, so the test sends it.
	setPtySize(t, master, 160, 40)
	cmd.Process.Signal(syscall.SIGWINCH)
	lastFrame := func(out string) string {
		f := frames(out)
		if len(f) == 0 {
			return ""
		}
		return f[len(f)-1]
	}
	out = r.waitFor(t, "a redraw of all 13 rows after SIGWINCH to 40 lines", func(out string) bool {
		return strings.Count(lastFrame(out), "\n") == 14
	})
	if last := lastFrame(out); strings.Contains(last, "more") {
		t.Errorf("after SIGWINCH to 40 lines, a row is left out:\n%s", last)
	}
	checkFits(t, lastFrame(out), 160)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("stats after SIGTERM: %v", err)
	}
}

// --sort orders every output form; an unknown key is a usage error.
func TestStatsSort(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	names := func(t *testing.T, extra ...string) []string {
		t.Helper()
		code, out, errOut := run(t, append(append(slices.Clone(roots), "stats", "--no-stream", "--interval", "1ms", "--format", "{{.Name}}"), extra...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		return strings.Fields(out)
	}
	byName := []string{"api", "be42b6838156", "build-01", "c1", "db", "default/web-5d8f7b9c4-abcde/d984babdc8aa",
		"default/web-5d8f7b9c4-abcde/nginx", "demo", "prod/payments-6b7f9c-kx2lp/0d7871fc800b", "prod/payments-6b7f9c-kx2lp/payments",
		"tools/debug-shell/2ea9fd0e4ba3", "tools/debug-shell/shell", "web"}
	// Without --sort, ps's order (runtime, then name), as before --sort.
	psOrder := []string{"be42b6838156", "web", "default/web-5d8f7b9c4-abcde/d984babdc8aa", "default/web-5d8f7b9c4-abcde/nginx",
		"prod/payments-6b7f9c-kx2lp/0d7871fc800b", "prod/payments-6b7f9c-kx2lp/payments", "tools/debug-shell/2ea9fd0e4ba3",
		"tools/debug-shell/shell", "c1", "demo", "api", "db", "build-01"}
	if got := names(t); !slices.Equal(got, psOrder) {
		t.Errorf("default order %q, want ps's %q", got, psOrder)
	}
	if got := names(t, "--sort", "name"); !slices.Equal(got, byName) {
		t.Errorf("--sort name %q, want %q", got, byName)
	}
	// MEM USAGE at t0 (usage minus inactive file), highest first; the
	// three pause containers' 624KiB tie, and go by name
	byMem := []string{"build-01", "db", "prod/payments-6b7f9c-kx2lp/payments", "default/web-5d8f7b9c4-abcde/nginx", "web", "api",
		"c1", "be42b6838156", "demo", "tools/debug-shell/shell", "default/web-5d8f7b9c4-abcde/d984babdc8aa",
		"prod/payments-6b7f9c-kx2lp/0d7871fc800b", "tools/debug-shell/2ea9fd0e4ba3"}
	if got := names(t, "--sort", "mem"); !slices.Equal(got, byMem) {
		t.Errorf("--sort mem %q, want %q", got, byMem)
	}
	// One tree: no CPU time passes, every CPU % is unknown and the rows
	// fall back to their names.
	if got := names(t, "--sort", "cpu"); !slices.Equal(got, byName) {
		t.Errorf("--sort cpu without CPU %% %q, want by name %q", got, byName)
	}
	code, out, errOut := run(t, append(slices.Clone(roots), "stats", "--no-stream", "--sort", "pids")...)
	if want := "nsinspect: unknown --sort \"pids\": want cpu, mem or name\n"; code != exitUsage || out != "" || errOut != want {
		t.Errorf("--sort pids: exit %d, out %q, err %q; want exit 2 and %q", code, out, errOut, want)
	}
}
