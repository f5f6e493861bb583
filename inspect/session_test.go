package inspect

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect/fixture"
)

// copyNode copies a whole-host fixture, /proc and cgroups, so that a test
// can change counters and make processes go.
func copyNode(t *testing.T, name string) (procRoot, cgroupRoot string) {
	t.Helper()
	dir := t.TempDir()
	procRoot, cgroupRoot = filepath.Join(dir, "proc"), filepath.Join(dir, "cgroup")
	fixture.CopyUnescaped(t, filepath.Join("..", "testdata", name, "proc"), procRoot)
	fixture.CopyUnescaped(t, filepath.Join("..", "testdata", name, "sys", "fs", "cgroup"), cgroupRoot)
	return procRoot, cgroupRoot
}

func readingOf(rs []StatsReading, name string) (StatsReading, bool) {
	i := slices.IndexFunc(rs, func(r StatsReading) bool { return r.Container.Name == name })
	if i < 0 {
		return StatsReading{}, false
	}
	return rs[i], true
}

// A session hands each container its reading before and now: none before
// at first sight, the last one after; a container that goes drops out,
// and one that comes back starts its rates afresh while its OOM kills
// still count from when the session first saw it.
func TestStatsSession(t *testing.T) {
	proc, cg := copyNode(t, "node-v2")
	fsys := NewFS(proc, cg)
	at := time.Unix(1795420800, 0).UTC()
	sess := fsys.NewStatsSession(StatsOptions{Extended: true, Now: func() time.Time { return at }})
	defer sess.Close()
	const web = "/system.slice/docker-f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3.scope"
	write := func(path, text string) {
		t.Helper()
		// in place: the session's counters are open and reread from 0
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	next := func() []StatsReading {
		t.Helper()
		rs, err := sess.Next()
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}

	first := next()
	if len(first) != 13 {
		t.Fatalf("%d readings at first, want node-v2's 13 containers", len(first))
	}
	for _, r := range first {
		if !r.Prev.Time.IsZero() || r.Prev.CPUNanos != nil || !r.PrevHost.Time.IsZero() {
			t.Errorf("%s: a reading before at first sight: %+v, host %+v", r.Container.Name, r.Prev, r.PrevHost)
		}
		if r.MemTotal != 17179869184 || !r.Cur.Time.Equal(at) || r.Host.OnlineCPUs != 4 {
			t.Errorf("%s: memTotal %d, time %v, host CPUs %d; want 17179869184, %v, 4", r.Container.Name, r.MemTotal, r.Cur.Time, r.Host.OnlineCPUs, at)
		}
	}
	w0, _ := readingOf(first, "web")
	if w0.FirstOOM == nil || *w0.FirstOOM != 0 || w0.Cur.MemUsage == nil || *w0.Cur.MemUsage != 262144000 {
		t.Fatalf("web at first: OOM %s, memory %s; want 0, 262144000", showU64(w0.FirstOOM), showU64(w0.Cur.MemUsage))
	}
	nginx, _ := readingOf(first, "default/web-5d8f7b9c4-abcde/nginx")
	if nginx.FirstOOM == nil || *nginx.FirstOOM != 1 {
		t.Errorf("nginx's first OOM count %s, want 1", showU64(nginx.FirstOOM))
	}

	at = at.Add(time.Second)
	write(filepath.Join(cg, web, "memory.current"), "300000000\n")
	write(filepath.Join(cg, web, "memory.events"), "low 0\nhigh 0\nmax 2\noom 3\noom_kill 3\noom_group_kill 0\n")
	second := next()
	w1, ok := readingOf(second, "web")
	if !ok || len(second) != 13 {
		t.Fatalf("second sample: %d readings, web in it %v", len(second), ok)
	}
	if !w1.Prev.Time.Equal(w0.Cur.Time) || *w1.Prev.MemUsage != 262144000 || *w1.Cur.MemUsage != 300000000 || !w1.PrevHost.Time.Equal(w0.Host.Time) {
		t.Errorf("web second: before %s at %v, now %s; want 262144000 at %v, now 300000000", showU64(w1.Prev.MemUsage), w1.Prev.Time, showU64(w1.Cur.MemUsage), w0.Cur.Time)
	}
	if *w1.FirstOOM != 0 || *w1.Cur.OOMKills != 3 {
		t.Errorf("web second: first OOM %s, now %s; want 0, 3", showU64(w1.FirstOOM), showU64(w1.Cur.OOMKills))
	}

	// web's three processes exit: it drops out
	gone := t.TempDir()
	for _, pid := range []string{"4010", "4011", "4015"} {
		if err := os.Rename(filepath.Join(proc, pid), filepath.Join(gone, pid)); err != nil {
			t.Fatal(err)
		}
	}
	at = at.Add(time.Second)
	if _, ok := readingOf(next(), "web"); ok {
		t.Error("web is still sampled after its processes are gone")
	}
	// and comes back: its rates start afresh, its OOM kills still rose
	for _, pid := range []string{"4010", "4011", "4015"} {
		if err := os.Rename(filepath.Join(gone, pid), filepath.Join(proc, pid)); err != nil {
			t.Fatal(err)
		}
	}
	at = at.Add(time.Second)
	back, ok := readingOf(next(), "web")
	if !ok {
		t.Fatal("web is not sampled again after its processes came back")
	}
	if !back.Prev.Time.IsZero() || back.Prev.MemUsage != nil {
		t.Errorf("web came back with a reading before: %+v", back.Prev)
	}
	if *back.FirstOOM != 0 || *back.Cur.OOMKills != 3 {
		t.Errorf("web came back: first OOM %s, now %s; want 0 (the session's first), 3", showU64(back.FirstOOM), showU64(back.Cur.OOMKills))
	}
}

// Select keeps what the session follows, told whether this is the first
// sample; its error ends Next.
func TestStatsSessionSelect(t *testing.T) {
	proc, cg := nodeRoots(t, "node-v2")
	fsys := NewFS(proc, cg)
	var firsts []bool
	sess := fsys.NewStatsSession(StatsOptions{Select: func(cs []Container, first bool) ([]Container, error) {
		firsts = append(firsts, first)
		return slices.DeleteFunc(slices.Clone(cs), func(c Container) bool { return c.Name != "db" && c.Name != "api" }), nil
	}})
	defer sess.Close()
	for range 2 {
		rs, err := sess.Next()
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rs {
			names = append(names, r.Container.Name)
		}
		if !slices.Equal(names, []string{"api", "db"}) {
			t.Errorf("readings of %q, want api and db", names)
		}
	}
	if !slices.Equal(firsts, []bool{true, false}) {
		t.Errorf("Select told first %v, want [true false]", firsts)
	}
	errNone := errors.New("no such container: nosuch")
	failing := fsys.NewStatsSession(StatsOptions{Select: func([]Container, bool) ([]Container, error) { return nil, errNone }})
	defer failing.Close()
	if rs, err := failing.Next(); !errors.Is(err, errNone) || rs != nil {
		t.Errorf("Next with a failing Select: %v, %v; want its error", rs, err)
	}
	// the extended counters are read only when asked for
	plain := fsys.NewStatsSession(StatsOptions{})
	defer plain.Close()
	rs, err := plain.Next()
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := readingOf(rs, "default/web-5d8f7b9c4-abcde/nginx"); r.Cur.OOMKills != nil || r.FirstOOM != nil || !strings.HasPrefix(r.Container.ID, "8527473bda7e") {
		t.Errorf("without Extended, nginx: OOM %s, first %s, id %s; want no OOM count", showU64(r.Cur.OOMKills), showU64(r.FirstOOM), r.Container.ID)
	}
}
