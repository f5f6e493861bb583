package facts

// CgroupMode is how the host mounts cgroups, in containerd/cgroups' terms
// Legacy, Hybrid and Unified.
type CgroupMode string

// The cgroup modes.
const (
	CgroupV1     CgroupMode = "v1"     // only v1 hierarchies
	CgroupHybrid CgroupMode = "hybrid" // v1 controllers plus a v2 tree without them
	CgroupV2     CgroupMode = "v2"     // one unified tree at the cgroup root
	CgroupNone   CgroupMode = "none"   // no cgroup filesystem is mounted
)

// CgroupPath is one hierarchy a process belongs to.
type CgroupPath struct {
	Hierarchy   int      `json:"hierarchy"`
	Controllers []string `json:"controllers"`
	Path        string   `json:"path"`          // as /proc/<pid>/cgroup shows it
	Dir         string   `json:"dir,omitempty"` // the directory holding its files
	Error       string   `json:"error,omitempty"`
}

// Cgroup is what the cgroups of one process allow and use. A nil pointer
// value in the limits means "no limit" when its evidence is present, and
// "unknown" when it is not.
type Cgroup struct {
	Mode CgroupMode `json:"mode"`
	// NsDelegate is, on a v2 host, whether its cgroup2 is mounted with
	// nsdelegate: a cgroup namespace's root is then a delegation
	// boundary, and a process cannot write the limits of its own cgroup
	// even through a cgroupfs it mounts in a user namespace of its own.
	NsDelegate *bool         `json:"nsdelegate,omitempty"`
	File       string        `json:"file"`
	Paths      []CgroupPath  `json:"paths"`
	Memory     MemoryCgroup  `json:"memory"`
	CPU        CPUCgroup     `json:"cpu"`
	Pids       PidsCgroup    `json:"pids"`
	IO         IOCgroup      `json:"io"`
	Devices    DevicesCgroup `json:"devices"`
	Pressure   Pressure      `json:"pressure"`
}

// MemoryCgroup holds memory limits and usage in bytes.
type MemoryCgroup struct {
	Dir string `json:"dir,omitempty"`
	// HostWide is true when the process sits in the hierarchy's root
	// cgroup: its usage figures are then the whole host's.
	HostWide            bool    `json:"hostWide"`
	LimitBytes          *uint64 `json:"limitBytes"`          // v1 memory.limit_in_bytes, v2 memory.max
	EffectiveLimitBytes *uint64 `json:"effectiveLimitBytes"` // the smallest limit on the way to the root
	SoftLimitBytes      *uint64 `json:"softLimitBytes"`      // v1 memory.soft_limit_in_bytes
	HighBytes           *uint64 `json:"highBytes"`           // v2 memory.high
	SwapLimitBytes      *uint64 `json:"swapLimitBytes"`      // swap allowed on top of memory
	UsageBytes          *uint64 `json:"usageBytes"`
	WorkingSetBytes     *uint64 `json:"workingSetBytes"` // usage minus inactive file, as docker stats
	CacheBytes          *uint64 `json:"cacheBytes"`
	AnonBytes           *uint64 `json:"anonBytes"`
	InactiveFileBytes   *uint64 `json:"inactiveFileBytes"`
	MaxUsageBytes       *uint64 `json:"maxUsageBytes"` // v1 max_usage_in_bytes, v2 memory.peak
	OOMKills            *uint64 `json:"oomKills"`
	LimitHits           *uint64 `json:"limitHits"` // v1 failcnt, v2 memory.events max
	Sources             Sources `json:"evidence,omitempty"`
}

// CPUCgroup holds CPU bandwidth, weight, placement and usage.
type CPUCgroup struct {
	Dir string `json:"dir,omitempty"`
	// UsageHostWide is true when CPU usage is read at the root cgroup
	// (v1 cpuacct or v2): it is then the whole host's.
	UsageHostWide       bool     `json:"usageHostWide"`
	QuotaMicros         *uint64  `json:"quotaMicros"` // nil: no quota
	PeriodMicros        *uint64  `json:"periodMicros"`
	CPUs                *float64 `json:"cpus"`   // quota / period
	Shares              *uint64  `json:"shares"` // v1 cpu.shares
	Weight              *uint64  `json:"weight"` // v2 cpu.weight
	CpusetCPUs          *string  `json:"cpusetCpus"`
	CpusetMems          *string  `json:"cpusetMems"`
	CpusetCount         *int     `json:"cpusetCount"`
	UsageMicros         *uint64  `json:"usageMicros"`
	Periods             *uint64  `json:"periods"`
	ThrottledPeriods    *uint64  `json:"throttledPeriods"`
	ThrottledTimeMicros *uint64  `json:"throttledTimeMicros"`
	Sources             Sources  `json:"evidence,omitempty"`
}

// PidsCgroup holds the task limit and count.
type PidsCgroup struct {
	Dir string  `json:"dir,omitempty"`
	Max *uint64 `json:"max"`
	// EffectiveMax is the smallest pids.max on the way to the root: forks
	// fail at whichever ancestor runs out first.
	EffectiveMax *uint64 `json:"effectiveMax"`
	Current      *uint64 `json:"current"`
	LimitHits    *uint64 `json:"limitHits"` // pids.events max: forks refused
	Sources      Sources `json:"evidence,omitempty"`
}

// IOCgroup holds bytes moved to and from block devices.
type IOCgroup struct {
	ReadBytes  *uint64 `json:"readBytes"`
	WriteBytes *uint64 `json:"writeBytes"`
	Sources    Sources `json:"evidence,omitempty"`
}

// DevicesCgroup is the v1 device allow list; v2 uses eBPF and cannot be read.
type DevicesCgroup struct {
	AllowAll *bool   `json:"allowAll"` // "a *:* rwm": every host device
	Sources  Sources `json:"evidence,omitempty"`
}

// Pressure holds PSI stall figures of the cgroup (or of the host at its root).
type Pressure struct {
	HostWide bool    `json:"hostWide"` // read at the root cgroup: system-wide stalls
	CPU      *PSI    `json:"cpu"`
	Memory   *PSI    `json:"memory"`
	IO       *PSI    `json:"io"`
	Sources  Sources `json:"evidence,omitempty"`
}

// PSILine is one line of a pressure file; averages are percentages of wall
// time, total is cumulative stall time.
type PSILine struct {
	Avg10       float64 `json:"avg10"`
	Avg60       float64 `json:"avg60"`
	Avg300      float64 `json:"avg300"`
	TotalMicros uint64  `json:"totalMicros"`
}

// PSI is a pressure stall file (cpu.pressure, /proc/pressure/memory).
type PSI struct {
	Some *PSILine `json:"some"`
	Full *PSILine `json:"full"` // absent for cpu before Linux 5.13
}
