package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report"
)

func newInspectCmd(s streams, g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "inspect NAME|ID|PID...",
		Short: "Print pid's JSON document of each container or process, as one JSON array",
		Long: `Print, as docker inspect does, one JSON array with a document per argument:
the document nsinspect pid --json prints for that container (its init) or
process, in the order given. An argument that names nothing is reported on
stderr, the others are still printed, and the exit status is 1.

The documents are nsinspect's (docs/json.md), not Docker's: Docker's field
paths such as {{.State.Pid}} or .[0].HostConfig.Memory do not exist here;
the same facts are .[0].pid and .[0].cgroup.memory.limitBytes. For a Go
template over one document, use nsinspect pid --format.`,
		Example: `  nsinspect inspect web
  nsinspect inspect web db 1234
  nsinspect inspect web | jq '.[0].cgroup.memory.limitBytes'
  nsinspect inspect $(nsinspect ps -q) | jq -r '.[] | "\(.pid) \(.runtime.name)"'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			if err := report.WriteJSON(s.out, docs); err != nil {
				return err
			}
			if failed {
				return exitError{code: exitRuntime}
			}
			return nil
		},
	}
}
