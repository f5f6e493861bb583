package inspect

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect/fixture"
)

// nodeRoots lays out testdata/<name> (fixture.Node).
func nodeRoots(t testing.TB, name string) (procRoot, cgroupRoot string) {
	return fixture.Node(t, filepath.Join("..", "testdata", name))
}

// group is what a test expects of one container.
type group struct {
	runtime string
	name    string
	id      string // prefix
	pid     int
	pids    []int
}

func groups(cs []Container) []group {
	out := make([]group, len(cs))
	for i, c := range cs {
		out[i] = group{c.Runtime.Name, c.Name, c.ID[:12], c.Pid, c.Pids}
	}
	return out
}

// nodeV2Groups are the containers of testdata/node-v2 (see its README), in
// the order Containers sorts them: runtime, then name.
var nodeV2Groups = []group{
	{"cri-o", "be42b6838156", "be42b6838156", 3310, []int{3310}},
	{"docker", "web", "f83b8fa7c0fc", 4010, []int{4010, 4011, 4015}},
	// pause containers have no log link: named from /var/log/pods
	{"kubernetes", "default/web-5d8f7b9c4-abcde/d984babdc8aa", "d984babdc8aa", 3110, []int{3110}},
	{"kubernetes", "default/web-5d8f7b9c4-abcde/nginx", "8527473bda7e", 3120, []int{3120, 3121, 3122}},
	{"kubernetes", "prod/payments-6b7f9c-kx2lp/0d7871fc800b", "0d7871fc800b", 3010, []int{3010}},
	{"kubernetes", "prod/payments-6b7f9c-kx2lp/payments", "f11e4dcae011", 3020, []int{3020, 3021}},
	{"kubernetes", "tools/debug-shell/2ea9fd0e4ba3", "2ea9fd0e4ba3", 3210, []int{3210}},
	{"kubernetes", "tools/debug-shell/shell", "a668b5ae40da", 3220, []int{3220}},
	{"lxc", "c1", "b0fc294d6e7d", 5320, []int{5311, 5320}},
	{"nsinspect", "demo", "6480f8c926fc", 5410, []int{5410, 5411}},
	{"podman", "api", "a521bfcfd1b2", 5010, []int{5010, 5011}},
	{"podman", "db", "210fd3c88e0c", 5110, []int{5110, 5111, 5112}},
	{"systemd-nspawn", "build-01", "5ec5cf7e9d0b", 5210, []int{5210, 5211}},
}

// The unshare process of node-v2, which only ListOptions.Namespaces groups.
var nodeV2Unshare = group{"namespaces", "unshare", "29f1e1ab7c21", 6200, []int{6200}}

var nodeV1Groups = []group{
	{"containerd", "bf5b8f159b8d", "bf5b8f159b8d", 5010, []int{5010}},
	{"docker", "cache", "f507e3341470", 3010, []int{3010, 3011}},
	{"kubernetes", "kube-system/metrics-server-6d94bc8694-z8xkq/ea94a47fe818", "ea94a47fe818", 4110, []int{4110}},
	{"kubernetes", "kube-system/metrics-server-6d94bc8694-z8xkq/metrics-server", "fad72d7c5dee", 4120, []int{4120}},
	{"kubernetes", "shop/cart-7c9d8-pq4rs/4b51ddb3dc0c", "4b51ddb3dc0c", 4010, []int{4010}},
	{"kubernetes", "shop/cart-7c9d8-pq4rs/cart", "4c65290058a9", 4020, []int{4020}},
	{"lxc", "web1", "281b64c1850c", 6010, []int{6010, 6011}},
}

func TestContainersWholeHost(t *testing.T) {
	for _, tc := range []struct {
		fixture    string
		namespaces bool
		want       []group
	}{
		{"node-v2", false, nodeV2Groups},
		{"node-v1", false, nodeV1Groups},
		// node-v1 has no process with namespaces of its own outside a container.
		{"node-v1", true, nodeV1Groups},
	} {
		name := tc.fixture
		if tc.namespaces {
			name += "/namespaces"
		}
		t.Run(name, func(t *testing.T) {
			if got := scanGroups(t, tc.fixture, tc.namespaces); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("containers differ:\n got: %v\nwant: %v", got, tc.want)
			}
		})
	}
}

// scanGroups lists the containers of a whole-host fixture.
func scanGroups(t *testing.T, fixture string, namespaces bool) []group {
	t.Helper()
	proc, cg := nodeRoots(t, fixture)
	fsys := NewFS(proc, cg)
	procs, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	host, err := fsys.Namespaces(1)
	if err != nil {
		t.Fatal(err)
	}
	return groups(fsys.Containers(procs, ListOptions{Namespaces: namespaces, Host: host}))
}

// ListOptions.Namespaces adds the unshare process of node-v2 as a group of
// its own and leaves the containers as they were.
func TestContainersNamespacesGroup(t *testing.T) {
	got := scanGroups(t, "node-v2", true)
	if !slices.ContainsFunc(got, func(g group) bool { return reflect.DeepEqual(g, nodeV2Unshare) }) {
		t.Errorf("no group %v in %v", nodeV2Unshare, got)
	}
	for _, want := range nodeV2Groups {
		if !slices.ContainsFunc(got, func(g group) bool { return reflect.DeepEqual(g, want) }) {
			t.Errorf("container %v lost or changed: %v", want, got)
		}
	}
}

// The rootless conmon (pid 5000) runs in podman's user and mount
// namespaces: a runtime monitor, which --all must not list either.
func TestContainersNamespacesLeaveOutMonitors(t *testing.T) {
	want := slices.Clone(nodeV2Groups)
	i := slices.IndexFunc(want, func(g group) bool { return g.runtime > RuntimeNamespaces })
	want = slices.Insert(want, i, nodeV2Unshare)
	if got := scanGroups(t, "node-v2", true); !reflect.DeepEqual(got, want) {
		t.Errorf("containers differ:\n got: %v\nwant: %v", got, want)
	}
}

func TestScanSkipsKernelThreads(t *testing.T) {
	for fixture, kthreads := range map[string][]int{"node-v2": {2, 15, 16}, "node-v1": {2, 9}} {
		t.Run(fixture, func(t *testing.T) {
			proc, cg := nodeRoots(t, fixture)
			procs, err := NewFS(proc, cg).Scan()
			if err != nil {
				t.Fatal(err)
			}
			var pids []int
			for _, p := range procs {
				pids = append(pids, p.PID)
			}
			for _, k := range kthreads {
				if slices.Contains(pids, k) {
					t.Errorf("kernel thread %d listed", k)
				}
			}
			if !slices.Contains(pids, 1) || !slices.Contains(pids, 2000) {
				t.Errorf("Scan lost pid 1 or the reader: %v", pids)
			}
			if !slices.IsSorted(pids) {
				t.Errorf("pids not in order: %v", pids)
			}
		})
	}
}

// Monitors (conmon, crio-conmon, the LXC monitor), shims and engines sit in
// cgroups of their own or the host's and belong to no container.
func TestContainersLeaveOutMonitors(t *testing.T) {
	proc, cg := nodeRoots(t, "node-v2")
	fsys := NewFS(proc, cg)
	procs, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := fsys.Namespaces(1)
	for _, c := range fsys.Containers(procs, ListOptions{Host: host}) {
		for _, pid := range []int{3300, 5000, 5100, 5300, 3000, 3100, 3200, 4000, 700, 730, 740, 5200, 5400, 2000} {
			if slices.Contains(c.Pids, pid) {
				t.Errorf("pid %d listed in %s %s", pid, c.Runtime.Name, c.Name)
			}
		}
		if c.Runtime.Role != "" {
			t.Errorf("%s %s has role %q", c.Runtime.Name, c.Name, c.Runtime.Role)
		}
	}
}

// The runtime facts each pattern recognises, and the cgroup path of the
// container as /proc/<pid>/cgroup shows it.
func TestContainersRuntimeFacts(t *testing.T) {
	const demoID = "6480f8c926fcb531b60c5faf0960430602519f1b80faddb065472a31f03a1854"
	proc, cg := nodeRoots(t, "node-v2")
	fsys := NewFS(proc, cg)
	procs, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Container{}
	for _, c := range fsys.Containers(procs, ListOptions{}) {
		byName[c.Name] = c
	}
	for _, tc := range []struct {
		name   string
		check  func(Runtime) bool
		cgroup string
	}{
		{"web", func(r Runtime) bool { return r.CgroupDriver == "systemd" && !r.Rootless },
			"/system.slice/docker-f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3.scope"},
		{"api", func(r Runtime) bool { return r.Rootless },
			"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-a521bfcfd1b295f6941d9fc3777b55c63c5012804d5921f2b49fd060a5924170.scope"},
		{"db", func(r Runtime) bool { return !r.Rootless },
			"/machine.slice/libpod-210fd3c88e0ca7eff40c822de832712176288d99c520d0bb3b6014efc069b956.scope/container"},
		{"build-01", func(r Runtime) bool { return r.ContainerName == "build-01" }, `/machine.slice/machine-build\x2d01.scope`},
		{"c1", func(r Runtime) bool { return r.ContainerName == "c1" }, "/lxc.payload.c1"},
		{"demo", func(r Runtime) bool { return r.ContainerID == demoID }, "/nsinspect/" + demoID},
		{"prod/payments-6b7f9c-kx2lp/payments", func(r Runtime) bool {
			return r.QoSClass == "Guaranteed" && r.PodUID == "3d6f0c1e-7a2b-4c8d-9e0f-1a2b3c4d5e6f" && r.Engine == "containerd"
		}, "/kubepods.slice/kubepods-pod3d6f0c1e_7a2b_4c8d_9e0f_1a2b3c4d5e6f.slice/cri-containerd-f11e4dcae011078b8975a4383e2c6b2d7f47bc1232ccfa4e119d7fd52c05522a.scope"},
		{"default/web-5d8f7b9c4-abcde/nginx", func(r Runtime) bool {
			return r.QoSClass == "Burstable" && r.PodUID == "8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
		}, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8e1f2a3b_4c5d_4e6f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-8527473bda7e5917db8a7992ee443fc023238484d43ee16e7ce45edd9f19ea53.scope"},
		{"tools/debug-shell/shell", func(r Runtime) bool {
			return r.QoSClass == "BestEffort" && r.PodUID == "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f"
		}, "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podc7d8e9f0_1a2b_4c3d_8e4f_5a6b7c8d9e0f.slice/cri-containerd-a668b5ae40da79a6455bfada4f958c34e2bbcd8be0d36bd4c933e76667f8ad13.scope"},
		{"be42b6838156", func(r Runtime) bool { return r.Name == RuntimeCRIO && r.PodUID == "" },
			"/system.slice/crio-be42b683815643c195475cc38486a193013e33a0ac0be2412366dfc9ad10ff60.scope"},
	} {
		c, ok := byName[tc.name]
		if !ok {
			t.Errorf("no container %q", tc.name)
			continue
		}
		if !tc.check(c.Runtime) {
			t.Errorf("%s: runtime %+v", tc.name, c.Runtime)
		}
		if c.Cgroup != tc.cgroup {
			t.Errorf("%s: cgroup %q, want %q", tc.name, c.Cgroup, tc.cgroup)
		}
		if len(c.ID) != 64 {
			t.Errorf("%s: id %q is not 64 characters", tc.name, c.ID)
		}
	}
}

// The init is the member whose parent is not a member, whatever the pid
// order; among several such members (docker exec), the one that started
// first.
func TestContainersInit(t *testing.T) {
	scope := []CgroupLine{{Hierarchy: 0, Path: "/system.slice/docker-" + strings.Repeat("ab", 32) + ".scope"}}
	for _, tc := range []struct {
		name  string
		procs []Proc
		want  int
	}{
		{"child with a lower pid (pids wrapped)", []Proc{
			{PID: 30, PPid: 700, StartTicks: 500, Cgroup: scope},
			{PID: 700, PPid: 10, StartTicks: 100, Cgroup: scope},
		}, 700},
		{"exec'd process started later", []Proc{
			{PID: 100, PPid: 10, StartTicks: 100, Cgroup: scope},
			{PID: 101, PPid: 100, StartTicks: 110, Cgroup: scope},
			{PID: 90, PPid: 10, StartTicks: 900, Cgroup: scope},
		}, 100},
		{"a child that looks older does not displace the init", []Proc{
			{PID: 5, PPid: 1, StartTicks: 50, Cgroup: scope},
			{PID: 6, PPid: 5, StartTicks: 40, Cgroup: scope},
		}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := NewFS(t.TempDir(), t.TempDir()).Containers(tc.procs, ListOptions{})
			if len(cs) != 1 {
				t.Fatalf("%d containers, want 1", len(cs))
			}
			if cs[0].Pid != tc.want {
				t.Errorf("init %d, want %d", cs[0].Pid, tc.want)
			}
			if len(cs[0].Pids) != len(tc.procs) {
				t.Errorf("pids %v", cs[0].Pids)
			}
		})
	}
}

func TestDescribeWholeHost(t *testing.T) {
	proc, cg := nodeRoots(t, "node-v2")
	fsys := NewFS(proc, cg)
	procs, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	var web, api Container
	for _, c := range fsys.Containers(procs, ListOptions{}) {
		switch c.Name {
		case "web":
			web = c
		case "api":
			api = c
		}
	}
	f := fsys.Describe(web)
	if f.Limits == nil || f.Limits.Memory.LimitBytes == nil || *f.Limits.Memory.LimitBytes != 536870912 {
		t.Fatalf("web memory limit: %+v", f.Limits)
	}
	if f.Limits.CPU.CPUs == nil || *f.Limits.CPU.CPUs != 1.5 {
		t.Errorf("web cpus %v, want 1.5", f.Limits.CPU.CPUs)
	}
	if f.Limits.Pids.Max == nil || *f.Limits.Pids.Max != 100 || f.Limits.Pids.Current == nil || *f.Limits.Pids.Current != 3 {
		t.Errorf("web pids %+v", f.Limits.Pids)
	}
	if want := []string{"nginx: master process nginx -g daemon off;"}; !reflect.DeepEqual(f.Cmdline, want) {
		t.Errorf("web cmdline %q, want %q", f.Cmdline, want)
	}
	// btime 1795334400 plus 8000100 ticks of 10 ms
	if want := time.Unix(1795334400+80001, 0).UTC(); !f.Started.Equal(want) {
		t.Errorf("web started %v, want %v", f.Started, want)
	}
	if n, ok := FindNamespace(f.Namespaces, NSNet); !ok || n.Inode == 4026531840 {
		t.Errorf("web net namespace %+v: want its own", n)
	}
	a := fsys.Describe(api)
	if a.Limits == nil || a.Limits.Memory.LimitBytes != nil || a.Limits.CPU.CPUs != nil {
		t.Errorf("api limits: want none on memory and cpu, got %+v", a.Limits)
	}
	if u, ok := FindNamespace(a.Namespaces, NSUser); !ok || u.Inode == 4026531837 {
		t.Errorf("api user namespace %+v: want its own (rootless)", u)
	}
}

// A container whose init is systemd (podman --systemd, LXD images, docker
// with a systemd image) sees its own cgroup as "/" and moves itself to
// /init.scope and its services to /system.slice/...: from the host they sit
// in sub-cgroups of the container's scope, and belong to it.
func TestContainersSystemdInside(t *testing.T) {
	id := strings.Repeat("5e", 32)
	for _, tc := range []struct{ runtime, scope string }{
		{RuntimePodman, "/machine.slice/libpod-" + id + ".scope/container"},
		{RuntimePodman, "/machine.slice/libpod-" + id + ".scope"},
		{RuntimeDocker, "/system.slice/docker-" + id + ".scope"},
		{RuntimeDocker, "/docker/" + id},
		{RuntimeKubernetes, "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0000_4000_8000_000000000001.slice/cri-containerd-" + id + ".scope"},
		{RuntimeNsinspect, "/nsinspect/" + id},
	} {
		t.Run(tc.scope, func(t *testing.T) {
			procs := []Proc{
				{PID: 700, PPid: 650, StartTicks: 100, Comm: "systemd", Cgroup: []CgroupLine{{Path: tc.scope + "/init.scope"}}},
				{PID: 720, PPid: 700, StartTicks: 120, Comm: "systemd-journal", Cgroup: []CgroupLine{{Path: tc.scope + "/system.slice/systemd-journald.service"}}},
				{PID: 760, PPid: 700, StartTicks: 160, Comm: "httpd", Cgroup: []CgroupLine{{Path: tc.scope + "/system.slice/httpd.service"}}},
			}
			cs := NewFS(t.TempDir(), t.TempDir()).Containers(procs, ListOptions{})
			if len(cs) != 1 {
				t.Fatalf("%d containers, want 1: %+v", len(cs), cs)
			}
			if c := cs[0]; c.Runtime.Name != tc.runtime || c.ID != id || c.Pid != 700 || len(c.Pids) != 3 {
				t.Errorf("got %s %s init %d pids %v, want %s %s init 700 with 3 pids", c.Runtime.Name, c.ID, c.Pid, c.Pids, tc.runtime, id)
			}
		})
	}
}

// writeTree creates files, and symlinks for values starting with "->".
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, full)
		} else {
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// An LXD container with systemd: the runtime limits /lxc.payload.c2; the
// container's systemd sits in /lxc.payload.c2/init.scope, which has no
// limits of its own. The container's limits and usage are the payload's.
func TestDescribeSystemdInsideReadsTheContainersCgroup(t *testing.T) {
	root := t.TempDir()
	stat := func(pid, ppid, start int, comm string) string {
		return fmt.Sprintf("%d (%s) S %d %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n", pid, comm, ppid, pid, pid, start)
	}
	payload := "sys/fs/cgroup/lxc.payload.c2/"
	files := map[string]string{
		"proc/self":                                        "->2000",
		"proc/2000/stat":                                   stat(2000, 1, 900, "nsinspect"),
		"proc/2000/cgroup":                                 "0::/user.slice\n",
		"proc/2000/mountinfo":                              "33 24 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
		"proc/2000/ns/cgroup":                              "->cgroup:[4026531835]",
		"proc/7000/stat":                                   stat(7000, 6990, 500, "systemd"),
		"proc/7000/cgroup":                                 "0::/lxc.payload.c2/init.scope\n",
		"proc/7050/stat":                                   stat(7050, 7000, 600, "cron"),
		"proc/7050/cgroup":                                 "0::/lxc.payload.c2/system.slice/cron.service\n",
		payload + "memory.max":                             "536870912\n",
		payload + "memory.current":                         "268435456\n",
		payload + "cpu.max":                                "100000 100000\n",
		payload + "pids.max":                               "1000\n",
		payload + "pids.current":                           "42\n",
		payload + "init.scope/memory.max":                  "max\n",
		payload + "init.scope/memory.current":              "8388608\n",
		payload + "init.scope/cpu.max":                     "max 100000\n",
		payload + "init.scope/pids.max":                    "max\n",
		payload + "init.scope/pids.current":                "1\n",
		payload + "system.slice/cron.service/cgroup.procs": "7050\n",
	}
	writeTree(t, root, files)
	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "sys", "fs", "cgroup"))
	procs, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	cs := fsys.Containers(procs, ListOptions{})
	if len(cs) != 1 || cs[0].Name != "c2" || cs[0].Pid != 7000 {
		t.Fatalf("containers %+v, want c2 with init 7000", cs)
	}
	f := fsys.Describe(cs[0])
	if f.Limits == nil {
		t.Fatal("no limits read")
	}
	if l := f.Limits.Memory.LimitBytes; l == nil || *l != 536870912 {
		t.Errorf("memory limit %s, want 536870912 (the payload's)", showU64(l))
	} else if f.Limits.CPU.CPUs == nil || *f.Limits.CPU.CPUs != 1 || f.Limits.Pids.Current == nil || *f.Limits.Pids.Current != 42 {
		t.Errorf("cpu %v pids %+v, want the payload's 1 CPU and 42 tasks", f.Limits.CPU.CPUs, f.Limits.Pids)
	}
	s := fsys.NewSampler()
	defer s.Close()
	u, err := s.Sample(&cs[0])
	if err != nil {
		t.Fatal(err)
	}
	if u.MemUsage == nil || *u.MemUsage != 268435456 || u.MemLimit == nil || *u.MemLimit != 536870912 {
		t.Errorf("sample memory %s / %s, want 268435456 / 536870912 (the payload's)", showU64(u.MemUsage), showU64(u.MemLimit))
	}
}

// Without /run/.containerenv in the container, podman's name comes from its
// store's containers.json: root's, or the rootless user's under their home.
func TestContainerNamePodmanStore(t *testing.T) {
	root := t.TempDir()
	rootful, rootless := strings.Repeat("a1", 32), strings.Repeat("b2", 32)
	store := "containers/storage/overlay-containers/containers.json"
	writeTree(t, root, map[string]string{
		"proc/1/root/etc/passwd":                       "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"proc/1/root/var/lib/" + store:                 `[{"id":"` + strings.Repeat("cc", 32) + `","names":["other"]},{"id":"` + rootful + `","names":["registry","alias"]}]`,
		"proc/1/root/home/alice/.local/share/" + store: `[{"id":"` + rootless + `","names":["notes"]}]`,
	})
	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "cg"))
	procs := []Proc{
		{PID: 700, PPid: 650, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/machine.slice/libpod-" + rootful + ".scope"}}},
		{PID: 800, PPid: 750, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + rootless + ".scope/container"}}},
		{PID: 900, PPid: 850, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/machine.slice/libpod-" + strings.Repeat("dd", 32) + ".scope"}}},
	}
	got := map[string]string{}
	for _, c := range fsys.Containers(procs, ListOptions{}) {
		got[c.ID] = c.Name
	}
	for id, want := range map[string]string{rootful: "registry", rootless: "notes", strings.Repeat("dd", 32): strings.Repeat("dd", 6)} {
		if got[id] != want {
			t.Errorf("podman %s named %q, want %q", id[:12], got[id], want)
		}
	}
}

// Without a readable config.v2.json (a docker-group user cannot read
// /var/lib/docker), Docker's name comes from the Engine API socket.
func TestContainerNameDockerAPI(t *testing.T) {
	root := t.TempDir()
	named, gone := strings.Repeat("e5", 32), strings.Repeat("f6", 32)
	sock := filepath.Join(root, "proc", "1", "root", "var", "run", "docker.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket at %s: %v", sock, err)
	}
	var requests atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/containers/json" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `[{"Id":%q,"Names":["/frontend"],"Image":"nginx"}]`, named)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "cg"))
	procs := []Proc{
		{PID: 700, PPid: 650, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/system.slice/docker-" + named + ".scope"}}},
		{PID: 800, PPid: 750, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/system.slice/docker-" + gone + ".scope"}}},
	}
	got := map[string]string{}
	for _, c := range fsys.Containers(procs, ListOptions{}) {
		got[c.ID] = c.Name
	}
	if got[named] != "frontend" || got[gone] != gone[:12] {
		t.Errorf("names %v, want frontend and the short id", got)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests to the socket, want 1 for the whole listing", n)
	}
}

// Naming reads the container's /run/.containerenv and a rootless user's
// store confined to the container's root and the user's home: links out
// of them, FIFOs and sockets leave the short id.
func TestContainerNameHostileFiles(t *testing.T) {
	fifo, link, inRoot, store := strings.Repeat("a7", 32), strings.Repeat("b8", 32), strings.Repeat("c9", 32), strings.Repeat("d0", 32)
	h := newHostile(t) // the host file h.hostSecret says name=hostleak
	hostStore := filepath.Join(filepath.Dir(h.hostSecret), "containers.json")
	if err := os.WriteFile(hostStore, []byte(`[{"id":"`+store+`","names":["hostleak"]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	const userStore = "proc/1/root/home/alice/.local/share/containers/storage/overlay-containers/containers.json"
	writeTree(t, root, map[string]string{
		"proc/1/root/etc/passwd":          "alice:x:1000:1000::/home/alice:/bin/bash\n",
		userStore:                         "->" + hostStore,
		"proc/710/root/run/.containerenv": "->" + h.hostSecret,
		"proc/720/root/run/.containerenv": "->" + h.hostSecret,
		"proc/720/root" + h.hostSecret:    "name=inroot\n",
	})
	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "cg"))
	if err := os.MkdirAll(filepath.Join(root, "proc/700/root/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "proc/700/root/run/.containerenv"), 0o644); err != nil {
		t.Fatal(err)
	}
	procs := []Proc{
		{PID: 700, PPid: 1, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/machine.slice/libpod-" + fifo + ".scope"}}},
		{PID: 710, PPid: 1, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/machine.slice/libpod-" + link + ".scope"}}},
		{PID: 720, PPid: 1, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/machine.slice/libpod-" + inRoot + ".scope"}}},
		{PID: 730, PPid: 1, StartTicks: 1, Cgroup: []CgroupLine{{Path: "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + store + ".scope"}}},
	}
	got := map[string]string{}
	promptly(t, func() {
		for _, c := range fsys.Containers(procs, ListOptions{}) {
			got[c.ID] = c.Name
		}
	})
	for id, want := range map[string]string{fifo: fifo[:12], link: link[:12], inRoot: "inroot", store: store[:12]} {
		if got[id] != want {
			t.Errorf("podman %s named %q, want %q", id[:12], got[id], want)
		}
	}
}

// A process the Scanner already knows that moves into a container's cgroup
// (as a launcher's init does a moment after it exists) is in that
// container from the next scan on; one that moves out has left it within
// five (members and old processes are re-read every fifth scan; the
// fixture's are old, so the move in is also given five).
func TestScannerSeesMovedProcess(t *testing.T) {
	proc := filepath.Join(t.TempDir(), "proc")
	if out, err := exec.Command("cp", "-a", filepath.Join("..", "testdata", "node-v2", "proc"), proc).CombinedOutput(); err != nil {
		t.Fatalf("copying the fixture: %v %s", err, out)
	}
	_, cg := nodeRoots(t, "node-v2")
	s := NewFS(proc, cg).NewScanner()
	id := strings.Repeat("c3", 32)
	members := func() []int {
		procs, err := s.Scan()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range s.Containers(procs, ListOptions{}) {
			if c.ID == id {
				return c.Pids
			}
		}
		return nil
	}
	if got := members(); got != nil {
		t.Fatalf("container %s before the move: %v", id[:12], got)
	}
	for _, tc := range []struct {
		cgroup string
		want   []int
		scans  int
	}{
		{"0::/system.slice/docker-" + id + ".scope\n", []int{1903}, 5},
		{"0::/user.slice/user-1000.slice/session-7.scope\n", nil, 5},
	} {
		if err := os.WriteFile(filepath.Join(proc, "1903", "cgroup"), []byte(tc.cgroup), 0o644); err != nil {
			t.Fatal(err)
		}
		var got []int
		for range tc.scans {
			if got = members(); slices.Equal(got, tc.want) {
				break
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%d scans after pid 1903 moved to %q: container %s has %v, want %v", tc.scans, strings.TrimSpace(tc.cgroup), id[:12], got, tc.want)
		}
	}
}

// The Scanner remembers kernel threads without listing them, and reads a
// kernel thread's pid afresh on a full scan: with pid_max at 32768 a
// kworker's pid comes back as a user process, here one in a container.
func TestScannerKernelThreadPidReused(t *testing.T) {
	proc := filepath.Join(t.TempDir(), "proc")
	if out, err := exec.Command("cp", "-a", filepath.Join("..", "testdata", "node-v2", "proc"), proc).CombinedOutput(); err != nil {
		t.Fatalf("copying the fixture: %v %s", err, out)
	}
	_, cg := nodeRoots(t, "node-v2")
	s := NewFS(proc, cg).NewScanner()
	id := strings.Repeat("c3", 32)
	scan := func() (pids, members []int) {
		procs, err := s.Scan()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range procs {
			pids = append(pids, p.PID)
		}
		for _, c := range s.Containers(procs, ListOptions{}) {
			if c.ID == id {
				members = c.Pids
			}
		}
		return pids, members
	}
	for i := range 3 {
		if pids, _ := scan(); slices.Contains(pids, 15) || slices.Contains(pids, 2) {
			t.Fatalf("scan %d listed a kernel thread: %v", i+1, pids)
		}
	}
	if s.known[15].PID != 15 {
		t.Fatalf("kernel thread 15 not remembered between scans")
	}
	// kworker 15 exits; a shell in container c3c3… gets its pid.
	stat := "15 (sh) S 1 15 15 0 -1 4194560 500 0 0 0 100 50 0 0 20 0 1 0 8600200 12345678 1234 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	for name, content := range map[string]string{"stat": stat, "cgroup": "0::/system.slice/docker-" + id + ".scope\n"} {
		if err := os.WriteFile(filepath.Join(proc, "15", name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var members []int
	for range 5 { // scans 4 to 8: the fifth is a full one
		var pids []int
		if pids, members = scan(); slices.Contains(members, 15) {
			if !slices.Contains(pids, 15) {
				t.Errorf("pid 15 is a member but not listed: %v", pids)
			}
			break
		}
	}
	if !slices.Equal(members, []int{15}) {
		t.Errorf("5 scans after kernel thread 15's pid came back in container %s: members %v, want [15]", id[:12], members)
	}
}

// A name not yet written when first looked up (the short id was the
// answer) is asked again after nameRetry, not cached for good; a found one
// is never asked again.
func TestNameCacheRetriesMisses(t *testing.T) {
	now := time.Unix(1000, 0)
	nc := newNameCache()
	nc.now = func() time.Time { return now }
	id := strings.Repeat("d4", 32)
	calls, name := 0, ""
	lookup := func() (string, string, bool) {
		calls++
		if name == "" {
			return id[:12], "", false
		}
		return name, "busybox:" + name, true
	}
	for _, step := range []struct {
		advance time.Duration
		written string
		want    string
		calls   int
	}{
		{0, "", id[:12], 1},
		{nameRetry / 2, "web", id[:12], 1}, // too soon to ask again
		{nameRetry, "web", "web", 2},
		{time.Hour, "other", "web", 2}, // found: never asked again
	} {
		now = now.Add(step.advance)
		name = step.written
		got, img := nc.get(id, lookup)
		if got != step.want || calls != step.calls {
			t.Errorf("after %v: name %q after %d lookups, want %q after %d", step.advance, got, calls, step.want, step.calls)
		}
		if wantImg := "busybox:" + got; got != id[:12] && img != wantImg {
			t.Errorf("after %v: image %q, want %q kept with the name", step.advance, img, wantImg)
		}
	}
	if nc.retryDue() {
		t.Errorf("retryDue with nothing missing")
	}
}

// A name found is forgotten with its container: a session that lives as
// long as the exporter keeps only the names of containers still there.
func TestNameCacheForgetsGone(t *testing.T) {
	nc := newNameCache()
	ids := []string{strings.Repeat("a1", 32), strings.Repeat("b2", 32), strings.Repeat("c3", 32)}
	for i, id := range ids {
		nc.get(id, func() (string, string, bool) { return fmt.Sprint("web", i), "busybox", true })
	}
	nc.keepOnly([]Container{{ID: ids[1]}})
	if len(nc.found) != 1 {
		t.Fatalf("%d names kept, want 1: %v", len(nc.found), nc.found)
	}
	if n, img := nc.get(ids[1], func() (string, string, bool) { t.Error("looked up again"); return "", "", false }); n != "web1" || img != "busybox" {
		t.Errorf("kept %q %q, want web1 busybox", n, img)
	}
}
