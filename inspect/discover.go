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
	"time"

	"golang.org/x/sys/unix"
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
// crun processes among procs. hostMnt is the host's mount namespace; c
// (nil: none) keeps what was read of each process across groupings.
func (fsys FS) runtimeDaemons(procs []Proc, hostMnt Namespace, c *stateCache) daemonArgs {
	d := daemonArgs{taskDirs: map[string]string{}, shims: map[int]bool{}}
	for _, p := range procs {
		kind := daemonKind(p.Comm)
		if kind == "" {
			continue
		}
		dp := c.daemon(p, func() daemonProc { return fsys.readDaemon(p, kind, hostMnt) })
		if !dp.host {
			continue
		}
		args := dp.args
		switch kind {
		case "shim":
			d.shims[p.PID] = true
			ns := flagValue(args, "namespace")
			if ns == "" {
				continue
			}
			// The shim's working directory is its task's bundle.
			if cwd := dp.cwd; path.IsAbs(cwd) {
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

// daemonProc is what one runtime process says: whether it is a root
// process of the host, its arguments, and (a shim's) working directory.
type daemonProc struct {
	start uint64
	host  bool
	args  []string
	cwd   string
}

func (fsys FS) readDaemon(p Proc, kind string, hostMnt Namespace) daemonProc {
	dp := daemonProc{start: p.StartTicks}
	if !fsys.hostRootProcess(p, hostMnt) {
		return dp
	}
	b, err := fsys.readSlow(fsys.pid(p.PID, "cmdline"))
	if err != nil {
		return dp
	}
	dp.host = true
	dp.args = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if kind == "shim" {
		dp.cwd, _ = os.Readlink(fsys.pid(p.PID, "cwd"))
	}
	return dp
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

// stateEntries lists the subdirectories of a trusted state directory.
func (fsys FS) stateEntries(dir string, c *stateCache) []string {
	full := fsys.stateDir() + dir
	fi, err := os.Lstat(full)
	if err != nil || !fi.IsDir() {
		return nil
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !trustedOwner(st.Uid) || fi.Mode().Perm()&0o022 != 0 {
		return nil
	}
	// A directory's mtime changes when an entry is made or removed.
	if ents, ok := c.entries(dir, fi.ModTime()); ok {
		return ents
	}
	// A tmpfs (/run, where every runtime keeps its state by default)
	// answers from memory; any other filesystem is read under the
	// deadline, which costs a thread.
	read := func() ([]fs.DirEntry, error) { return os.ReadDir(full) }
	var ents []fs.DirEntry
	var sfs unix.Statfs_t
	if unix.Statfs(full, &sfs) == nil && sfs.Type == unix.TMPFS_MAGIC {
		ents, err = read()
	} else {
		ents, err = withDeadline(fsys, full, read)
	}
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && e.Name() != "" && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	c.keepEntries(dir, fi.ModTime(), out)
	return out
}

// A stateFormat is where one runtime keeps a container's state and how to
// read the init's pid (and start, when it records one) from it.
type stateFormat struct {
	file  string // below <root>/<id>/
	limit int
	parse func(b []byte, id string) (pid int, start uint64, hasStart, ok bool)
}

var (
	// containerd: <state>/io.containerd.runtime.v2.task/<ns>/<id>/init.pid
	containerdTask = stateFormat{"init.pid", markerLimit, func(b []byte, _ string) (int, uint64, bool, bool) {
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		return pid, 0, false, err == nil
	}}
	// runc: <root>/<id>/state.json
	runcState = stateFormat{"state.json", stateLimit, func(b []byte, id string) (int, uint64, bool, bool) {
		var st struct {
			ID    string `json:"id"`
			Pid   int    `json:"init_process_pid"`
			Start uint64 `json:"init_process_start"`
		}
		ok := json.Unmarshal(b, &st) == nil && st.ID == id
		return st.Pid, st.Start, true, ok
	}}
	// crun: <root>/<id>/status
	crunStatus = stateFormat{"status", markerLimit, func(b []byte, _ string) (int, uint64, bool, bool) {
		var st struct {
			Pid   int    `json:"pid"`
			Start uint64 `json:"process-start-time"`
		}
		ok := json.Unmarshal(bytes.TrimSpace(b), &st) == nil
		return st.Pid, st.Start, true, ok
	}}
)

// knownTasks is every container the runtimes' state names whose init is
// among procs, as it claims.
func (fsys FS) knownTasks(procs []Proc, d daemonArgs, c *stateCache) []knownTask {
	byPID := make(map[int]Proc, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	var out []knownTask
	seen := map[int]bool{}
	root := fsys.stateDir()
	scan := func(dir string, f stateFormat, rt func(id string) Runtime, valid func(Proc) bool) {
		for _, id := range fsys.stateEntries(dir, c) {
			file := dir + "/" + id + "/" + f.file
			pid, ok := c.task(file, byPID)
			if !ok {
				b, err := fsys.readIn(f.limit, root, strings.TrimPrefix(file, "/"))
				if err != nil {
					continue
				}
				var start uint64
				var hasStart bool
				if pid, start, hasStart, ok = f.parse(b, id); !ok || pid <= 0 {
					continue
				}
				p, live := byPID[pid]
				// A state left by a dead container can name a pid that
				// is now another process.
				if !live || hasStart && p.StartTicks != start || !valid(p) {
					continue
				}
				c.keepTask(file, pid, p.StartTicks)
			}
			if seen[pid] {
				continue
			}
			seen[pid] = true
			r := rt(id)
			r.Sources.Add("name", file, "init pid "+strconv.Itoa(pid))
			out = append(out, knownTask{rt: r, pid: pid})
		}
	}
	anyProc := func(Proc) bool { return true }
	for dir, ns := range d.taskDirs {
		// A task's init is the child of its shim (the shim is its
		// subreaper): init.pid records no start time.
		scan(dir, containerdTask, func(id string) Runtime {
			if ns == "moby" {
				return Runtime{Name: RuntimeDocker, ContainerID: id} // dockerd's containerd namespace
			}
			return Runtime{Name: RuntimeContainerd, Namespace: ns, ContainerID: id, ContainerName: id}
		}, func(p Proc) bool { return d.shims[p.PPid] })
	}
	for _, dir := range d.runcRoots {
		scan(dir, runcState, func(id string) Runtime { return Runtime{Name: RuntimeRunc, ContainerID: id, ContainerName: id} }, anyProc)
	}
	for _, dir := range d.crunRoots {
		scan(dir, crunStatus, func(id string) Runtime { return Runtime{Name: RuntimeCrun, ContainerID: id, ContainerName: id} }, anyProc)
	}
	return out
}

// stateCache keeps, for a Scanner, what the runtimes' processes and state
// said, so that regrouping every second costs a stat per state directory
// rather than a read per container: a process's arguments for as long as
// it lives (same pid and start), a directory's entries while its mtime is
// unchanged, and a state file's init while that process lives. A nil
// cache keeps nothing.
type stateCache struct {
	daemons map[int]daemonProc
	dirs    map[string]cachedDir
	tasks   map[string]cachedTask
}

type cachedDir struct {
	mtime time.Time
	ents  []string
}

type cachedTask struct {
	pid   int
	start uint64
}

func newStateCache() *stateCache {
	return &stateCache{daemons: map[int]daemonProc{}, dirs: map[string]cachedDir{}, tasks: map[string]cachedTask{}}
}

func (c *stateCache) daemon(p Proc, read func() daemonProc) daemonProc {
	if c == nil {
		return read()
	}
	if dp, ok := c.daemons[p.PID]; ok && dp.start == p.StartTicks {
		return dp
	}
	dp := read()
	c.daemons[p.PID] = dp
	return dp
}

func (c *stateCache) entries(dir string, mtime time.Time) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	d, ok := c.dirs[dir]
	return d.ents, ok && d.mtime.Equal(mtime)
}

func (c *stateCache) keepEntries(dir string, mtime time.Time, ents []string) {
	if c != nil {
		c.dirs[dir] = cachedDir{mtime, ents}
	}
}

// task is the init a state file named, while that process lives.
func (c *stateCache) task(file string, procs map[int]Proc) (int, bool) {
	if c == nil {
		return 0, false
	}
	t, ok := c.tasks[file]
	if !ok {
		return 0, false
	}
	if p, live := procs[t.pid]; live && p.StartTicks == t.start {
		return t.pid, true
	}
	delete(c.tasks, file)
	return 0, false
}

func (c *stateCache) keepTask(file string, pid int, start uint64) {
	if c != nil {
		c.tasks[file] = cachedTask{pid, start}
	}
}

// prune forgets the processes that are gone.
func (c *stateCache) prune(procs []Proc) {
	if c == nil || len(c.daemons) == 0 {
		return
	}
	live := make(map[int]bool, len(procs))
	for _, p := range procs {
		live[p.PID] = true
	}
	for pid := range c.daemons {
		if !live[pid] {
			delete(c.daemons, pid)
		}
	}
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
	procs, err := fsys.scanRecent()
	if err != nil {
		return nil, false
	}
	d := fsys.runtimeDaemons(procs, fsys.hostMountNamespace(), nil)
	fsys.docker.learn(d)
	ix := newTaskIndex(fsys.knownTasks(procs, d, nil), procs)
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
		if procs, err := fsys.scanRecent(); err == nil {
			fsys.docker.learn(fsys.runtimeDaemons(procs, fsys.hostMountNamespace(), nil))
			n, ok = fsys.containerName(&c)
		}
	}
	if ok {
		rt.ContainerName = n
	}
}
