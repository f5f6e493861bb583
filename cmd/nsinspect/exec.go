package main

import (
	"errors"
	"os"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/launch"
)

func newExecCmd(s streams, g *globals) *cobra.Command {
	var f execFlags
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
			opt, err := f.options(args[1:])
			if err != nil {
				return exitError{code: exitLaunch, err: err}
			}
			if f.detach {
				return launchErr(launch.ExecDetached(st, opt))
			}
			stdio := launch.Stdio{Out: os.Stdout, Err: os.Stderr}
			if f.interactive && !f.tty {
				stdio.In = os.Stdin
			}
			return execForeground(st, opt, stdio)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false)
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory")
	fl.StringVarP(&f.user, "user", "u", "", "uid[:gid]")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "pass stdin")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a terminal")
	fl.BoolVarP(&f.detach, "detach", "d", false, "run the command in the background and return at once")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitError{code: exitLaunch, err: err} })
	return cmd
}

type execFlags struct {
	env                      []string
	workdir, user            string
	interactive, tty, detach bool
}

// options checks the flags and the command (after NAME) and turns them
// into launch's options.
func (f *execFlags) options(command []string) (launch.ExecOptions, error) {
	if len(command) > 0 && command[0] == "--" { // flag parsing stopped at NAME, so "--" is still here
		command = command[1:]
	}
	if len(command) == 0 {
		return launch.ExecOptions{}, errors.New("no command given: nsinspect exec NAME -- COMMAND [ARG...]")
	}
	envs, err := parseEnv(f.env)
	if err != nil {
		return launch.ExecOptions{}, err
	}
	opt := launch.ExecOptions{Args: command, Env: envs, Cwd: f.workdir, TTY: f.tty, Interactive: f.interactive}
	if f.user != "" {
		if opt.UID, opt.GID, err = launch.ParseUser(f.user); err != nil {
			return launch.ExecOptions{}, err
		}
		opt.User = true
	}
	switch {
	case f.detach && (f.tty || f.interactive):
		return launch.ExecOptions{}, errors.New("-d: a detached command gets no terminal and no stdin; leave out -t and -i")
	case f.tty && !f.detach && !launch.IsTerminal(os.Stdin):
		return launch.ExecOptions{}, errors.New("-t: the input device is not a terminal")
	}
	return opt, nil
}

// execForeground runs opt in st with our terminal and signals attached and
// returns its exit status as ours.
func execForeground(st *launch.State, opt launch.ExecOptions, stdio launch.Stdio) error {
	fg := launch.CatchSignals()
	defer fg.Stop()
	c, err := launch.Exec(st, opt, stdio)
	if err != nil {
		return launchErr(err)
	}
	fg.Attach(c)
	es := c.WaitExec()
	fg.Ended(c)
	c.ClosePty()
	if es.Code != 0 {
		return exitError{code: es.Code}
	}
	return nil
}
