package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// cgroupMount is one cgroup filesystem in the reader's mount table.
type cgroupMount struct {
	root    string // root of the mount inside the hierarchy, relative to the reader's cgroup ns
	dir     string // mount point, rebased onto the configured cgroup root
	v2      bool
	options map[string]bool // super options: the v1 controllers and name=
	// For a mount above the reader's cgroup namespace (root "/../.."):
	// whether it is the hierarchy's root, and the path below it of the
	// namespace's root, found by its inode (nil: not found).
	hierarchyRoot bool
	nsRoot        []string
}

// cgroupMounts reads the cgroup mounts of the reader (/proc/self/mountinfo)
// and works out the mode: cgroup2 at the root is v2; v1 hierarchies with a
// cgroup2 tree elsewhere are hybrid. Mounts change at runtime (a controller
// can be mounted later), so this is read on every call.
func (fsys FS) cgroupMounts() ([]cgroupMount, CgroupMode, error) {
	file := fsys.self("mountinfo")
	b, err := readFile(file)
	if err != nil {
		return nil, CgroupNone, err
	}
	infos, err := mountinfo.GetMountsFromReader(bytes.NewReader(b), mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return nil, CgroupNone, fmt.Errorf("parsing %s: %w", file, err)
	}
	// A cgroup root other than /sys/fs/cgroup is either a fixture tree
	// (the reader's own mounts are rebased onto it) or where the host's
	// cgroupfs is mounted for a reader in a container (--path.sysfs
	// /host/sys): then the mounts are taken as they are, and the
	// container's own /sys/fs/cgroup stays its own.
	mounted := false
	for _, in := range infos {
		if rest, ok := strings.CutPrefix(in.Mountpoint, fsys.cgroupRoot); ok && (rest == "" || rest[0] == '/') {
			mounted = fsys.cgroupRoot != DefaultCgroupRoot
			break
		}
	}
	var out []cgroupMount
	var v1, v2, unifiedAtRoot bool
	for _, in := range infos {
		dir := in.Mountpoint
		if !mounted {
			dir = fsys.cgroupDir(in.Mountpoint)
		}
		m := cgroupMount{root: in.Root, dir: dir, v2: in.FSType == "cgroup2", options: map[string]bool{}}
		for o := range strings.SplitSeq(in.VFSOptions, ",") {
			m.options[o] = true
		}
		if m.v2 {
			v2 = true
			unifiedAtRoot = unifiedAtRoot || m.dir == fsys.cgroupRoot
		} else {
			v1 = true
		}
		out = append(out, m)
	}
	for i := range out {
		if dotDots(out[i].root) {
			out[i].hierarchyRoot = isHierarchyRoot(out[i].dir, out[i].v2)
			out[i].nsRoot = findNSRoot(out, out[i])
		}
	}
	mode := CgroupNone
	switch {
	case unifiedAtRoot && !v1:
		mode = CgroupV2
	case v1 && v2:
		mode = CgroupHybrid
	case v1:
		mode = CgroupV1
	case v2:
		mode = CgroupV2
	}
	return out, mode, nil
}

// cachedMounts is cgroupMounts, plus whether the reader is in the initial
// cgroup namespace (paths are relative to the reader's: "/" is the host's
// root cgroup only then), kept for mountsTTL.
func (fsys FS) cachedMounts() ([]cgroupMount, CgroupMode, bool, error) {
	c := fsys.mounts
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.at.IsZero() && time.Since(c.at) < mountsTTL {
			return c.mounts, c.mode, c.hostCNS, nil
		}
	}
	mounts, mode, err := fsys.cgroupMounts()
	hostCNS := false
	if link, lerr := os.Readlink(fsys.self("ns", "cgroup")); lerr == nil {
		if _, ino, perr := parseNamespaceLink(link); perr == nil {
			hostCNS, _ = Namespace{Type: NSCgroup, Inode: ino}.Initial()
		}
	}
	if c != nil && err == nil {
		c.at, c.mounts, c.mode, c.hostCNS = time.Now(), mounts, mode, hostCNS
	}
	return mounts, mode, hostCNS, err
}

// resolve finds the directory of a /proc/<pid>/cgroup line: the mount of
// that hierarchy plus the path relative to the mount's root. Both paths are
// relative to the reader's cgroup namespace (cgroup_path_ns), so a process
// outside it shows as "/../…" (systemd/systemd#17902): as many ".." as
// lead from the namespace's root up to the closest ancestor the two share,
// then down. Such a process is found only through a mount whose root is
// itself above the namespace's root, as the host's cgroupfs bind-mounted
// into the reader's container shows ("/../.."); a mount of the namespace's
// own tree never holds it. shown is the path to report: below a mount of
// the hierarchy's root (the DaemonSet's /host/sys/fs/cgroup), the host's
// path.
func resolve(mounts []cgroupMount, l CgroupLine) (dir, mountDir, shown string, err error) {
	up, rest := splitUp(l.Path)
	outside := up > 0
	for _, m := range mounts {
		if m.v2 != (l.Hierarchy == 0) {
			continue
		}
		if !m.v2 && !hasAll(m.options, l.Controllers) {
			continue
		}
		if m.root == "/" {
			if outside {
				continue
			}
			return path.Join(m.dir, l.Path), m.dir, l.Path, nil
		}
		var rel string
		ok := false
		if depth := len(m.nsRoot); m.nsRoot != nil && outside && up <= depth {
			// Up to the ancestor shared with the namespace's root, whose
			// path below the mount is known, then down.
			rel, ok = strings.Join(append(slices.Clone(m.nsRoot[:depth-up]), rest...), "/"), true
		} else if l.Path == m.root {
			ok = true
		} else {
			rel, ok = strings.CutPrefix(l.Path, m.root+"/")
		}
		// A ".." left below the mount's root climbs out of it: that cgroup
		// is not under this mount (the kernel writes ".." only as a prefix).
		if !ok || slices.Contains(strings.Split(rel, "/"), "..") {
			// The hierarchy may be mounted more than once; try the next mount.
			continue
		}
		shown = l.Path
		if m.hierarchyRoot {
			shown = "/" + rel
		}
		return path.Join(m.dir, rel), m.dir, shown, nil
	}
	if outside {
		return "", "", l.Path, fmt.Errorf("cgroup %s is outside the reader's cgroup namespace and no mount above it is visible", l.Path)
	}
	return "", "", l.Path, errors.New("no mount of this hierarchy is visible to the reader")
}

// splitUp splits a path relative to the reader's cgroup namespace into
// its leading ".." components and the rest.
func splitUp(p string) (int, []string) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	up := 0
	for up < len(parts) && parts[up] == ".." {
		up++
	}
	rest := parts[up:]
	if len(rest) == 1 && rest[0] == "" {
		rest = nil
	}
	return up, rest
}

// isHierarchyRoot reports whether dir is a hierarchy's root cgroup: on v2
// the root alone has no cgroup.type, on v1 the root alone has
// cgroup.sane_behavior (both cftypes the kernel puts on the root only or
// never on it).
func isHierarchyRoot(dir string, v2 bool) bool {
	if v2 {
		_, err := os.Lstat(dir + "/cgroup.type")
		return errors.Is(err, fs.ErrNotExist)
	}
	_, err := os.Lstat(dir + "/cgroup.sane_behavior")
	return err == nil
}

// maxNSRootSearch bounds the cgroups findNSRoot looks at.
const maxNSRootSearch = 20000

// findNSRoot finds, below a mount above the reader's cgroup namespace,
// the directory of the namespace's root: as many levels down as the
// mount's root has "..", the one with the inode of the reader's own mount
// of the same hierarchy (root "/", the namespace's root itself; kernfs
// numbers a cgroup's directory the same in every mount). Without such a
// mount, or past the bound, it is not found (nil).
func findNSRoot(mounts []cgroupMount, above cgroupMount) []string {
	var want uint64
	for _, m := range mounts {
		if m.root == "/" && m.v2 == above.v2 && (m.v2 || maps.Equal(m.options, above.options)) {
			var st unix.Stat_t
			if unix.Stat(m.dir, &st) == nil {
				want = st.Ino
			}
			break
		}
	}
	depth, _ := splitUp(above.root)
	if want == 0 || depth == 0 {
		return nil
	}
	level := [][]string{{}}
	seen := 0
	for d := 0; d < depth; d++ {
		var next [][]string
		for _, p := range level {
			entries, err := os.ReadDir(path.Join(append([]string{above.dir}, p...)...))
			if err != nil {
				continue
			}
			for _, e := range entries {
				if !e.IsDir() {
					continue
				}
				if seen++; seen > maxNSRootSearch {
					return nil
				}
				next = append(next, append(slices.Clone(p), e.Name()))
			}
		}
		level = next
	}
	for _, p := range level {
		var st unix.Stat_t
		if unix.Stat(path.Join(append([]string{above.dir}, p...)...), &st) == nil && st.Ino == want {
			return p
		}
	}
	return nil
}

// rebaseCgroupLines shows the paths of cgroups outside the reader's
// cgroup namespace ("/../../docker/<id>") as resolve does: relative to the
// mount above the namespace that holds them, the host's path when that is
// the host's cgroupfs. A reader in the initial namespace never sees "/..",
// and pays nothing.
func (fsys FS) rebaseCgroupLines(lines []CgroupLine) []CgroupLine {
	var mounts []cgroupMount
	for i, l := range lines {
		if !outsideNS(l.Path) {
			continue
		}
		if mounts == nil {
			var err error
			if mounts, _, _, err = fsys.cachedMounts(); err != nil {
				return lines
			}
		}
		if _, _, shown, err := resolve(mounts, l); err == nil {
			lines[i].Path = shown
		}
	}
	return lines
}

// outsideNS reports whether a path relative to the reader's cgroup
// namespace leads out of it ("/..", "/../…").
func outsideNS(p string) bool { return p == "/.." || strings.HasPrefix(p, "/../") }

// dotDots reports whether root is "/.." repeated: a mount of an ancestor
// of the reader's cgroup namespace root.
func dotDots(root string) bool {
	up, rest := splitUp(root)
	return up > 0 && len(rest) == 0
}

func hasAll(set map[string]bool, want []string) bool {
	if len(want) == 0 {
		return false
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// Cgroup reads the cgroups of pid: membership, limits and usage. Missing
// files leave values unknown; the returned errors say which parts failed.
func (fsys FS) Cgroup(pid int) (*Cgroup, []error) {
	cg, r, errs := fsys.resolveCgroup(pid, false)
	if cg == nil {
		return nil, errs
	}
	r.memory(&cg.Memory)
	r.cpu(&cg.CPU)
	r.pids(&cg.Pids)
	r.io(&cg.IO)
	r.devices(&cg.Devices)
	r.pressure(&cg.Pressure)
	return cg, append(errs, r.errs...)
}

// ContainerLimits reads only membership, the memory limit, the CPU quota
// and the pids limit and count of the container pid belongs to: what a
// listing of many containers shows. The cgroup read is the container's own
// (see matchCgroupPath), not the sub-cgroup a systemd inside it made.
func (fsys FS) ContainerLimits(pid int) (*Cgroup, []error) {
	cg, r, errs := fsys.resolveCgroup(pid, true)
	if cg == nil {
		return nil, errs
	}
	r.limits(cg)
	return cg, append(errs, r.errs...)
}

// resolveCgroup reads /proc/<pid>/cgroup and finds the directory of every
// hierarchy through the reader's cgroup mounts. With container, a path inside
// a recognised container's cgroup is cut back to the container's own.
func (fsys FS) resolveCgroup(pid int, container bool) (*Cgroup, *cgroupReader, []error) {
	cg := &Cgroup{File: fsys.pid(pid, "cgroup")}
	raw, err := readFile(cg.File)
	if err != nil {
		return nil, nil, []error{fmt.Errorf("reading %s: %w", cg.File, classify(err))}
	}
	lines, err := parseCgroupFile(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, []error{fmt.Errorf("%s: %w", cg.File, err)}
	}
	mounts, mode, hostRoot, err := fsys.cachedMounts()
	cg.Mode = mode
	if mode == CgroupV2 {
		for _, m := range mounts {
			if m.v2 && m.dir == fsys.cgroupRoot {
				d := m.options["nsdelegate"]
				cg.NsDelegate = &d
			}
		}
	}
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("reading cgroup mounts: %w", err))
	}

	dirs := map[string]string{} // controller (or "" for unified) -> directory
	mountDirs := map[string]string{}
	roots := map[string]bool{}   // controller -> the process sits in the hierarchy's root cgroup
	aboveNS := map[string]bool{} // and that root was reached through a mount above the reader's namespace
	for _, l := range lines {
		dir, mountDir, shown, err := resolve(mounts, l)
		if container {
			// The container's own cgroup: trim the same tail off the
			// kernel's path as off the one shown, and resolve that.
			if rt, own, ok := matchCgroupPath(shown); ok && rt.Role != "monitor" && own != shown {
				if tail := shown[len(own):]; strings.HasSuffix(l.Path, tail) {
					l.Path = strings.TrimSuffix(l.Path, tail)
					dir, mountDir, shown, err = resolve(mounts, l)
				}
			}
		}
		cp := CgroupPath{Hierarchy: l.Hierarchy, Controllers: l.Controllers, Path: shown}
		if cp.Controllers == nil {
			cp.Controllers = []string{}
		}
		if err != nil {
			cp.Error = err.Error()
		} else {
			cp.Dir = dir
		}
		cg.Paths = append(cg.Paths, cp)
		keys := l.Controllers
		if l.Hierarchy == 0 {
			keys = []string{""}
		}
		for _, k := range keys {
			if dir != "" {
				dirs[k], mountDirs[k] = dir, mountDir
			}
			roots[k] = shown == "/"
			aboveNS[k] = shown == "/" && outsideNS(l.Path)
		}
	}

	return cg, &cgroupReader{dirs: dirs, mountDirs: mountDirs, roots: roots, aboveNS: aboveNS, hostRoot: hostRoot, v2: mode == CgroupV2}, errs
}

// cgroupReader reads limit and usage files from the resolved directories.
type cgroupReader struct {
	dirs      map[string]string
	mountDirs map[string]string
	roots     map[string]bool // the process is at "/" of the hierarchy as the reader sees it
	hostRoot  bool            // and that "/" is the host's root cgroup
	aboveNS   map[string]bool // the process is at the root of a mount above the reader's namespace: the host's root
	v2        bool
	errs      []error
}

// dir is the directory of a v1 controller, or the unified one on v2.
func (r *cgroupReader) dir(controller string) (string, bool) {
	if r.v2 {
		controller = ""
	}
	d, ok := r.dirs[controller]
	return d, ok
}

// hostWide reports whether the root cgroup the process sits in is the
// host's: the reader is in the initial cgroup namespace, or reached it
// through a mount above its own namespace.
func (r *cgroupReader) hostWide(controller string) bool {
	if r.v2 {
		controller = ""
	}
	return r.hostRoot || r.aboveNS[controller]
}

func (r *cgroupReader) isRoot(controller string) bool {
	if r.v2 {
		controller = ""
	}
	return r.roots[controller]
}

// read returns the trimmed content of dir/name; a missing file is not an
// error (the controller is off or the kernel lacks the file).
func (r *cgroupReader) read(dir, name string) (string, string, bool) {
	p := dir + "/" + name
	s, err := readTrim(p)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.errs = append(r.errs, fmt.Errorf("reading %s: %w", p, classify(err)))
		}
		return "", p, false
	}
	return s, p, true
}

// limit reads a limit file into *dst. A root cgroup has no limit files: that
// is recorded as "no limit" with the directory as evidence.
func (r *cgroupReader) limit(src *Sources, field, dir, name string, root bool, dst **uint64) {
	s, p, ok := r.read(dir, name)
	if !ok {
		if root {
			src.Add(field, dir, "root cgroup: no "+name)
		}
		return
	}
	v, err := parseLimit(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", p, err))
		return
	}
	*dst = v
	src.Add(field, p, s)
}

func (r *cgroupReader) number(src *Sources, field, dir, name string, dst **uint64) {
	s, p, ok := r.read(dir, name)
	if !ok {
		return
	}
	v, err := parseUint(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", p, err))
		return
	}
	*dst = &v
	src.Add(field, p, s)
}

// keyed reads a flat keyed file; nil when absent.
func (r *cgroupReader) keyed(dir, name string) (map[string]uint64, string) {
	s, p, ok := r.read(dir, name)
	if !ok {
		return nil, p
	}
	kv, err := parseKeyValues([]byte(s))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", p, err))
		return nil, p
	}
	return kv, p
}

func (r *cgroupReader) pick(src *Sources, field, file string, kv map[string]uint64, key string, dst **uint64) {
	if v, ok := kv[key]; ok {
		*dst = &v
		src.Add(field, file, fmt.Sprintf("%s %d", key, v))
	}
}

func ptr[T any](v T) *T { return &v }

func (r *cgroupReader) memory(m *MemoryCgroup) {
	dir, ok := r.dir("memory")
	if !ok {
		return
	}
	m.Dir = dir
	root := r.isRoot("memory")
	m.HostWide = root && r.hostWide("memory")
	src := &m.Sources
	var stat map[string]uint64
	var statFile string
	inactiveKey, cacheKey, anonKey := "inactive_file", "file", "anon"
	if r.v2 {
		r.limit(src, "limitBytes", dir, memoryV2Max, root, &m.LimitBytes)
		r.limit(src, "highBytes", dir, memoryV2High, root, &m.HighBytes)
		r.limit(src, "swapLimitBytes", dir, memoryV2SwapMax, root, &m.SwapLimitBytes)
		r.number(src, "usageBytes", dir, memoryV2Current, &m.UsageBytes)
		r.number(src, "maxUsageBytes", dir, memoryV2Peak, &m.MaxUsageBytes)
		ev, evFile := r.keyed(dir, memoryV2Events)
		r.pick(src, "oomKills", evFile, ev, "oom_kill", &m.OOMKills)
		r.pick(src, "limitHits", evFile, ev, "max", &m.LimitHits)
		stat, statFile = r.keyed(dir, memoryStatFile)
		m.EffectiveLimitBytes = r.walkMin(src, "limitBytes", "effectiveLimitBytes", dir, r.mountDirs[""], memoryV2Max, m.LimitBytes)
	} else {
		r.limit(src, "limitBytes", dir, memoryV1Limit, root, &m.LimitBytes)
		r.limit(src, "softLimitBytes", dir, memoryV1SoftLimit, root, &m.SoftLimitBytes)
		r.number(src, "usageBytes", dir, memoryV1Usage, &m.UsageBytes)
		r.number(src, "maxUsageBytes", dir, memoryV1MaxUsage, &m.MaxUsageBytes)
		r.number(src, "limitHits", dir, memoryV1Failcnt, &m.LimitHits)
		oc, ocFile := r.keyed(dir, memoryV1OOMControl)
		r.pick(src, "oomKills", ocFile, oc, "oom_kill", &m.OOMKills)
		// memsw is memory plus swap; the swap share is what lies above the
		// memory limit. Without swap accounting the file does not exist.
		var memsw *uint64
		if s, p, ok := r.read(dir, memoryV1MemswLimit); ok {
			if v, err := parseLimit(s); err == nil {
				memsw = v
				if memsw != nil && m.LimitBytes != nil && *memsw >= *m.LimitBytes {
					m.SwapLimitBytes = ptr(*memsw - *m.LimitBytes)
				}
				src.Add("swapLimitBytes", p, s)
			}
		}
		stat, statFile = r.keyed(dir, memoryStatFile)
		// total_* include the descendants, as usage_in_bytes does.
		inactiveKey, cacheKey, anonKey = "total_inactive_file", "total_cache", "total_rss"
		if v, ok := stat["hierarchical_memory_limit"]; ok {
			if v < v1Unlimited {
				m.EffectiveLimitBytes = ptr(v)
			}
			src.Add("effectiveLimitBytes", statFile, fmt.Sprintf("hierarchical_memory_limit %d", v))
		}
	}
	r.pick(src, "cacheBytes", statFile, stat, cacheKey, &m.CacheBytes)
	r.pick(src, "anonBytes", statFile, stat, anonKey, &m.AnonBytes)
	r.pick(src, "inactiveFileBytes", statFile, stat, inactiveKey, &m.InactiveFileBytes)
	if m.UsageBytes != nil {
		ws := *m.UsageBytes
		if m.InactiveFileBytes != nil && *m.InactiveFileBytes < ws {
			ws -= *m.InactiveFileBytes
		}
		m.WorkingSetBytes = &ws
		raw := fmt.Sprintf("usage %d", *m.UsageBytes)
		if m.InactiveFileBytes != nil {
			raw += fmt.Sprintf(" - %s %d (%s)", inactiveKey, *m.InactiveFileBytes, statFile)
		}
		src.Add("workingSetBytes", (*src)["usageBytes"].File, raw)
	}
}

// limits reads the few files a listing shows.
func (r *cgroupReader) limits(cg *Cgroup) {
	if dir, ok := r.dir("memory"); ok {
		cg.Memory.Dir = dir
		name := memoryV1Limit
		if r.v2 {
			name = memoryV2Max
		}
		r.limit(&cg.Memory.Sources, "limitBytes", dir, name, r.isRoot("memory"), &cg.Memory.LimitBytes)
	}
	if dir, ok := r.dir("cpu"); ok {
		c := &cg.CPU
		c.Dir = dir
		if r.v2 {
			if s, p, ok := r.read(dir, cpuV2Max); ok {
				if q, period, err := parseCPUMax(s); err == nil {
					c.QuotaMicros, c.PeriodMicros = q, &period
					c.Sources.Add("quotaMicros", p, s)
				}
			} else if r.isRoot("cpu") {
				c.Sources.Add("quotaMicros", dir, "root cgroup: no "+cpuV2Max)
			}
		} else {
			r.limit(&c.Sources, "quotaMicros", dir, cpuV1Quota, r.isRoot("cpu"), &c.QuotaMicros)
			r.number(&c.Sources, "periodMicros", dir, cpuV1Period, &c.PeriodMicros)
		}
		if c.QuotaMicros != nil && c.PeriodMicros != nil && *c.PeriodMicros > 0 {
			c.CPUs = ptr(float64(*c.QuotaMicros) / float64(*c.PeriodMicros))
		}
	}
	if dir, ok := r.dir("pids"); ok {
		cg.Pids.Dir = dir
		r.limit(&cg.Pids.Sources, "max", dir, pidsMax, r.isRoot("pids"), &cg.Pids.Max)
		r.number(&cg.Pids.Sources, "current", dir, pidsCurrent, &cg.Pids.Current)
	}
}

// walkMin returns the smallest limit in file on the way from dir up to
// (and excluding) the hierarchy's mount directory top, starting from own.
// Limits nest: a cgroup without its own limit is still held by its
// parent's, and the tightest ancestor wins.
func (r *cgroupReader) walkMin(src *Sources, ownField, field, dir, top, file string, own *uint64) *uint64 {
	best, bestFile, bestRaw := own, "", ""
	if ev, ok := (*src)[ownField]; ok {
		bestFile, bestRaw = ev.File, ev.Raw
	}
	for d := path.Dir(dir); top != "" && strings.HasPrefix(d, top+"/"); d = path.Dir(d) {
		s, err := readTrim(d + "/" + file)
		if err != nil {
			break
		}
		v, err := parseLimit(s)
		if err != nil || v == nil {
			continue
		}
		if best == nil || *v < *best {
			best, bestFile, bestRaw = v, d+"/"+file, s
		}
	}
	if bestFile != "" {
		src.Add(field, bestFile, bestRaw)
	}
	return best
}

func (r *cgroupReader) cpu(c *CPUCgroup) {
	dir, ok := r.dir("cpu")
	if !ok {
		return
	}
	c.Dir = dir
	root := r.isRoot("cpu")
	c.UsageHostWide = root && r.hostWide("cpu")
	if !r.v2 {
		c.UsageHostWide = r.isRoot("cpuacct") && r.hostWide("cpuacct")
	}
	src := &c.Sources
	if r.v2 {
		if s, p, ok := r.read(dir, cpuV2Max); ok {
			q, period, err := parseCPUMax(s)
			if err != nil {
				r.errs = append(r.errs, fmt.Errorf("%s: %w", p, err))
			} else {
				c.QuotaMicros, c.PeriodMicros = q, &period
				src.Add("quotaMicros", p, s)
				src.Add("periodMicros", p, s)
			}
		} else if root {
			src.Add("quotaMicros", dir, "root cgroup: no "+cpuV2Max)
		}
		r.number(src, "weight", dir, cpuV2Weight, &c.Weight)
		st, stFile := r.keyed(dir, cpuStatFile)
		r.pick(src, "usageMicros", stFile, st, "usage_usec", &c.UsageMicros)
		r.pick(src, "periods", stFile, st, "nr_periods", &c.Periods)
		r.pick(src, "throttledPeriods", stFile, st, "nr_throttled", &c.ThrottledPeriods)
		r.pick(src, "throttledTimeMicros", stFile, st, "throttled_usec", &c.ThrottledTimeMicros)
	} else {
		r.limit(src, "quotaMicros", dir, cpuV1Quota, root, &c.QuotaMicros)
		r.number(src, "periodMicros", dir, cpuV1Period, &c.PeriodMicros)
		r.number(src, "shares", dir, cpuV1Shares, &c.Shares)
		st, stFile := r.keyed(dir, cpuStatFile)
		r.pick(src, "periods", stFile, st, "nr_periods", &c.Periods)
		r.pick(src, "throttledPeriods", stFile, st, "nr_throttled", &c.ThrottledPeriods)
		if v, ok := st["throttled_time"]; ok { // nanoseconds on v1
			c.ThrottledTimeMicros = ptr(v / 1000)
			src.Add("throttledTimeMicros", stFile, fmt.Sprintf("throttled_time %d (ns)", v))
		}
		if acct, ok := r.dir("cpuacct"); ok {
			if s, p, ok := r.read(acct, cpuacctV1); ok {
				if v, err := parseUint(s); err == nil {
					c.UsageMicros = ptr(v / 1000)
					src.Add("usageMicros", p, s+" (ns)")
				}
			}
		}
	}
	if c.QuotaMicros != nil && c.PeriodMicros != nil && *c.PeriodMicros > 0 {
		c.CPUs = ptr(float64(*c.QuotaMicros) / float64(*c.PeriodMicros))
	}
	// cpuset: v1 has its own hierarchy; v2 exposes the effective sets.
	cpusetDir, cpusFile, memsFile := dir, cpusetV2CPUs, cpusetV2Mems
	if !r.v2 {
		if cpusetDir, ok = r.dir("cpuset"); !ok {
			return
		}
		cpusFile, memsFile = cpusetV1CPUs, cpusetV1Mems
	}
	if s, p, ok := r.read(cpusetDir, cpusFile); ok {
		c.CpusetCPUs = ptr(s)
		src.Add("cpusetCpus", p, s)
		if n, err := countCPUList(s); err == nil {
			c.CpusetCount = &n
		}
	}
	if s, p, ok := r.read(cpusetDir, memsFile); ok {
		c.CpusetMems = ptr(s)
		src.Add("cpusetMems", p, s)
	}
}

func (r *cgroupReader) pids(p *PidsCgroup) {
	dir, ok := r.dir("pids")
	if !ok {
		return
	}
	p.Dir = dir
	src := &p.Sources
	r.limit(src, "max", dir, pidsMax, r.isRoot("pids"), &p.Max)
	top := r.mountDirs["pids"]
	if r.v2 {
		top = r.mountDirs[""]
	}
	p.EffectiveMax = r.walkMin(src, "max", "effectiveMax", dir, top, pidsMax, p.Max)
	r.number(src, "current", dir, pidsCurrent, &p.Current)
	ev, evFile := r.keyed(dir, pidsEvents)
	r.pick(src, "limitHits", evFile, ev, "max", &p.LimitHits)
}

func (r *cgroupReader) io(o *IOCgroup) {
	dir, name := "", ioV2Stat
	var ok bool
	if r.v2 {
		dir, ok = r.dir("io")
	} else {
		dir, ok = r.dir("blkio")
		name = blkioV1Bytes
	}
	if !ok {
		return
	}
	s, p, ok := r.read(dir, name)
	if !ok && !r.v2 {
		s, p, ok = r.read(dir, blkioV1Own)
	}
	if !ok {
		return
	}
	rd, wr, err := parseIOBytes([]byte(s))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %w", p, err))
		return
	}
	o.ReadBytes, o.WriteBytes = &rd, &wr
	o.Sources.Add("readBytes", p, fmt.Sprintf("sum of reads %d", rd))
	o.Sources.Add("writeBytes", p, fmt.Sprintf("sum of writes %d", wr))
}

func (r *cgroupReader) devices(d *DevicesCgroup) {
	if r.v2 {
		return
	}
	dir, ok := r.dir("devices")
	if !ok {
		return
	}
	s, p, ok := r.read(dir, devicesV1List)
	if !ok {
		return
	}
	all := false
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "a *:* rwm" {
			all = true
		}
	}
	d.AllowAll = &all
	d.Sources.Add("allowAll", p, firstLine(s))
}

func (r *cgroupReader) pressure(p *Pressure) {
	dir, ok := r.dirs[""] // PSI lives in the v2 tree, also on hybrid hosts
	if !ok {
		return
	}
	p.HostWide = r.roots[""] && r.hostWide("")
	for _, f := range []struct {
		name string
		dst  **PSI
	}{{pressureCPU, &p.CPU}, {pressureMemory, &p.Memory}, {pressureIO, &p.IO}} {
		s, path, ok := r.read(dir, f.name)
		if !ok {
			continue
		}
		v, err := parsePSI([]byte(s))
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %w", path, err))
			continue
		}
		*f.dst = v
		p.Sources.Add(strings.TrimSuffix(f.name, ".pressure"), path, firstLine(s))
	}
}

// OOMKills reads how many processes the kernel's OOM killer has killed in
// the memory cgroup dir (of a container nsinspect launched): oom_kill of
// memory.events on v2, of memory.oom_control on v1 (Linux 4.13+); none
// when the file lacks the key.
func OOMKills(dir string, v2 bool) (uint64, error) {
	name := memoryV1OOMControl
	if v2 {
		name = memoryV2Events
	}
	b, err := readFile(dir + "/" + name)
	if err != nil {
		return 0, err
	}
	n, _ := keyValue(b, "oom_kill")
	return n, nil
}
