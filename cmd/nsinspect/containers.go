package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

// findContainer resolves a name or id prefix; an unknown one is a usage
// error (exit 2).
func findContainer(ref string) (*launch.State, error) {
	st, err := launch.Find(ref)
	if errors.Is(err, launch.ErrNotFound) {
		return nil, usageError{err}
	}
	return st, err
}

func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s needs root", what)
	}
	return nil
}

func newStopCmd(s streams) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{
		Use:   "stop [-t SECONDS] NAME...",
		Short: "Stop containers: SIGTERM, then SIGKILL after the timeout (default 10 s)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("stop"); err != nil {
				return err
			}
			for _, ref := range args {
				st, err := findContainer(ref)
				if err != nil {
					return err
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

func newKillCmd(s streams) *cobra.Command {
	var sigName string
	cmd := &cobra.Command{
		Use:   "kill [-s SIGNAL] NAME...",
		Short: "Send a signal (default SIGKILL) to containers' PID 1",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := parseSignal(sigName)
			if err != nil {
				return err
			}
			if err := needRoot("kill"); err != nil {
				return err
			}
			for _, ref := range args {
				st, err := findContainer(ref)
				if err != nil {
					return err
				}
				if err := launch.Kill(st, sig); err != nil {
					return err
				}
				fmt.Fprintln(s.out, ref)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&sigName, "signal", "s", "KILL", "signal to send")
	return cmd
}

func newRmCmd(s streams) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] NAME...",
		Short: "Remove stopped containers (-f: stop them first with SIGKILL)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("rm"); err != nil {
				return err
			}
			for _, ref := range args {
				st, err := findContainer(ref)
				if err != nil {
					return err
				}
				if err := launch.Remove(st, force); err != nil {
					return err
				}
				fmt.Fprintln(s.out, ref)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	return cmd
}

func newLogsCmd(s streams) *cobra.Command {
	var follow, raw bool
	cmd := &cobra.Command{
		Use:   "logs [-f] NAME",
		Short: "Print the output of a detached container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := findContainer(args[0])
			if err != nil {
				return err
			}
			// What the container wrote reaches the terminal with control
			// characters escaped (newlines and tabs kept), unless --raw.
			w := s.out
			var ew *report.EscapeWriter
			if !raw {
				ew = report.NewEscapeWriter(s.out)
				w = ew
			}
			err = launch.CopyLogs(st, w, follow)
			if ew != nil {
				ew.Flush()
			}
			if errors.Is(err, launch.ErrNoLog) {
				return usageError{err}
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing until the container exits")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the log as written, control characters included")
	return cmd
}

func newGCCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Remove what killed launchers left behind: cgroups, state, processes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("gc"); err != nil {
				return err
			}
			removed, err := launch.GC()
			for _, id := range removed {
				fmt.Fprintln(s.out, "removed "+id[:min(12, len(id))])
			}
			return err
		},
	}
}

func newExecCmd(s streams) *cobra.Command {
	var env []string
	var workdir, user string
	var interactive, tty bool
	cmd := &cobra.Command{
		Use:   "exec [flags] NAME -- COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command inside a running container: in all of its namespaces and
cgroups, with its capabilities, no_new_privs and user.`,
		Example: `  nsinspect exec web -- ps aux
  nsinspect exec -it web -- sh`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("exec"); err != nil {
				return exitError{code: exitLaunch, err: err}
			}
			st, err := launch.Find(args[0])
			if err != nil {
				return exitError{code: exitLaunch, err: err}
			}
			command := args[1:]
			if command[0] == "--" { // flag parsing stopped at NAME, so "--" is still here
				command = command[1:]
			}
			if len(command) == 0 {
				return exitError{code: exitLaunch, err: errors.New("no command given: nsinspect exec NAME -- COMMAND [ARG...]")}
			}
			opt := launch.ExecOptions{Args: command, Env: env, Cwd: workdir, TTY: tty, Interactive: interactive}
			if user != "" {
				if opt.UID, opt.GID, err = launch.ParseUser(user); err != nil {
					return exitError{code: exitLaunch, err: err}
				}
				opt.User = true
			}
			if tty && !launch.IsTerminal(os.Stdin) {
				return exitError{code: exitLaunch, err: errors.New("-t: the input device is not a terminal")}
			}
			stdio := launch.Stdio{Out: os.Stdout, Err: os.Stderr}
			if interactive && !tty {
				stdio.In = os.Stdin
			}
			sigs := forwardedSignals()
			defer signal.Stop(sigs)
			c, err := launch.Exec(st, opt, stdio)
			if err != nil {
				return launchErr(err)
			}
			defer attachTerminal(c)()
			go forward(sigs, c)
			es := c.WaitExec()
			if pty := c.Pty(); pty != nil {
				drain(os.Stdout, pty)
			}
			c.ClosePty()
			if es.Code != 0 {
				return exitError{code: es.Code}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.StringArrayVarP(&env, "env", "e", nil, "set an environment variable")
	fl.StringVarP(&workdir, "workdir", "w", "", "working directory")
	fl.StringVarP(&user, "user", "u", "", "uid[:gid]")
	fl.BoolVarP(&interactive, "interactive", "i", false, "pass stdin")
	fl.BoolVarP(&tty, "tty", "t", false, "allocate a terminal")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitError{code: exitLaunch, err: err} })
	return cmd
}

// forward passes the signals nsinspect receives to the container's
// process, and terminal size changes to its terminal.
func forward(sigs chan os.Signal, c *launch.Container) {
	for sig := range sigs {
		if sig == syscall.SIGPIPE {
			continue
		}
		if sig == syscall.SIGWINCH {
			if pty := c.Pty(); pty != nil {
				launch.CopySize(os.Stdin, pty)
			}
			continue
		}
		c.Signal(sig.(syscall.Signal))
	}
}
