package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newStatsCmd(s streams, g *globals) *cobra.Command {
	var out outputFlags
	var noStream, noTrunc bool
	var interval time.Duration
	var sortKey string
	cmd := &cobra.Command{
		Use:   "stats [NAME...]",
		Short: "Live resource usage of every container, like docker stats for all runtimes",
		Long: `Show CPU, memory, network, block I/O and task counts of running containers,
with docker stats' columns and arithmetic, read from the kernel's cgroup and
/proc files for every runtime. -o wide (and JSON) add the CPU share of the
container's own quota, throttling, OOM kills, memory limit hits, PSI and the
runtime. --no-stream takes two samples --interval apart (default 500ms)
and prints one table.

Rows come in ps's order (runtime, then name), or by --sort: name (t2
before t10), cpu or mem (highest first). On a terminal the table fits its width, names cut first,
and the live view its height too, with a last line saying how many rows
more there are; --no-trunc shows everything. Piped output is never cut.`,
		Example: `  nsinspect stats
  nsinspect stats web db
  nsinspect stats --sort cpu
  nsinspect stats --no-stream
  nsinspect stats --json
  nsinspect stats --format 'table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := out.parse(report.StatsFormat)
			if err != nil {
				return err
			}
			v, err := newStatsView(s.out, f, sortKey, noTrunc, noStream)
			if err != nil {
				return err
			}
			if interval <= 0 {
				return usagef("invalid --interval %s: must be positive", interval)
			}
			if noStream && !cmd.Flags().Changed("interval") {
				interval = 500 * time.Millisecond
			}
			// What a non-root reader cannot see, said once, before a
			// missing name becomes "no such container".
			fsys := g.fs()
			if note := fsys.RootWouldAdd(); note != "" {
				fmt.Fprintln(s.err, "nsinspect: "+note)
			}
			// docker's columns need six counters per container; the rest
			// only when shown.
			sess := fsys.NewStatsSession(inspect.StatsOptions{Extended: f.Kind != "table", Host: fsys.HostNamespaces(), Select: namedContainers(args)})
			defer sess.Close()
			return v.stream(sess, noStream, interval)
		},
	}
	out.register(cmd)
	cmd.Flags().Lookup("output").Usage = "output form: table, wide or json (one object per container per sample)"
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "print full ids, and cut nothing to fit the terminal")
	cmd.Flags().BoolVar(&noStream, "no-stream", false, "take two samples and print one table")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between samples (default 1s; 500ms with --no-stream)")
	cmd.Flags().StringVar(&sortKey, "sort", "", "order rows by `KEY`: name (natural order), cpu or mem (highest first); by default as ps lists them (runtime, then name)")
	return cmd
}

// namedContainers keeps the containers refs name, every one without refs.
// At the first sample a name that names none is an error; later, a named
// container that stopped just drops out.
func namedContainers(refs []string) func([]inspect.Container, bool) ([]inspect.Container, error) {
	if len(refs) == 0 {
		return nil
	}
	return func(cs []inspect.Container, first bool) ([]inspect.Container, error) {
		var out []inspect.Container
		for _, ref := range refs {
			c, err := pickContainer(cs, ref)
			if err != nil {
				if first {
					return nil, err
				}
				continue
			}
			out = append(out, c)
		}
		return out, nil
	}
}

// statsView is how stats prints its samples.
type statsView struct {
	out   io.Writer
	table *report.StatsTable // nil for JSON, one object per row
	order report.StatsOrder
	live  bool // redraw in place
	fit   bool // fit the terminal's width, and its height when live
}

// newStatsView is how stats prints to out in format f, its rows in the
// order sortKey names; a bad format or key is a usage error. The live view
// (a terminal, not --no-stream) redraws in place; a terminal's tables fit
// it unless --no-trunc.
func newStatsView(out io.Writer, f report.Format, sortKey string, noTrunc, noStream bool) (statsView, error) {
	v := statsView{out: out, live: colorful(out) && !noStream, fit: !noTrunc && terminal(out) != nil}
	var err error
	if v.table, err = report.NewStatsTable(f, noTrunc); err != nil {
		return v, usageError{err}
	}
	if v.order, err = report.ParseStatsSort(sortKey); err != nil {
		return v, usageError{err}
	}
	return v, nil
}

// stream takes a sample every interval and prints it, until SIGINT or
// SIGTERM; once prints one. The first sample is not printed: its rates
// need the next.
func (v statsView) stream(sess *inspect.StatsSession, once bool, interval time.Duration) error {
	if _, err := sess.Next(); err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)
	// The terminal's size is read for the first table, then again for the
	// next one after a SIGWINCH says it changed: not at every redraw.
	resized, stale := make(chan os.Signal, 1), v.fit && v.table != nil
	if stale {
		signal.Notify(resized, syscall.SIGWINCH)
		defer signal.Stop(resized)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			if v.live {
				fmt.Fprint(v.out, "\x1b[?25h\n") // the cursor back
			}
			return nil
		case <-resized:
			stale = true
			continue
		case <-tick.C:
		}
		if stale {
			v.resize()
			stale = false
		}
		readings, err := sess.Next()
		if err != nil {
			return err
		}
		rows := make([]report.StatsRow, len(readings))
		for i, r := range readings {
			rows[i] = report.Stats(report.StatsInput(r))
		}
		report.SortStats(rows, v.order)
		if err := v.render(rows); err != nil {
			return err
		}
		if once {
			return nil
		}
	}
}

// resize fits the table to the terminal's size now: its width, and its
// height in the live view.
func (v statsView) resize() {
	cols, lines := terminalSize(v.out)
	if !v.live {
		lines = 0
	}
	v.table.Fit(cols, lines)
}

func (v statsView) render(rows []report.StatsRow) error {
	if v.table == nil {
		for _, r := range rows {
			if err := report.WriteJSONLine(v.out, r); err != nil {
				return err
			}
		}
		return nil
	}
	if v.live {
		// Redraw in place: cursor home, clear the screen, hide the cursor.
		fmt.Fprint(v.out, "\x1b[H\x1b[2J\x1b[?25l")
	}
	return v.table.Write(v.out, rows)
}
