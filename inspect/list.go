package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proc is one process as a host-wide listing needs it: two small reads
// per pid, /proc/<pid>/stat and /proc/<pid>/cgroup.
type Proc struct {
	PID        int
	PPid       int
	StartTicks uint64
	Comm       string
	State      string
	Cgroup     []CgroupLine
	cgroupRaw  string // /proc/<pid>/cgroup as read, to notice a move
}

// kernelThread reports whether p is kthreadd (pid 2) or one of its
// children, the kernel's own threads: never in a container.
func (p Proc) kernelThread() bool { return p.PID == 2 || p.PPid == 2 }

// userProcs leaves out the kernel threads, in place.
func userProcs(all []Proc) []Proc {
	procs := all[:0]
	for _, p := range all {
		if !p.kernelThread() {
			procs = append(procs, p)
		}
	}
	return procs
}

// Scan reads every process of the proc root. A process that exits while
// being read is skipped: the list is a snapshot of what could be read.
// Kernel threads (children of kthreadd, pid 2) are left out.
func (fsys FS) Scan() ([]Proc, error) {
	procs, err := fsys.scan(nil)
	if err == nil && fsys.recent != nil {
		fsys.recent.mu.Lock()
		fsys.recent.at, fsys.recent.procs = time.Now(), procs
		fsys.recent.mu.Unlock()
	}
	return procs, err
}

// prefetchScan starts a Scan on a goroutine of its own, for the lookups
// that will want one (scanRecent waits for it): pid overlaps listing the
// host, for the note on a number that is also a container's name, with
// reading its target and the host. The scan only reads /proc into a
// list of its own; what is made of the list is done by the caller.
func (fsys FS) prefetchScan() {
	r := fsys.recent
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != nil || (r.procs != nil && time.Since(r.at) < recentScanTTL) {
		return
	}
	done := make(chan struct{})
	r.inflight = done
	go func() {
		procs, err := fsys.scan(nil)
		r.mu.Lock()
		if err == nil {
			r.at, r.procs = time.Now(), procs
		}
		r.inflight = nil
		r.mu.Unlock()
		close(done)
	}()
}

// scanRecent is the last Scan when it is under recentScanTTL old (waiting
// for one in flight), else a new one.
func (fsys FS) scanRecent() ([]Proc, error) {
	if r := fsys.recent; r != nil {
		r.mu.Lock()
		if done := r.inflight; done != nil {
			r.mu.Unlock()
			<-done
			r.mu.Lock()
		}
		procs, at := r.procs, r.at
		r.mu.Unlock()
		if procs != nil && time.Since(at) < recentScanTTL {
			return procs, nil
		}
	}
	return fsys.Scan()
}

// Scanner scans the same proc root again and again (nsinspect stats),
// reading only processes it has not seen before: a listing per second then
// costs one directory read, not two file reads per process.
type Scanner struct {
	fsys  FS
	known map[int]Proc
	names *nameCache
	state *stateCache // what the runtimes' state said (discover.go)
	// The last grouping, reused while the set of processes and their
	// cgroups are unchanged.
	lastPids []int
	lastCs   []Container
	lastOpt  ListOptions
	moved    bool         // a known process changed cgroup in the last scan
	member   map[int]bool // pids in a container at the last grouping
	keys     keyMemo
	scans    int
}

// recentStart is how young a process outside the containers must be for
// the Scanner to re-read its cgroup every scan. Runtimes move a process
// into its container's cgroup within milliseconds of its start (runc init,
// a shim's task, a launcher's init, systemd-run --scope); ten seconds
// covers a loaded or emulated machine. An older process moved later
// (cgclassify) shows from the next full scan, every fifth. A minute here
// kept the 200 supervisors of freshly started containers rechecked every
// second, a fifth of streaming's cost at 200 containers.
const recentStart = 10 * time.Second

// NewScanner returns a Scanner over fsys.
func (fsys FS) NewScanner() *Scanner {
	return &Scanner{fsys: fsys, known: map[int]Proc{}, names: newNameCache(), state: newStateCache()}
}

// Scan lists the processes. Of a pid seen before it re-reads only
// /proc/<pid>/cgroup, every time: runtimes move processes between cgroups
// (a launcher's init exists a moment before it joins the container's,
// runc and systemd scopes move theirs), and a process that moved is read
// afresh, so it shows in its container from the next sample on.
func (s *Scanner) Scan() ([]Proc, error) {
	// The processes that join a container are young ones outside every
	// container (a launcher's init, a runc child, a shim's task): those
	// started in the last recentStart are checked every scan. The rest (long
	// running host processes, the members themselves) every fifth scan:
	// re-reading every cgroup file every second cost 0.6 % of a core at
	// 200 containers on this hybrid VM (scripts/bench/stats.sh).
	s.scans++
	all := s.scans%5 == 0
	var youngFrom uint64
	if btime, err := s.fsys.bootTime(); err == nil {
		if up := time.Since(time.Unix(btime, 0)) - recentStart; up > 0 {
			youngFrom = uint64(up * userHZ / time.Second)
		}
	}
	// Kernel threads are remembered too, though never listed: read
	// afresh every scan they were 56 of this host's ~470 pids and most of
	// a steady scan's reads. Their pids are re-read on the full scans, as
	// pid_max can be 32768 and a kworker's pid comes back as a user
	// process.
	procs, moved, err := s.fsys.scanKnown(s.known, func(p Proc) bool {
		return all || !p.kernelThread() && !s.member[p.PID] && p.StartTicks >= youngFrom
	})
	if err != nil {
		return nil, err
	}
	s.moved = moved
	clear(s.known)
	for _, p := range procs {
		s.known[p.PID] = p
	}
	return userProcs(procs), nil
}

// Containers groups the processes of the last scan, naming each container
// once it has a name; while no process came, went or moved, the last
// grouping is returned.
func (s *Scanner) Containers(procs []Proc, opt ListOptions) []Container {
	same := !s.moved && !s.names.retryDue() && len(procs) == len(s.lastPids) && opt.Namespaces == s.lastOpt.Namespaces
	for i := 0; same && i < len(procs); i++ {
		same = procs[i].PID == s.lastPids[i]
	}
	if same && s.lastCs != nil {
		return s.lastCs
	}
	s.lastPids = s.lastPids[:0]
	for _, p := range procs {
		s.lastPids = append(s.lastPids, p.PID)
	}
	s.lastOpt = opt
	s.lastCs = s.fsys.containers(procs, opt, s.names, s.state, s.keys.next(len(procs)))
	s.names.keepOnly(s.lastCs)
	s.member = map[int]bool{}
	for _, c := range s.lastCs {
		for _, pid := range c.Pids {
			s.member[pid] = true
		}
	}
	return s.lastCs
}

func (fsys FS) scan(known map[int]Proc) ([]Proc, error) {
	procs, _, err := fsys.scanKnown(known, func(Proc) bool { return false })
	return userProcs(procs), err
}

// scanKnown lists the processes, kernel threads included, reusing what it
// read of a known pid unless recheck asks and its cgroup file changed
// (moved reports that one did); a kernel thread rechecked is read afresh.
func (fsys FS) scanKnown(known map[int]Proc, recheck func(Proc) bool) ([]Proc, bool, error) {
	d, err := os.Open(fsys.procRoot)
	if err != nil {
		return nil, false, fmt.Errorf("listing %s: %w", fsys.procRoot, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, false, fmt.Errorf("listing %s: %w", fsys.procRoot, err)
	}
	var pids []int
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	out := make([]Proc, len(pids))
	ok := make([]bool, len(pids))
	var fresh []int
	moved := false
	var buf []byte
	for i, pid := range pids {
		if p, seen := known[pid]; seen {
			if !recheck(p) {
				out[i], ok[i] = p, true
				continue
			}
			if p.kernelThread() {
				fresh = append(fresh, i)
				continue
			}
			if buf == nil {
				bp := bufPool.Get().(*[]byte)
				defer bufPool.Put(bp)
				buf = *bp
			}
			same, err := sameContent(fsys.pid(pid, "cgroup"), p.cgroupRaw, buf)
			if err != nil {
				continue // gone
			}
			if same {
				out[i], ok[i] = p, true
				continue
			}
			moved = true
		}
		fresh = append(fresh, i)
	}
	// Two workers: the reads are system calls, and this machine class has
	// two CPUs; more only adds scheduling. Few new pids: no goroutines.
	workers := 2
	if len(fresh) < 64 {
		workers = 1
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := newProcReader()
			defer r.done()
			for j := w; j < len(fresh); j += workers {
				i := fresh[j]
				out[i], ok[i] = fsys.readProc(pids[i], r)
			}
		}(w)
	}
	wg.Wait()
	procs := out[:0]
	for i := range out {
		if ok[i] {
			procs = append(procs, out[i])
		}
	}
	return procs, moved, nil
}

// procReader reads processes for one worker of a scan: into one buffer,
// and with the parsed cgroup file of each distinct content kept, since
// the processes of a host sit in few cgroups (every process of a
// container, every service's workers): those share one string and one
// parsed slice, which nothing changes, instead of an allocation each.
type procReader struct {
	bp      *[]byte
	cgroups map[string]parsedCgroup
}

type parsedCgroup struct {
	raw   string
	lines []CgroupLine
}

func newProcReader() *procReader {
	return &procReader{bp: bufPool.Get().(*[]byte), cgroups: map[string]parsedCgroup{}}
}

func (r *procReader) done() { bufPool.Put(r.bp) }

func (fsys FS) readProc(pid int, r *procReader) (Proc, bool) {
	b, err := readInto(fsys.pid(pid, "stat"), r.bp, true)
	if err != nil {
		return Proc{}, false
	}
	st, err := parseStat(b)
	if err != nil {
		return Proc{}, false
	}
	p := Proc{PID: pid, PPid: st.PPid, StartTicks: st.StartTicks, Comm: st.Comm, State: st.State}
	if p.kernelThread() {
		return p, true
	}
	if b, err := readInto(fsys.pid(pid, "cgroup"), r.bp, true); err == nil {
		c, seen := r.cgroups[string(b)]
		if !seen {
			c.raw = string(b)
			c.lines, _ = parseCgroupFile(strings.NewReader(c.raw))
			c.lines = fsys.rebaseCgroupLines(c.lines)
			r.cgroups[c.raw] = c
		}
		p.cgroupRaw, p.Cgroup = c.raw, c.lines
	}
	return p, true
}

// ListOptions tune Containers.
type ListOptions struct {
	// Namespaces also groups processes with their own pid or mount
	// namespace that no runtime claims.
	Namespaces bool
	// Host is the host's pid and mount namespace, to tell isolated
	// processes; usually the reference's.
	Host []Namespace
}

// containerKey recognises the container a process belongs to from its
// cgroup lines, unified first, and returns the container's own cgroup.
// monitor is true for a runtime's own helper (conmon, an LXC monitor): not a
// container, and not a namespace group either, though it may sit in the
// container's user and mount namespaces (rootless podman).
func containerKey(lines []CgroupLine, memo map[string]cgroupMatch) (rt Runtime, key, cgroup string, monitor, ok bool) {
	try := func(l CgroupLine) bool {
		m, seen := memo[l.Path]
		if !seen {
			m.rt, m.own, m.ok = matchCgroupPath(l.Path)
			memo[l.Path] = m
		}
		r, own, found := m.rt, m.own, m.ok
		if !found {
			return false
		}
		if r.Role == "monitor" {
			monitor = true
			return false
		}
		id := r.ContainerID
		if id == "" {
			id = r.ContainerName
		}
		if id == "" {
			id = r.PodUID
		}
		rt, key, cgroup, ok = r, r.Name+":"+id, own, true
		return true
	}
	for _, l := range lines {
		if l.Hierarchy == 0 && try(l) {
			return rt, key, cgroup, false, true
		}
	}
	for _, l := range lines {
		if l.Hierarchy != 0 && try(l) {
			return rt, key, cgroup, false, true
		}
	}
	return Runtime{}, "", "", monitor, false
}

// cgroupMatch memoises matchCgroupPath within one grouping: the members of
// a container share their cgroup paths, and a regular expression per line
// of every process is most of the grouping's cost on a busy host.
type cgroupMatch struct {
	rt  Runtime
	own string
	ok  bool
}

// Containers groups scanned processes into containers, sorted by runtime
// and name.
func (fsys FS) Containers(procs []Proc, opt ListOptions) []Container {
	return fsys.containers(procs, opt, nil, nil, nil)
}

// keyResult is what containerKey said of one /proc/<pid>/cgroup content.
type keyResult struct {
	rt          Runtime
	key, cgroup string
	monitor, ok bool
}

// keyMemo keeps containerKey's answers across a Scanner's groupings, by
// the raw cgroup file: on a host whose processes come and go the grouping
// is redone every second, and matching every line of every process was
// its largest cost (6 % of streaming at 200 containers).
type keyMemo map[string]keyResult

// next returns the memo for a grouping of n processes, emptied when it
// holds many more contents than there are processes (gone ones).
func (m *keyMemo) next(n int) keyMemo {
	if *m == nil || len(*m) > 2*n+256 {
		*m = keyMemo{}
	}
	return *m
}

func (fsys FS) containers(procs []Proc, opt ListOptions, names *nameCache, state *stateCache, keys keyMemo) []Container {
	groups := map[string]*Container{}
	var order []string
	member := map[int]string{}
	memo := map[string]cgroupMatch{}
	hostMnt, _ := FindNamespace(opt.Host, NSMount)
	d := fsys.runtimeDaemons(procs, hostMnt, state)
	fsys.docker.learn(d)
	ix := newTaskIndex(fsys.knownTasks(procs, d, state), procs)
	state.prune(procs)
	for _, p := range procs {
		kr, seen := keys[p.cgroupRaw]
		if !seen || p.cgroupRaw == "" {
			kr.rt, kr.key, kr.cgroup, kr.monitor, kr.ok = containerKey(p.Cgroup, memo)
			if keys != nil && p.cgroupRaw != "" {
				keys[p.cgroupRaw] = kr
			}
		}
		rt, key, path, monitor, ok := kr.rt, kr.key, kr.cgroup, kr.monitor, kr.ok
		// A runtime's own state names containers whose cgroup path does
		// not (free-form ids), and says which runtime made one that a
		// pattern knows only by the shape of its path.
		if kt, cg, found := ix.lookup(p); found && (!ok || (rt.Name == RuntimeOCI || rt.Name == RuntimeContainerd) && rt.ContainerID == kt.rt.ContainerID) {
			rt, key, path, ok = kt.rt, kt.rt.Name+":"+kt.rt.ContainerID, cg, true
		}
		if !ok && !monitor && opt.Namespaces {
			key, ok = fsys.namespaceKey(p.PID, opt.Host)
			rt = Runtime{Name: RuntimeNamespaces}
			path = ""
			if len(p.Cgroup) > 0 {
				path = p.Cgroup[len(p.Cgroup)-1].Path
			}
		}
		if !ok {
			continue
		}
		c, seen := groups[key]
		if !seen {
			c = &Container{Runtime: rt, Cgroup: path}
			groups[key] = c
			order = append(order, key)
		}
		c.Pids = append(c.Pids, p.PID)
		member[p.PID] = key
	}
	byPID := map[int]Proc{}
	for _, p := range procs {
		byPID[p.PID] = p
	}
	var out []Container
	for _, key := range order {
		c := groups[key]
		for _, pid := range c.Pids {
			p := byPID[pid]
			if member[p.PPid] == key {
				continue
			}
			if c.Pid == 0 || p.StartTicks < c.StartTicks {
				c.Pid, c.StartTicks = pid, p.StartTicks
			}
		}
		// Runtimes without an id (LXC, nspawn, pod cgroups) and namespace
		// groups get a stable one from their key, shaped like the others.
		c.ID = c.Runtime.ContainerID
		if c.ID == "" {
			h := fnv.New64a()
			h.Write([]byte(key))
			c.ID = fmt.Sprintf("%016x", h.Sum64()) + strings.Repeat("0", 48)
		}
		if c.Runtime.Name == RuntimeNamespaces {
			c.Name = byPID[c.Pid].Comm
		}
		if c.Name == "" {
			c.Name, c.Image = names.get(c.ID, func() (string, string, bool) {
				n, ok := fsys.containerName(c)
				return n, c.Image, ok
			})
		}
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Runtime.Name != out[j].Runtime.Name {
			return out[i].Runtime.Name < out[j].Runtime.Name
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// namespaceKey is the pid and mount namespace of pid when either differs
// from the host's.
func (fsys FS) namespaceKey(pid int, host []Namespace) (string, bool) {
	var parts []string
	isolated := false
	for _, t := range []NamespaceType{NSPID, NSMount} {
		link, err := os.Readlink(fsys.pid(pid, "ns", string(t)))
		if err != nil {
			return "", false
		}
		_, ino, err := parseNamespaceLink(link)
		if err != nil {
			return "", false
		}
		if h, ok := FindNamespace(host, t); ok && h.Inode != ino {
			isolated = true
		}
		parts = append(parts, link)
	}
	return "ns:" + strings.Join(parts, ","), isolated
}

// hostPath is where a file of the host's state directories can be read:
// under WithStateRoot's directory; else under the root of PID 1 of the
// proc root (reading /host/proc), or directly when reading the live /proc.
func (fsys FS) hostPath(p string) string {
	if fsys.stateRoot != "" {
		return fsys.stateRoot + p
	}
	via := fsys.pid(1, "root") + p
	if _, err := os.Stat(via); err == nil || !fsys.Live() {
		return via
	}
	return p
}

// stateDir is the root the host's state directories are read under:
// WithStateRoot's, else the host's root.
func (fsys FS) stateDir() string {
	if fsys.stateRoot != "" {
		return fsys.stateRoot
	}
	return fsys.hostRoot()
}

// hostRoot is the host's root directory: that of PID 1 of the proc root,
// or / when reading the live /proc without access to PID 1's root (a
// non-root reader), as for hostPath.
func (fsys FS) hostRoot() string {
	via := fsys.pid(1, "root")
	if _, err := os.Stat(via); err == nil || !fsys.Live() {
		return via
	}
	return "/"
}

// podmanStoreName looks id up in podman's containers.json: root's store,
// or, for a rootless container (cgroup under user@<uid>.service), the store
// under that user's home from the host's /etc/passwd. The user owns
// everything below their home (and can mount FUSE there), so that store is
// read confined to the home, which is resolved inside the host's root.
func (fsys FS) podmanStoreName(id, cgroup string) string {
	const store = "containers/storage/overlay-containers/containers.json"
	read := func() ([]byte, error) { return os.ReadFile(fsys.hostPath("/var/lib/" + store)) }
	if _, rest, ok := strings.Cut(cgroup, "/user@"); ok {
		if uid, _, ok := strings.Cut(rest, ".service"); ok {
			if home := fsys.homeOf(uid); home != "" {
				read = func() ([]byte, error) { return fsys.readIn(storeLimit, fsys.stateDir(), home, ".local/share/"+store) }
			}
		}
	}
	if b, err := read(); err == nil {
		var cs []struct {
			ID    string   `json:"id"`
			Names []string `json:"names"`
		}
		if json.Unmarshal(b, &cs) == nil {
			for _, c := range cs {
				if c.ID == id && len(c.Names) > 0 {
					return c.Names[0]
				}
			}
		}
	}
	return ""
}

// homeOf is the home directory of uid in the host's /etc/passwd.
func (fsys FS) homeOf(uid string) string {
	b, err := os.ReadFile(fsys.hostPath("/etc/passwd"))
	if err != nil {
		return ""
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		// name:password:uid:gid:gecos:home:shell
		if f := strings.Split(line, ":"); len(f) >= 7 && f[2] == uid && strings.HasPrefix(f[5], "/") {
			return f[5]
		}
	}
	return ""
}

// k8sLogRE parses kubelet's log link names; compiled on first use.
var k8sLogRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(.+)_(.+)_([^_]+)-[0-9a-f]{64}\.log$`)
})

// containerName finds the name a runtime gave the container, where the host
// shows it without credentials (true); the short id otherwise (false).
func (fsys FS) containerName(c *Container) (string, bool) {
	rt := c.Runtime
	short := c.ID
	if len(short) > 12 {
		short = short[:12]
	}
	switch rt.Name {
	case RuntimeLXC, RuntimeNspawn:
		if rt.ContainerName != "" {
			return rt.ContainerName, true
		}
	case RuntimeDocker:
		// dockerd's own record of the container, on the host: its name and
		// the image as the user asked for it (docker ps's IMAGE).
		var cfg struct {
			Name   string
			Config struct{ Image string }
		}
		for _, root := range fsys.docker.dataRoots() {
			if b, err := os.ReadFile(fsys.hostPath(root + "/containers/" + rt.ContainerID + "/config.v2.json")); err == nil && json.Unmarshal(b, &cfg) == nil && cfg.Name != "" {
				c.Image = cfg.Config.Image
				return strings.TrimPrefix(cfg.Name, "/"), true
			}
		}
		if n := fsys.dockerAPIName(rt.ContainerID); n != "" {
			return n, true
		}
	case RuntimeContainerd, RuntimeRunc, RuntimeCrun:
		// Their ids are the names users give (ctr run … web, runc run
		// web); a 64-hex id shows short.
		if rt.ContainerName != "" && !hasHex64(rt.ContainerName) {
			return rt.ContainerName, true
		}
	case RuntimePodman:
		// podman writes the name into the container's /run/.containerenv;
		// its store's containers.json has it too (root's, or the rootless
		// user's under their home).
		if b, err := fsys.readIn(markerLimit, fsys.pid(c.Pid, "root"), "run/.containerenv"); err == nil {
			if n := parseEnvFile(b)["name"]; n != "" {
				return n, true
			}
		}
		if n := fsys.podmanStoreName(rt.ContainerID, c.Cgroup); n != "" {
			return n, true
		}
	case RuntimeKubernetes:
		// kubelet links each container's log as
		// /var/log/containers/<pod>_<namespace>_<container>-<id>.log.
		if rt.ContainerID != "" {
			matches, _ := filepath.Glob(fsys.hostPath("/var/log/containers") + "/*-" + rt.ContainerID + ".log")
			if len(matches) == 1 {
				if m := k8sLogRE().FindStringSubmatch(filepath.Base(matches[0])); m != nil {
					return m[2] + "/" + m[1] + "/" + m[3], true
				}
			}
		}
		// Without a log link (the pause container, a pod's own cgroup), the
		// pod's log directory /var/log/pods/<namespace>_<pod>_<uid> still
		// names the pod.
		if rt.PodUID != "" {
			matches, _ := filepath.Glob(fsys.hostPath("/var/log/pods") + "/*_*_" + rt.PodUID)
			if len(matches) == 1 {
				parts := strings.Split(filepath.Base(matches[0]), "_")
				if len(parts) == 3 {
					if rt.ContainerID == "" {
						return parts[0] + "/" + parts[1], true
					}
					return parts[0] + "/" + parts[1] + "/" + short, true
				}
			}
		}
	case RuntimeNsinspect:
		if st := fsys.nsinspectState(rt.ContainerID); st.Name != "" {
			return st.Name, true
		}
	}
	return short, false
}

// StartTime turns a start in ticks after boot into wall time.
func (fsys FS) StartTime(ticks uint64) time.Time {
	btime, err := fsys.bootTime()
	if err != nil {
		return time.Time{}
	}
	return time.Unix(btime, 0).Add(time.Duration(ticks) * time.Second / userHZ).UTC()
}

// Describe reads the facts a listing shows of c. Parts that cannot be read
// (the container just exited) are left empty.
func (fsys FS) Describe(c Container) ContainerFacts {
	f := ContainerFacts{Container: c, Cmdline: []string{}}
	f.Namespaces, _ = fsys.Namespaces(c.Pid)
	f.Limits, _ = fsys.ContainerLimits(c.Pid)
	if b, err := fsys.readSlow(fsys.pid(c.Pid, "cmdline")); err == nil {
		if b = bytes.TrimRight(b, "\x00"); len(b) > 0 {
			f.Cmdline = strings.Split(string(b), "\x00")
		}
	}
	f.Started = fsys.StartTime(c.StartTicks)
	return f
}

// nameCache keeps the container names a Scanner found, by id: a name does
// not change. A container whose runtime had not yet written its name (the
// short id was the answer) is asked again, at most every nameRetry, so
// the name shows once it exists without a lookup in every sample.
type nameCache struct {
	found  map[string]named
	missed map[string]time.Time
	now    func() time.Time
}

const nameRetry = time.Second

func newNameCache() *nameCache {
	return &nameCache{found: map[string]named{}, missed: map[string]time.Time{}, now: time.Now}
}

// keepOnly forgets the containers that are gone: their misses, which
// would otherwise be retried (and regroup every sample) for ever, and
// their names, which would grow a long-lived session (the exporter on a
// node whose containers come and go) without end.
func (nc *nameCache) keepOnly(cs []Container) {
	if len(nc.missed) == 0 && len(nc.found) <= len(cs) {
		return
	}
	live := make(map[string]bool, len(cs))
	for _, c := range cs {
		live[c.ID] = true
	}
	for id := range nc.missed {
		if !live[id] {
			delete(nc.missed, id)
		}
	}
	for id := range nc.found {
		if !live[id] {
			delete(nc.found, id)
		}
	}
}

// retryDue reports whether a name not found before may be looked up again.
func (nc *nameCache) retryDue() bool {
	for _, at := range nc.missed {
		if nc.now().Sub(at) >= nameRetry {
			return true
		}
	}
	return false
}

// named is what the runtime's record says of a container.
type named struct{ name, image string }

// get returns id's name and image, looking them up with lookup when not
// known (a nil cache looks up every time).
func (nc *nameCache) get(id string, lookup func() (string, string, bool)) (string, string) {
	if nc == nil {
		n, img, _ := lookup()
		return n, img
	}
	if n, ok := nc.found[id]; ok {
		return n.name, n.image
	}
	if at, ok := nc.missed[id]; ok && nc.now().Sub(at) < nameRetry {
		if len(id) > 12 {
			return id[:12], ""
		}
		return id, ""
	}
	n, img, ok := lookup()
	if ok {
		nc.found[id] = named{n, img}
		delete(nc.missed, id)
	} else {
		nc.missed[id] = nc.now()
	}
	return n, img
}
