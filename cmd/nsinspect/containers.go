package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

// findContainer resolves a name or id prefix of a container nsinspect
// started; an unknown one is a usage error (exit 2). When ref names a
// container of another runtime (ps lists it), the error says so and names
// the tool that manages it, instead of "no such container".
func findContainer(fsys inspect.FS, command, ref string) (*launch.State, error) {
	st, err := launch.Find(ref)
	if errors.Is(err, launch.ErrNotFound) {
		if other := otherRuntime(fsys, command, ref); other != nil {
			return nil, usageError{other}
		}
		return nil, usageError{err}
	}
	return st, err
}

// runtimeTools name the command that manages each runtime's containers.
var runtimeTools = map[string]string{
	inspect.RuntimeDocker:     "docker",
	inspect.RuntimePodman:     "podman",
	inspect.RuntimeContainerd: "ctr task",
	inspect.RuntimeCRIO:       "crictl",
	inspect.RuntimeKubernetes: "kubectl",
	inspect.RuntimeOCI:        "runc",
	inspect.RuntimeLXC:        "lxc-attach, lxc-stop",
	inspect.RuntimeNspawn:     "machinectl",
}

// otherRuntime looks ref up among every runtime's running containers (as
// ps finds them) and, when one that nsinspect did not start matches, says
// whose it is: "t1 is a docker container; nsinspect exec manages only
// containers started by nsinspect run — use docker exec". It is nil when
// ref names nothing or the lookup fails.
func otherRuntime(fsys inspect.FS, command, ref string) error {
	cs, _, err := fsys.Discover(false)
	if err != nil {
		return nil
	}
	c, err := pickContainer(cs, ref)
	if err != nil || c.Runtime.Name == inspect.RuntimeNsinspect {
		return nil
	}
	use := "use the tool that started it"
	if tool, ok := runtimeTools[c.Runtime.Name]; ok {
		use = "use " + tool
		if !strings.Contains(tool, ",") {
			use += " " + command
		}
	}
	return fmt.Errorf("%s is a %s container; nsinspect %s manages only containers started by nsinspect run — %s", ref, c.Runtime.Name, command, use)
}

func needRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s needs root", what)
	}
	return nil
}

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

func newRmCmd(s streams, g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] NAME...",
		Short: "Remove stopped containers (-f: stop them first with SIGKILL)",
		Example: `  nsinspect rm web
  nsinspect rm -f web db
  nsinspect rm $(nsinspect ps -q -f runtime=nsinspect -f status=exited)`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("rm"); err != nil {
				return err
			}
			for _, ref := range args {
				st, err := findContainer(g.fs(), "rm", ref)
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

func newGCCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Remove what killed launchers left behind: cgroups, state, processes",
		Long: `Remove what launchers killed with SIGKILL left behind. Like docker container
prune, it prints "Deleted Containers:" and each removed id, then the count
(also when it is 0).`,
		Example: `  nsinspect gc`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("gc"); err != nil {
				return err
			}
			removed, err := launch.GC()
			writeGC(s.out, removed)
			return err
		},
	}
}

// writeGC prints what gc removed, as docker container prune does.
func writeGC(w io.Writer, removed []string) {
	if len(removed) > 0 {
		fmt.Fprintln(w, "Deleted Containers:")
		for _, id := range removed {
			fmt.Fprintln(w, report.Escape(id))
		}
		fmt.Fprintln(w)
	}
	noun := "containers"
	if len(removed) == 1 {
		noun = "container"
	}
	fmt.Fprintf(w, "Total: %d %s removed\n", len(removed), noun)
}

func newExecCmd(s streams, g *globals) *cobra.Command {
	var env []string
	var workdir, user string
	var interactive, tty, detach bool
	cmd := &cobra.Command{
		Use:   "exec [flags] NAME -- COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command inside a running container: in all of its namespaces and
cgroups, with its capabilities, no_new_privs, seccomp filter and user.
-d (as docker exec -d) starts it in the background and returns at once,
printing nothing; its stdin is empty and its output is discarded, and it
ends with the container at the latest. The exit status is the command's
own (0 with -d once it runs), 126 or 127 when it cannot be run, 125 when
nsinspect itself failed.`,
		Example: `  nsinspect exec web -- ps aux
  nsinspect exec -it web -- sh
  nsinspect exec -e DEBUG=1 -w /tmp -u 1000:1000 web -- env
  nsinspect exec -d web -- sh -c 'while sleep 60; do date >> /tmp/ticks; done'`,
		// Docker's run contract: every failure of nsinspect itself is 125.
		Args: launchArgs(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needRoot("exec"); err != nil {
				return exitError{code: exitLaunch, err: err}
			}
			st, err := findContainer(g.fs(), "exec", args[0])
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
			envs, err := parseEnv(env)
			if err != nil {
				return exitError{code: exitLaunch, err: err}
			}
			opt := launch.ExecOptions{Args: command, Env: envs, Cwd: workdir, TTY: tty, Interactive: interactive}
			if user != "" {
				if opt.UID, opt.GID, err = launch.ParseUser(user); err != nil {
					return exitError{code: exitLaunch, err: err}
				}
				opt.User = true
			}
			if detach {
				if tty || interactive {
					return exitError{code: exitLaunch, err: errors.New("-d: a detached command gets no terminal and no stdin; leave out -t and -i")}
				}
				if err := launch.ExecDetached(st, opt); err != nil {
					return launchErr(err)
				}
				return nil
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
	fl.StringArrayVarP(&env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it)")
	fl.StringVarP(&workdir, "workdir", "w", "", "working directory")
	fl.StringVarP(&user, "user", "u", "", "uid[:gid]")
	fl.BoolVarP(&interactive, "interactive", "i", false, "pass stdin")
	fl.BoolVarP(&tty, "tty", "t", false, "allocate a terminal")
	fl.BoolVarP(&detach, "detach", "d", false, "run the command in the background and return at once")
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
