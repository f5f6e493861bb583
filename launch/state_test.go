package launch

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/inspect/facts"
)

// state.json is one record: what the launcher saves, inspect reads back
// (ps --all, the names and seccomp profiles of running containers), the
// spec through facts.LaunchedSpec, whose keys must stay launch.Spec's.
func TestStateReadByInspect(t *testing.T) {
	old := StateRoot
	StateRoot = t.TempDir()
	t.Cleanup(func() { StateRoot = old })
	mem, code := int64(256<<20), 137
	st := &State{
		ID: "0123456789abcdef", Name: "web", Status: StatusExited, ExitCode: &code,
		Cgroups: Paths{Mode: "v1", V1: map[string]string{"memory": "/sys/fs/cgroup/memory/nsinspect/0123456789abcdef"}},
		Spec: Spec{
			Args: []string{"nginx", "-g", "daemon off;"}, Privileged: true,
			Seccomp:   Seccomp{Profile: "/etc/profile.json", JSON: json.RawMessage(`{"defaultAction":"SCMP_ACT_ERRNO"}`)},
			Resources: Resources{MemoryBytes: &mem, PidsLimit: new(int64)},
		},
	}
	if err := os.MkdirAll(st.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	got, err := inspect.LauncherStates[facts.LaunchedSpec](procfs, StateRoot)
	if err != nil || len(got) != 1 {
		t.Fatalf("inspect read %d states, %v; want 1", len(got), err)
	}
	r := got[0]
	if r.ID != st.ID || r.Name != "web" || r.Status != StatusExited || r.ExitCode == nil || *r.ExitCode != 137 || r.Cgroups.V1["memory"] != st.Cgroups.V1["memory"] {
		t.Errorf("record = %+v", r)
	}
	if s := r.Spec; !slices.Equal(s.Args, st.Spec.Args) || !s.Privileged || s.Seccomp.Profile != "/etc/profile.json" ||
		s.Resources.MemoryBytes == nil || *s.Resources.MemoryBytes != mem {
		t.Errorf("spec as inspect reads it = %+v, want that of %+v", s, st.Spec)
	}
	// The launcher reads its own record back whole (state.json indents
	// the profile it keeps).
	all, err := List()
	if err != nil || len(all) != 1 {
		t.Fatalf("List: %d states, %v; want 1", len(all), err)
	}
	if s := all[0].Spec; s.Resources.PidsLimit == nil || !strings.Contains(string(s.Seccomp.JSON), `"SCMP_ACT_ERRNO"`) {
		t.Errorf("List: spec %+v, want the whole one back", s)
	}
}
