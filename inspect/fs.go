package inspect

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Default roots of a host.
const (
	DefaultProcRoot   = "/proc"
	DefaultCgroupRoot = "/sys/fs/cgroup"
)

// FS names the two roots every collector reads through. On a host they are
// /proc and /sys/fs/cgroup; a DaemonSet that mounts the host at /host sets
// /host/proc and /host/sys/fs/cgroup; tests point them into testdata.
// FS is the only place that builds paths into those trees.
type FS struct {
	procRoot   string
	cgroupRoot string
	// stateRoot is where the host's state directories (runtimes' state,
	// Docker's containers, kubelet's logs) are read: "" for the host's
	// root itself, or a directory they are mounted under (the exporter's
	// --path.rootfs in a DaemonSet, which mounts them and nothing else).
	stateRoot string
	boot      *bootTime // btime never changes while the machine is up
	mounts    *mountsCache
	docker    *dockerAPI
	hangs     *hangs // reads that timed out and still hang (confined_linux.go)
	recent    *recentScan
}

// recentScan is the last Scan of the FS: what discover.go's lookups for
// one process (pid of a runtime's container) reuse when it is fresh, so
// that a command that listed the host a moment ago does not list it
// again. Scan itself always reads afresh.
type recentScan struct {
	mu       sync.Mutex
	at       time.Time
	procs    []Proc
	inflight chan struct{} // closed when the background scan ends
}

const recentScanTTL = time.Second

// mountsCache keeps the reader's cgroup mounts for a short while: a stats
// session resolves hundreds of containers a second, but controllers can be
// mounted while the machine runs, so the cache expires.
type mountsCache struct {
	mu      sync.Mutex
	at      time.Time
	mounts  []cgroupMount
	mode    CgroupMode
	hostCNS bool // the reader is in the initial cgroup namespace
}

const mountsTTL = 2 * time.Second

type bootTime struct {
	once sync.Once
	sec  int64
	err  error
}

// NewFS returns an FS over the given roots; empty strings mean the defaults.
func NewFS(procRoot, cgroupRoot string) FS {
	if procRoot == "" {
		procRoot = DefaultProcRoot
	}
	if cgroupRoot == "" {
		cgroupRoot = DefaultCgroupRoot
	}
	return FS{procRoot: filepath.Clean(procRoot), cgroupRoot: filepath.Clean(cgroupRoot), boot: &bootTime{}, mounts: &mountsCache{}, docker: &dockerAPI{}, hangs: newHangs(), recent: &recentScan{}}
}

// WithStateRoot returns fsys reading the host's state directories (the
// runtimes' and kubelet's, where container names and ids are kept) under
// dir, the host's / mounted there in part; "" or "/" keeps the host's
// own root. What is judged against the host itself (its mounts, its
// sockets) is still read through PID 1 of the proc root.
func (fs FS) WithStateRoot(dir string) FS {
	if dir = filepath.Clean(dir); dir == "/" || dir == "." {
		dir = ""
	}
	fs.stateRoot = dir
	return fs
}

// ProcessExists reports whether the proc root has a directory for pid (a
// process hidden by hidepid has none either).
func (fs FS) ProcessExists(pid int) bool {
	fi, err := os.Lstat(fs.pid(pid))
	return err == nil && fi.IsDir()
}

// ProcRoot is the procfs root this FS reads.
func (fs FS) ProcRoot() string { return fs.procRoot }

// CgroupRoot is the cgroupfs root this FS reads.
func (fs FS) CgroupRoot() string { return fs.cgroupRoot }

// Live reports whether fs reads the running kernel's own /proc, so that
// syscalls (setns, statfs) describe the same processes as the files do.
func (fs FS) Live() bool { return fs.procRoot == DefaultProcRoot }

// proc builds a path under the proc root: proc("stat"), proc("sys", "kernel", "osrelease").
func (fs FS) proc(elem ...string) string {
	return filepath.Join(append([]string{fs.procRoot}, elem...)...)
}

// pid builds a path under /proc/<pid>.
func (fs FS) pid(pid int, elem ...string) string {
	return filepath.Join(append([]string{fs.procRoot, strconv.Itoa(pid)}, elem...)...)
}

// self is /proc/self, the reader's own entry.
func (fs FS) self(elem ...string) string {
	return filepath.Join(append([]string{fs.procRoot, "self"}, elem...)...)
}

// fdPath is the reader's own descriptor fd in the running kernel's procfs:
// opening it opens again the inode fd holds, which turns an O_PATH
// descriptor into a readable one without resolving a name a second time.
// It is the live /proc whatever the proc root: a fixture tree or a host's
// /proc mounted elsewhere holds no descriptors of this process.
func fdPath(fd int) string {
	return DefaultProcRoot + "/self/fd/" + strconv.Itoa(fd)
}

// cgroupDir maps a cgroup mount point as the reader's mountinfo shows it
// (/sys/fs/cgroup/memory) onto the configured cgroup root, so a fixture tree
// or a host tree mounted at /host/sys/fs/cgroup is read instead.
func (fs FS) cgroupDir(mountpoint string) string {
	if rest, ok := strings.CutPrefix(mountpoint, DefaultCgroupRoot); ok && (rest == "" || rest[0] == '/') {
		return fs.cgroupRoot + rest
	}
	return mountpoint
}
