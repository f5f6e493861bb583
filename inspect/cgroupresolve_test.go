package inspect

import (
	"strings"
	"testing"
)

// resolve as the exporter sees it in its DaemonSet: its own cgroupfs
// (mounted by the runtime, root "/" in its cgroup namespace) and the
// host's bind-mounted at /host/sys/fs/cgroup, whose root the kernel
// shows relative to the namespace, "/../..".
func TestResolveAcrossCgroupNamespace(t *testing.T) {
	mem := map[string]bool{"memory": true}
	v1 := []cgroupMount{
		{root: "/", dir: "/sys/fs/cgroup/memory", options: mem},
		{root: "/../..", dir: "/host/sys/fs/cgroup/memory", options: mem},
	}
	v2 := []cgroupMount{
		{root: "/", dir: "/sys/fs/cgroup", v2: true},
		{root: "/../..", dir: "/host/sys/fs/cgroup", v2: true},
	}
	// Only part of the host's tree: "/.." is the namespace root's parent.
	partial := []cgroupMount{{root: "/..", dir: "/host/cg", v2: true}}
	// A mount of a cgroup that is no ancestor of the namespace's root.
	sideways := []cgroupMount{{root: "/../../kubepods", dir: "/host/kp", v2: true}}
	memLine := func(p string) CgroupLine { return CgroupLine{Hierarchy: 4, Controllers: []string{"memory"}, Path: p} }
	uni := func(p string) CgroupLine { return CgroupLine{Path: p} }
	tests := []struct {
		name             string
		mounts           []cgroupMount
		line             CgroupLine
		dir, shown, fail string
	}{
		{"own process, own mount", v1, memLine("/"), "/sys/fs/cgroup/memory", "/", ""},
		{"own child cgroup", v2, uni("/sub"), "/sys/fs/cgroup/sub", "/sub", ""},
		{"host process through the host's mount", v1, memLine("/../../docker/abc"), "/host/sys/fs/cgroup/memory/docker/abc", "/docker/abc", ""},
		{"host root cgroup", v2, uni("/../.."), "/host/sys/fs/cgroup", "/", ""},
		{"v2 kubepods", v2, uni("/../../kubepods.slice/pod.slice/cri-containerd-1.scope"), "/host/sys/fs/cgroup/kubepods.slice/pod.slice/cri-containerd-1.scope", "/kubepods.slice/pod.slice/cri-containerd-1.scope", ""},
		{"one level up", partial, uni("/../sibling"), "/host/cg/sibling", "/sibling", ""},
		// Two levels up is above the mount: not under it, and "/.." + "/../x"
		// must not be joined into a path that climbs out of /host/cg.
		{"above a partial mount", partial, uni("/../../x"), "", "/../../x", "outside the reader's cgroup namespace"},
		{"below a sideways mount", sideways, uni("/../../kubepods/pod1"), "/host/kp/pod1", "/../../kubepods/pod1", ""},
		{"outside, only the namespace's own mount", v2[:1], uni("/../../docker/abc"), "", "/../../docker/abc", "outside the reader's cgroup namespace"},
		{"wrong controller", v1, CgroupLine{Hierarchy: 3, Controllers: []string{"cpu"}, Path: "/"}, "", "/", "no mount of this hierarchy"},
		{"dot-dot in the middle", v2, uni("/../../a/../../../etc"), "", "/../../a/../../../etc", "outside the reader's cgroup namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _, shown, err := resolve(tt.mounts, tt.line)
			if tt.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fail) {
					t.Fatalf("resolve = %q, %v; want error %q", dir, err, tt.fail)
				}
			} else if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if dir != tt.dir || shown != tt.shown {
				t.Errorf("resolve = dir %q shown %q, want %q %q", dir, shown, tt.dir, tt.shown)
			}
		})
	}
}
