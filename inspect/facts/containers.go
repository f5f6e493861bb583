package facts

import "time"

// Container is a group of processes one runtime started as one container,
// or, for runtime "namespaces", processes sharing a pid and mount
// namespace of their own that no runtime claims.
type Container struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Runtime Runtime `json:"runtime"`
	// Pid is the container's init as the host sees it: the member whose
	// parent is not a member (the oldest, if several).
	Pid        int    `json:"pid"`
	Pids       []int  `json:"pids"`
	StartTicks uint64 `json:"-"`
	Cgroup     string `json:"cgroupPath"`
}

// RuntimeNamespaces names a group of processes with their own namespaces
// that no runtime claims (unshare, bwrap, ip netns exec, sandboxes).
const RuntimeNamespaces = "namespaces"

// ContainerFacts are what a listing shows of one container: its init's
// namespaces, command and start, and its cgroup limits.
type ContainerFacts struct {
	Container
	Namespaces []Namespace
	Cmdline    []string
	Started    time.Time
	Limits     *Cgroup
}
