package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

// exitAudit is audit's exit code when a finding is at or above --fail-on.
const exitAudit = 3

// auditFlags are audit's own flags.
type auditFlags struct {
	out          outputFlags
	failOn       string
	rules, skip  []string
	window       time.Duration
	windowChosen bool
}

func newAuditCmd(s streams, g *globals) *cobra.Command {
	var f auditFlags
	cmd := &cobra.Command{
		Use:   "audit [CONTAINER|PID...]",
		Short: "Judge containers against the rule catalogue, for people and CI gates",
		Long: `Judge every running container on the host (as ps finds them), or the
containers and PIDs named, against the rules of docs/rules.md: privileged,
dangerous capabilities, host namespaces, mounts of the host's / and its
sensitive directories, runtime sockets, seccomp, limits, OOM kills, CPU
throttling, PID 1's SIGTERM and zombies. Each finding has a stable rule id,
a severity (info, warn, critical), its evidence and the fix.

The rate rules (cpu-throttled, and zombies that grew) compare two readings
taken --window apart, one window for all targets; --window 0 skips
cpu-throttled and says so.

Exit status: 3 when a finding is at or above --fail-on; otherwise 1 when a
target could not be read in full (what could be read is still printed);
otherwise 0. An unknown container or PID is a usage error (2).`,
		Example: `  nsinspect audit
  nsinspect audit web 1234
  nsinspect audit --fail-on warn
  nsinspect audit --json | jq '.[] | select(.severity=="critical")'
  nsinspect audit --rule no-memory-limit --skip pid1-sigterm
  nsinspect audit --format junit > audit.xml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			form, opt, err := f.parse(cmd)
			if err != nil {
				return err
			}
			targets, err := auditTargets(g.fs(), args, opt.Window)
			if err != nil {
				return err
			}
			a := report.AuditTargets(targets, opt)
			switch form.Kind {
			case "json":
				err = report.WriteJSON(s.out, a.Findings())
			case "junit":
				err = report.WriteAuditJUnit(s.out, a)
			case "template":
				err = report.WriteRows(s.out, form, a.Findings(), func(f report.AuditFinding) any { return f })
			default:
				err = report.WriteAuditTable(s.out, a)
			}
			if err != nil {
				return err
			}
			return auditExit(s, a, form.Kind != "table")
		},
	}
	f.out.register(cmd)
	cmd.Flags().Lookup("output").Usage = "output form: table, json or junit"
	cmd.Flags().Lookup("format").Usage = "table (default), json, junit, or a Go template run over each finding ({{.Rule}} {{.Severity}} {{.Name}}); \\t is a tab"
	cmd.Flags().StringVar(&f.failOn, "fail-on", "", "exit 3 when a finding is at or above this `LEVEL` (info, warn, critical)")
	cmd.Flags().StringSliceVar(&f.rules, "rule", nil, "evaluate only these rule `IDS` (comma-separated or repeated; docs/rules.md)")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "do not evaluate these rule `IDS`")
	cmd.Flags().DurationVar(&f.window, "window", 5*time.Second, "sampling window of the rate rules (cpu-throttled, zombies); 0 skips cpu-throttled")
	return cmd
}

// parse checks audit's flags before anything is read.
func (f *auditFlags) parse(cmd *cobra.Command) (report.Format, report.AuditOptions, error) {
	form, err := f.out.parse(report.AuditFormat)
	if err != nil {
		return form, report.AuditOptions{}, err
	}
	opt := report.AuditOptions{Rules: f.rules, Skip: f.skip, Window: f.window}
	if f.failOn != "" {
		if opt.FailOn, err = report.ParseSeverity(f.failOn); err != nil {
			return form, opt, usagef("--fail-on: %v", err)
		}
	}
	if f.window < 0 {
		return form, opt, usagef("invalid --window %s: want 0 or more (e.g. 5s)", f.window)
	}
	if err := report.CheckRuleIDs(append(append([]string{}, f.rules...), f.skip...)); err != nil {
		return form, opt, usageError{err}
	}
	if f.window == 0 && len(f.rules) > 0 && !slices.ContainsFunc(f.rules, func(id string) bool { r, _ := report.RuleByID(id); return !r.Window }) {
		return form, opt, usagef("--rule %s needs a sampling window: --window 0 would evaluate nothing", strings.Join(f.rules, ","))
	}
	return form, opt, nil
}

// auditTargets reads what audit judges: the named containers and PIDs,
// or every running container, twice, window apart, each container with
// its other processes (a PID that is a container's init stands for the
// container).
func auditTargets(fsys inspect.FS, args []string, window time.Duration) ([]report.AuditTarget, error) {
	var targets []inspect.ReadTarget
	var refs []string
	cs, _, err := fsys.Discover(false)
	if err != nil {
		return nil, err
	}
	members := map[int][]int{}
	for _, c := range cs {
		members[c.Pid] = c.Pids
		if len(args) == 0 {
			targets, refs = append(targets, inspect.ReadTarget{PID: c.Pid, Members: c.Pids}), append(refs, c.ID)
		}
	}
	for _, a := range args {
		t, err := fsys.ResolvePID(a)
		if err == nil && !fsys.ProcessExists(t.PID) {
			err = fmt.Errorf("pid %d: %w", t.PID, inspect.ErrNoProcess)
		}
		if err != nil {
			return nil, lookupError(err)
		}
		targets, refs = append(targets, inspect.ReadTarget{PID: t.PID, Members: members[t.PID]}), append(refs, a)
	}
	rd, err := fsys.ReadTwice(targets, window)
	if err != nil {
		return nil, err
	}
	out := make([]report.AuditTarget, len(targets))
	for i, t := range rd.Targets {
		out[i] = report.AuditTarget{Ref: refs[i], Window: window, Err: t.Err}
		if t.Now != nil {
			out[i].Now = report.Compare(t.Now, rd.Reference, rd.Host, rd.HostErr)
		}
		if t.Before != nil {
			out[i].Before = report.Compare(t.Before, rd.Reference, rd.Host, rd.HostErr)
		}
		for _, o := range t.Others {
			out[i].Others = append(out[i].Others, report.Compare(o, rd.Reference, rd.Host, rd.HostErr))
		}
	}
	return out, nil
}

// auditExit is audit's exit status: 3 for a finding at or above
// --fail-on, else 1 when a target could not be read in full (each said on
// stderr), else 0.
func auditExit(s streams, a report.Audit, noteSkipped bool) error {
	// The table says it itself; JSON and JUnit have no place for it.
	if noteSkipped && len(a.Skipped) > 0 {
		fmt.Fprintf(s.err, "nsinspect: audit: not evaluated (--window 0): %s\n", strings.Join(a.Skipped, ", "))
	}
	for _, t := range a.Incomplete() {
		fmt.Fprintf(s.err, "nsinspect: audit: %s: %s\n", report.Escape(t.Label()), report.Escape(t.Err.Error()))
	}
	switch {
	case a.Failed():
		return exitError{code: exitAudit}
	case len(a.Incomplete()) > 0:
		return exitError{code: exitRuntime}
	}
	return nil
}
