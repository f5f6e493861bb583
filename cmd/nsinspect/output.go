package main

import (
	"os"
	"strconv"

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
	return os.Getenv("NO_COLOR") == "" && terminal(w) != nil
}

// terminal is w when it is a terminal, else nil.
func terminal(w any) *os.File {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err != nil {
		return nil
	}
	return f
}

// terminalSize is the size of the terminal w is, for the tables to fit it:
// the kernel's (TIOCGWINSZ), else the COLUMNS and LINES variables (a
// serial console reports 0 by 0), else 0 for what is not known. Output
// that is not a terminal is 0 by 0 whatever the variables say: piped
// output keeps its full, stable form.
func terminalSize(w any) (cols, lines int) {
	f := terminal(w)
	if f == nil {
		return 0, 0
	}
	if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
		cols, lines = int(ws.Col), int(ws.Row)
	}
	env := func(name string) int {
		n, err := strconv.Atoi(os.Getenv(name))
		if err != nil || n < 0 {
			return 0
		}
		return n
	}
	if cols == 0 {
		cols = env("COLUMNS")
	}
	if lines == 0 {
		lines = env("LINES")
	}
	return cols, lines
}

// tableWidth is the width a table printed to w fits (terminalSize).
func tableWidth(w any) int {
	cols, _ := terminalSize(w)
	return cols
}
