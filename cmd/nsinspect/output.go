package main

import (
	"os"
	"text/template"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/report"
)

// outputFlags are the -o/--json/--format flags shared by commands that
// print a document, with docker's meaning of --format: "table", "json" or a
// Go template.
type outputFlags struct {
	output string
	json   bool
	format string
}

func (o *outputFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "output form: table or json")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (same as -o json)")
	cmd.Flags().StringVar(&o.format, "format", "", "'table', 'json' or a Go template, e.g. '{{.Cgroup.Memory.LimitBytes}}'")
}

// resolve validates the flags and returns the form ("table", "json" or
// "template") and the parsed template, before anything is read.
func (o *outputFlags) resolve() (string, *template.Template, error) { return o.resolveWith(false) }

// resolveWith also accepts -o wide when the command has a wide table.
func (o *outputFlags) resolveWith(wideOK bool) (string, *template.Template, error) {
	form := o.output
	if o.json {
		form = "json"
	}
	switch o.format {
	case "":
	case "table", "json":
		form = o.format
	default:
		t, err := report.ParseTemplate(o.format)
		if err != nil {
			return "", nil, usageError{err}
		}
		return "template", t, nil
	}
	if form == "wide" && wideOK {
		return form, nil, nil
	}
	if form != "table" && form != "json" {
		if wideOK {
			return "", nil, usagef("unknown output %q: want table, wide or json", form)
		}
		return "", nil, usagef("unknown output %q: want table or json", form)
	}
	return form, nil, nil
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
