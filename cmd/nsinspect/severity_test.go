package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// findingLine is a finding's first line in --explain: "[warn] id: summary".
var findingLine = regexp.MustCompile(`(?m)^\[(info|warn|critical)\] [a-z0-9-]+:`)

// TestExplainSeverity: --severity keeps exactly the findings of --explain at
// or above its level, in the same order, and says how many it left out.
func TestExplainSeverity(t *testing.T) {
	code, all, errOut := run(t, fixtureArgs("v1-docker", 4242, "--explain")...)
	if code != 0 {
		t.Fatalf("--explain: exit %d: %s", code, errOut)
	}
	lines := findingLine.FindAllString(all, -1)
	rank := map[string]int{"info": 0, "warn": 1, "critical": 2}
	seen := map[int]bool{}
	for _, l := range lines {
		seen[rank[l[1:strings.IndexByte(l, ']')]]] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		t.Fatalf("the fixture's findings should hold every severity, got %q", lines)
	}
	for _, level := range []string{"info", "warn", "critical"} {
		t.Run(level, func(t *testing.T) {
			code, out, errOut := run(t, fixtureArgs("v1-docker", 4242, "--explain", "--severity", level)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var want []string
			for _, l := range lines {
				if rank[l[1:strings.IndexByte(l, ']')]] >= rank[level] {
					want = append(want, l)
				}
			}
			if got := findingLine.FindAllString(out, -1); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings shown:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			left := len(lines) - len(want)
			note := "(" + strconv.Itoa(left) + " findings below " + level + " not shown)"
			if left == 1 {
				note = "(1 finding below " + level + " not shown)"
			}
			if has := strings.Contains(out, note); has != (left > 0) {
				t.Errorf("note %q shown: %v, want %v", note, has, left > 0)
			}
			// The table above is the same as without --severity.
			if i, j := strings.Index(out, "EXPLAINED"), strings.Index(all, "EXPLAINED"); i < 0 || out[:i] != all[:j] {
				t.Errorf("the table changed with --severity %s", level)
			}
		})
	}
}

func TestExplainSeverityErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--severity", "warn"}, "nsinspect: --severity filters the findings of --explain: add --explain\n"},
		{[]string{"--explain", "--severity", "high"}, "nsinspect: --severity: unknown severity \"high\": want info, warn or critical\n"},
		{[]string{"--explain", "--severity", ""}, "nsinspect: --severity: unknown severity \"\": want info, warn or critical\n"},
		{[]string{"--json", "--severity", "warn"}, "nsinspect: --severity filters the findings of --explain: add --explain\n"},
	} {
		code, out, errOut := run(t, fixtureArgs("v1-docker", 4242, tc.args...)...)
		if code != 2 || out != "" || errOut != tc.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}
