package main

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

func newStopCmd(s streams, g *globals) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [-t SECONDS] NAME...",
		Short: "Stop containers: SIGTERM, then SIGKILL after the timeout (default 10 s)",
		Example: `  nsinspect stop web
  nsinspect stop -t 30 web db
  nsinspect stop --time 0 web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout < 0 {
				return usagef("invalid --time %d: want 0 or more seconds", timeout)
			}
			if err := needRoot("stop"); err != nil {
				return err
			}
			for _, ref := range args {
				st, err := findContainer(g.fs(), "stop", ref)
				if err != nil {
					return err
				}
				// A SIGTERM the kernel drops leaves only the wait and the
				// SIGKILL: said before the wait, not after it.
				if why := droppedSignal(g.fs(), st, unix.SIGTERM); why != "" {
					kill := fmt.Sprintf("SIGKILL in %d s", timeout)
					if timeout == 0 {
						kill = "SIGKILL now"
					}
					fmt.Fprintln(s.err, report.Escape(ref+": "+why+"; "+kill))
				}
				if err := launch.Stop(st, time.Duration(timeout)*time.Second); err != nil {
					return err
				}
				fmt.Fprintln(s.out, ref)
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&timeout, "time", "t", 10, "seconds to wait after SIGTERM before SIGKILL")
	return cmd
}

// droppedSignal says why the kernel will discard sig sent to st's PID 1
// from the host, or "" when it will be delivered (or queued). By
// kernel/signal.c: an ignored signal is discarded; a namespace's init
// (SIGNAL_UNKILLABLE) discards every signal it has no handler for, except
// SIGKILL and SIGSTOP from an ancestor namespace, which nsinspect is in; a
// blocked signal is queued whatever its fate, and a task waiting in
// sigtimedwait takes it.
func droppedSignal(fsys inspect.FS, st *launch.State, sig syscall.Signal) string {
	if sig == unix.SIGKILL || sig == unix.SIGSTOP || !st.Alive() {
		return ""
	}
	p, _ := fsys.Inspect(st.Pid, inspect.Options{})
	if p == nil || p.Signals == nil || p.Info == nil {
		return ""
	}
	sigs, name := p.Signals, unix.SignalName(sig)
	switch {
	case sigs.Ignored.Has(sig):
		return fmt.Sprintf("PID 1 (%s) ignores %s; the kernel drops it", p.Info.Comm, name)
	case sigs.Caught.Has(sig), sigs.Blocked.Has(sig), !sigs.PID1, strings.Contains(sigs.Wchan, "sigtimedwait"):
		return ""
	}
	return fmt.Sprintf("PID 1 (%s) has no %s handler; the kernel drops it", p.Info.Comm, name)
}
