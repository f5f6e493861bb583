package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/nsinspect/nsinspect"

// importGraph is what go list -deps says of the module's packages and of
// everything they link (tests left out: they are not in the binary):
// each package's direct imports, and whether it is the standard library's.
type importGraph struct {
	imports  map[string][]string
	standard map[string]bool
}

func loadImportGraph(t *testing.T) importGraph {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{"\t"}}{{.Standard}}{{"\t"}}{{join .Imports " "}}`, "./...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps ./...: %v\n%s", err, msg)
	}
	g := importGraph{imports: map[string][]string{}, standard: map[string]bool{}}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		path, rest, _ := strings.Cut(line, "\t")
		std, imports, _ := strings.Cut(rest, "\t")
		g.standard[path] = std == "true"
		g.imports[path] = strings.Fields(imports)
	}
	if len(g.imports[module+"/report"]) == 0 || len(g.imports[module+"/inspect"]) == 0 {
		t.Fatalf("go list -deps lists no imports of report or inspect:\n%s", out)
	}
	return g
}

// matches reports whether path is pattern, or lies under it for a pattern
// ending in "/...".
func matches(path, pattern string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	return path == pattern
}

func matchesAny(path string, patterns []string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matches(path, p) })
}

// reach returns the shortest import chain from one package to a package
// that matches target, or nil. The chain does not pass through the
// standard library (which reaches everything below it, syscall included)
// nor through a package that matches one of through: a library whose own
// dependencies are its business.
func (g importGraph) reach(from, target string, through []string) []string {
	parent := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p != from && matches(p, target) {
			var chain []string
			for ; p != ""; p = parent[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		if p != from && (g.standard[p] || matchesAny(p, through)) {
			continue
		}
		for _, next := range g.imports[p] {
			if _, seen := parent[next]; !seen {
				parent[next] = p
				queue = append(queue, next)
			}
		}
	}
	return nil
}

// TestPackageBoundaries keeps the one direction of data, over the whole
// import graph rather than each file's own imports: inspect reads and never
// presents, report judges and presents and never reads the system (nor
// links what does), launch never presents, and the fact types sit in a leaf
// package that both sides share (docs/architecture.md).
func TestPackageBoundaries(t *testing.T) {
	if files, _ := filepath.Glob(filepath.Join("..", "..", "report", "*.go")); len(files) == 0 && os.Getenv("NSINSPECT_TEST_BIN") != "" {
		t.Skip("no package sources here: the test binary runs without them (scripts/vm guests)")
	}
	g := loadImportGraph(t)
	var (
		report   = module + "/report"
		inspect  = module + "/inspect"
		facts    = module + "/inspect/facts"
		launch   = module + "/launch"
		cobra    = "github.com/spf13/cobra/..."
		table    = "github.com/olekukonko/tablewriter/..."
		unixPkg  = "golang.org/x/sys/unix"
		leaves   = []string{facts}
		renderer = []string{table} // report's table library reads the terminal through x/sys/unix itself
	)
	for _, r := range []struct {
		from, target string
		through      []string
	}{
		{report, launch + "/...", nil},
		{report, inspect, nil},
		{report, unixPkg, renderer},
		{report, "github.com/shirou/gopsutil/...", nil},
		{report, "github.com/moby/sys/mountinfo", nil},
		{report, "github.com/containerd/cgroups/...", nil},
		{inspect, report, nil},
		{inspect, launch + "/...", nil},
		{inspect, cobra, nil},
		{inspect, table, nil},
		{launch, report, nil},
		{launch, cobra, nil},
		{launch, table, nil},
		{facts, unixPkg, nil},
		// The test helpers that lay out testdata/ are not shipped.
		{module + "/cmd/nsinspect", module + "/inspect/fixture", nil},
		// client_golang's package init costs every command's start-up
		// (about 2 ms measured): only nsinspect-exporter links it.
		{module + "/cmd/nsinspect", "github.com/prometheus/...", nil},
		{report, module + "/report/metrics", nil},
		{module + "/report/metrics", inspect, nil},
		// client_golang reads its own process through procfs and x/sys/unix
		{module + "/report/metrics", unixPkg, append(slices.Clone(renderer), "github.com/prometheus/client_golang/...")},
		{module + "/cmd/nsinspect-exporter", module + "/inspect/fixture", nil},
	} {
		if _, ok := g.imports[r.from]; !ok {
			t.Errorf("go list -deps does not list %s", r.from)
			continue
		}
		if chain := g.reach(r.from, r.target, r.through); chain != nil {
			t.Errorf("%s reaches %s: %s", r.from, r.target, strings.Join(chain, " -> "))
		}
	}
	// A leaf imports nothing of the module but other leaves.
	for _, leaf := range leaves {
		for _, imp := range g.imports[leaf] {
			if matches(imp, module+"/...") && !slices.Contains(leaves, imp) {
				t.Errorf("leaf package %s imports %s", leaf, imp)
			}
		}
	}
	// What the graph cannot tell, since every package reaches the
	// standard library's syscall through os: the packages' own imports.
	for _, r := range []struct {
		pkg       string
		forbidden []string
	}{
		{report, []string{"os/exec", "syscall"}},
		{facts, []string{"os", "os/exec", "io/fs", "net", "path/filepath"}}, // it reads nothing
	} {
		for _, imp := range g.imports[r.pkg] {
			if slices.Contains(r.forbidden, imp) {
				t.Errorf("%s imports %s", r.pkg, imp)
			}
		}
	}
	// inspect and its facts never print.
	for _, dir := range []string{"inspect", filepath.Join("inspect", "facts")} {
		for _, call := range printCalls(t, filepath.Join("..", "..", dir)) {
			t.Errorf("%s prints: %s", dir, call)
		}
	}
}

// printCalls lists the calls of fmt.Print*, print and println in the
// non-test files of dir.
func printCalls(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fmt" && strings.HasPrefix(fn.Sel.Name, "Print") {
					out = append(out, fset.Position(call.Pos()).String()+": fmt."+fn.Sel.Name)
				}
			case *ast.Ident:
				if fn.Name == "print" || fn.Name == "println" {
					out = append(out, fset.Position(call.Pos()).String()+": "+fn.Name)
				}
			}
			return true
		})
	}
	return out
}
