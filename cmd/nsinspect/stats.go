package main

import (
	"errors"
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
			table, err := report.NewStatsTable(f, noTrunc)
			if err != nil {
				return usageError{err}
			}
			form := f.Kind
			if interval <= 0 {
				return usagef("invalid --interval %s: must be positive", interval)
			}
			if noStream && !cmd.Flags().Changed("interval") {
				interval = 500 * time.Millisecond
			}
			// What a non-root reader cannot see, said once, before a
			// missing name becomes "no such container".
			if note := g.fs().RootWouldAdd(); note != "" {
				fmt.Fprintln(s.err, "nsinspect: "+note)
			}
			st := &statsRun{fsys: g.fs(), names: args, out: s.out, form: form, table: table, live: colorful(s.out) && !noStream,
				// docker's columns need six counters per container; the rest
				// only when shown.
				extended: form != "table"}
			return st.run(noStream, interval)
		},
	}
	out.register(cmd)
	cmd.Flags().Lookup("output").Usage = "output form: table, wide or json (one object per container per sample)"
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "print full ids")
	cmd.Flags().BoolVar(&noStream, "no-stream", false, "take two samples and print one table")
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between samples (default 1s; 500ms with --no-stream)")
	return cmd
}

// statsRun is one stats session: containers are rediscovered at every
// sample, so ones that appear are added and ones that vanish drop out.
type statsRun struct {
	fsys     inspect.FS
	extended bool
	scanner  *inspect.Scanner
	host     []inspect.Namespace
	names    []string
	out      io.Writer
	form     string
	table    *report.StatsTable
	live     bool
	sampler  *inspect.Sampler
	memTotal uint64
	prev     map[string]inspect.Usage
	firstOOM map[string]*uint64
	prevHost inspect.HostUsage
}

func (st *statsRun) run(once bool, interval time.Duration) error {
	st.sampler = st.fsys.NewSampler()
	st.sampler.Extended = st.extended
	defer st.sampler.Close()
	st.scanner = st.fsys.NewScanner()
	st.host = hostNamespaces(st.fsys)
	st.sampler.HostNamespaces = st.host
	st.prev, st.firstOOM = map[string]inspect.Usage{}, map[string]*uint64{}
	if h, err := st.fsys.Host(); err == nil {
		st.memTotal = h.MemTotalBytes
	}
	cs, err := st.containers(true)
	if err != nil {
		return err
	}
	if _, err := st.sample(cs); err != nil {
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
			if st.live {
				fmt.Fprint(st.out, "\x1b[?25h\n") // the cursor back
			}
			return nil
		case <-tick.C:
		}
		if cs, err = st.containers(false); err != nil {
			return err
		}
		rows, err := st.sample(cs)
		if err != nil {
			return err
		}
		if err := st.render(rows); err != nil {
			return err
		}
		if once {
			return nil
		}
	}
}

// containers discovers the running containers, keeping only the named
// ones when names were given. At the start an unknown name is an error.
func (st *statsRun) containers(first bool) ([]inspect.Container, error) {
	procs, err := st.scanner.Scan()
	if err != nil {
		return nil, err
	}
	cs := st.scanner.Containers(procs, inspect.ListOptions{Host: st.host})
	if len(st.names) == 0 {
		return cs, nil
	}
	var out []inspect.Container
	for _, ref := range st.names {
		c, err := pickContainer(cs, ref)
		if err != nil {
			// Later, a named container that stopped just drops out.
			if first {
				return nil, err
			}
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// sample reads every container once and returns their rows. A container
// gone since discovery drops out.
func (st *statsRun) sample(cs []inspect.Container) ([]report.StatsRow, error) {
	host, err := st.sampler.Host()
	if err != nil {
		return nil, err
	}
	var rows []report.StatsRow
	seen := map[string]bool{}
	for i := range cs {
		c := &cs[i]
		u, err := st.sampler.Sample(c)
		if err != nil {
			if errors.Is(err, inspect.ErrGone) {
				st.sampler.Forget(c.ID)
				continue
			}
			return nil, err
		}
		seen[c.ID] = true
		if _, ok := st.firstOOM[c.ID]; !ok {
			st.firstOOM[c.ID] = u.OOMKills
		}
		// A container seen for the first time gets its row at once, as in
		// docker stats: what one reading tells (memory, pids, OOM kills)
		// is known, the rates need the next one and are null until then.
		// A process moved into a container shows in the next sample.
		p := st.prev[c.ID]
		rows = append(rows, report.Stats(report.StatsInput{Container: *c, Prev: p, Cur: u, PrevHost: st.prevHost, Host: host, MemTotal: st.memTotal, FirstOOM: st.firstOOM[c.ID]}))
		st.prev[c.ID] = u
	}
	for id := range st.prev {
		if !seen[id] {
			delete(st.prev, id)
			st.sampler.Forget(id)
		}
	}
	st.prevHost = host
	return rows, nil
}

func (st *statsRun) render(rows []report.StatsRow) error {
	if st.form == "json" {
		for _, r := range rows {
			if err := report.WriteJSONLine(st.out, r); err != nil {
				return err
			}
		}
		return nil
	}
	if st.live {
		// Redraw in place: cursor home, clear the screen, hide the cursor.
		fmt.Fprint(st.out, "\x1b[H\x1b[2J\x1b[?25l")
	}
	return st.table.Write(st.out, rows)
}
