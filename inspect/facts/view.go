package facts

// View is what a program inside a process's container reads when it sizes
// itself — free, top, nproc, ulimit -u, a JVM or the Go runtime — as
// opposed to its real limits, which are in Cgroup. A field that could not
// be read is nil, with the reason in Errors.
type View struct {
	// SysinfoTotalRAMBytes is totalram of sysinfo(2), which busybox free
	// and many runtimes call. It is not namespaced: every process on the
	// host gets the host's, and no FUSE file (lxcfs) can change it.
	SysinfoTotalRAMBytes *uint64 `json:"sysinfoTotalRamBytes"`
	// MeminfoTotalBytes is MemTotal of /proc/meminfo as the container
	// sees it (procps free and top read it): the host's, unless lxcfs
	// or the like is mounted over it.
	MeminfoTotalBytes *uint64 `json:"meminfoTotalBytes"`
	// MeminfoFrom is what the container's /proc/meminfo is: "procfs" (the
	// kernel's, the host's figures) or the filesystem mounted over it
	// ("fuse.lxcfs"). A FUSE file is not read from outside: lxcfs answers
	// each reader from the reader's own cgroup, so nsinspect would get the
	// host's figures, not the container's (MeminfoTotalBytes stays nil).
	MeminfoFrom string `json:"meminfoFrom"`
	// CPUInfoFrom is the same for /proc/cpuinfo.
	CPUInfoFrom string `json:"cpuinfoFrom"`
	// CPUInfoProcessors counts the "processor" entries of the container's
	// /proc/cpuinfo.
	CPUInfoProcessors *int `json:"cpuinfoProcessors"`
	// AffinityCPUs is the size of the process's CPU affinity mask
	// (sched_getaffinity(2)): what nproc and os.cpu_count-style calls
	// that honour affinity print.
	AffinityCPUs *int `json:"affinityCpus"`
	// NprocSoftLimit is RLIMIT_NPROC's soft limit (ulimit -u); nil is
	// unlimited. It counts the user's processes host-wide, not the
	// container's.
	NprocSoftLimit *uint64        `json:"nprocSoftLimit"`
	Sources        Sources        `json:"evidence,omitempty"`
	Errors         []SectionError `json:"errors"`
}
