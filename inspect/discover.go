package inspect

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
)

// Runtimes recognised from their own state rather than a cgroup path.
const (
	RuntimeRunc = "runc" // runc run by hand: <root>/<id>/state.json
	RuntimeCrun = "crun" // crun run by hand: <root>/<id>/status
)

// Containers whose ids are free-form (ctr run … ctr1, runc run web) are
// not recognisable from their cgroup path (/default/ctr1, /web). They are
// found the way their runtimes find them, from their state:
//
//   - containerd: each task has a bundle directory
//     <state>/io.containerd.runtime.v2.task/<namespace>/<id>, which holds
//     init.pid, the task's init as the host sees it. The state root is not
//     assumed: it is the working directory of every running shim
//     (containerd-shim-runc-v2 runs in its bundle), and the shim's
//     -namespace argument names the namespace.
//   - runc and crun run by hand: <root>/<id>/state.json (runc; its
//     init_process_pid and init_process_start) and <root>/<id>/status
//     (crun; pid and process-start-time). The roots are the defaults,
//     /run/runc and /run/crun, and any --root a running runc or crun was
//     given.
//   - dockerd's --data-root and -H unix:// sockets, for the names of its
//     containers (config.v2.json, the Engine API).
//
// Who may write these is what makes them evidence: only processes of the
// host (not in any container, in the host's mount namespace) running as
// root are read for arguments, and only roots owned by root and writable
// by nobody else are read (a reader that is not root also trusts its own:
// trustedOwner). Their files still name paths inside
// containers; nsinspect uses only ids and pids from them, read through the
// confined reader (regular files, bounded, under a deadline). A claimed
// init counts only when that process exists with the start time the state
// gives (runc, crun) or is a child of a shim (containerd): a state left
// behind by a dead container cannot name a reused pid.

// knownTask is one container a runtime's state names.
type knownTask struct {
	rt  Runtime
	pid int
}

// daemonArgs is what the host's runtime processes say of where they keep
// their state.
type daemonArgs struct {
	taskDirs      map[string]string // <state>/io.containerd.runtime.v2.task/<ns> -> ns
	shims         map[int]bool
	runcRoots     []string
	crunRoots     []string
	dockerRoots   []string // dockerd --data-root
	dockerSockets []string // dockerd -H unix://…
}

// stateLimit bounds one state file: runc's state.json holds the whole
// config, a few kilobytes to a few hundred.
const stateLimit = 4 << 20

// runtimeDaemons reads the arguments of the host's shims, dockerd, runc and
// crun processes among procs. hostMnt is the host's mount namespace.
func (fsys FS) runtimeDaemons(procs []Proc, hostMnt Namespace) daemonArgs {
	d := daemonArgs{taskDirs: map[string]string{}, shims: map[int]bool{}}
	for _, p := range procs {
		kind := daemonKind(p.Comm)
		if kind == "" || !fsys.hostRootProcess(p, hostMnt) {
			continue
		}
		b, err := fsys.readSlow(fsys.pid(p.PID, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		switch kind {
		case "shim":
			d.shims[p.PID] = true
			ns := flagValue(args, "namespace")
			if ns == "" {
				continue
			}
			// The shim's working directory is its task's bundle.
			if cwd, err := os.Readlink(fsys.pid(p.PID, "cwd")); err == nil && path.IsAbs(cwd) {
				dir := path.Dir(path.Clean(cwd))
				if path.Base(dir) == ns && path.Base(path.Dir(dir)) == "io.containerd.runtime.v2.task" {
					d.taskDirs[dir] = ns
					continue
				}
			}
			d.taskDirs["/run/containerd/io.containerd.runtime.v2.task/"+ns] = ns
		case "dockerd":
			if v := flagValue(args, "data-root", "g", "graph"); v != "" {
				d.dockerRoots = appendNew(d.dockerRoots, v)
			}
			for _, h := range flagValues(args, "H", "host") {
				if s, ok := strings.CutPrefix(h, "unix://"); ok && path.IsAbs(s) {
					d.dockerSockets = appendNew(d.dockerSockets, s)
				}
			}
		case "runc", "crun":
			if v := flagValue(args, "root"); path.IsAbs(v) {
				if kind == "runc" {
					d.runcRoots = appendNew(d.runcRoots, path.Clean(v))
				} else {
					d.crunRoots = appendNew(d.crunRoots, path.Clean(v))
				}
			}
		}
	}
	d.runcRoots = appendNew(d.runcRoots, "/run/runc")
	d.crunRoots = appendNew(d.crunRoots, "/run/crun")
	return d
}

// daemonKind tells the runtime processes apart by their comm (at most 15
// characters: containerd-shim-runc-v2 is "containerd-shim").
func daemonKind(comm string) string {
	switch {
	case strings.HasPrefix(comm, "containerd-shim"):
		return "shim"
	case comm == "dockerd", comm == "runc", comm == "crun":
		return comm
	}
	return ""
}

// hostRootProcess reports whether p is a root process of the host: in no
// container's cgroup, in the host's mount namespace, owned by uid 0. A
// process in a container can call itself runc and pass any --root.
func (fsys FS) hostRootProcess(p Proc, hostMnt Namespace) bool {
	if _, _, _, monitor, ok := containerKey(p.Cgroup, map[string]cgroupMatch{}); ok || monitor {
		return false
	}
	link, err := os.Readlink(fsys.pid(p.PID, "ns", string(NSMount)))
	if err != nil {
		return false
	}
	if _, ino, err := parseNamespaceLink(link); err != nil || hostMnt.Inode == 0 || ino != hostMnt.Inode {
		return false
	}
	fi, err := os.Lstat(fsys.pid(p.PID))
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && trustedOwner(st.Uid)
}

// trustedOwner: root, or the reader itself. A reader that is not root can
// only be misled by its own files, which it could write anyway.
func trustedOwner(uid uint32) bool {
	return uid == 0 || uid == uint32(os.Geteuid())
}

// flagValue is the value of the first of names given as -name v, --name v,
// -name=v or --name=v.
func flagValue(args []string, names ...string) string {
	if v := flagValues(args, names...); len(v) > 0 {
		return v[0]
	}
	return ""
}

func flagValues(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		a = strings.TrimLeft(a, "-")
		k, v, hasV := strings.Cut(a, "=")
		for _, n := range names {
			if k != n {
				continue
			}
			if !hasV && i+1 < len(args) {
				i++
				v, hasV = args[i], true
			}
			if hasV {
				out = append(out, v)
			}
		}
	}
	return out
}

func appendNew(list []string, v string) []string {
	for _, s := range list {
		if s == v {
			return list
		}
	}
	return append(list, v)
}

// trustedDir reports whether dir of the host is a directory owned by root
// that nobody else may write: only such a directory's entries are state.
func (fsys FS) trustedDir(dir string) bool {
	fi, err := os.Lstat(fsys.hostRoot() + dir)
	if err != nil || !fi.IsDir() {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && trustedOwner(st.Uid) && fi.Mode().Perm()&0o022 == 0
}

// stateEntries lists the subdirectories of a trusted state directory.
func (fsys FS) stateEntries(dir string) []string {
	if !fsys.trustedDir(dir) {
		return nil
	}
	full := fsys.hostRoot() + dir
	ents, err := withDeadline(fsys, full, func() ([]fs.DirEntry, error) { return os.ReadDir(full) })
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "" && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

// knownTasks is every container the runtimes' state names whose init is
// among procs, as it claims.
func (fsys FS) knownTasks(procs []Proc, d daemonArgs) []knownTask {
	byPID := make(map[int]Proc, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	var out []knownTask
	seen := map[int]bool{}
	add := func(rt Runtime, pid int, start uint64, hasStart bool) {
		p, ok := byPID[pid]
		if !ok || seen[pid] || hasStart && p.StartTicks != start {
			return
		}
		seen[pid] = true
		out = append(out, knownTask{rt: rt, pid: pid})
	}
	root := fsys.hostRoot()
	for dir, ns := range d.taskDirs {
		for _, id := range fsys.stateEntries(dir) {
			b, err := fsys.readIn(markerLimit, root, strings.TrimPrefix(dir, "/")+"/"+id+"/init.pid")
			if err != nil {
				continue
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || pid <= 0 || !d.shims[byPID[pid].PPid] {
				continue
			}
			rt := Runtime{Name: RuntimeContainerd, Namespace: ns, ContainerID: id, ContainerName: id}
			if ns == "moby" {
				// dockerd's containers, in its containerd namespace.
				rt = Runtime{Name: RuntimeDocker, ContainerID: id}
			}
			rt.Sources.add("name", dir+"/"+id+"/init.pid", strconv.Itoa(pid))
			add(rt, pid, 0, false)
		}
	}
	for _, dir := range d.runcRoots {
		for _, id := range fsys.stateEntries(dir) {
			file := dir + "/" + id + "/state.json"
			b, err := fsys.readIn(stateLimit, root, strings.TrimPrefix(file, "/"))
			if err != nil {
				continue
			}
			var st struct {
				ID    string `json:"id"`
				Pid   int    `json:"init_process_pid"`
				Start uint64 `json:"init_process_start"`
			}
			if json.Unmarshal(b, &st) != nil || st.ID != id || st.Pid <= 0 {
				continue
			}
			rt := Runtime{Name: RuntimeRunc, ContainerID: id, ContainerName: id}
			rt.Sources.add("name", file, "init_process_pid "+strconv.Itoa(st.Pid))
			add(rt, st.Pid, st.Start, true)
		}
	}
	for _, dir := range d.crunRoots {
		for _, id := range fsys.stateEntries(dir) {
			file := dir + "/" + id + "/status"
			b, err := fsys.readIn(markerLimit, root, strings.TrimPrefix(file, "/"))
			if err != nil {
				continue
			}
			var st struct {
				Pid   int    `json:"pid"`
				Start uint64 `json:"process-start-time"`
			}
			if json.Unmarshal(bytes.TrimSpace(b), &st) != nil || st.Pid <= 0 {
				continue
			}
			rt := Runtime{Name: RuntimeCrun, ContainerID: id, ContainerName: id}
			rt.Sources.add("name", file, "pid "+strconv.Itoa(st.Pid))
			add(rt, st.Pid, st.Start, true)
		}
	}
	return out
}

// taskIndex maps what the runtimes' state says to the processes of one
// listing: a container's init by pid, its cgroups, and its descendants.
//
// A cgroup counts as the container's only when its last element holds the
// container's id, as every runtime names the cgroups it makes (/<id>,
// /<namespace>/<id>, …-<id>.scope): a container started without a cgroup
// of its own shares its caller's, and the caller's other processes are not
// the container's. Processes of such a container are found by descent from
// its init.
type taskIndex struct {
	byPID    map[int]int    // init pid -> task
	byCgroup map[string]int // "<hierarchy>:<path>" -> task
	parent   map[int]int
	tasks    []knownTask
}

func newTaskIndex(tasks []knownTask, procs []Proc) taskIndex {
	ix := taskIndex{byPID: map[int]int{}, byCgroup: map[string]int{}, parent: map[int]int{}, tasks: tasks}
	if len(tasks) == 0 {
		return ix
	}
	for i, t := range tasks {
		ix.byPID[t.pid] = i
	}
	for _, p := range procs {
		ix.parent[p.PID] = p.PPid
		i, ok := ix.byPID[p.PID]
		if !ok {
			continue
		}
		for _, l := range p.Cgroup {
			if l.Path != "/" && strings.Contains(path.Base(l.Path), tasks[i].rt.ContainerID) {
				ix.byCgroup[strconv.Itoa(l.Hierarchy)+":"+l.Path] = i
			}
		}
	}
	return ix
}

// lookup finds the task p belongs to: it is the init, it is in one of the
// init's own cgroups or below, or it descends from the init. The
// container's cgroup path is returned too (p's own when it has none).
func (ix taskIndex) lookup(p Proc) (knownTask, string, bool) {
	if len(ix.tasks) == 0 {
		return knownTask{}, "", false
	}
	for _, l := range p.Cgroup {
		for q := l.Path; q != "/" && q != "" && q != "."; q = path.Dir(q) {
			if i, ok := ix.byCgroup[strconv.Itoa(l.Hierarchy)+":"+q]; ok {
				return ix.tasks[i], q, true
			}
		}
	}
	own := ""
	if len(p.Cgroup) > 0 {
		own = p.Cgroup[len(p.Cgroup)-1].Path
		for _, l := range p.Cgroup {
			if l.Hierarchy == 0 {
				own = l.Path
			}
		}
	}
	// Ancestry, bounded: pid chains are short, and a cycle (pids reused
	// while the scan ran) must not loop.
	for pid, n := p.PID, 0; pid > 1 && n < 64; pid, n = ix.parent[pid], n+1 {
		if i, ok := ix.byPID[pid]; ok {
			return ix.tasks[i], own, true
		}
	}
	return knownTask{}, "", false
}

// hostMountNamespace is the host reference's mount namespace (PID 1's, or
// nsinspect's own when PID 1's is not readable).
func (fsys FS) hostMountNamespace() Namespace {
	ref, err := fsys.ChooseHostReference()
	if err != nil {
		return Namespace{}
	}
	link, err := os.Readlink(fsys.pid(ref.PID, "ns", string(NSMount)))
	if err != nil {
		return Namespace{}
	}
	_, ino, err := parseNamespaceLink(link)
	if err != nil {
		return Namespace{}
	}
	return Namespace{Type: NSMount, Inode: ino}
}

// stateRuntime recognises pid from the runtimes' state, for `pid` on a
// container whose cgroup path no pattern knows. It scans the host.
func (fsys FS) stateRuntime(pid int) (*Runtime, bool) {
	procs, err := fsys.Scan()
	if err != nil {
		return nil, false
	}
	d := fsys.runtimeDaemons(procs, fsys.hostMountNamespace())
	fsys.docker.learn(d)
	ix := newTaskIndex(fsys.knownTasks(procs, d), procs)
	for _, p := range procs {
		if p.PID == pid {
			if kt, _, ok := ix.lookup(p); ok {
				rt := kt.rt
				return &rt, true
			}
			break
		}
	}
	return nil, false
}

// nameRuntime fills in the name the runtime gave rt's container, as ps
// shows it, for `pid`. A Docker container of a dockerd with its own
// --data-root or socket is named once the host's dockerds were read.
func (fsys FS) nameRuntime(rt *Runtime, pid int) {
	if rt == nil || rt.ContainerName != "" || rt.ContainerID == "" {
		return
	}
	c := Container{ID: rt.ContainerID, Runtime: *rt, Pid: pid}
	n, ok := fsys.containerName(&c)
	if !ok && rt.Name == RuntimeDocker {
		if procs, err := fsys.Scan(); err == nil {
			fsys.docker.learn(fsys.runtimeDaemons(procs, fsys.hostMountNamespace()))
			n, ok = fsys.containerName(&c)
		}
	}
	if ok {
		rt.ContainerName = n
	}
}
