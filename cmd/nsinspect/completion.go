package main

import (
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

// Shell completion is cobra's: `nsinspect completion bash|zsh|fish|powershell`
// prints a script that calls the hidden `nsinspect __complete ARGS...` for
// every TAB. What it offers comes from here: container names and short ids
// from the same listing as ps, live PIDs, and the values the flags accept.

// addCompletion adds cobra's completion command to root, with examples,
// and the completions of every command's arguments and flags.
func addCompletion(root *cobra.Command, g *globals) {
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "completion":
			c.Example = `  source <(nsinspect completion bash)
  nsinspect completion bash > /etc/bash_completion.d/nsinspect
  nsinspect completion zsh > "${fpath[1]}/_nsinspect"
  nsinspect completion fish > ~/.config/fish/completions/nsinspect.fish`
			for _, sh := range c.Commands() {
				sh.Example = shellExamples[sh.Name()]
			}
		case "help":
			c.Example = `  nsinspect help ps
  nsinspect help completion bash`
		case "pid":
			c.ValidArgsFunction = firstArg(completePIDsAndContainers(g))
			c.RegisterFlagCompletionFunc("vs", completePIDsAndContainers(g))
			c.RegisterFlagCompletionFunc("output", completeValues("table", "json"))
			c.RegisterFlagCompletionFunc("severity", completeValues("info", "warn", "critical"))
		case "inspect":
			c.ValidArgsFunction = completePIDsAndContainers(g)
		case "audit":
			c.ValidArgsFunction = completePIDsAndContainers(g)
			c.RegisterFlagCompletionFunc("output", completeValues("table", "json", "junit"))
			c.RegisterFlagCompletionFunc("fail-on", completeValues("info", "warn", "critical"))
			var ids []string
			for _, r := range report.Rules() {
				ids = append(ids, r.ID)
			}
			c.RegisterFlagCompletionFunc("rule", completeValues(ids...))
			c.RegisterFlagCompletionFunc("skip", completeValues(ids...))
		case "explain":
			c.RegisterFlagCompletionFunc("pid", completePIDsAndContainers(g))
		case "ps":
			c.ValidArgsFunction = completeContainers(g, runningContainers)
			c.RegisterFlagCompletionFunc("output", completeValues("table", "wide", "json"))
			c.RegisterFlagCompletionFunc("filter", completeFilter)
		case "stats":
			c.ValidArgsFunction = completeContainers(g, runningContainers)
			c.RegisterFlagCompletionFunc("output", completeValues("table", "wide", "json"))
			c.RegisterFlagCompletionFunc("sort", completeValues("name", "cpu", "mem"))
		case "exec":
			// After the name comes the container's command: nothing of the
			// host's to offer.
			c.ValidArgsFunction = firstArg(completeContainers(g, runningOwnContainers))
		case "stop":
			c.ValidArgsFunction = completeContainers(g, runningOwnContainers)
		case "kill":
			c.ValidArgsFunction = completeContainers(g, runningOwnContainers)
			c.RegisterFlagCompletionFunc("signal", completeSignals)
		case "rm":
			c.ValidArgsFunction = completeContainers(g, ownContainers)
		case "logs":
			c.ValidArgsFunction = firstArg(completeContainers(g, ownContainers))
		case "run":
			c.RegisterFlagCompletionFunc("network", completeValues("none", "host"))
		case "gc":
			c.ValidArgsFunction = cobra.NoFileCompletions
		}
	}
	dirs := func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveFilterDirs
	}
	root.RegisterFlagCompletionFunc("proc-root", dirs)
	root.RegisterFlagCompletionFunc("cgroup-root", dirs)
}

// shellExamples load each shell's script: for this session, then for
// every new one.
var shellExamples = map[string]string{
	"bash": `  source <(nsinspect completion bash)
  nsinspect completion bash > /etc/bash_completion.d/nsinspect`,
	"zsh": `  source <(nsinspect completion zsh)
  nsinspect completion zsh > "${fpath[1]}/_nsinspect"`,
	"fish": `  nsinspect completion fish | source
  nsinspect completion fish > ~/.config/fish/completions/nsinspect.fish`,
	"powershell": `  nsinspect completion powershell | Out-String | Invoke-Expression`,
}

// firstArg completes the first argument with f and nothing after it.
func firstArg(f cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}

// candidate is one completion, kept only when it starts with what was
// typed and can be typed at all: a name with a space, a control
// character or a bidi override (a hostile container's) is left out, and
// the description is escaped, so that nothing a container chose reaches
// the shell's completion protocol, one value and description a line, as
// anything but text.
func candidate(out []cobra.Completion, value, desc, toComplete string) []cobra.Completion {
	if value == "" || !strings.HasPrefix(value, toComplete) || report.Escape(value) != value || strings.ContainsAny(value, " ") {
		return out
	}
	if desc == "" {
		return append(out, value)
	}
	return append(out, cobra.CompletionWithDesc(value, report.Escape(desc)))
}

func completeValues(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			out = candidate(out, v, "", toComplete)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// Which containers a command takes: ps and stats any running one; exec,
// stop and kill nsinspect's running ones; rm and logs nsinspect's, stopped
// ones too.
type containerSet int

const (
	runningContainers containerSet = iota
	runningOwnContainers
	ownContainers
)

// completeContainers offers the names and short ids of the containers of
// set, each once, those already on the command line left out.
func completeContainers(g *globals, set containerSet) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return containerCandidates(g.fs(), set, args, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

func containerCandidates(fsys inspect.FS, set containerSet, args []string, toComplete string) []cobra.Completion {
	type listed struct{ id, name, runtime, status string }
	var cs []listed
	running, _, err := fsys.Discover(false)
	if err != nil {
		return nil
	}
	for _, c := range running {
		if set == runningContainers || c.Runtime.Name == inspect.RuntimeNsinspect {
			cs = append(cs, listed{c.ID, c.Name, c.Runtime.Name, "running"})
		}
	}
	// Stopped containers exist only in this host's state, as in ps --all.
	if set == ownContainers && fsys.Live() {
		if states, err := launch.List(); err == nil {
			for _, st := range states {
				if st.Status != launch.StatusRunning && st.Status != launch.StatusCreated {
					cs = append(cs, listed{st.ID, st.Name, inspect.RuntimeNsinspect, st.Status})
				}
			}
		}
	}
	var out []cobra.Completion
	for _, c := range cs {
		short := c.id[:min(12, len(c.id))]
		if slices.Contains(args, c.name) || slices.Contains(args, short) || slices.Contains(args, c.id) {
			continue
		}
		what := c.runtime
		if c.status != "running" {
			what += ", " + c.status
		}
		out = candidate(out, c.name, what+", "+short, toComplete)
		if c.name != short {
			out = candidate(out, short, what+", "+c.name, toComplete)
		}
	}
	return out
}

// completePIDsAndContainers offers what pid takes: "self", the PIDs of
// live processes (with their command) and the running containers.
func completePIDsAndContainers(g *globals) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		fsys := g.fs()
		out := candidate(nil, "self", "nsinspect itself", toComplete)
		if procs, err := fsys.Scan(); err == nil {
			slices.SortFunc(procs, func(a, b inspect.Proc) int { return a.PID - b.PID })
			for _, p := range procs {
				// A zombie has exited: nothing left to inspect but its pid.
				if p.State == "Z" || p.State == "X" || slices.Contains(args, strconv.Itoa(p.PID)) {
					continue
				}
				out = candidate(out, strconv.Itoa(p.PID), p.Comm, toComplete)
			}
		}
		return append(out, containerCandidates(fsys, runningContainers, args, toComplete)...), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeSignals offers the signal names kill takes: SIGTERM, or TERM
// when that is how the word was begun, in lower case when it was typed so.
func completeSignals(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	upper := strings.ToUpper(toComplete)
	bare := toComplete != "" && !strings.HasPrefix("SIG", upper) && !strings.HasPrefix(upper, "SIG")
	lower := toComplete != "" && toComplete == strings.ToLower(toComplete)
	var out []cobra.Completion
	for n := 1; n < 32; n++ {
		name := unix.SignalName(syscall.Signal(n))
		if bare {
			name = strings.TrimPrefix(name, "SIG")
		}
		if lower {
			name = strings.ToLower(name)
		}
		out = candidate(out, name, strconv.Itoa(n), toComplete)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeFilter offers ps --filter's keys, then a status's values.
func completeFilter(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	if strings.HasPrefix(toComplete, "status=") {
		for _, s := range inspect.FilterStatuses {
			out = candidate(out, "status="+s, "", toComplete)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	for _, k := range inspect.FilterKeys {
		out = candidate(out, k+"=", "", toComplete)
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
