package launch

// device is one character device a container that is not --privileged
// may use: Docker's default set (moby's oci DefaultLinuxSpec).
type device struct {
	name         string // under the container's /dev
	major, minor int64  // minor -1: every minor of the major
	// node: setupDev makes it in the tmpfs /dev. The others come another
	// way: /dev/console is bound over the terminal with -t, /dev/ptmx is a
	// symlink to pts/ptmx and the ptys live on the container's own devpts.
	node bool
}

// containerDevices are what setupDev creates in a container's /dev and
// what its device cgroup (dockerDevices) lets it open: one list, so that
// no node is made that the cgroup refuses, and nothing is allowed that
// the container's /dev does not offer.
var containerDevices = []device{
	{"null", 1, 3, true}, {"zero", 1, 5, true}, {"full", 1, 7, true},
	{"random", 1, 8, true}, {"urandom", 1, 9, true},
	{"tty", 5, 0, true}, {"console", 5, 1, false}, {"ptmx", 5, 2, false},
	{"pts/*", 136, -1, false},
}
