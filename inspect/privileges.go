package inspect

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// runtimeStateDirs hold the names runtimes give their containers; without
// root they cannot be read, and those containers show their ids only.
var runtimeStateDirs = []struct{ dir, what string }{
	{"/var/lib/docker/containers", "docker"},
	{"/var/lib/containers/storage", "podman"},
	{"/run/containerd", "containerd"},
	{"/var/lib/lxc", "lxc"},
}

// RootWouldAdd says, in one line for the command layer to print once on
// stderr, what a reader without root cannot see on the live host and root
// would add: container names kept in runtime state only root may read, and
// other users' namespace links (so whether a container shares the host's
// network, and its network bytes). It is "" as root, for a fixture proc
// root, and when nothing was found missing.
func (fsys FS) RootWouldAdd() string {
	if !fsys.Live() || os.Geteuid() == 0 {
		return ""
	}
	var missing []string
	var names []string
	for _, d := range runtimeStateDirs {
		if _, err := os.ReadDir(d.dir); errors.Is(err, fs.ErrPermission) {
			names = append(names, d.what)
		}
	}
	if len(names) > 0 {
		missing = append(missing, "container names ("+strings.Join(names, ", ")+" state is root's: a container is found by its id only)")
	}
	if _, err := os.Readlink(fsys.pid(1, "ns", "net")); errors.Is(err, fs.ErrPermission) {
		missing = append(missing, "other users' namespaces (whether a container shares the host's network, and its network bytes, are unknown)")
	}
	if len(missing) == 0 {
		return ""
	}
	return "not running as root, so these are unknown: " + strings.Join(missing, "; ") + "; run as root to see them"
}
