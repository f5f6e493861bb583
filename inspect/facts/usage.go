package facts

import "time"

// Usage is one reading of a container's counters, for docker stats-style
// rates: two readings a known time apart give CPU %, throttling and I/O.
// A nil pointer is a counter this host does not offer.
type Usage struct {
	Time         time.Time
	CPUNanos     *uint64 // cumulative CPU time of the group
	MemUsage     *uint64
	InactiveFile *uint64
	MemLimit     *uint64 // nil: no limit
	QuotaCPUs    *float64
	Pids         *uint64
	// NetRx and NetTx are the container's network namespace's, loopback
	// excluded; nil when it cannot be compared with the host's.
	NetRx, NetTx *uint64
	// HostNetwork: the container shares the host's network namespace
	// (docker --network host, nspawn's default). Its interfaces' counters
	// are the whole host's traffic, so NetRx and NetTx are left nil.
	HostNetwork bool
	BlkRead     *uint64
	BlkWrite    *uint64
	Periods     *uint64
	Throttled   *uint64
	OOMKills    *uint64
	LimitHits   *uint64
	CPUPressure *float64 // PSI some avg10, percent
	MemPressure *float64
	MemFull     *float64
	IOPressure  *float64
	// ThrottledNanos is the time the group spent throttled (v1 cpu.stat
	// throttled_time, v2 throttled_usec).
	ThrottledNanos *uint64
	// RSS and Cache are anonymous memory and page cache of memory.stat
	// (v1 total_rss, total_cache; v2 anon, file): cAdvisor's rss and cache.
	RSS, Cache *uint64
	// PSI totals of the group's own pressure files, in microseconds: the
	// time some (Some) or all (Full) of its tasks stalled. Nil where the
	// group's files would be the host's (its cgroup is the root).
	CPUSomeMicros, CPUFullMicros *uint64
	MemSomeMicros, MemFullMicros *uint64
	IOSomeMicros, IOFullMicros   *uint64
}

// HostUsage is docker's system_cpu_usage and online CPU count: the first
// seven fields of the "cpu" line of /proc/stat in nanoseconds, and the
// number of cpuN lines.
type HostUsage struct {
	Time        time.Time
	SystemNanos uint64
	OnlineCPUs  int
}
