package inspect

import (
	"io/fs"
	"os"
	"path"
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
		budget := socketEntries
		var out []NotableMount
		for _, m := range table.mounts {
			if src, ok := hostSource(host.mounts, m); ok && m.Mountpoint != "/" && !ownKernelMount(m) && sensitiveHostDir(src) {
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
			for _, rel := range findSockets(rootfd, src, &budget) {
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

// sensitiveHostDirs are the host directories a container should never
// have bound in (CIS Docker Benchmark v1.6.0 5.5, the Kubernetes Pod
// Security Standard's HostPath volumes): the host's configuration, its
// kernel interfaces, its devices and the kubelet's state with every
// pod's secrets. The host's / itself is host-root.
var sensitiveHostDirs = []string{"/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/var/lib/kubelet"}

// sensitiveHostDir reports whether the host path dir is one of
// sensitiveHostDirs or holds one (-v /var:/host/var holds the kubelet's).
func sensitiveHostDir(dir string) bool {
	if dir == "/" {
		return false
	}
	for _, d := range sensitiveHostDirs {
		if d == dir || strings.HasPrefix(d, dir+"/") {
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
	return (m.Mountpoint == "/proc" && m.FSType == "proc") || (m.Mountpoint == "/sys" && m.FSType == "sysfs") ||
		(m.Mountpoint == "/dev" && m.FSType == "devtmpfs")
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
