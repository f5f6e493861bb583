package main

import (
	"path/filepath"
	"testing"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/inspect/fixture"
	"github.com/nsinspect/nsinspect/report/metrics"
)

// A kill counts under the identity of the container whose cgroup holds
// the killed task — a Kubernetes container by namespace, pod and
// container, so that its replacement counts on — and under the cgroup's
// path when no container seen has it.
func TestAttributeOOMKill(t *testing.T) {
	s := &source{known: map[string]known{
		"a": {container: facts.Container{Name: "prod/payments-1/payments", Runtime: facts.Runtime{Name: facts.RuntimeKubernetes}, Cgroup: "/kubepods.slice/kubepods-pod1.slice/cri-containerd-a.scope"}},
		"p": {container: facts.Container{Name: "prod/payments-1", Runtime: facts.Runtime{Name: facts.RuntimeKubernetes}, Cgroup: "/kubepods.slice/kubepods-pod1.slice"}},
		"w": {container: facts.Container{Name: "web", Runtime: facts.Runtime{Name: facts.RuntimeDocker}, Cgroup: "/docker/w"}},
	}}
	for _, tc := range []struct {
		kill inspect.OOMKill
		want metrics.OOMCount
	}{
		// the pod's limit was hit, the container's task was killed
		{inspect.OOMKill{Memcg: "/kubepods.slice/kubepods-pod1.slice", TaskMemcg: "/kubepods.slice/kubepods-pod1.slice/cri-containerd-a.scope"},
			metrics.OOMCount{Namespace: "prod", Pod: "payments-1", Container: "payments", Name: "prod/payments-1/payments"}},
		{inspect.OOMKill{Memcg: "/docker/w", TaskMemcg: "/docker/w/sub"}, metrics.OOMCount{Name: "web"}},
		{inspect.OOMKill{Memcg: "/docker/gone", TaskMemcg: "/docker/gone"}, metrics.OOMCount{Name: "/docker/gone"}},
		{inspect.OOMKill{Memcg: "/docker/wx"}, metrics.OOMCount{Name: "/docker/wx"}}, // not under /docker/w
	} {
		if got := s.attribute(tc.kill); got != tc.want {
			t.Errorf("%+v: %+v, want %+v", tc.kill, got, tc.want)
		}
	}
}

// The counter keeps at most its bound of identities, dropping the one
// counted least recently.
func TestOOMCountsBound(t *testing.T) {
	o := newOOMCounts(2)
	a, b, c := metrics.OOMCount{Name: "a"}, metrics.OOMCount{Name: "b"}, metrics.OOMCount{Name: "c"}
	o.add(a)
	o.add(b)
	o.add(a) // a is now the most recent
	o.add(c) // b goes
	got := o.list()
	if len(got) != 2 || got[0].Name != "a" || got[0].Count != 2 || got[1].Name != "c" || got[1].Count != 1 {
		t.Errorf("counts %+v, want a=2 and c=1", got)
	}
}

// A kernel log that cannot be opened (a pod that is not privileged has no
// /dev/kmsg) is one error, at the first scrape, not one at every scrape.
func TestOOMWatchUnavailableCountedOnce(t *testing.T) {
	proc, cg := fixture.Node(t, filepath.Join("..", "..", "testdata", "node-v2"))
	src := newSource(inspect.NewFS(proc, cg), nil, t.TempDir())
	defer src.close()
	if src.oomErr == nil {
		t.Fatal("a directory without kmsg opened as the kernel log")
	}
	for i, want := range []int{1, 0, 0} {
		if got := src.read().Errors["oom-watch"]; got != want {
			t.Errorf("scrape %d: oom-watch errors %d, want %d", i+1, got, want)
		}
	}
}
