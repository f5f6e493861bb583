package inspect

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

const hex64 = `([0-9a-f]{64})`

// cgroupPattern recognises one runtime's cgroup paths. The regular
// expression is compiled on first use, and only tried on paths that contain
// its keyword: compiling all of them costs more than a whole inspection of a
// host process, whose path matches none.
type cgroupPattern struct {
	keyword string
	needsID bool // matches only paths holding a 64-hex container id
	expr    string
	re      func() *regexp.Regexp
	build   func(m []string) Runtime
}

func pattern(keyword, expr string, build func(m []string) Runtime) cgroupPattern {
	return cgroupPattern{
		keyword: keyword,
		needsID: strings.Contains(expr, hex64),
		expr:    expr,
		re:      sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) }),
		build:   build,
	}
}

// podPattern is a pattern whose container id is optional: a Kubernetes pod
// slice holds processes of its own (the pause container on some setups).
func podPattern(keyword, expr string, build func(m []string) Runtime) cgroupPattern {
	p := pattern(keyword, expr, build)
	p.needsID = false
	return p
}

// The cgroup path patterns of each runtime (peers.md §4). Order matters:
// Kubernetes wraps docker, containerd and CRI-O scopes in its pod slices, and
// conmon and LXC monitors sit in container-shaped cgroups of their own.
//
// Most patterns match the end of a path; matchCgroupPath also tries the
// path's parents, because a container whose init is systemd (podman
// --systemd, LXD images, a kind node) moves itself to <container>/init.scope
// and its services to <container>/system.slice/..., and they still belong
// to the container. The longest matching path wins, so a nested runtime's
// container (docker in docker) is the inner one.
var cgroupPatterns = []cgroupPattern{
	// kubelet, systemd driver: kubepods[-qos]-pod<uid_with_underscores>.slice/<engine>-<id>.scope
	podPattern("kubepods", `kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]+)\.slice(?:/(?:(cri-containerd|crio|docker|cri-dockerd)-)?`+hex64+`(?:\.scope)?(?:/container)?)?$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeKubernetes, QoSClass: qos(m[1]), PodUID: strings.ReplaceAll(m[2], "_", "-"), Engine: engine(m[3]), ContainerID: m[4], CgroupDriver: "systemd"}
	}),
	// kubelet, cgroupfs driver: /kubepods[/qos]/pod<uid>/[crio-]<id>
	podPattern("kubepods", `/kubepods(?:/(burstable|besteffort))?/pod([0-9a-f-]+)(?:/(?:(crio|docker)-)?`+hex64+`)?$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeKubernetes, QoSClass: qos(m[1]), PodUID: m[2], Engine: engine(m[3]), ContainerID: m[4], CgroupDriver: "cgroupfs"}
	}),
	pattern("conmon", `(?:^|/)(crio-conmon|libpod-conmon)-`+hex64+`(?:\.scope)?$`, func(m []string) Runtime {
		name := RuntimePodman
		if m[1] == "crio-conmon" {
			name = RuntimeCRIO
		}
		return Runtime{Name: name, ContainerID: m[2], Role: "monitor"}
	}),
	pattern("docker", `(?:^|/)docker-`+hex64+`\.scope$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeDocker, ContainerID: m[1], CgroupDriver: "systemd"}
	}),
	pattern("docker", `(?:^|/)docker/`+hex64+`$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeDocker, ContainerID: m[1], CgroupDriver: "cgroupfs"}
	}),
	pattern("cri-containerd", `(?:^|/)cri-containerd-`+hex64+`\.scope$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeContainerd, Engine: "cri", ContainerID: m[1], CgroupDriver: "systemd"}
	}),
	pattern("crio", `(?:^|/)crio-`+hex64+`(?:\.scope)?$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeCRIO, ContainerID: m[1]}
	}),
	// crun (podman's default runtime) moves the payload into a "container"
	// child of the scope so the scope itself can hold only subtree controls.
	pattern("libpod", `(?:^|/)libpod-(?:payload-)?`+hex64+`(?:\.scope)?(?:/container)?$`, func(m []string) Runtime {
		return Runtime{Name: RuntimePodman, ContainerID: m[1]}
	}),
	pattern("lxc.monitor.", `(?:^|/)lxc\.monitor\.([^/]+)$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeLXC, ContainerName: m[1], Role: "monitor"}
	}),
	pattern("lxc.payload.", `(?:^|/)lxc\.payload\.([^/]+)`, func(m []string) Runtime {
		return Runtime{Name: RuntimeLXC, ContainerName: m[1]}
	}),
	pattern("/lxc/", `^/lxc/([^/]+)`, func(m []string) Runtime {
		return Runtime{Name: RuntimeLXC, ContainerName: m[1]}
	}),
	pattern("machine.slice", `^/machine\.slice/machine-([^/]+)\.scope`, func(m []string) Runtime {
		return Runtime{Name: RuntimeNspawn, ContainerName: unescapeUnit(m[1]), CgroupDriver: "systemd"}
	}),
	pattern("machine.slice", `^/machine\.slice/systemd-nspawn@([^/]+)\.service`, func(m []string) Runtime {
		return Runtime{Name: RuntimeNspawn, ContainerName: unescapeUnit(m[1]), CgroupDriver: "systemd"}
	}),
	pattern("nsinspect", `(?:^|/)nsinspect/`+hex64+`$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeNsinspect, ContainerID: m[1]}
	}),
	// plain containerd (ctr, nerdctl): /<namespace>/<id>
	// (a systemd slice is no containerd namespace: see the next pattern)
	pattern("/", `^/([^/]+)/`+hex64+`$`, func(m []string) Runtime {
		if strings.HasSuffix(m[1], ".slice") {
			return Runtime{Name: RuntimeOCI, ContainerID: m[2], CgroupDriver: "cgroupfs"}
		}
		return Runtime{Name: RuntimeContainerd, Namespace: m[1], ContainerID: m[2], CgroupDriver: "cgroupfs"}
	}),
	// an OCI runtime run by hand (runc run, crun run) without a
	// cgroupsPath: the cgroupfs driver's default is /<container id>, or
	// on a v2 host next to the caller's own cgroup, which already holds
	// processes: /system.slice/<id> when run from a service.
	pattern("/", `^/`+hex64+`$`, func(m []string) Runtime {
		return Runtime{Name: RuntimeOCI, ContainerID: m[1], CgroupDriver: "cgroupfs"}
	}),
}

func qos(s string) string {
	switch s {
	case "burstable":
		return "Burstable"
	case "besteffort":
		return "BestEffort"
	}
	return "Guaranteed"
}

func engine(s string) string {
	switch s {
	case "cri-containerd":
		return "containerd"
	case "crio":
		return "cri-o"
	case "docker", "cri-dockerd":
		return "docker"
	}
	return ""
}

// unescapeUnit undoes systemd's unit-name escaping ("qemu\x2d1" is "qemu-1").
func unescapeUnit(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if n, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MatchCgroupPath recognises a runtime from one cgroup path as
// /proc/<pid>/cgroup shows it from the host. ok is false for paths that
// belong to no container.
func MatchCgroupPath(p string) (Runtime, bool) {
	rt, _, ok := matchCgroupPath(p)
	return rt, ok
}

// matchCgroupPath is MatchCgroupPath plus the container's own cgroup: the
// part of p the pattern matched, without what the container made below it.
func matchCgroupPath(p string) (Runtime, string, bool) {
	for q := p; ; {
		if rt, own, ok := matchOne(q, p); ok {
			return rt, own, true
		}
		i := strings.LastIndexByte(q, '/')
		if i <= 0 {
			return Runtime{}, "", false
		}
		q = q[:i]
	}
}

// matchOne tries the patterns on p, one of full's parents (or full).
func matchOne(p, full string) (Runtime, string, bool) {
	id := hasHex64(p)
	for _, pat := range cgroupPatterns {
		if !strings.Contains(p, pat.keyword) || (!id && pat.needsID) {
			continue
		}
		idx := pat.re().FindStringSubmatchIndex(p)
		if idx == nil {
			continue
		}
		m := make([]string, len(idx)/2)
		for i := range m {
			if idx[2*i] >= 0 {
				m[i] = p[idx[2*i]:idx[2*i+1]]
			}
		}
		rt := pat.build(m)
		if strings.Contains(full, "/user@") && strings.Contains(full, ".service/") {
			rt.Rootless = true
		}
		return rt, p[:idx[1]], true
	}
	return Runtime{}, "", false
}

// hasHex64 reports whether s holds a run of 64 lowercase hex digits, the
// shape of every container id the patterns capture.
func hasHex64(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') {
			if run++; run == 64 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// Bind mounts a runtime leaves in a container, recognised by the source
// directory they come from (the root field of mountinfo). These survive a
// private cgroup namespace, where /proc/self/cgroup only says "0::/".
var mountPatterns = []cgroupPattern{
	pattern("/overlay-containers/", `/overlay-containers/`+hex64+`/userdata/`, func(m []string) Runtime { return Runtime{Name: RuntimePodman, ContainerID: m[1]} }),
	pattern("/containers/", `/containers/`+hex64+`/(?:hostname|hosts|resolv\.conf)$`, func(m []string) Runtime { return Runtime{Name: RuntimeDocker, ContainerID: m[1]} }),
	pattern("/kubelet/pods/", `/kubelet/pods/([0-9a-f-]{36})/`, func(m []string) Runtime { return Runtime{Name: RuntimeKubernetes, PodUID: m[1]} }),
	pattern("io.containerd.grpc.v1.cri", `/io\.containerd\.grpc\.v1\.cri/sandboxes/`+hex64+`/`, func(m []string) Runtime { return Runtime{Name: RuntimeContainerd, Engine: "cri"} }),
	pattern("/nsinspect/", `/nsinspect/`+hex64+`/`, func(m []string) Runtime { return Runtime{Name: RuntimeNsinspect, ContainerID: m[1]} }),
}

// detectRuntime tries, in order of trust: the cgroup paths; the bind mounts
// of /etc/hostname, /etc/hosts and /etc/resolv.conf; the marker files
// /run/.containerenv and /.dockerenv in the process's root; the container=
// variable of its environment; finally a non-initial pid namespace, which
// means "in a container of some kind".
//
// Marker files and the environment are trusted only for a process that is
// isolated (its own pid namespace, or a mount namespace other than the
// reader's), and marker files only when its / is not the host's own
// filesystem: a host built from a container image keeps /.dockerenv in its
// / (systemd's virt.c checks it last for the same reason).
func (fsys FS) detectRuntime(pid int, cg *Cgroup, table mountTable, mountsFile string, namespaces []Namespace, hostRootDevice string) (*Runtime, []error) {
	mounts := table.mounts
	if cg != nil {
		// The unified line is the most specific on v2 and hybrid hosts; on
		// v1 every controller carries the same path for containers.
		paths := append([]CgroupPath(nil), cg.Paths...)
		for i, p := range paths {
			if p.Hierarchy == 0 {
				paths[0], paths[i] = paths[i], paths[0]
			}
		}
		for _, p := range paths {
			if rt, ok := MatchCgroupPath(p.Path); ok {
				// /<x>/<id> and /<id> are shapes, not names: the
				// runtimes' state says whose (dockerd with a
				// --cgroup-parent, runc run by hand).
				if rt.Name == RuntimeOCI || rt.Name == RuntimeContainerd {
					if st, ok := fsys.stateRuntime(pid); ok && st.ContainerID == rt.ContainerID {
						return st, nil
					}
				}
				rt.Sources.Add("name", cg.File, strconv.Itoa(p.Hierarchy)+":"+strings.Join(p.Controllers, ",")+":"+p.Path)
				return &rt, nil
			}
		}
	}
	for _, m := range mounts {
		switch m.Mountpoint {
		case "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev/termination-log", "/run/.containerenv":
		default:
			continue
		}
		for _, pat := range mountPatterns {
			if !strings.Contains(m.Root, pat.keyword) {
				continue
			}
			if sm := pat.re().FindStringSubmatch(m.Root); sm != nil {
				rt := pat.build(sm)
				rt.Sources.Add("name", mountsFile, table.line(m)) // the kernel's own line
				return &rt, nil
			}
		}
	}
	pidNS, hasPidNS := FindNamespace(namespaces, NSPID)
	initialPid, known := pidNS.Initial()
	sameMnt, mntKnown := fsys.compareSelf(namespaces, NSMount)
	isolated := (hasPidNS && known && !initialPid) || (mntKnown && !sameMnt)
	if !isolated {
		if !mntKnown {
			// A zombie's mount namespace, another user's links: whether
			// it is in a container is not known, and no marker or
			// environment of it is evidence.
			return nil, []error{errors.New("not recognised, and its mount namespace could not be read: whether it is in a container is unknown")}
		}
		return &Runtime{Name: RuntimeNone}, nil
	}
	// A free-form id (ctr run … web, runc run web): the runtimes' state.
	if rt, ok := fsys.stateRuntime(pid); ok {
		return rt, nil
	}
	hostRoot := false
	for _, m := range mounts {
		if m.Mountpoint == "/" {
			hostRoot = hostRootDevice != "" && fmt.Sprintf("%d:%d", m.Major, m.Minor) == hostRootDevice && m.Root == "/"
		}
	}
	// The markers are the container's own files: read confined to its
	// root, regular files only, under a deadline (confined_linux.go). A
	// marker that is there but cannot be read (a FIFO, a hung FUSE file)
	// is not evidence either way; the reason is returned.
	var errs []error
	note := func(err error) {
		if err != nil && !absent(err) && !errors.Is(err, fs.ErrPermission) {
			errs = append(errs, fmt.Errorf("reading %w", err))
		}
	}
	if !hostRoot {
		root := fsys.pid(pid, "root")
		b, err := fsys.readIn(markerLimit, root, "run/.containerenv")
		if err == nil {
			rt := Runtime{Name: RuntimePodman}
			kv := parseEnvFile(b)
			rt.ContainerID, rt.ContainerName = kv["id"], kv["name"]
			rt.Rootless = kv["rootless"] == "1"
			rt.Sources.Add("name", root+"/run/.containerenv", firstLine(string(b)))
			return &rt, nil
		}
		note(err)
		ok, err := fsys.existsIn(root, ".dockerenv")
		if ok {
			rt := Runtime{Name: RuntimeDocker}
			rt.Sources.Add("name", root+"/.dockerenv", "exists")
			return &rt, errs
		}
		note(err)
	}
	environ := fsys.pid(pid, "environ")
	env, err := fsys.readSlow(environ)
	note(err)
	for v := range bytes.SplitSeq(env, []byte{0}) {
		if val, ok := bytes.CutPrefix(v, []byte("container=")); ok && len(val) > 0 {
			rt := Runtime{Name: runtimeFromEnv(string(val))}
			rt.Sources.Add("name", environ, string(v))
			return &rt, errs
		}
	}
	rt := Runtime{Name: RuntimeUnknown}
	if hasPidNS && known && !initialPid {
		rt.Sources.Add("name", pidNS.File, fmt.Sprintf("pid:[%d] is not the host's pid namespace", pidNS.Inode))
	} else if mnt, ok := FindNamespace(namespaces, NSMount); ok {
		rt.Sources.Add("name", mnt.File, fmt.Sprintf("mnt:[%d] is not the reader's mount namespace", mnt.Inode))
	}
	return &rt, errs
}

func runtimeFromEnv(v string) string {
	switch v {
	case "podman", "libpod":
		return RuntimePodman
	case "lxc", "lxc-libvirt":
		return RuntimeLXC
	case "systemd-nspawn":
		return RuntimeNspawn
	case "docker":
		return RuntimeDocker
	case "nsinspect":
		return RuntimeNsinspect
	}
	return v
}

// parseEnvFile reads key="value" lines such as /run/.containerenv.
func parseEnvFile(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return out
}
