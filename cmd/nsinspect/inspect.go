package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newInspectCmd(s streams, g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect NAME|ID|PID...",
		Short: "Print pid's JSON document of each container or process, as one JSON array",
		Long: `Print, as docker inspect does, one JSON array with a document per argument:
the document nsinspect pid --json prints for that container (its init) or
process, in the order given. An argument that names nothing is reported on
stderr, the others are still printed, and the exit status is 1.

The documents are nsinspect's (docs/json.md), not Docker's: Docker's field
paths such as {{.State.Pid}} or .[0].HostConfig.Memory do not exist here;
the same facts are .[0].pid and .[0].cgroup.memory.limitBytes. -f/--format
runs a Go template over each document, as docker inspect -f does, with
pid --format's fields (docs/format.md).`,
		Example: `  nsinspect inspect web
  nsinspect inspect web db 1234
  nsinspect inspect web | jq '.[0].cgroup.memory.limitBytes'
  nsinspect inspect $(nsinspect ps -q) | jq -r '.[] | "\(.pid) \(.runtime.name)"'
  nsinspect inspect -f '{{.PID}} {{.Cgroup.Memory.LimitBytes}}' web db`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := inspectFormat(format)
			if err != nil {
				return err
			}
			fsys := g.fs()
			docs := []*report.Inspection{}
			var failed bool
			for _, arg := range args {
				in, pid, err := pidInspection(fsys, arg, "", true, s.err)
				if errors.Is(err, inspect.ErrExited) {
					err = fmt.Errorf("process %d exited during inspection", pid)
				}
				if in != nil {
					docs = append(docs, in)
				}
				if err != nil {
					fmt.Fprintln(s.err, "nsinspect: "+report.Escape(err.Error()))
					failed = true
				}
			}
			if err := writeDocs(s, f, docs); err != nil {
				return err
			}
			if failed {
				return exitError{code: exitRuntime}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "a Go template over each document (pid --format's fields), or json (the default)")
	return cmd
}

// inspectFormat is inspect's --format: JSON (the default) or a template.
func inspectFormat(format string) (report.Format, error) {
	f, err := report.ParseFormat("json", false, format, report.PidFormat)
	if err == nil && f.Kind != "json" && f.Kind != "template" {
		err = fmt.Errorf("inspect prints JSON or a template, not %s", f.Kind)
	}
	if err != nil {
		return report.Format{}, usageError{err}
	}
	return f, nil
}

// writeDocs prints the documents as one JSON array, or through the
// template one after the other.
func writeDocs(s streams, f report.Format, docs []*report.Inspection) error {
	if f.Kind == "template" {
		return report.WriteRows(s.out, f, docs, func(d *report.Inspection) any { return d })
	}
	return report.WriteJSON(s.out, docs)
}
