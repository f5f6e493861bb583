package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every MarshalJSON that report or inspect declares is described in
// marshalers, and every description belongs to a type that has one: a new
// MarshalJSON fails here before any output holds it.
func TestMarshalersDescribed(t *testing.T) {
	const module = "github.com/nsinspect/nsinspect"
	var declared []string
	for _, dir := range []string{"report", "inspect", "inspect/facts"} {
		files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range af.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv == nil || fd.Name.Name != "MarshalJSON" {
					continue
				}
				declared = append(declared, module+"/"+dir+"."+receiverName(fd.Recv.List[0].Type))
			}
		}
	}
	if len(declared) < 4 {
		t.Fatalf("found only %q: is the test reading the right directories?", declared)
	}
	for _, d := range declared {
		if _, ok := marshalers[d]; !ok {
			t.Errorf("%s has a MarshalJSON that marshalers.go does not describe: say what it writes", d)
		}
	}
	for name := range marshalers {
		if strings.HasPrefix(name, module+"/") && !slices.Contains(declared, name) {
			t.Errorf("marshalers.go describes %s, which has no MarshalJSON", name)
		}
	}
}

// receiverName is the type name of a method's receiver: T of t T, *T or T[K].
func receiverName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return receiverName(x.X)
	case *ast.IndexExpr:
		return receiverName(x.X)
	case *ast.IndexListExpr:
		return receiverName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

type custom struct{}

func (custom) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

type pointerCustom struct{}

func (*pointerCustom) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

// A type the reflector cannot describe from its fields is an error that
// names it, never a guess.
func TestUndescribableTypesFail(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value any
		want  string
	}{
		{"own MarshalJSON", struct{ C custom }{}, "schema.custom has its own MarshalJSON and no description of what it writes: add one to report/schema/marshalers.go"},
		{"pointer MarshalJSON", struct{ C *pointerCustom }{}, "schema.pointerCustom has its own MarshalJSON"},
		{"in a slice", []custom{}, "schema.custom has its own MarshalJSON"},
		{"interface", struct{ V any }{}, "V: interface {} is an interface"},
		{"func", struct{ F func() }{}, "encoding/json cannot write a func"},
		{"map key", map[[2]int]bool{}, "cannot write a map with [2]int keys"},
		{"nil", nil, "no value to describe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate("x", Output{Value: tc.value})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
