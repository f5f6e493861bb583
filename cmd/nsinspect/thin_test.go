package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cmd holds wiring only: every command's RunE is under 30 lines (the work
// is one library call in inspect, launch or report), and each command has
// a file of its own (newXCmd in x.go).
func TestCommandsAreWiring(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 && os.Getenv("NSINSPECT_TEST_BIN") != "" {
		t.Skip("no package sources here: the test binary runs without them (scripts/vm guests)")
	}
	fset := token.NewFileSet()
	commands := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		var ctors []string
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "new") && strings.HasSuffix(fd.Name.Name, "Cmd") {
				ctors = append(ctors, fd.Name.Name)
			}
		}
		if len(ctors) > 1 {
			t.Errorf("%s defines %d commands (%s): one file per command", f, len(ctors), strings.Join(ctors, ", "))
		}
		for _, c := range ctors {
			want := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(c, "new"), "Cmd")) + ".go"
			if want != f && !(c == "newPIDCmd" && f == "pid.go") {
				t.Errorf("%s is in %s, want %s", c, f, want)
			}
		}
		commands += len(ctors)
		ast.Inspect(af, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			id, ok := kv.Key.(*ast.Ident)
			fl, isFunc := kv.Value.(*ast.FuncLit)
			if !ok || !isFunc || (id.Name != "RunE" && id.Name != "Run") {
				return true
			}
			start, end := fset.Position(fl.Body.Lbrace), fset.Position(fl.Body.Rbrace)
			if lines := end.Line - start.Line - 1; lines >= 30 {
				t.Errorf("%s:%d: a %s of %d lines; commands are wiring (under 30): move the work into inspect, launch or report", f, start.Line, id.Name, lines)
			}
			return true
		})
	}
	if commands < 12 {
		t.Errorf("found %d command constructors, want every command (is the test reading the right directory?)", commands)
	}
}
