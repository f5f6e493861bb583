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
	cmd := &cobra.Command{
		Use:   "stats [NAME...]",
		Short: "Live resource usage of every container, like docker stats for all runtimes",
		Long: `Show CPU, memory, network, block I/O and task counts of running containers,
with docker stats' columns and arithmetic, read from the kernel's cgroup and
/proc files for every runtime. -o wide (and JSON) add the CPU share of the
container's own quota, throttling, OOM kills, memory limit hits, PSI and the
runtime. --no-stream takes two samples --interval apart (default 500ms)
and prints one table.`,
		Example: `  nsinspect stats
  nsinspect stats web db
  nsinspect stats --no-stream
  nsinspect stats --json
  nsinspect stats --format 'table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := out.parse(report.StatsFormat)
			if err != nil {
				return err
			}
			v := statsView{out: s.out, live: colorful(s.out) && !noStream}
			if v.table, err = report.NewStatsTable(f, noTrunc); err != nil {
				return usageError{err}
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
			sess := fsys.NewStatsSession(inspect.StatsOptions{Extended: f.Kind != "table", Host: hostNamespaces(fsys), Select: namedContainers(args)})
			defer sess.Close()
			return v.stream(sess, noStream, interval)
		},
	}
	out.register(cmd)
	cmd.Flags().Lookup("output").Usage = "output form: table, wide or json (one object per container per sample)"
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "print full ids")
	cmd.Flags().BoolVar(&noStream, "no-stream", false, "take two samples and print one table")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between samples (default 1s; 500ms with --no-stream)")
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
	live  bool               // redraw in place
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
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			if v.live {
				fmt.Fprint(v.out, "\x1b[?25h\n") // the cursor back
			}
			return nil
		case <-tick.C:
		}
		readings, err := sess.Next()
		if err != nil {
			return err
		}
		rows := make([]report.StatsRow, len(readings))
		for i, r := range readings {
			rows[i] = report.Stats(report.StatsInput(r))
		}
		if err := v.render(rows); err != nil {
			return err
		}
		if once {
			return nil
		}
	}
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
