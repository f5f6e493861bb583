package inspect

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkInspectLive times a full inspection of this process on the live
// /proc; BenchmarkInspectFixture the same on the v1 docker fixture tree.
// scripts/bench/pid.sh times the whole command against lsns.
func BenchmarkInspectLive(b *testing.B) {
	fsys := NewFS("", "")
	pid := os.Getpid()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fsys.Inspect(pid, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInspectFixture(b *testing.B) {
	root := filepath.Join("..", "testdata", "v1-docker")
	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "sys", "fs", "cgroup"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fsys.Inspect(4242, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHostReferenceBrief(b *testing.B) {
	fsys := NewFS("", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fsys.HostReference(true); err != nil {
			b.Fatal(err)
		}
	}
}
