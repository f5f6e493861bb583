package main

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// --version says what the go command embedded: the module version, else
// the VCS revision (-dirty when modified) and its time, else (devel).
func TestBuildVersion(t *testing.T) {
	rev := "dadbcde5294db3a6321643b4f11e2565f4e987f4"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: "2026-12-02T01:59:00Z"}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name     string
		version  string
		settings []debug.BuildSetting
		want     string
	}{
		{"go install @tag", "v1.2.3", nil, "v1.2.3"},
		{"go build in a checkout (Go 1.24+)", "v0.0.0-20261202015900-dadbcde5294d+dirty", vcs("true"), "v0.0.0-20261202015900-dadbcde5294d+dirty"},
		{"devel with vcs", "(devel)", vcs("false"), "dadbcde5294d (2026-12-02T01:59:00Z)"},
		{"devel with vcs, modified", "(devel)", vcs("true"), "dadbcde5294d-dirty (2026-12-02T01:59:00Z)"},
		{"no vcs (-buildvcs=false)", "(devel)", nil, "(devel)"},
		{"empty version", "", nil, "(devel)"},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/nsinspect/nsinspect", Version: tc.version}, Settings: tc.settings}
		if got := buildVersion(bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The built binary prints what its build info holds, as go version -m
// reads it.
func TestVersionOfBuiltBinary(t *testing.T) {
	bin := buildBinary(t)
	if os.Getenv("NSINSPECT_TEST_BIN") != "" {
		t.Skip("NSINSPECT_TEST_BIN: the binary was built elsewhere")
	}
	m, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	// go version -m indents each line of what BuildInfo.String writes.
	body := strings.ReplaceAll(strings.SplitN(string(m), "\n", 2)[1], "\n\t", "\n")
	bi, err := debug.ParseBuildInfo(strings.TrimPrefix(body, "\t"))
	if err != nil {
		t.Fatalf("parsing go version -m: %v\n%s", err, m)
	}
	if bi.Main.Path != "github.com/nsinspect/nsinspect" || bi.Path != "github.com/nsinspect/nsinspect/cmd/nsinspect" {
		t.Fatalf("go version -m read as main module %q, path %q", bi.Main.Path, bi.Path)
	}
	code, out, errOut := runGuarded(t, bin, "--version")
	if want := "nsinspect " + buildVersion(bi) + "\n"; code != 0 || out != want {
		t.Errorf("--version: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
	}
}
