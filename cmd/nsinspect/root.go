package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

// Exit codes (docs/exit-codes.md; run and exec use Docker's instead).
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks a bad argument or flag: exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// exitError carries a specific exit code after its message (if any) was
// already printed.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// streams are the standard files a command talks to; tests pass buffers.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// globals are the flags every command shares.
type globals struct {
	procRoot, cgroupRoot string
}

func (g *globals) fs() inspect.FS { return inspect.NewFS(g.procRoot, g.cgroupRoot) }

// Main runs nsinspect with args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newRootCmd(streams{in: stdin, out: stdout, err: stderr})
	cmd.SetArgs(args)
	err := cmd.Execute()
	if err == nil {
		return exitOK
	}
	// An error can carry what a container named (a path, a name):
	// escaped, so it stays one line and no terminal control gets through.
	var ee exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "nsinspect: "+report.Escape(ee.err.Error()))
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "nsinspect: "+report.Escape(err.Error()))
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	return exitRuntime
}

// isCobraUsage recognises cobra's own argument errors, which it returns as
// plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires ", "invalid argument", "flag needs an argument", "bad flag syntax"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd(s streams) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "nsinspect",
		Short: "Show exactly what a container is",
		Long: `nsinspect shows what the kernel says about any process: its namespaces,
cgroup limits and live usage, capabilities, seccomp, LSM and user-namespace
settings, PID-1 signal behaviour and root filesystem, side by side with the
host, as a table, as JSON, or explained in plain words with evidence.`,
		Example: `  nsinspect pid self
  nsinspect pid web --explain
  nsinspect ps --all
  nsinspect stats --no-stream
  nsinspect run -d --name web --memory 256m -- sleep 1000
  nsinspect help run`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetVersionTemplate("nsinspect {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	// HOST_PROC and HOST_SYS are gopsutil's convention for a tool that
	// reads a host mounted elsewhere (a DaemonSet with /host).
	procDefault := inspect.DefaultProcRoot
	if v := os.Getenv("HOST_PROC"); v != "" {
		procDefault = v
	}
	cgroupDefault := inspect.DefaultCgroupRoot
	if v := os.Getenv("HOST_SYS"); v != "" {
		cgroupDefault = filepath.Join(v, "fs", "cgroup")
	}
	root.PersistentFlags().StringVar(&g.procRoot, "proc-root", procDefault, "procfs to read (env HOST_PROC)")
	root.PersistentFlags().StringVar(&g.cgroupRoot, "cgroup-root", cgroupDefault, "cgroupfs root to read (env HOST_SYS, plus /fs/cgroup)")

	root.AddCommand(newPIDCmd(s, g), newRunCmd(s, g), newPsCmd(s, g), newExecCmd(s, g),
		newStopCmd(s, g), newKillCmd(s, g), newRmCmd(s, g), newLogsCmd(s, g), newGCCmd(s), newStatsCmd(s, g),
		newInspectCmd(s, g), newAuditCmd(s, g), newExplainCmd(s, g))
	root.AddCommand(newSchemaCmd(s))
	addCompletion(root, g)
	return root
}

// version says what the binary was built from, from what the go command
// embedded: the module version when it has one (a tag for go install
// ...@v1.2.3; a pseudo-version such as v0.0.0-20260102030405-abcdef123456
// for go build in a git checkout, with +dirty for uncommitted changes),
// else the VCS revision with -dirty and its time (a build whose module
// version is "(devel)"), else "(devel)" (-buildvcs=false, no git).
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	return buildVersion(bi)
}

func buildVersion(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	v := rev[:min(12, len(rev))]
	if dirty {
		v += "-dirty"
	}
	if at != "" {
		v += " (" + at + ")"
	}
	return v
}
