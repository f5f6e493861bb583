package launch

// The launcher and the container's init talk over a SOCK_SEQPACKET
// socketpair inherited as fd 3: the launcher sends one initConfig once the
// init is inside its cgroups; the init answers with messages and, when the
// user's command has been exec'd, with EOF (the socket is close-on-exec).
// fd 4 is the read end of the liveness pipe: the launcher holds the write
// end and never writes, so EOF there means the launcher is gone.
const (
	fdSock = 3
	fdLive = 4
)

// InitArg is argv[1] of the nsinspect binary re-executed as a container's
// init; initEnv must also be set, so a user typing "nsinspect init" gets
// the ordinary usage error.
const (
	InitArg = "init"
	initEnv = "_NSINSPECT_INIT=1"
)

type initConfig struct {
	Spec Spec `json:"spec"`
	// Exec is set for nsinspect exec: the process already sits in the
	// container's namespaces and cgroups; only the last steps (working
	// directory, terminal, privileges, exec) are left.
	Exec     bool   `json:"exec,omitempty"`
	MountDir string `json:"mountDir"` // an empty host directory for the staging tmpfs
	Cgroup   string `json:"cgroup"`   // v1, hybrid or v2: which cgroupfs to mount inside
	PauseAt  string `json:"pauseAt,omitempty"`

	// Descriptors the launcher passed, by number (-1: none): the detached
	// mount trees it cloned from the host paths it opened once (--rootfs,
	// each -v). The sealed --init binary is at fdInit.
	RootfsFd  int   `json:"rootfsFd"`
	VolumeFds []int `json:"volumeFds,omitempty"`
	// HiddenEtc are the entries of the host's /etc the default root hides
	// (relative paths), found by the launcher while the init starts.
	HiddenEtc []string `json:"hiddenEtc,omitempty"`
	// Seccomp is the compiled filter (seccomp.Program.Bytes), loaded last,
	// right before exec; empty when the container runs unconfined.
	Seccomp []byte `json:"seccomp,omitempty"`

	// For nsinspect exec: the container's init (pid and start time, so a
	// reused pid is never entered), the user namespace it was started in,
	// and its cgroups.
	Target exectarget `json:"target,omitzero"`
}

type exectarget struct {
	Pid        int    `json:"pid"`
	StartTicks uint64 `json:"startTicks"`
	UserNS     uint64 `json:"userNS"`
	Cgroups    Paths  `json:"cgroups"`
}

// message types between launcher and init.
const (
	msgGo      = "go"      // launcher → init: you are in your cgroups, carry on
	msgError   = "error"   // setup or exec failed: Code is the exit code (125, 126, 127)
	msgPty     = "pty"     // carries the pty master fd (SCM_RIGHTS)
	msgStarted = "started" // exec helper: the command runs as Pid
)

type message struct {
	Type  string `json:"type"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	Pid   int    `json:"pid,omitempty"`
}
