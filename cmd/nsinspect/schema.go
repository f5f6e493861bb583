package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/report/schema"
)

func newSchemaCmd(s streams) *cobra.Command {
	names := schema.Names()
	return &cobra.Command{
		Use:   "schema " + strings.Join(names, "|"),
		Short: "Print the JSON Schema of a command's JSON output",
		Long: `Print a JSON Schema (draft 2020-12) of what a command prints as JSON:
pid --json, inspect, ps --json, or one line of stats --json (NDJSON). It is
generated from the Go types the command encodes, so it matches this binary:
every member an object can have is listed (an unknown one fails
validation), the members always written are required, and null is allowed
where the Go value may be nil: unknown, or for a limit unlimited. The
fields' meanings are in docs/json.md.`,
		Example: `  nsinspect schema pid
  nsinspect schema pid > pid.schema.json
  nsinspect schema stats | jq '.required'`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := schema.For(args[0])
			if errors.Is(err, schema.ErrUnknown) {
				return usagef("%w", err)
			}
			if err != nil {
				return err
			}
			_, err = s.out.Write(b)
			return err
		},
	}
}
