package facts

// Rootfs describes the root filesystem a process sees.
type Rootfs struct {
	Mountpoint string   `json:"mountpoint"`
	FSType     string   `json:"fsType"`
	Source     string   `json:"source"`
	Root       string   `json:"root"`   // the directory of the source filesystem shown as /
	Device     string   `json:"device"` // major:minor
	ReadOnly   bool     `json:"readOnly"`
	LowerDirs  []string `json:"lowerDirs"` // overlay layers, topmost first
	UpperDir   string   `json:"upperDir,omitempty"`
	WorkDir    string   `json:"workDir,omitempty"`
	MountCount int      `json:"mountCount"`
	// ProcSysWritable is true when /proc is mounted read-write and nothing
	// re-mounts /proc/sys read-only: sysctls of the host are writable.
	ProcSysWritable bool `json:"procSysWritable"`
	SysWritable     bool `json:"sysWritable"` // sysfs mounted read-write
	HostDevices     bool `json:"hostDevices"` // /dev is the host's devtmpfs
	// HostDiskDevice is a host device that reaches the host's memory or
	// disks found as a node in its /dev ("/dev/vda (254:0)", /dev/mem,
	// /dev/port), looked for only when the process holds CAP_SYS_ADMIN
	// without the devtmpfs or an allow-all device cgroup.
	HostDiskDevice string         `json:"hostDevice,omitempty"`
	Notable        []NotableMount `json:"notable"`
	Sources        Sources        `json:"evidence,omitempty"`
}

// NotableMount is a mount that changes what a container can reach.
type NotableMount struct {
	Kind       string `json:"kind"` // host-root, runtime-socket, host-devices, host-sensitive
	Mountpoint string `json:"mountpoint"`
	Source     string `json:"source"`
	Root       string `json:"root"`
	ReadOnly   bool   `json:"readOnly"`
	// HostPath is where the mount's source lies on the host: for a
	// runtime socket found inside a bind-mounted directory, the socket;
	// for host-sensitive, the host directory (/etc, /var/lib/kubelet, ...).
	HostPath string `json:"hostPath,omitempty"`
	Line     string `json:"line"`
}
