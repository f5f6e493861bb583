package inspect

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyFixture copies a fixture tree (symlinks kept) into a temporary
// directory the test may change.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	if out, err := exec.Command("cp", "-a", filepath.Join("..", "testdata", name)+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("copying fixture: %v: %s", err, out)
	}
	return dst
}

func TestInspectDetectsPIDReuseAndExit(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(statFile string) error
		wantErr error
		partial bool
	}{
		{"start time changed: pid reused", func(f string) error {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			fields := strings.Fields(string(b))
			fields[21] = "99999999" // field 22, starttime
			return os.WriteFile(f, []byte(strings.Join(fields, " ")+"\n"), 0o644)
		}, ErrPIDReused, false},
		{"stat gone: exited", os.Remove, ErrExited, true},
		{"unchanged", func(string) error { return nil }, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := copyFixture(t, "v2-host-nolimits")
			fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "sys", "fs", "cgroup"))
			beforeRecheck = func(pid int) {
				if err := tc.change(filepath.Join(root, "proc", "812", "stat")); err != nil {
					t.Fatal(err)
				}
			}
			defer func() { beforeRecheck = nil }()
			p, err := fsys.Inspect(812, Options{})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("Inspect error %v, want %v", err, tc.wantErr)
			}
			if (p != nil) != tc.partial {
				t.Fatalf("report returned: %v, want %v", p != nil, tc.partial)
			}
			if p != nil && (p.Info == nil || p.Info.Comm != "sshd" || p.Cgroup == nil) {
				t.Errorf("partial report lacks what was read: %+v", p.Info)
			}
		})
	}
}
