package inspect

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// The launcher's state directory as nsinspect ps --all reads it: the
// containers in the order they were created, a running one whose init and
// launcher are gone marked dead, and what is no container's state skipped.
func TestLauncherStates(t *testing.T) {
	fsys := NewFS("", "")
	self, err := fsys.Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	state := func(dir, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, dir), 0o700); err != nil {
			t.Fatal(err)
		}
		if body != "" {
			if err := os.WriteFile(filepath.Join(root, dir, "state.json"), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	ticks := func(v uint64) string { return strconv.FormatUint(v, 10) }
	pid := strconv.Itoa(os.Getpid())
	state("c3", `{"id":"c3","name":"alive","status":"running","created":"2026-01-03T00:00:00Z","pid":`+pid+`,"startTicks":`+ticks(self.StartTicks)+`,"spec":{"args":["sleep","9"],"seccomp":{"profile":"default"}}}`)
	state("c1", `{"id":"c1","name":"gone","status":"running","created":"2026-01-01T00:00:00Z","pid":`+pid+`,"startTicks":`+ticks(self.StartTicks+1)+`,"supervisor":`+pid+`,"supervisorStartTicks":1,"spec":{"args":["sh"]}}`)
	state("c2", `{"id":"c2","name":"done","status":"exited","created":"2026-01-02T00:00:00Z","exitCode":3,"spec":{"args":["false"],"privileged":true,"resources":{"memoryBytes":536870912}}}`)
	state("supervised", `{"id":"supervised","name":"starting","status":"running","created":"2026-01-04T00:00:00Z","supervisor":`+pid+`,"supervisorStartTicks":`+ticks(self.StartTicks)+`}`)
	state("half-made", "")
	state("other", `{"id":"not-other","status":"exited"}`)
	state("garbled", `{"id":`)
	if err := os.WriteFile(filepath.Join(root, ".lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}

	got, err := LauncherStates[facts.LaunchedSpec](fsys, root)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, st := range got {
		rows = append(rows, st.ID+" "+st.Name+" "+st.Status)
	}
	if want := []string{"c1 gone dead", "c2 done exited", "c3 alive running", "supervised starting running"}; !slices.Equal(rows, want) {
		t.Fatalf("LauncherStates = %q, want %q", rows, want)
	}
	c2 := got[1]
	if c2.ExitCode == nil || *c2.ExitCode != 3 || !c2.Spec.Privileged || c2.Spec.Resources.MemoryBytes == nil || *c2.Spec.Resources.MemoryBytes != 512<<20 || !slices.Equal(c2.Spec.Args, []string{"false"}) {
		t.Errorf("c2 = %+v", c2)
	}
	if p := got[2].Spec.Seccomp.Profile; p != "default" {
		t.Errorf("c3 seccomp profile %q, want default", p)
	}

	if none, err := LauncherStates[facts.LaunchedSpec](fsys, filepath.Join(root, "absent")); none != nil || err != nil {
		t.Errorf("no state root: %v, %v; want none and no error", none, err)
	}
}
