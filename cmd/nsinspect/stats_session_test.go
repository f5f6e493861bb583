package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/inspect/fixture"
	"github.com/nsinspect/nsinspect/report"
)

// The session stats runs gives the rows nodeStats computes by hand from
// two samplers: a copy of node-v2 sampled once, then rewritten in place to
// node-v2-t1 (the session keeps its counter files open) and sampled again.
func TestStatsSessionGivesNodeStatsRows(t *testing.T) {
	dir := t.TempDir()
	proc, cg := filepath.Join(dir, "proc"), filepath.Join(dir, "cgroup")
	fixture.CopyUnescaped(t, filepath.Join("..", "..", "testdata", "node-v2", "proc"), proc)
	fixture.CopyUnescaped(t, filepath.Join("..", "..", "testdata", "node-v2", "sys", "fs", "cgroup"), cg)
	fsys := inspect.NewFS(proc, cg)
	now := statsT0
	sess := fsys.NewStatsSession(inspect.StatsOptions{Extended: true, Host: fsys.HostNamespaces(), Now: func() time.Time { return now }})
	defer sess.Close()
	if _, err := sess.Next(); err != nil {
		t.Fatal(err)
	}
	// Every counter of t1 over its t0 copy, written in place.
	t1 := filepath.Join("..", "..", "testdata", "node-v2-t1")
	for from, to := range map[string]string{filepath.Join(t1, "proc"): proc, filepath.Join(t1, "sys", "fs", "cgroup"): cg} {
		err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, _ := filepath.Rel(from, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(to, strings.ReplaceAll(rel, "%5C", `\`)), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	now = statsT1
	readings, err := sess.Next()
	if err != nil {
		t.Fatal(err)
	}
	want := nodeStats(t)
	if len(readings) != len(want) {
		t.Fatalf("%d readings, want %d rows", len(readings), len(want))
	}
	for i, r := range readings {
		got, _ := json.Marshal(report.Stats(report.StatsInput(r)))
		w, _ := json.Marshal(want[i])
		if string(got) != string(w) {
			t.Errorf("row %d (%s):\n got %s\nwant %s", i, r.Container.Name, got, w)
		}
	}
}
