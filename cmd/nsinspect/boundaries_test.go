package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPackageBoundaries keeps the one direction of data: inspect reads and
// never presents, report presents and never reads the system.
func TestPackageBoundaries(t *testing.T) {
	for _, tc := range []struct {
		dir       string
		forbidden []string
	}{
		{"inspect", []string{"github.com/spf13/cobra", "github.com/olekukonko/tablewriter", "github.com/nsinspect/nsinspect/report", "fmt.Print"}},
		{"report", []string{"golang.org/x/sys/unix", "os/exec", "syscall", "github.com/shirou/gopsutil", "github.com/moby/sys/mountinfo"}},
	} {
		files, err := filepath.Glob(filepath.Join("..", "..", tc.dir, "*.go"))
		if err == nil && len(files) == 0 && os.Getenv("NSINSPECT_TEST_BIN") != "" {
			t.Skip("no package sources here: the test binary runs without them (scripts/vm guests)")
		}
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", tc.dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range tc.forbidden {
					if strings.HasPrefix(path, bad) {
						t.Errorf("%s imports %s: package %s must not", f, path, tc.dir)
					}
				}
			}
		}
	}
}
