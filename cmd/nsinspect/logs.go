package main

import (
	"errors"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

func newLogsCmd(s streams, g *globals) *cobra.Command {
	var follow, raw, timestamps bool
	var tail, since string
	cmd := &cobra.Command{
		Use:   "logs [-f] [--tail N] [--since TIME] [-t] NAME",
		Short: "Print the output of a detached container",
		Long: `Print what a detached container wrote: its stdout to stdout and its stderr
to stderr, oldest first, with control characters escaped (--raw: as written).
As with docker logs, --tail N prints only the last N lines (of both streams
together), --since only what was written after a time (a duration such as
10m or 1h30m before now, or an RFC 3339 time such as 2026-01-02T15:04:05Z),
and -t puts the time each line was written before it.`,
		Example: `  nsinspect logs web
  nsinspect logs -f web
  nsinspect logs --tail 20 -t web
  nsinspect logs --since 10m web
  nsinspect logs --since 2026-01-02T15:04:05Z --raw web`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt, err := logsOptions(follow, tail, since, timestamps, time.Now())
			if err != nil {
				return err
			}
			st, err := findContainer(g.fs(), "logs", args[0])
			if err != nil {
				return err
			}
			// What the container wrote reaches the terminal with control
			// characters escaped (newlines and tabs kept), unless --raw.
			out, errw := s.out, s.err
			if !raw {
				eo, ee := report.NewEscapeWriter(s.out), report.NewEscapeWriter(s.err)
				defer eo.Flush()
				defer ee.Flush()
				out, errw = eo, ee
			}
			err = launch.WriteLogs(st, out, errw, opt)
			if errors.Is(err, launch.ErrNoLog) {
				return usageError{err}
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the container exits")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the log as written, control characters included")
	cmd.Flags().StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end of the log, or all")
	cmd.Flags().StringVar(&since, "since", "", "show lines written since a `TIME`: a duration before now (10m) or RFC 3339 (2026-01-02T15:04:05Z)")
	cmd.Flags().BoolVarP(&timestamps, "timestamps", "t", false, "show the time each line was written")
	return cmd
}

// logsOptions reads the flags of logs as docker logs takes them: --tail is
// a count or "all", --since a duration before now or an RFC 3339 time.
func logsOptions(follow bool, tail, since string, timestamps bool, now time.Time) (launch.LogsOptions, error) {
	opt := launch.LogsOptions{Follow: follow, Tail: -1, Timestamps: timestamps}
	if tail != "all" {
		n, err := strconv.Atoi(tail)
		if err != nil || n < 0 {
			return opt, usagef("invalid --tail %q: want a number of lines, or all", tail)
		}
		opt.Tail = n
	}
	if since != "" {
		if d, err := time.ParseDuration(since); err == nil && d >= 0 {
			opt.Since = now.Add(-d)
		} else if at, err := time.Parse(time.RFC3339Nano, since); err == nil {
			opt.Since = at
		} else {
			return opt, usagef("invalid --since %q: want a duration such as 10m or an RFC 3339 time such as 2026-01-02T15:04:05Z", since)
		}
	}
	return opt, nil
}
