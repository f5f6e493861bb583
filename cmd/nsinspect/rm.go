package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/launch"
)

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
