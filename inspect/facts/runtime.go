package facts

// Runtime names.
const (
	RuntimeDocker     = "docker"
	RuntimeContainerd = "containerd"
	RuntimeCRIO       = "cri-o"
	RuntimeKubernetes = "kubernetes"
	RuntimePodman     = "podman"
	RuntimeLXC        = "lxc"
	RuntimeNspawn     = "systemd-nspawn"
	RuntimeNsinspect  = "nsinspect"
	RuntimeOCI        = "oci"     // runc, crun or youki run by hand, in their default cgroup /<id>
	RuntimeUnknown    = "unknown" // isolated, but by nothing recognisable
	RuntimeNone       = "none"
)

// Runtime is what started the container a process belongs to.
type Runtime struct {
	Name          string `json:"name"`
	ContainerID   string `json:"containerId"`
	ContainerName string `json:"containerName,omitempty"`
	Engine        string `json:"engine,omitempty"`    // kubernetes: containerd, cri-o or docker
	Namespace     string `json:"namespace,omitempty"` // containerd namespace
	PodUID        string `json:"podUid,omitempty"`
	QoSClass      string `json:"qosClass,omitempty"` // Guaranteed, Burstable, BestEffort
	CgroupDriver  string `json:"cgroupDriver,omitempty"`
	Rootless      bool   `json:"rootless,omitempty"`
	// SeccompProfile is the profile nsinspect gave one of its own
	// containers (default, unconfined, or a file), from its state.
	SeccompProfile string `json:"seccompProfile,omitempty"`
	// Role is "monitor" for a runtime's own helper (podman's conmon, an LXC
	// monitor) found in a container-shaped cgroup.
	Role    string  `json:"role,omitempty"`
	Sources Sources `json:"evidence,omitempty"`
}
