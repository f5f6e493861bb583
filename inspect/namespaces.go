package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// namespaceKind is one entry of /proc/<pid>/ns: its name there, the type
// its link names ("pid:[4026531836]" for pid_for_children too, the
// namespace the next child will have), and the CLONE_NEW* flag with
// which clone(2), unshare(2) and setns(2) make or join one.
type namespaceKind struct {
	t    NamespaceType
	link string
	flag uintptr
}

// namespaceKinds are the namespace types in the order the report lists
// them: the one table of them, which the launcher's clone and setns
// flags come from too (CloneFlags).
var namespaceKinds = []namespaceKind{
	{NSCgroup, "cgroup", unix.CLONE_NEWCGROUP},
	{NSIPC, "ipc", unix.CLONE_NEWIPC},
	{NSMount, "mnt", unix.CLONE_NEWNS},
	{NSNet, "net", unix.CLONE_NEWNET},
	{NSPID, "pid", unix.CLONE_NEWPID},
	{NSPIDForChildren, "pid", unix.CLONE_NEWPID},
	{NSTime, "time", unix.CLONE_NEWTIME},
	{NSTimeForChildren, "time", unix.CLONE_NEWTIME},
	{NSUser, "user", unix.CLONE_NEWUSER},
	{NSUTS, "uts", unix.CLONE_NEWUTS},
}

// CloneFlags is the CLONE_NEW* flags of the namespace types, or'ed: what
// clone(2) needs to give a process its own namespaces of those types, and
// setns(2) to join a process's.
func CloneFlags(types ...NamespaceType) uintptr {
	var f uintptr
	for _, t := range types {
		for _, k := range namespaceKinds {
			if k.t == t {
				f |= k.flag
			}
		}
	}
	return f
}

// parseNamespaceLink understands the target of a /proc/<pid>/ns link,
// "net:[4026531993]", and returns its type and inode.
func parseNamespaceLink(link string) (NamespaceType, uint64, error) {
	typ, rest, ok := strings.Cut(link, ":[")
	if !ok || !strings.HasSuffix(rest, "]") {
		return "", 0, fmt.Errorf("parsing namespace link %q", link)
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(rest, "]"), 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("parsing namespace link %q: %w", link, err)
	}
	return NamespaceType(typ), ino, nil
}

// Namespaces lists the namespaces of pid, only the types this kernel shows.
// A failure on one entry (a zombie has no net, mnt or cgroup namespace left;
// another user's links need ptrace access) is recorded on that entry.
func (fsys FS) Namespaces(pid int) ([]Namespace, error) {
	dir := fsys.pid(pid, "ns")
	entries, err := os.ReadDir(dir)
	if err != nil {
		// Another user's ns directory needs ptrace access even to list.
		// The types are the kernel's, the same as the reader's own: list
		// them as unreadable, so that none passes for shared or own.
		err = fmt.Errorf("listing %s: %w", dir, classify(err))
		own, serr := os.ReadDir(fsys.self("ns"))
		if serr != nil {
			return nil, err
		}
		out := make([]Namespace, 0, len(own))
		for _, e := range own {
			out = append(out, Namespace{Type: NamespaceType(e.Name()), File: dir + "/" + e.Name(), Error: namespaceError(err)})
		}
		sort.SliceStable(out, func(i, j int) bool { return nsRank(out[i].Type) < nsRank(out[j].Type) })
		return out, err
	}
	out := make([]Namespace, 0, len(entries))
	for _, e := range entries {
		ns := Namespace{Type: NamespaceType(e.Name()), File: dir + "/" + e.Name()}
		if fsys.Live() {
			// stat follows the magic link to the nsfs inode: its device and
			// inode identify the namespace (readlink shows only the inode).
			var st syscall.Stat_t
			if err := syscall.Stat(ns.File, &st); err != nil {
				ns.Error = namespaceError(err)
			} else {
				ns.Device, ns.Inode = st.Dev, st.Ino
				ns.Link = fmt.Sprintf("%s:[%d]", linkType(ns.Type), st.Ino)
			}
			out = append(out, ns)
			continue
		}
		// Fixture links point nowhere: the inode is in the link text.
		link, err := os.Readlink(ns.File)
		if err != nil {
			ns.Error = namespaceError(err)
			out = append(out, ns)
			continue
		}
		ns.Link = link
		if _, ino, err := parseNamespaceLink(link); err != nil {
			ns.Error = err.Error()
		} else {
			ns.Inode = ino
		}
		out = append(out, ns)
	}
	sort.SliceStable(out, func(i, j int) bool { return nsRank(out[i].Type) < nsRank(out[j].Type) })
	return out, nil
}

// linkType is the type a namespace link names: pid_for_children is a pid
// namespace.
func linkType(t NamespaceType) string {
	for _, k := range namespaceKinds {
		if k.t == t {
			return k.link
		}
	}
	return strings.TrimSuffix(string(t), "_for_children")
}

func namespaceError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A zombie keeps its pid and user namespaces but has released the
		// others; pid_for_children does not exist until the first fork.
		return "unavailable (process is a zombie, exiting, or has no child yet)"
	case errors.Is(err, fs.ErrPermission):
		return ErrPermission.Error()
	}
	return err.Error()
}

func nsRank(t NamespaceType) int {
	for i, k := range namespaceKinds {
		if k.t == t {
			return i
		}
	}
	return len(namespaceKinds)
}
