package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newPIDCmd(s streams, g *globals) *cobra.Command {
	var out outputFlags
	var explain bool
	var vs string
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
  nsinspect pid 1234 --vs 5678`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := out.parse(report.PidFormat)
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
					err = report.WriteExplain(s.out, in)
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

// pidInspection is what pid shows of arg (a PID, "self" or a container),
// compared with the host or with vs; inspect prints the same. brief is for
// JSON and templates, which show only the comparison of the reference (its
// pid and namespaces), not a second column of facts: the target is then
// read on its own even when it is the reference. Yet the reference is read
// in full for them too: report judges .capabilities.privileged against the
// host's bounding set, and a brief read leaves the reference's
// capabilities out. The Inspection is nil when arg names nothing (the
// error then says what); when the process left mid-read, it holds what
// was read and the error wraps inspect.ErrExited.
func pidInspection(fsys inspect.FS, arg, vs string, brief bool, notes io.Writer) (*report.Inspection, int, error) {
	pid, err := parsePID(fsys, arg, notes)
	if err != nil {
		return nil, 0, err
	}
	var ref *inspect.Reference
	if vs != "" {
		vpid, err := parsePID(fsys, vs, notes)
		if err != nil {
			return nil, 0, fmt.Errorf("--vs: %w", err)
		}
		ref = inspect.ChooseProcessReference(vpid)
	} else if ref, err = fsys.ChooseHostReference(); err != nil {
		return nil, 0, err
	}

	// Sequential on purpose: goroutines here would start threads, and on
	// this kind of VM their page faults cost more than the overlap of a
	// few dozen small reads gains.
	if err := fsys.ReadReference(ref, false); err != nil {
		return nil, 0, lookupError(err)
	}
	target := ref.Process
	var inspectErr error
	if pid != ref.PID || brief {
		// The reference's / tells a bind mount of the host's disk inside
		// the target (-v /:/host) from an ordinary volume.
		opt := inspect.Options{}
		if ref.Process.Rootfs != nil {
			opt.HostRootDevice = ref.Process.Rootfs.Device
		}
		target, inspectErr = fsys.Inspect(pid, opt)
		if target == nil {
			return nil, 0, lookupError(inspectErr)
		}
	}
	host, hostErr := fsys.Host()
	return report.Compare(target, ref, host, hostErr), pid, inspectErr
}

// parsePID accepts a positive number, "self", or a container's name or id
// prefix as ps shows them, which stands for the container's init. A live
// PID wins over a container the number also names, with a note of it
// written to notes.
func parsePID(fsys inspect.FS, arg string, notes io.Writer) (int, error) {
	if arg == "self" {
		return fsys.SelfPID()
	}
	pid, err := strconv.Atoi(arg)
	if err == nil && pid > 0 {
		// A live PID is that PID. A number that is none may be a
		// container's id prefix (27220293...) or name (ctr run ... 42);
		// without such a container it stays a PID, which then says
		// "no such process" (or hidden by hidepid).
		if fsys.ProcessExists(pid) {
			if also := alsoContainer(fsys, arg); also != "" {
				fmt.Fprintf(notes, "note: %s is also %s; showing PID %d\n", arg, report.Escape(also), pid)
			}
			return pid, nil
		}
		if cpid, cerr := findContainerPID(fsys, arg); cerr == nil {
			return cpid, nil
		}
		return pid, nil
	}
	// Names are what ps shows: Kubernetes' "namespace/pod/container"
	// holds slashes, so only what no name of any runtime holds is refused.
	if err == nil || arg == "" || strings.HasPrefix(arg, "-") || strings.ContainsFunc(arg, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return 0, usagef("invalid pid %q: want a positive number, \"self\", or a container name or id", arg)
	}
	return findContainerPID(fsys, arg)
}

// alsoContainer says which container ref names besides a PID, as pid
// would have resolved it were there no such PID: "the name of containerd
// container 42", "an id prefix of docker container web (f83b8fa7c0fc)".
// It is "" when ref names none.
func alsoContainer(fsys inspect.FS, ref string) string {
	cs, _, err := discover(fsys, false)
	if err != nil {
		return ""
	}
	c, err := pickContainer(cs, ref)
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) && strings.HasPrefix(ue.Error(), "no such container") {
			return ""
		}
		return "the name or id prefix of several containers"
	}
	short := c.ID[:min(12, len(c.ID))]
	switch {
	case c.ID == ref:
		return fmt.Sprintf("the id of %s container %s", c.Runtime.Name, c.Name)
	case c.Name == ref:
		return fmt.Sprintf("the name of %s container %s (%s)", c.Runtime.Name, c.Name, short)
	}
	return fmt.Sprintf("an id prefix of %s container %s (%s)", c.Runtime.Name, c.Name, short)
}

// lookupError turns "no such process" and "hidden" into usage errors (exit
// 2): the user named something that is not there.
func lookupError(err error) error {
	if errors.Is(err, inspect.ErrNoProcess) || errors.Is(err, inspect.ErrHidden) {
		return usageError{err}
	}
	return err
}
