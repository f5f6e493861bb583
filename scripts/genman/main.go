// Command genman writes nsinspect's man pages, one per command, from its
// cobra command tree:
//
//	go run ./scripts/genman docs/man
//
// It builds and runs nsinspect with -tags genman (cmd/nsinspect/genman.go),
// so that cobra/doc and go-md2man stay out of the shipped binary.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/genman DIR")
		os.Exit(2)
	}
	// Absolute: the go command runs nsinspect in its own directory.
	dir, err := filepath.Abs(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "genman: "+err.Error())
		os.Exit(1)
	}
	cmd := exec.Command("go", "run", "-tags", "genman", "github.com/nsinspect/nsinspect/cmd/nsinspect", "__genman", dir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "genman: "+err.Error())
		os.Exit(1)
	}
}
