package inspect

import (
	"bytes"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMatchCgroupPath(t *testing.T) {
	const (
		id    = docker64
		id2   = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
		uid   = "0f5a6e3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
		uidSD = "0f5a6e3c_1b2d_4e5f_8a9b_0c1d2e3f4a5b" // the systemd driver's form
	)
	tests := []struct {
		name string
		path string
		want Runtime
	}{
		// Docker
		{"docker cgroupfs", "/docker/" + id,
			Runtime{Name: RuntimeDocker, ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"docker systemd", "/system.slice/docker-" + id + ".scope",
			Runtime{Name: RuntimeDocker, ContainerID: id, CgroupDriver: "systemd"}},
		{"rootless docker", "/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" + id + ".scope",
			Runtime{Name: RuntimeDocker, ContainerID: id, CgroupDriver: "systemd", Rootless: true}},
		{"docker in docker: the inner container", "/docker/" + id + "/docker/" + id2,
			Runtime{Name: RuntimeDocker, ContainerID: id2, CgroupDriver: "cgroupfs"}},

		// Kubernetes, systemd driver
		{"kubernetes burstable containerd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidSD + ".slice/cri-containerd-" + id + ".scope",
			Runtime{Name: RuntimeKubernetes, QoSClass: "Burstable", PodUID: uid, Engine: "containerd", ContainerID: id, CgroupDriver: "systemd"}},
		{"kubernetes besteffort cri-o", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidSD + ".slice/crio-" + id + ".scope",
			Runtime{Name: RuntimeKubernetes, QoSClass: "BestEffort", PodUID: uid, Engine: "cri-o", ContainerID: id, CgroupDriver: "systemd"}},
		{"kubernetes guaranteed cri-o", "/kubepods.slice/kubepods-pod" + uidSD + ".slice/crio-" + id + ".scope",
			Runtime{Name: RuntimeKubernetes, QoSClass: "Guaranteed", PodUID: uid, Engine: "cri-o", ContainerID: id, CgroupDriver: "systemd"}},
		{"kubernetes burstable cri-dockerd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidSD + ".slice/docker-" + id + ".scope",
			Runtime{Name: RuntimeKubernetes, QoSClass: "Burstable", PodUID: uid, Engine: "docker", ContainerID: id, CgroupDriver: "systemd"}},

		// Kubernetes, cgroupfs driver
		{"kubernetes cgroupfs burstable", "/kubepods/burstable/pod" + uid + "/" + id,
			Runtime{Name: RuntimeKubernetes, QoSClass: "Burstable", PodUID: uid, ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"kubernetes cgroupfs besteffort", "/kubepods/besteffort/pod" + uid + "/" + id,
			Runtime{Name: RuntimeKubernetes, QoSClass: "BestEffort", PodUID: uid, ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"kubernetes cgroupfs guaranteed", "/kubepods/pod" + uid + "/" + id,
			Runtime{Name: RuntimeKubernetes, QoSClass: "Guaranteed", PodUID: uid, ContainerID: id, CgroupDriver: "cgroupfs"}},

		// containerd
		{"containerd default namespace", "/default/" + id,
			Runtime{Name: RuntimeContainerd, Namespace: "default", ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"containerd k8s.io namespace", "/k8s.io/" + id,
			Runtime{Name: RuntimeContainerd, Namespace: "k8s.io", ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"containerd cri outside kubepods", "/system.slice/cri-containerd-" + id + ".scope",
			Runtime{Name: RuntimeContainerd, Engine: "cri", ContainerID: id, CgroupDriver: "systemd"}},

		// runc or crun by hand, cgroupfs default; systemd inside
		{"oci runtime default cgroup", "/" + id,
			Runtime{Name: RuntimeOCI, ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"oci runtime, systemd inside", "/" + id + "/init.scope",
			Runtime{Name: RuntimeOCI, ContainerID: id, CgroupDriver: "cgroupfs"}},
		{"oci runtime next to a v2 service", "/system.slice/" + id,
			Runtime{Name: RuntimeOCI, ContainerID: id, CgroupDriver: "cgroupfs"}},

		// CRI-O
		{"cri-o scope", "/system.slice/crio-" + id + ".scope",
			Runtime{Name: RuntimeCRIO, ContainerID: id}},
		{"cri-o conmon in the pod slice", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidSD + ".slice/crio-conmon-" + id + ".scope",
			Runtime{Name: RuntimeCRIO, ContainerID: id, Role: "monitor"}},
		{"cri-o conmon in system.slice", "/system.slice/crio-conmon-" + id + ".scope",
			Runtime{Name: RuntimeCRIO, ContainerID: id, Role: "monitor"}},

		// Podman
		{"podman rootful", "/machine.slice/libpod-" + id + ".scope",
			Runtime{Name: RuntimePodman, ContainerID: id}},
		{"podman with crun on v2: the container sub-cgroup", "/machine.slice/libpod-" + id + ".scope/container",
			Runtime{Name: RuntimePodman, ContainerID: id}},
		{"podman conmon", "/machine.slice/libpod-conmon-" + id + ".scope",
			Runtime{Name: RuntimePodman, ContainerID: id, Role: "monitor"}},
		{"podman cgroupfs", "/libpod_parent/libpod-" + id,
			Runtime{Name: RuntimePodman, ContainerID: id}},
		{"podman cgroupfs payload", "/libpod_parent/libpod-payload-" + id,
			Runtime{Name: RuntimePodman, ContainerID: id}},
		{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id + ".scope",
			Runtime{Name: RuntimePodman, ContainerID: id, Rootless: true}},
		{"podman rootless conmon", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" + id + ".scope",
			Runtime{Name: RuntimePodman, ContainerID: id, Role: "monitor", Rootless: true}},

		// LXC
		{"lxc payload", "/lxc.payload.web",
			Runtime{Name: RuntimeLXC, ContainerName: "web"}},
		{"lxc payload, systemd inside", "/lxc.payload.web/system.slice/ssh.service",
			Runtime{Name: RuntimeLXC, ContainerName: "web"}},
		{"lxc monitor", "/lxc.monitor.web",
			Runtime{Name: RuntimeLXC, ContainerName: "web", Role: "monitor"}},
		{"lxc legacy", "/lxc/web",
			Runtime{Name: RuntimeLXC, ContainerName: "web"}},
		{"lxc legacy, systemd inside", "/lxc/web/init.scope",
			Runtime{Name: RuntimeLXC, ContainerName: "web"}},

		// systemd-nspawn and machined
		{"machined scope, escaped name", `/machine.slice/machine-qemu\x2d1\x2dvm.scope`,
			Runtime{Name: RuntimeNspawn, ContainerName: "qemu-1-vm", CgroupDriver: "systemd"}},
		{"nspawn service", "/machine.slice/systemd-nspawn@debian.service",
			Runtime{Name: RuntimeNspawn, ContainerName: "debian", CgroupDriver: "systemd"}},
		{"nspawn payload", `/machine.slice/systemd-nspawn@my\x2dbox.service/payload/system.slice/cron.service`,
			Runtime{Name: RuntimeNspawn, ContainerName: "my-box", CgroupDriver: "systemd"}},
		{"machined name ending in a short escape", `/machine.slice/machine-a\x2.scope`,
			Runtime{Name: RuntimeNspawn, ContainerName: `a\x2`, CgroupDriver: "systemd"}},

		// nsinspect itself
		{"nsinspect", "/nsinspect/" + id,
			Runtime{Name: RuntimeNsinspect, ContainerID: id}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MatchCgroupPath(tt.path)
			if !ok {
				t.Fatalf("MatchCgroupPath(%q) did not match", tt.path)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MatchCgroupPath(%q) =\n%+v\nwant\n%+v", tt.path, got, tt.want)
			}
		})
	}
}

func TestMatchCgroupPathNoContainer(t *testing.T) {
	for _, p := range []string{
		"",
		"/",
		"/init.scope",
		"/user.slice/user-1000.slice/session-3.scope",
		"/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service",
		"/system.slice/ssh.service",
		"/system.slice/docker.service",
		"/system.slice/containerd.service",
		"/system.slice/crio.service",
		"/kubepods.slice",
		"/kubepods.slice/kubepods-burstable.slice",
		"/kubepods/burstable",
		"/docker/" + docker64[:63],                    // too short for an id
		"/" + docker64[:63],                           // too short for an id
		"/docker/" + strings.ToUpper(docker64),        // ids are lower case
		"/system.slice/docker-" + docker64 + ".mount", // not a scope
		"/process_api/86d6b20695ea472b735a3156602e6576",
	} {
		if got, ok := MatchCgroupPath(p); ok {
			t.Errorf("MatchCgroupPath(%q) = %+v, want no match", p, got)
		}
	}
}

func TestUnescapeUnit(t *testing.T) {
	tests := []struct{ in, want string }{
		{`qemu\x2d1\x2dvm`, "qemu-1-vm"},
		{`a\x2fb`, "a/b"},
		{`\x2d`, "-"},
		{`plain`, "plain"},
		{`a\x2`, `a\x2`},   // cut short
		{`a\xzz`, `a\xzz`}, // not hex
		{`a\`, `a\`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := unescapeUnit(tt.in); got != tt.want {
			t.Errorf("unescapeUnit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var hex64Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

func FuzzMatchCgroupPath(f *testing.F) {
	for _, s := range []string{
		"/docker/" + docker64,
		"/system.slice/docker-" + docker64 + ".scope",
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f5a6e3c_1b2d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" + docker64 + ".scope",
		"/kubepods/pod0f5a6e3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b/" + docker64,
		"/machine.slice/libpod-conmon-" + docker64 + ".scope",
		"/machine.slice/libpod-" + docker64 + ".scope/container",
		"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + docker64 + ".scope",
		"/lxc.payload.web", "/lxc.monitor.web", "/lxc/web",
		`/machine.slice/machine-qemu\x2d1\x2dvm.scope`,
		`/machine.slice/machine-a\x2.scope`,
		"/nsinspect/" + docker64, "/default/" + docker64,
		"/", "/user.slice/user-1000.slice/session-3.scope",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rt, ok := MatchCgroupPath(p)
		if !ok {
			if !reflect.DeepEqual(rt, Runtime{}) {
				t.Fatalf("no match but %+v", rt)
			}
			return
		}
		if rt.Name == "" {
			t.Fatalf("MatchCgroupPath(%q): match without a name", p)
		}
		if rt.ContainerID != "" && (!hex64Re.MatchString(rt.ContainerID) || !strings.Contains(p, rt.ContainerID)) {
			t.Fatalf("MatchCgroupPath(%q): container id %q", p, rt.ContainerID)
		}
		if strings.Contains(rt.PodUID, "_") {
			t.Fatalf("MatchCgroupPath(%q): pod uid %q keeps underscores", p, rt.PodUID)
		}
		if (rt.Name == RuntimeKubernetes) != (rt.QoSClass != "") {
			t.Fatalf("MatchCgroupPath(%q): %s with QoS class %q", p, rt.Name, rt.QoSClass)
		}
		if rt.Rootless && !strings.Contains(p, "/user@") {
			t.Fatalf("MatchCgroupPath(%q): rootless outside a user manager", p)
		}
		// The container's own cgroup is p or one of its parents.
		_, own, _ := matchCgroupPath(p)
		if own == "" || (own != p && !strings.HasPrefix(p, own+"/")) {
			t.Fatalf("matchCgroupPath(%q): own cgroup %q is not p or a parent", p, own)
		}
		if rt.ContainerID != "" && !strings.Contains(own, rt.ContainerID) {
			t.Fatalf("matchCgroupPath(%q): own cgroup %q lacks the id", p, own)
		}
	})
}

// A container's sub-cgroups belong to it, and its own cgroup is the one the
// runtime made; the longest matching path wins (docker in docker).
func TestMatchCgroupPathOwnCgroup(t *testing.T) {
	id, id2 := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	pod := "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0000_4000_8000_000000000001.slice"
	for _, tc := range []struct{ path, runtime, id, own string }{
		{"/docker/" + id, RuntimeDocker, id, "/docker/" + id},
		{"/docker/" + id + "/init.scope", RuntimeDocker, id, "/docker/" + id},
		{"/docker/" + id + "/docker/" + id2, RuntimeDocker, id2, "/docker/" + id + "/docker/" + id2},
		{"/system.slice/docker-" + id + ".scope/system.slice/cron.service", RuntimeDocker, id, "/system.slice/docker-" + id + ".scope"},
		{"/machine.slice/libpod-" + id + ".scope/container/init.scope", RuntimePodman, id, "/machine.slice/libpod-" + id + ".scope/container"},
		{pod + "/cri-containerd-" + id + ".scope/init.scope", RuntimeKubernetes, id, pod + "/cri-containerd-" + id + ".scope"},
		{pod, RuntimeKubernetes, "", pod},
		{"/lxc.payload.c2/init.scope", RuntimeLXC, "", "/lxc.payload.c2"},
		{`/machine.slice/machine-build\x2d01.scope/payload/system.slice/x.service`, RuntimeNspawn, "", `/machine.slice/machine-build\x2d01.scope`},
		{"/nsinspect/" + id + "/sub", RuntimeNsinspect, id, "/nsinspect/" + id},
	} {
		rt, own, ok := matchCgroupPath(tc.path)
		if !ok || rt.Name != tc.runtime || rt.ContainerID != tc.id || own != tc.own {
			t.Errorf("matchCgroupPath(%q) = %s %q own %q (%v), want %s %q own %q", tc.path, rt.Name, rt.ContainerID, own, ok, tc.runtime, tc.id, tc.own)
		}
	}
	// A monitor is never read as its container's sub-cgroup.
	if rt, _, ok := matchCgroupPath(pod + "/crio-conmon-" + id + ".scope"); !ok || rt.Role != "monitor" {
		t.Errorf("crio-conmon in a pod slice: %+v %v, want a monitor", rt, ok)
	}
}

func TestMatchCgroupPathPodLevelAndCRIOCgroupfs(t *testing.T) {
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		path             string
		pod, qos, engine string
		container        string
	}{
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1c2a3b_4d5e_6f70_8192_a3b4c5d6e7f8.slice", "6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "Burstable", "", ""},
		{"/kubepods/burstable/pod6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "Burstable", "", ""},
		{"/kubepods/besteffort/pod6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8/crio-" + id, "6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "BestEffort", "cri-o", id},
		{"/kubepods.slice/kubepods-pod6f1c2a3b_4d5e_6f70_8192_a3b4c5d6e7f8.slice/crio-" + id + ".scope/container", "6f1c2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "Guaranteed", "cri-o", id},
	} {
		rt, ok := MatchCgroupPath(tc.path)
		if !ok || rt.Name != RuntimeKubernetes || rt.PodUID != tc.pod || rt.QoSClass != tc.qos || rt.Engine != tc.engine || rt.ContainerID != tc.container {
			t.Errorf("MatchCgroupPath(%q) = %+v, %v; want kubernetes pod %s qos %s engine %q id %q", tc.path, rt, ok, tc.pod, tc.qos, tc.engine, tc.container)
		}
	}
}

func TestCountCPUListRejectsOverflow(t *testing.T) {
	for _, s := range []string{"0-9223372036854775807", "0-4611686018427387904,0-4611686018427387904"} {
		if n, err := countCPUList(s); err == nil {
			t.Errorf("countCPUList(%q) = %d, want an error", s, n)
		}
	}
}

func TestMapToOutsideDoesNotWrap(t *testing.T) {
	if out, ok := mapToOutside([]IDMapping{{Inside: 0, Outside: 4294967295, Length: 2}}, 1); ok {
		t.Errorf("mapToOutside wrapped to %d", out)
	}
}

// Marker files are the container's own: detectRuntime reads them inside
// its root, regular files only, and says why one it found was not used.
func TestDetectRuntimeHostileMarkers(t *testing.T) {
	id := strings.Repeat("c3", 32)
	tests := []struct {
		name     string
		setup    func(t *testing.T, h hostile)
		stall    bool // environ never answers
		want     Runtime
		wantErrs []string // suffixes after the proc root
	}{
		{"containerenv links to a host file", func(t *testing.T, h hostile) { h.symlink(t, "run/.containerenv", h.hostSecret) },
			false, Runtime{Name: RuntimeUnknown}, nil},
		{"containerenv links to /etc/hostname, which the root lacks", func(t *testing.T, h hostile) { h.symlink(t, "run/.containerenv", "/etc/hostname") },
			false, Runtime{Name: RuntimeUnknown}, nil},
		{"containerenv links to a path the root has", func(t *testing.T, h hostile) {
			h.symlink(t, "run/.containerenv", h.hostSecret)
			h.write(t, h.hostSecret, "name=inroot\nid="+id+"\n")
		}, false, Runtime{Name: RuntimePodman, ContainerName: "inroot", ContainerID: id}, nil},
		{"containerenv is a fifo", func(t *testing.T, h hostile) { h.mkfifo(t, "run/.containerenv") },
			false, Runtime{Name: RuntimeUnknown}, []string{"/42/root/run/.containerenv: not a regular file (fifo)"}},
		{"containerenv too large, dockerenv present", func(t *testing.T, h hostile) {
			h.write(t, "run/.containerenv", strings.Repeat("name=x\n", markerLimit))
			h.write(t, ".dockerenv", "")
		}, false, Runtime{Name: RuntimeDocker}, []string{"/42/root/run/.containerenv: larger than nsinspect reads (over 64 KiB)"}},
		{"dockerenv links to a host file", func(t *testing.T, h hostile) { h.symlink(t, ".dockerenv", h.hostSecret) },
			false, Runtime{Name: RuntimeUnknown}, nil},
		{"environ hangs", func(t *testing.T, h hostile) {}, true,
			Runtime{Name: RuntimeUnknown}, []string{"/42/environ: timed out after 20ms (FUSE?)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t)
			tt.setup(t, h)
			proc := t.TempDir()
			writeTree(t, proc, map[string]string{"42/root": "->" + h.root, "42/environ": "PATH=/bin\x00container=\x00"})
			fsys := NewFS(proc, t.TempDir())
			release := make(chan struct{})
			defer close(release)
			if tt.stall {
				fsys.hangs.timeout = 20 * time.Millisecond
				fsys.hangs.stall = func(p string) {
					if strings.HasSuffix(p, "/environ") {
						<-release
					}
				}
			}
			ns := []Namespace{{Type: NSPID, Inode: 4026532999, File: proc + "/42/ns/pid"}}
			var rt *Runtime
			var errs []error
			promptly(t, func() { rt, errs = fsys.detectRuntime(42, nil, mountTable{}, "", ns, "") })
			got := Runtime{Name: rt.Name, ContainerName: rt.ContainerName, ContainerID: rt.ContainerID}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("runtime %+v, want %+v (evidence %v)", got, tt.want, rt.Sources)
			}
			if ev := rt.Sources["name"]; strings.Contains(ev.Raw, "hostleak") {
				t.Errorf("evidence %+v holds the host's file", ev)
			}
			var gotErrs []string
			for _, e := range errs {
				gotErrs = append(gotErrs, strings.TrimPrefix(e.Error(), "reading "+proc))
			}
			if !slices.Equal(gotErrs, tt.wantErrs) {
				t.Errorf("errors %q, want %q", gotErrs, tt.wantErrs)
			}
		})
	}
}

// parseEnvFile reads /run/.containerenv, which the container writes.
func FuzzParseEnvFile(f *testing.F) {
	f.Add([]byte("engine=\"podman-4.9.3\"\nname=\"web\"\nid=\"" + docker64 + "\"\nrootless=1\n"))
	f.Add([]byte("=\n==\n\"\"=\"\n k = v \r\n"))
	f.Add([]byte("name=" + strings.Repeat("a", markerLimit-5))) // the largest file readIn returns: one line of bufio's token limit
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > markerLimit {
			return // readIn refuses larger files
		}
		kv := parseEnvFile(b)
		if len(kv) > bytes.Count(b, []byte("=")) {
			t.Errorf("parseEnvFile(%q): %d entries from %d '='", b, len(kv), bytes.Count(b, []byte("=")))
		}
		for k, v := range kv {
			if strings.ContainsAny(k, "\n=") || k != strings.TrimSpace(k) || strings.Contains(v, "\n") {
				t.Errorf("parseEnvFile(%q): entry %q=%q", b, k, v)
			}
		}
	})
}
