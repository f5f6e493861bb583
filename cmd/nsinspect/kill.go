package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

func newKillCmd(s streams, g *globals) *cobra.Command {
	var sigName string
	cmd := &cobra.Command{
		Use:   "kill [-s SIGNAL] NAME...",
		Short: "Send a signal (default SIGKILL) to containers' PID 1",
		Example: `  nsinspect kill web
  nsinspect kill -s HUP web
  nsinspect kill --signal SIGTERM web db
  nsinspect kill -s 10 web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := parseSignal(sigName)
			if err != nil {
				return err
			}
			if err := needRoot("kill"); err != nil {
				return err
			}
			for _, ref := range args {
				st, err := findContainer(g.fs(), "kill", ref)
				if err != nil {
					return err
				}
				why := droppedSignal(g.fs(), st, sig)
				if err := launch.Kill(st, sig); err != nil {
					return err
				}
				// Sent, as docker kill says: the kernel took the signal,
				// and then discarded it.
				if why != "" {
					fmt.Fprintln(s.err, report.Escape(ref+": "+why))
				}
				fmt.Fprintln(s.out, ref)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&sigName, "signal", "s", "KILL", "signal to send")
	return cmd
}

// parseSignal accepts HUP, SIGHUP, hup or 1.
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, usagef("invalid signal %q", s)
}
