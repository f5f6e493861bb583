package main

import (
	"errors"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newExplainCmd(s streams, g *globals) *cobra.Command {
	var pid string
	names := []string{}
	for _, t := range report.Topics() {
		names = append(names, t.Name)
	}
	cmd := &cobra.Command{
		Use:   "explain [TOPIC]",
		Short: "How containers work, answered with this host's values",
		Long: `Explain one topic in plain words, then show the live evidence for a
process or container (default: nsinspect itself): the same findings, with
the same texts and files, that pid --explain prints. Without a topic,
list them. Topics: kernel, namespaces, pid1, cgroups, memory, cpu, free,
unionfs, capabilities, privileged, seccomp.

explain free shows what a program inside would read — /proc/meminfo,
sysinfo(2), nproc, /proc/cpuinfo, ulimit -u, the Go runtime, the JVM —
next to the real memory limit, CPU quota and cpuset.`,
		Example: `  nsinspect explain
  nsinspect explain free --pid web
  nsinspect explain pid1 --pid 1234
  nsinspect explain memory --pid 1234`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return report.WriteTopicList(s.out)
			}
			topic, err := report.TopicByName(args[0])
			if err != nil {
				return usageError{err}
			}
			fsys := g.fs()
			in, n, inspectErr := pidInspection(fsys, pid, "", false, s.err)
			if in == nil {
				return inspectErr
			}
			var view *inspect.View
			if topic.Name == "free" {
				view, _ = fsys.View(n)
			}
			if err := report.WriteTopic(s.out, topic, in, view); err != nil {
				return err
			}
			if errors.Is(inspectErr, inspect.ErrExited) {
				return exitError{code: exitRuntime, err: errors.New("process " + strconv.Itoa(n) + " exited during inspection")}
			}
			return inspectErr
		},
	}
	cmd.Flags().StringVar(&pid, "pid", "self", "the `PID` or container to show the evidence of")
	return cmd
}
