//go:build genman

package main

// The man page generator. This file is compiled only with -tags genman
// (go run ./scripts/genman docs/man builds nsinspect with it), so that
// cobra/doc and go-md2man, which only the generator needs, are not linked
// into the nsinspect binary. It sits in package main because the command
// tree it documents is built here, by newRootCmd; a main package cannot
// be imported by another.

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra/doc"
)

// manDate is the date every page carries, fixed so that the pages are
// reproducible byte for byte (the test that they are current regenerates
// them). SOURCE_DATE_EPOCH, the reproducible-builds convention, overrides
// it for a packager.
const manDate = "2026-12-01"

func init() {
	if len(os.Args) == 3 && os.Args[1] == "__genman" {
		if err := writeManPages(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "genman: "+err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// writeManPages replaces the nsinspect*.1 pages in dir with one page per
// command of the tree.
func writeManPages(dir string) error {
	date, err := time.Parse(time.DateOnly, manDate)
	if err != nil {
		return err
	}
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("invalid SOURCE_DATE_EPOCH %q: want seconds since 1970", v)
		}
		date = time.Unix(sec, 0).UTC()
	}
	// The defaults of --proc-root and --cgroup-root follow HOST_PROC and
	// HOST_SYS: the pages show those of a shell without them.
	os.Unsetenv("HOST_PROC")
	os.Unsetenv("HOST_SYS")
	root := newRootCmd(streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard})
	root.InitDefaultVersionFlag() // as Execute adds it
	root.DisableAutoGenTag = true // no "Auto generated" history with a date in it

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// A command that is gone must not leave its page behind.
	old, err := filepath.Glob(filepath.Join(dir, "nsinspect*.1"))
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return doc.GenManTree(root, &doc.GenManHeader{Date: &date, Source: "nsinspect", Manual: "nsinspect Manual"}, dir)
}
