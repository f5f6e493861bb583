package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

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
