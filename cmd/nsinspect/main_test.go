package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestMain lets the test binary double as a helper process: a live test
// re-executes it with NSINSPECT_TEST_HELPER set to become a container-like
// process with known properties (see helper_test.go).
func TestMain(m *testing.M) {
	if h := os.Getenv("NSINSPECT_TEST_HELPER"); h != "" {
		runHelper(h)
		return
	}
	os.Exit(m.Run())
}

// run executes nsinspect in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadPIDExitsWithUsageCode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pid", "abc"}, "no such container: abc"},
		{[]string{"pid", "a b"}, `invalid pid "a b"`},
		{[]string{"pid", "-5"}, `invalid pid "-5"`},
		{[]string{"pid", "0"}, `invalid pid "0"`},
		{[]string{"pid", "99999999"}, "pid 99999999: no such process"},
		{[]string{"pid"}, "accepts 1 arg(s), received 0"},
		{[]string{"pid", "1", "2"}, "accepts 1 arg(s), received 2"},
		{[]string{"pid", "self", "-o", "yaml"}, `unknown output "yaml"`},
		{[]string{"pid", "self", "--format", "{{.Nope"}, "bad --format template"},
		{[]string{"pid", "self", "--vs", "abc"}, "--vs: no such container: abc"},
		{[]string{"pid", "self", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"nosuchcommand"}, `unknown command "nosuchcommand"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q, want one line containing %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr has a stack trace: %q", errOut)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "nsinspect ") {
		t.Fatalf("--version: code %d, out %q", code, out)
	}
}
