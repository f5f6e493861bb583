package inspect

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Bounds of the search for runtime sockets under a bind mount.
const (
	socketDepth   = 4    // directory levels below the bind's source: /run/user/1000/podman/podman.sock under /run
	socketEntries = 4096 // entries looked at per process, all binds together
)

// hostSockets finds the runtime sockets (runtimeSockets) that the bind
// mounts of a process's table reach: -v /var/run:/var/run hands over
// /run/docker.sock without naming it. It looks on the host's side: each
// bind's source is located in the host's mount table (same device, the
// host mount's root a prefix of the bind's) and searched through the
// host's root, never through the container's, so nothing the container
// controls is resolved. Directories are opened only to list them, with every symlink refused (RESOLVE_NO_SYMLINKS); a socket is
// recognised from its directory entry (d_type, else lstat), never opened.
// The search is bounded in depth and entries and runs under the FS's read
// deadline: a hung FUSE directory costs at most that.
func (fsys FS) hostSockets(table mountTable) ([]NotableMount, error) {
	root := fsys.hostRoot()
	hostFile := fsys.self("mountinfo")
	if root == fsys.pid(1, "root") {
		hostFile = fsys.pid(1, "mountinfo")
	}
	b, err := readFile(hostFile)
	if err != nil {
		return nil, err
	}
	host, err := parseMountinfo(b)
	if err != nil {
		return nil, err
	}
	return withDeadline(fsys, root+" (runtime sockets)", func() ([]NotableMount, error) {
		rootfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		defer unix.Close(rootfd)
		var out []NotableMount
		sensitive, seenAt := map[string]int{}, map[string]bool{}
		for _, m := range table.mounts {
			// One host directory bound many times (rbind floods) is
			// reported for its first few mountpoints: the verdict is the
			// same, and the report stays readable.
			if src, ok := hostSource(host.mounts, m); ok && m.Mountpoint != "/" && !ownKernelMount(m) && sensitiveHostDir(src) &&
				sensitive[src] < sensitiveShown && !seenAt[src+"\x00"+m.Mountpoint] {
				sensitive[src]++
				seenAt[src+"\x00"+m.Mountpoint] = true
				out = append(out, NotableMount{Kind: "host-sensitive", Mountpoint: m.Mountpoint, Source: m.Source, Root: m.Root,
					HostPath: src, ReadOnly: readOnly(m), Line: table.line(m)})
			}
			if m.Mountpoint == "/" || isRuntimeSocket(m.Mountpoint) || isRuntimeSocket(m.Root) {
				continue // the container's own root; a socket bound by name is flagged already
			}
			if noSockets[m.FSType] {
				continue // kernel filesystems: no runtime's socket lives there, and sysfs alone is thousands of entries
			}
			src, ok := hostSource(host.mounts, m)
			if !ok {
				continue
			}
			// The well-known sockets first, by name: a walk's budget can be
			// spent by a container that fills a writable bind with
			// entries, a direct look cannot. Then the walk, with a budget
			// of its own per bind, for sockets elsewhere.
			found := knownSockets(rootfd, src)
			budget := socketEntries
			for _, rel := range findSockets(rootfd, src, &budget) {
				if !slices.Contains(found, rel) {
					found = append(found, rel)
				}
			}
			for _, rel := range found {
				out = append(out, NotableMount{Kind: "runtime-socket", Mountpoint: path.Join(m.Mountpoint, rel),
					Source: m.Source, Root: m.Root, HostPath: path.Join(src, rel), ReadOnly: readOnly(m), Line: table.line(m)})
			}
		}
		return out, nil
	})
}

// hostSource is the host path of a bind mount's source: the host mount of
// the same device whose root holds the bind's root, plus the rest.
// noSockets are the kernel's own filesystems, which hold no socket a
// runtime listens on (a process that shares the host's /proc or /sys, as
// one in a copied mount namespace does, would otherwise have them walked).
var noSockets = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "cgroup": true, "cgroup2": true,
	"mqueue": true, "debugfs": true, "tracefs": true, "securityfs": true, "bpf": true, "pstore": true,
	"configfs": true, "fusectl": true, "hugetlbfs": true, "autofs": true, "binfmt_misc": true, "nsfs": true,
}

// sensitiveShown is how many binds of one sensitive host directory are
// reported.
const sensitiveShown = 3

// knownSocketPaths are where runtimes put their sockets on the host.
var knownSocketPaths = []string{
	"/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/podman/podman.sock",
	"/run/cri-dockerd.sock", "/run/dockershim.sock", "/var/lib/kubelet/device-plugins/kubelet.sock",
	"/var/lib/kubelet/pod-resources/kubelet.sock", "/run/k3s/containerd/containerd.sock",
	"/var/snap/lxd/common/lxd/unix.socket", "/var/lib/incus/unix.socket",
}

// knownSockets are the knownSocketPaths under the host directory dir that
// are sockets, relative to dir; resolved inside rootfd without symlinks.
func knownSockets(rootfd int, dir string) []string {
	var out []string
	for _, p := range knownSocketPaths {
		rel, ok := strings.CutPrefix(p, strings.TrimSuffix(dir, "/")+"/")
		if !ok {
			continue
		}
		how := unix.OpenHow{Flags: unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
		fd, err := unix.Openat2(rootfd, p, &how)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			out = append(out, rel)
		}
		unix.Close(fd)
	}
	return out
}

// sensitiveHostDirs are the host directories a container should never
// have bound in (CIS Docker Benchmark v1.6.0 5.5, the Kubernetes Pod
// Security Standard's HostPath volumes): the host's configuration, its
// kernel interfaces, its devices and the kubelet's state with every
// pod's secrets. The host's / itself is host-root.
var sensitiveHostDirs = []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/lib/kubelet"}

// sensitiveHostDir reports whether the host path dir is one of
// sensitiveHostDirs, lies inside one (-v /etc/cron.d, -v /root/.ssh), or
// holds one (-v /var:/host/var holds the kubelet's). A pod's own volumes
// under /var/lib/kubelet/pods/<uid>/ are the pod's, not the node's: the
// kubelet binds its /etc/hosts and volumes from there.
func sensitiveHostDir(dir string) bool {
	if dir == "/" {
		return false
	}
	if rest, ok := strings.CutPrefix(dir, "/var/lib/kubelet/pods/"); ok && strings.Contains(rest, "/") {
		return false
	}
	for _, d := range sensitiveHostDirs {
		// Inside /dev are the host's shm, mqueue and pty mounts, which
		// a shared IPC namespace (--ipc=host) or the host's /dev bring
		// along: host-ipc and host-devices judge those.
		if d == dir || strings.HasPrefix(d, dir+"/") || (d != "/dev" && strings.HasPrefix(dir, d+"/")) {
			return true
		}
	}
	return false
}

// ownKernelMount reports whether m is the container's own /proc, /sys or
// /dev: with --net=host its sysfs is the host's instance (one superblock
// per network namespace), which is the sys-writable finding's business,
// not a bind of the host's /sys.
func ownKernelMount(m *mountinfo.Info) bool {
	// Not /proc: a container's procfs is always a superblock of its own
	// (one per mount since Linux 5.8), so the host's instance there is
	// the host's /proc, bound or moved over the container's own.
	// cgroupfs: the container's view of its own cgroup is a mount of the
	// host's hierarchy, which the cap-sys-admin and privileged findings
	// judge, not a bind of /sys.
	return (m.Mountpoint == "/sys" && m.FSType == "sysfs") || (m.Mountpoint == "/dev" && m.FSType == "devtmpfs") ||
		m.FSType == "cgroup" || m.FSType == "cgroup2"
}

func hostSource(host []*mountinfo.Info, m *mountinfo.Info) (string, bool) {
	best := -1
	var src string
	for _, h := range host {
		if h.Major != m.Major || h.Minor != m.Minor || h.FSType != m.FSType {
			continue
		}
		rest, ok := strings.CutPrefix(m.Root, h.Root)
		if !ok || (h.Root != "/" && rest != "" && rest[0] != '/') {
			continue
		}
		if len(h.Root) > best {
			best, src = len(h.Root), path.Join(h.Mountpoint, rest)
		}
	}
	return src, best >= 0
}

// findSockets lists, depth first to socketDepth, the runtime sockets
// under dir (a host path, resolved inside rootfd without symlinks).
func findSockets(rootfd int, dir string, budget *int) []string {
	var out []string
	var walk func(rel string, depth int)
	walk = func(rel string, depth int) {
		how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NONBLOCK | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
		fd, err := unix.Openat2(rootfd, path.Join(dir, rel), &how)
		if err != nil {
			return
		}
		f := os.NewFile(uintptr(fd), path.Join(dir, rel))
		defer f.Close()
		entries, _ := f.ReadDir(*budget) // what could be read; io.EOF when empty
		*budget -= len(entries)
		for _, e := range entries {
			switch {
			case e.Type()&fs.ModeSocket != 0 && isRuntimeSocket(e.Name()):
				out = append(out, path.Join(rel, e.Name()))
			case e.Type().IsDir() && depth < socketDepth && *budget > 0:
				walk(path.Join(rel, e.Name()), depth+1)
			}
		}
	}
	if *budget > 0 {
		walk(".", 1)
	}
	return out
}
