package inspect

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// resolve as the exporter sees it in its DaemonSet: its own cgroupfs
// (mounted by the runtime, root "/" in its cgroup namespace) and the
// host's bind-mounted at /host/sys/fs/cgroup, whose root the kernel
// shows relative to the namespace. The kernel writes another cgroup's
// path up to the closest ancestor it shares with the namespace's root and
// down from there (cgroup_path_ns), so a pod beside the exporter's shows
// fewer ".." than the mount's root.
func TestResolveAcrossCgroupNamespace(t *testing.T) {
	mem := map[string]bool{"memory": true}
	// The exporter in /nsinspect/e: the host's root is two levels up.
	v1 := []cgroupMount{
		{root: "/", dir: "/sys/fs/cgroup/memory", options: mem},
		{root: "/../..", dir: "/host/sys/fs/cgroup/memory", options: mem, hierarchyRoot: true, nsRoot: []string{"nsinspect", "e"}},
	}
	// The exporter in a besteffort pod, four levels down.
	exp := []string{"kubepods.slice", "kubepods-besteffort.slice", "kubepods-besteffort-podE.slice", "cri-containerd-E.scope"}
	v2 := []cgroupMount{
		{root: "/", dir: "/sys/fs/cgroup", v2: true},
		{root: "/../../../..", dir: "/host/sys/fs/cgroup", v2: true, hierarchyRoot: true, nsRoot: exp},
	}
	// The same, its namespace's root not found (no mount of its own).
	blind := []cgroupMount{{root: "/../../../..", dir: "/host/sys/fs/cgroup", v2: true, hierarchyRoot: true}}
	// Only part of the host's tree: "/.." is the namespace root's parent,
	// not the hierarchy's root.
	partial := []cgroupMount{{root: "/..", dir: "/host/cg", v2: true, nsRoot: []string{"e"}}}
	// A mount of a cgroup that is no ancestor of the namespace's root.
	sideways := []cgroupMount{{root: "/../../kubepods", dir: "/host/kp", v2: true}}
	memLine := func(p string) CgroupLine { return CgroupLine{Hierarchy: 4, Controllers: []string{"memory"}, Path: p} }
	uni := func(p string) CgroupLine { return CgroupLine{Path: p} }
	const outside = "outside the reader's cgroup namespace"
	tests := []struct {
		name             string
		mounts           []cgroupMount
		line             CgroupLine
		dir, shown, fail string
	}{
		{"own process, own mount", v1, memLine("/"), "/sys/fs/cgroup/memory", "/", ""},
		{"own child cgroup", v2, uni("/sub"), "/sys/fs/cgroup/sub", "/sub", ""},
		{"host process through the host's mount", v1, memLine("/../../docker/abc"), "/host/sys/fs/cgroup/memory/docker/abc", "/docker/abc", ""},
		{"a sibling container", v1, memLine("/../other"), "/host/sys/fs/cgroup/memory/nsinspect/other", "/nsinspect/other", ""},
		{"host root cgroup", v2, uni("/../../../.."), "/host/sys/fs/cgroup", "/", ""},
		{"the namespace's own root, from above", v2, uni("/../../../../kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podE.slice/cri-containerd-E.scope"),
			"/host/sys/fs/cgroup/" + strings.Join(exp, "/"), "/" + strings.Join(exp, "/"), ""},
		{"a pod of the same QoS class", v2, uni("/../../kubepods-besteffort-podY.slice/cri-containerd-Y.scope"),
			"/host/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podY.slice/cri-containerd-Y.scope",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podY.slice/cri-containerd-Y.scope", ""},
		{"a burstable pod", v2, uni("/../../../kubepods-burstable.slice/p.slice/c.scope"),
			"/host/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/p.slice/c.scope", "/kubepods.slice/kubepods-burstable.slice/p.slice/c.scope", ""},
		{"a sidecar in the same pod", v2, uni("/../cri-containerd-S.scope"),
			"/host/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podE.slice/cri-containerd-S.scope",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podE.slice/cri-containerd-S.scope", ""},
		{"a Docker container", v2, uni("/../../../../system.slice/docker-1.scope"), "/host/sys/fs/cgroup/system.slice/docker-1.scope", "/system.slice/docker-1.scope", ""},
		{"more .. than the namespace is deep", v2, uni("/../../../../../x"), "", "/../../../../../x", outside},
		// Without the namespace's root, only paths up to the mount's root
		// itself are found.
		{"blind: up to the mount's root", blind, uni("/../../../../system.slice/docker-1.scope"), "/host/sys/fs/cgroup/system.slice/docker-1.scope", "/system.slice/docker-1.scope", ""},
		{"blind: a pod beside", blind, uni("/../../kubepods-besteffort-podY.slice"), "", "/../../kubepods-besteffort-podY.slice", outside},
		// Below a mount that is not the hierarchy's root, the kernel's path
		// is kept: a path below it is not the host's.
		{"partial: a sibling", partial, uni("/../sibling"), "/host/cg/sibling", "/../sibling", ""},
		{"partial: above it", partial, uni("/../../x"), "", "/../../x", outside},
		{"below a sideways mount", sideways, uni("/../../kubepods/pod1"), "/host/kp/pod1", "/../../kubepods/pod1", ""},
		{"outside, only the namespace's own mount", v2[:1], uni("/../../docker/abc"), "", "/../../docker/abc", outside},
		{"wrong controller", v1, CgroupLine{Hierarchy: 3, Controllers: []string{"cpu"}, Path: "/"}, "", "/", "no mount of this hierarchy"},
		{"dot-dot in the middle", v2, uni("/../../a/../../../etc"), "", "/../../a/../../../etc", outside},
		{"just ..", v2, uni("/.."), "/host/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podE.slice",
			"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podE.slice", ""},
		{"empty path", v2, uni(""), "/sys/fs/cgroup", "", ""},
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

// findNSRoot finds the namespace's root below a mount above it by the
// inode of the reader's own mount; isHierarchyRoot tells a hierarchy's
// root by the files the kernel gives the root alone.
func TestFindNSRoot(t *testing.T) {
	host := t.TempDir()
	for _, d := range []string{"system.slice/docker-1.scope", "kubepods/burstable/podA/c1", "kubepods/besteffort/podE/cE", "kubepods/besteffort/podE/cS"} {
		if err := os.MkdirAll(filepath.Join(host, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(host, "kubepods", "cgroup.type"), nil, 0o644)
	own := filepath.Join(host, "kubepods/besteffort/podE/cE")
	above := cgroupMount{root: "/../../../..", dir: host, v2: true}
	tests := []struct {
		name   string
		mounts []cgroupMount
		above  cgroupMount
		want   []string
	}{
		{"found four levels down", []cgroupMount{{root: "/", dir: own, v2: true}, above}, above, []string{"kubepods", "besteffort", "podE", "cE"}},
		{"no mount of its own", []cgroupMount{above}, above, nil},
		{"depth that holds no such directory", []cgroupMount{{root: "/", dir: own, v2: true}, {root: "/..", dir: host, v2: true}}, cgroupMount{root: "/..", dir: host, v2: true}, nil},
		{"a v1 mount of other controllers", []cgroupMount{{root: "/", dir: own, options: map[string]bool{"cpu": true}}, {root: "/../../../..", dir: host, options: map[string]bool{"memory": true}}},
			cgroupMount{root: "/../../../..", dir: host, options: map[string]bool{"memory": true}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := findNSRoot(tt.mounts, tt.above); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("findNSRoot = %q, want %q", got, tt.want)
			}
		})
	}
	if !isHierarchyRoot(host, true) || isHierarchyRoot(filepath.Join(host, "kubepods"), true) {
		t.Errorf("v2: the root has no cgroup.type, a child has one")
	}
	os.WriteFile(filepath.Join(host, "cgroup.sane_behavior"), nil, 0o644)
	if !isHierarchyRoot(host, false) || isHierarchyRoot(filepath.Join(host, "kubepods"), false) {
		t.Errorf("v1: only the root has cgroup.sane_behavior")
	}
}

func TestDotDots(t *testing.T) {
	for root, want := range map[string]bool{"/": false, "": false, "/..": true, "/../..": true, "/../../": true, "/../x": false, "/x/..": false, "/docker": false} {
		if got := dotDots(root); got != want {
			t.Errorf("dotDots(%q) = %v, want %v", root, got, want)
		}
	}
}
