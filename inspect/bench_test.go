package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// BenchmarkDescribeLive times what ps reads of one container: its init's
// namespaces, cgroup limits and /proc/<pid>/cmdline (here this process's).
func BenchmarkDescribeLive(b *testing.B) {
	fsys := NewFS("", "")
	c := Container{Pid: os.Getpid(), Runtime: Runtime{Name: RuntimeNamespaces}}
	b.ReportAllocs()
	for b.Loop() {
		if f := fsys.Describe(c); len(f.Cmdline) == 0 {
			b.Fatal("no cmdline read")
		}
	}
}

// BenchmarkScanLive times one listing's reads of every process of this
// host (stat and cgroup of each).
func BenchmarkScanLive(b *testing.B) {
	fsys := NewFS("", "")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fsys.Scan(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNamePodmanContainers times naming 50 podman containers from the
// /run/.containerenv in each one's root, the file a container controls.
func BenchmarkNamePodmanContainers(b *testing.B) {
	root := b.TempDir()
	var procs []Proc
	for i := range 50 {
		pid := 1000 + i
		id := fmt.Sprintf("%064x", i+1)
		dir := filepath.Join(root, "proc", strconv.Itoa(pid), "root", "run")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		env := fmt.Sprintf("engine=\"podman-4.9.3\"\nname=\"web-%d\"\nid=%q\nimage=\"docker.io/library/nginx:latest\"\nrootless=0\n", i, id)
		if err := os.WriteFile(filepath.Join(dir, ".containerenv"), []byte(env), 0o644); err != nil {
			b.Fatal(err)
		}
		procs = append(procs, Proc{PID: pid, PPid: 1, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/machine.slice/libpod-" + id + ".scope"}}})
	}
	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "cg"))
	b.ReportAllocs()
	for b.Loop() {
		cs := fsys.Containers(procs, ListOptions{})
		if len(cs) != 50 || cs[0].Name != "web-0" {
			b.Fatalf("%d containers, first %q", len(cs), cs[0].Name)
		}
	}
}
