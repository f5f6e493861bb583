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
	// Image is the image the runtime's own record names, as the user gave
	// it (Docker's config.v2.json: what docker ps shows); empty where the
	// host keeps no such record nsinspect reads.
	Image string `json:"image,omitempty"`
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

// LauncherStateRoot is where nsinspect's launcher (package launch) keeps
// one directory per container, named by its id: state.json (a
// LauncherState), the log of a detached container, and the mount point
// of its root (empty on the host: the mounts live only in the
// container's mount namespace).
const LauncherStateRoot = "/run/nsinspect"

// Statuses of a launched container.
const (
	ContainerCreated = "created"
	ContainerRunning = "running"
	ContainerExited  = "exited"
	// ContainerDead is a container recorded as running whose init and
	// launcher are both gone (the launcher was killed): never written,
	// only concluded by a reader; nsinspect gc removes what is left.
	ContainerDead = "dead"
)

// LauncherState is what state.json holds about one container of nsinspect's
// launcher: the one record the launcher writes and inspect reads. S is the
// spec it was made from: launch.Spec for the launcher, which needs all of
// it, and LaunchedSpec for a reader, which needs a few fields.
type LauncherState[S any] struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Status   string    `json:"status"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// Pid is the container's init as the host sees it, with its start time
	// (field 22 of /proc/<pid>/stat) so a reused pid is never mistaken for it.
	Pid        int    `json:"pid"`
	StartTicks uint64 `json:"startTicks"`
	// UserNS is the inode of the user namespace PID 1 started in.
	UserNS uint64 `json:"userNS,omitempty"`
	// Supervisor is the nsinspect process that waits for the container
	// (the foreground launcher, or the background one of run -d).
	Supervisor           int             `json:"supervisor"`
	SupervisorStartTicks uint64          `json:"supervisorStartTicks"`
	ExitCode             *int            `json:"exitCode,omitempty"`
	ExitMessage          string          `json:"exitMessage,omitempty"`
	Cgroups              LauncherCgroups `json:"cgroups"`
	Spec                 S               `json:"spec"`
}

// LauncherCgroups are the cgroup directories of a launched container, for
// cleanup after a crash: every v1 controller's directory and the v2 (or
// hybrid unified) one.
type LauncherCgroups struct {
	Mode    string            `json:"mode"`
	V1      map[string]string `json:"v1,omitempty"`
	Unified string            `json:"unified,omitempty"`
}

// LaunchedSpec is the part of the launcher's spec (launch.Spec, which
// state.json holds whole) that a reader of the state uses, under the same
// JSON keys; a test of package launch holds the two together.
type LaunchedSpec struct {
	Args       []string `json:"args"`
	Privileged bool     `json:"privileged"`
	Seccomp    struct {
		// Profile is "default", "unconfined", or the file a custom
		// profile was read from.
		Profile string `json:"profile"`
	} `json:"seccomp"`
	Resources struct {
		MemoryBytes *int64 `json:"memoryBytes,omitempty"`
	} `json:"resources"`
}

// LaunchedContainer is one of the launcher's containers as a reader sees
// its state.
type LaunchedContainer = LauncherState[LaunchedSpec]

// PIDTarget is what a pid argument resolved to: the process, and when the
// argument was a live PID that also names containers, the one it names
// (Also) or that it names several (AlsoMany).
type PIDTarget struct {
	PID      int
	Also     *Container
	AlsoMany bool
}
