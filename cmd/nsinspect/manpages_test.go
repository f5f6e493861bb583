package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const regenerateMan = "regenerate them with `go run ./scripts/genman docs/man` and commit docs/man"

// goTool is the go command, for the tests that build: the VM guests run
// the test binary without sources or toolchain.
func goTool(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join("..", "..", "go.mod")); err != nil {
		t.Skip("no module sources here: the test binary runs without them (scripts/vm guests)")
	}
	g, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the man page generator with")
	}
	return g
}

// docs/man holds exactly what the generator makes of the command tree
// now: a page per command, byte for byte.
func TestManPagesAreCurrent(t *testing.T) {
	g := goTool(t)
	dir := t.TempDir()
	cmd := exec.Command(g, "run", "../../scripts/genman", dir)
	// What would make the pages differ from the committed ones.
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); k != "SOURCE_DATE_EPOCH" && k != "HOST_PROC" && k != "HOST_SYS" {
			cmd.Env = append(cmd.Env, e)
		}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./scripts/genman: %v\n%s", err, out)
	}
	names := func(d string) []string {
		m, _ := filepath.Glob(filepath.Join(d, "*.1"))
		for i := range m {
			m[i] = filepath.Base(m[i])
		}
		return m
	}
	committed := filepath.Join("..", "..", "docs", "man")
	want, got := names(committed), names(dir)
	if len(got) == 0 {
		t.Fatal("the generator wrote no page")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("docs/man has pages %q, the command tree makes %q: %s", want, got, regenerateMan)
	}
	for _, n := range got {
		a, _ := os.ReadFile(filepath.Join(committed, n))
		b, _ := os.ReadFile(filepath.Join(dir, n))
		if !bytes.Equal(a, b) {
			t.Errorf("docs/man/%s is out of date (want what the tree makes, got what is committed: %s): %s", n, firstDiff(string(b), string(a)), regenerateMan)
		}
	}
}

// The generator's libraries are not linked into nsinspect: only a build
// with -tags genman has them.
func TestManGeneratorNotLinked(t *testing.T) {
	g := goTool(t)
	for _, tc := range []struct {
		tags string
		want bool
	}{{"", false}, {"genman", true}} {
		out, err := exec.Command(g, "list", "-tags", tc.tags, "-deps", ".").Output()
		if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		deps := strings.Fields(string(out))
		for _, pkg := range []string{"github.com/spf13/cobra/doc", "github.com/cpuguy83/go-md2man/v2/md2man"} {
			if slices.Contains(deps, pkg) != tc.want {
				t.Errorf("with tags %q, nsinspect depends on %s: %v, want %v", tc.tags, pkg, !tc.want, tc.want)
			}
		}
	}
}
