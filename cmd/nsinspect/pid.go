package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newPIDCmd(s streams, g *globals) *cobra.Command {
	var out outputFlags
	var explain bool
	var severity, vs string
	cmd := &cobra.Command{
		Use:   "pid PID|self|CONTAINER",
		Short: "Everything about one process, side by side with the host",
		Long: `Show the namespaces, cgroup limits and usage, kernel, capabilities,
security settings, signal behaviour, root filesystem and runtime of a
process, compared with the host (PID 1, or nsinspect itself when PID 1
cannot be read) or with another process (--vs).`,
		Example: `  nsinspect pid 1234
  nsinspect pid self
  nsinspect pid 1234 --json | jq .cgroup.memory.limitBytes
  nsinspect pid 1234 --format '{{.Cgroup.Memory.LimitBytes}}'
  nsinspect pid 1234 --explain
  nsinspect pid 1234 --explain --severity warn
  nsinspect pid 1234 --vs 5678`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, opt, err := pidOutput(cmd, &out, explain, severity)
			if err != nil {
				return err
			}
			in, pid, inspectErr := pidInspection(g.fs(), args[0], vs, f.Kind != "table", s.err)
			if in == nil {
				return inspectErr
			}
			switch f.Kind {
			case "json":
				err = report.WriteJSON(s.out, in)
			case "template":
				err = report.WriteDocument(s.out, f, in)
			default:
				err = report.WriteTable(s.out, in, report.TableOptions{Color: colorful(s.out)})
				if err == nil && explain {
					err = report.WriteExplain(s.out, in, opt)
				}
			}
			if err != nil {
				return err
			}
			// The process left mid-read: what was read is printed, and the
			// exit code says it is incomplete.
			if errors.Is(inspectErr, inspect.ErrExited) {
				return exitError{code: exitRuntime, err: fmt.Errorf("process %d exited during inspection", pid)}
			}
			return inspectErr
		},
	}
	out.register(cmd)
	cmd.Flags().BoolVar(&explain, "explain", false, "after the table, explain each finding in plain words with its evidence")
	cmd.Flags().StringVar(&severity, "severity", "", "with --explain, only the findings at or above this `LEVEL` (info, warn, critical)")
	cmd.Flags().StringVar(&vs, "vs", "", "compare with this `PID` instead of the host")
	// "nsinspect pid -5" reaches pflag as a shorthand flag; say what is wrong.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		if m := err.Error(); strings.HasPrefix(m, "unknown shorthand flag") {
			if i := strings.LastIndex(m, " in -"); i >= 0 {
				if _, nerr := strconv.Atoi(m[i+5:]); nerr == nil {
					return usagef("invalid pid %q: want a positive number or \"self\"", m[i+4:])
				}
			}
		}
		return usageError{err}
	})
	return cmd
}

// pidInspection is pid's document of arg (inspect.PIDSnapshot compared by
// report), with the note of what else a live PID names written to notes.
// It is nil when arg names nothing.
func pidInspection(fsys inspect.FS, arg, vs string, brief bool, notes io.Writer) (*report.Inspection, int, error) {
	snap, err := fsys.PIDSnapshot(arg, vs, brief)
	if snap == nil {
		return nil, 0, lookupError(err)
	}
	if n := report.PIDNote(arg, snap.Target.PIDTarget); n != "" {
		fmt.Fprintln(notes, n)
	}
	if n := report.PIDNote(vs, snap.Vs.PIDTarget); vs != "" && n != "" {
		fmt.Fprintln(notes, n)
	}
	return report.Compare(snap.Process, snap.Reference, snap.Host, snap.HostErr), snap.Target.PID, err
}

// lookupError turns "no such process", "hidden", "no such container" and
// a bad or ambiguous reference into usage errors (exit 2): the user named
// something that is not there.
func lookupError(err error) error {
	if errors.Is(err, inspect.ErrNoProcess) || errors.Is(err, inspect.ErrHidden) || errors.Is(err, inspect.ErrNoContainer) ||
		errors.Is(err, inspect.ErrAmbiguous) || errors.Is(err, inspect.ErrBadRef) {
		return usageError{err}
	}
	return err
}

// pidOutput checks pid's output flags: the format, and --severity, which
// narrows --explain only (given alone it would filter nothing, and silently
// doing nothing misleads).
func pidOutput(cmd *cobra.Command, out *outputFlags, explain bool, severity string) (report.Format, report.ExplainOptions, error) {
	f, err := out.parse(report.PidFormat)
	if err != nil || !cmd.Flags().Changed("severity") {
		return f, report.ExplainOptions{}, err
	}
	if !explain {
		return f, report.ExplainOptions{}, usagef("--severity filters the findings of --explain: add --explain")
	}
	v, err := report.ParseSeverity(severity)
	if err != nil {
		return f, report.ExplainOptions{}, usagef("--severity: %v", err)
	}
	return f, report.ExplainOptions{MinSeverity: v}, nil
}
