package main

import (
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/report"
)

// outputFlags are the -o/--json/--format flags of every command that
// prints; report.ParseFormat gives them one meaning everywhere.
type outputFlags struct {
	output string
	json   bool
	format string
}

func (o *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "output form: table or json")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (same as -o json)")
	cmd.Flags().StringVar(&o.format, "format", "", report.FormatHelp)
}

// parse validates the flags against what the command prints, before
// anything is read: a bad one is a usage error.
func (o *outputFlags) parse(spec report.FormatSpec) (report.Format, error) {
	f, err := report.ParseFormat(o.output, o.json, o.format, spec)
	if err != nil {
		return report.Format{}, usageError{err}
	}
	return f, nil
}

// colorful reports whether w is a terminal and the user has not asked for
// plain output (https://no-color.org).
func colorful(w any) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
