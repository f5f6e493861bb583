package inspect

// The cgroup files nsinspect reads, named once: a report (cgroup.go) and a
// stats session (sample.go) read the same counters. v1 files lie in their
// controller's hierarchy, v2 files in the unified one
// (Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst).
const (
	// memory
	memoryV1Limit      = "memory.limit_in_bytes"
	memoryV1SoftLimit  = "memory.soft_limit_in_bytes"
	memoryV1MemswLimit = "memory.memsw.limit_in_bytes" // memory plus swap; absent without swap accounting
	memoryV1Usage      = "memory.usage_in_bytes"
	memoryV1MaxUsage   = "memory.max_usage_in_bytes"
	memoryV1Failcnt    = "memory.failcnt"
	memoryV1OOMControl = "memory.oom_control" // oom_kill since Linux 4.13
	memoryV2Max        = "memory.max"
	memoryV2High       = "memory.high"
	memoryV2SwapMax    = "memory.swap.max"
	memoryV2Current    = "memory.current"
	memoryV2Peak       = "memory.peak"
	memoryV2Events     = "memory.events"
	memoryStatFile     = "memory.stat" // v1 and v2, with different keys

	// cpu, cpuacct and cpuset
	cpuV1Quota    = "cpu.cfs_quota_us"
	cpuV1Period   = "cpu.cfs_period_us"
	cpuV1Shares   = "cpu.shares"
	cpuacctV1     = "cpuacct.usage" // nanoseconds
	cpuV2Max      = "cpu.max"       // "quota period", quota "max" for none
	cpuV2Weight   = "cpu.weight"
	cpuStatFile   = "cpu.stat" // v1 and v2, with different keys
	cpusetV1CPUs  = "cpuset.cpus"
	cpusetV1Mems  = "cpuset.mems"
	cpusetV2CPUs  = "cpuset.cpus.effective"
	cpusetV2Mems  = "cpuset.mems.effective"
	pidsMax       = "pids.max" // pids: the same names on v1 and v2
	pidsCurrent   = "pids.current"
	pidsEvents    = "pids.events"
	blkioV1Bytes  = "blkio.throttle.io_service_bytes_recursive"
	blkioV1Own    = "blkio.throttle.io_service_bytes" // kernels without the recursive file
	ioV2Stat      = "io.stat"
	devicesV1List = "devices.list" // v2 has an eBPF program instead, which no file shows

	// pressure stall information, in the v2 tree (also on hybrid hosts)
	pressureCPU    = "cpu.pressure"
	pressureMemory = "memory.pressure"
	pressureIO     = "io.pressure"
)
