// Command genrules writes docs/rules.md from the audit catalogue
// (report/rules.go):
//
//	go run ./scripts/genrules docs/rules.md
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/nsinspect/nsinspect/report"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/genrules FILE")
		os.Exit(2)
	}
	var b bytes.Buffer
	if err := report.WriteRulesMarkdown(&b); err != nil {
		fmt.Fprintln(os.Stderr, "genrules: "+err.Error())
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genrules: "+err.Error())
		os.Exit(1)
	}
}
