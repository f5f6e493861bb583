package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// A number that is a live PID and also a container's name or id prefix
// is the PID, with a note on stderr of what else it names; a number that
// is no PID is the container.
func TestPidNumberThatIsAlsoAContainer(t *testing.T) {
	orig, cg := nodeRoots(t, "node-v2")
	// node-v2 with a process 6480 added (a copy of host process 1010):
	// 6480 is also the start of the id of the nsinspect container demo.
	proc := filepath.Join(t.TempDir(), "proc")
	if out, err := exec.Command("cp", "-a", orig, proc).CombinedOutput(); err != nil {
		t.Fatalf("copying the fixture: %v %s", err, out)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(proc, "1010"), filepath.Join(proc, "6480")).CombinedOutput(); err != nil {
		t.Fatalf("adding pid 6480: %v %s", err, out)
	}
	// ... and the container is named 1010, as ctr run IMAGE 1010 would.
	state := filepath.Join(proc, "1/root/run/nsinspect/6480f8c926fcb531b60c5faf0960430602519f1b80faddb065472a31f03a1854/state.json")
	b, err := os.ReadFile(state)
	if err != nil || !bytes.Contains(b, []byte(`"demo"`)) {
		t.Fatalf("reading the state of demo: %v", err)
	}
	if err := os.WriteFile(state, bytes.ReplaceAll(b, []byte(`"demo"`), []byte(`"1010"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	withPID := []string{"--proc-root", proc, "--cgroup-root", cg}
	without := []string{"--proc-root", orig, "--cgroup-root", cg}
	for _, tc := range []struct {
		name           string
		roots          []string
		ref            string
		stdout, stderr string
	}{
		{"pid and id prefix", withPID, "6480", "6480\n", "note: 6480 is also an id prefix of nsinspect container 1010 (6480f8c926fc); showing PID 6480\n"},
		{"pid and name", withPID, "1010", "1010\n", "note: 1010 is also the name of nsinspect container 1010 (6480f8c926fc); showing PID 1010\n"},
		{"id prefix only", without, "6480", "5410\n", ""},
		{"pid only", withPID, "2000", "2000\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append(slices.Clone(tc.roots), "pid", tc.ref, "--format", "{{.PID}}")...)
			if code != 0 || out != tc.stdout || errOut != tc.stderr {
				t.Errorf("pid %s: exit %d, stdout %q, stderr %q; want 0, %q, %q", tc.ref, code, out, errOut, tc.stdout, tc.stderr)
			}
		})
	}
}
