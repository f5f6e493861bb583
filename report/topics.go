package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// Topic is one entry of nsinspect explain: a short explanation in plain
// words, then the live evidence for the chosen process, which is the
// findings of --explain of the ids it names (one catalogue: the texts
// cannot drift apart) and, where a finding would not show it, the raw
// values with their files.
type Topic struct {
	Name     string
	Title    string
	Text     string
	Findings []string
	live     func(w io.Writer, in *Inspection, v *facts.View)
}

var topics = []Topic{
	{Name: "kernel", Title: "Is there a kernel inside a container?",
		Text: "No. A container is a group of ordinary host processes that the kernel fences off with namespaces (what they see) and cgroups (what they may use). " +
			"There is one kernel, the host's: uname -r prints the same release inside and outside, a kernel bug is everyone's, and a module loaded from a container is loaded into the host.",
		Findings: []string{"kernel-shared", "namespaces"}},
	{Name: "namespaces", Title: "What do namespaces isolate?",
		Text: "Each namespace type gives a process its own copy of one kernel resource: pid (process ids), mnt (the mount table), net (interfaces, ports), ipc (System V IPC, message queues), uts (hostname), user (uid and gid mappings), cgroup (the view of the cgroup tree), time (boot and monotonic clocks). " +
			"/proc/<pid>/ns/<type> names each; two processes share a namespace when those links have the same inode. Docker makes all but user and time; --pid=host, --net=host, --ipc=host and --uts=host share the host's.",
		Findings: []string{"namespaces", "host-pid", "host-network", "host-ipc", "host-uts", "host-mount", "user-namespace", "host-user-namespace", "root-without-userns"}},
	{Name: "pid1", Title: "Why is my program PID 1, and why does it ignore SIGTERM?",
		Text: "The first process of a new pid namespace gets pid 1 there and becomes that namespace's init: orphans are re-parented to it and it must reap them, and the kernel protects it by dropping every signal whose action is still the default. " +
			"A program that never installs a SIGTERM handler therefore cannot be stopped with SIGTERM: docker stop waits its timeout (10 s) and sends SIGKILL. Run it under an init that forwards signals and reaps zombies (docker run --init, nsinspect run --init, tini), or handle SIGTERM.",
		Findings: []string{"pid1", "sigterm", "pid1-sigterm", "zombies"}},
	{Name: "cgroups", Title: "Where do the limits live?",
		Text: "Limits are files of the process's cgroups, under /sys/fs/cgroup: on cgroup v1 one directory per controller (memory/…/memory.limit_in_bytes, cpu/…/cpu.cfs_quota_us, pids/…/pids.max), on v2 one directory with memory.max, cpu.max, pids.max. " +
			"docker run --memory, --cpus and --pids-limit write them; /proc/<pid>/cgroup says which directory. docker stats reads the same directory: MEM USAGE is usage minus inactive page cache (the working set), LIMIT is the memory limit (or the host's memory), CPU % is the usage counter's growth over the sampling interval, PIDS is pids.current.",
		Findings: []string{"memory-view", "no-memory-limit", "no-pids-limit", "cpu-view", "no-cpu-limit", "devices-allow-all"},
		live:     liveCgroups},
	{Name: "memory", Title: "How much memory may it use, and what happens at the limit?",
		Text: "The memory cgroup counts the pages its processes use, page cache and tmpfs included. At the limit the kernel first reclaims (drops clean cache, swaps if allowed); when it cannot, the cgroup's OOM killer kills a process inside with SIGKILL and the runtime reports exit code 137. " +
			"The working set (usage minus inactive cache) is what cannot be dropped: watch it against the limit.",
		Findings: []string{"memory-view", "no-memory-limit", "working-set-high", "oom-kills"}},
	{Name: "cpu", Title: "What do --cpus and --cpu-shares do?",
		Text: "--cpus is a CFS bandwidth quota: the group may run quota µs of CPU time per period (100 ms by default), spread over any of its CPUs, and is throttled for the rest of the period when it runs out. " +
			"--cpu-shares (cpu.shares, v2 cpu.weight) is only a relative weight, which matters when CPUs are contended; --cpuset-cpus pins the group to some CPUs, which is what nproc counts.",
		Findings: []string{"cpu-view", "no-cpu-limit", "cpu-throttled"}},
	{Name: "free", Title: "Why does free show the host's memory in my 512 MB container?",
		Text: "Because the files and calls programs ask are not namespaced. free and top read /proc/meminfo, busybox free and many runtimes call sysinfo(2), and both describe the whole host: a cgroup limit changes neither. " +
			"nproc counts the affinity mask (the cpuset), not the quota; /proc/cpuinfo lists the host's CPUs. lxcfs mounts FUSE files over /proc/meminfo and /proc/cpuinfo that show the limits, but it cannot change sysinfo(2), so busybox free still shows the host. " +
			"Runtimes that size themselves from the cgroup get it right: Go 1.25 and later set GOMAXPROCS from the CPU quota; the JVM's container support (JDK 10+, 8u191+) reads the memory limit (default heap: 1/4 of it) and the quota. Go's GC does not read the memory limit (set GOMEMLIMIT), nor do Node.js before 20 or Python's os.cpu_count().",
		Findings: []string{"memory-view", "cpu-view"},
		live:     liveFree},
	{Name: "unionfs", Title: "What is the container's root filesystem?",
		Text:     "An overlay (union) filesystem: the image's read-only layers stacked under one writable layer of the container's own. A read falls through to the topmost layer that has the file; a write copies the file up into the writable layer first, so image layers are shared between containers and never change.",
		Findings: []string{"union-fs"}},
	{Name: "capabilities", Title: "What may root inside the container do?",
		Text: "Root's power is split into about 40 capabilities. Docker keeps 14 (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP) and drops the rest from the bounding set, so no exec can regain them. " +
			"Some are escapes by themselves (SYS_ADMIN, SYS_MODULE, SYS_RAWIO, SYS_PTRACE, DAC_READ_SEARCH); docs/rules.md rates each.",
		Findings: []string{"privileged", "cap-sys-admin", "cap-sys-module", "cap-sys-rawio", "cap-sys-ptrace", "cap-dac-read-search", "cap-bpf", "cap-perfmon", "cap-net-admin", "cap-sys-boot", "cap-sys-time", "cap-syslog", "cap-mac-admin", "capabilities-beyond-docker"}},
	{Name: "privileged", Title: "What does --privileged (or -v /:/host) give a container?",
		Text: "--privileged gives every capability, every host device (an allow-all device cgroup and the host's device nodes), writable /sys and /proc/sys, and no seccomp or AppArmor profile: root inside can mount the host's disk and load kernel modules. " +
			"-v /:/host hands over the host's files directly; a runtime socket (-v /var/run/docker.sock) lets the container ask the daemon for a privileged one. Each is root on the host.",
		Findings: []string{"privileged", "devices-allow-all", "host-root-mounted", "host-sensitive", "runtime-socket", "host-devices", "proc-sys-writable", "sys-writable"}},
	{Name: "seccomp", Title: "What do seccomp, no_new_privs and the LSM add?",
		Text: "seccomp is a filter on system calls: Docker's default profile refuses about 50 that containers rarely need and that have been ways out (keyctl, unshare of user namespaces, mount, io_uring, kexec_load). " +
			"no_new_privs stops setuid binaries from raising privileges after exec. AppArmor or SELinux confine what even root may touch. All three stand between root in the container and root on the host, after capabilities.",
		Findings: []string{"seccomp-disabled", "no-new-privs", "lsm-unconfined"},
		live:     liveSeccomp},
}

// Topics lists explain's topics, in order.
func Topics() []Topic { return slices.Clone(topics) }

// TopicByName is the topic called name.
func TopicByName(name string) (Topic, error) {
	for _, t := range topics {
		if t.Name == name {
			return t, nil
		}
	}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = t.Name
	}
	return Topic{}, fmt.Errorf("unknown topic %q: want one of %s", name, strings.Join(names, ", "))
}

// WriteTopicList is nsinspect explain without a topic.
func WriteTopicList(w io.Writer) error {
	fmt.Fprintln(w, "nsinspect explain TOPIC [--pid PID|CONTAINER] — the article's questions, answered with this host's values:")
	fmt.Fprintln(w)
	rows := make([][]string, len(topics))
	for i, t := range topics {
		rows[i] = []string{"  " + t.Name, t.Title}
	}
	return renderRows(w, []string{"  TOPIC", "QUESTION"}, rows)
}

// WriteTopic writes a topic for in: the explanation, then its live
// evidence. v is the view from inside (explain free); nil when unread.
func WriteTopic(w io.Writer, t Topic, in *Inspection, v *facts.View) error {
	fmt.Fprintf(w, "%s\n\n", t.Title)
	for _, line := range wrap(t.Text, 78) {
		fmt.Fprintln(w, line)
	}
	who := fmt.Sprintf("pid %d", in.PID)
	if in.Process != nil {
		who += " (" + Escape(in.Process.Comm) + ")"
	}
	if rt := in.Runtime; rt != nil && rt.ContainerID != "" {
		who += fmt.Sprintf(", %s container %s", rt.Name, short(rt.ContainerID))
	}
	fmt.Fprintf(w, "\nON THIS HOST, for %s:\n", who)
	if t.live != nil {
		fmt.Fprintln(w)
		t.live(w, in, v)
	}
	for _, id := range t.Findings {
		for _, f := range in.Findings {
			if f.ID == id {
				writeFinding(w, f)
			}
		}
	}
	return nil
}

func or(s string, ok bool, alt string) string {
	if ok {
		return s
	}
	return alt
}

func liveCgroups(w io.Writer, in *Inspection, _ *facts.View) {
	cg := in.Cgroup
	if cg == nil {
		fmt.Fprintln(w, "  the cgroups could not be read")
		return
	}
	fmt.Fprintf(w, "  cgroup mode %s, from %s\n", cg.Mode, cg.File)
	for _, p := range cg.Paths {
		fmt.Fprintf(w, "    %d:%s:%s\n", p.Hierarchy, strings.Join(p.Controllers, ","), Escape(p.Path))
	}
	for _, s := range []facts.Sources{cg.Memory.Sources, cg.CPU.Sources, cg.Pids.Sources} {
		for _, k := range []string{"limitBytes", "usageBytes", "quotaMicros", "max", "current"} {
			if e, ok := s[k]; ok {
				fmt.Fprintf(w, "  %s: %s\n", Escape(e.File), Escape(oneLine(e.Raw)))
			}
		}
	}
}

func liveSeccomp(w io.Writer, in *Inspection, _ *facts.View) {
	s := in.Security
	if s == nil {
		fmt.Fprintln(w, "  the security settings could not be read")
		return
	}
	nnp := "unknown"
	if s.NoNewPrivs != nil {
		nnp = fmt.Sprint(*s.NoNewPrivs)
	}
	label := s.Label
	if label == "" {
		label = "-"
	}
	fmt.Fprintf(w, "  seccomp %s, no_new_privs %s, LSM %s (label %s)\n", s.Seccomp, nnp, s.LSM, Escape(label))
	for _, k := range []string{"seccomp", "noNewPrivs", "label"} {
		if e, ok := s.Sources[k]; ok {
			fmt.Fprintf(w, "    evidence: %s: %s\n", Escape(e.File), Escape(oneLine(e.Raw)))
		}
	}
}

// liveFree is the heart of explain free: what each way of asking returns
// inside, against the truth of the cgroup.
func liveFree(w io.Writer, in *Inspection, v *facts.View) {
	if v == nil {
		fmt.Fprintln(w, "  the view from inside could not be read (it needs the live /proc)")
		return
	}
	var memLimit, quota *float64
	var cpuset *int
	truthMem, truthCPU, truthPids := "no limit", "no quota", "no pids limit"
	if cg := in.Cgroup; cg != nil {
		if l := cg.Memory.LimitBytes; l != nil {
			f := float64(*l)
			memLimit = &f
			truthMem = "limit " + Bytes(*l)
		}
		if c := cg.CPU.CPUs; c != nil {
			quota = c
			truthCPU = "quota " + CPUs(*c)
		}
		if n := cg.CPU.CpusetCount; n != nil {
			cpuset = n
			truthCPU += fmt.Sprintf(", cpuset %d CPUs", *n)
		}
		if p := cg.Pids.Max; p != nil {
			truthPids = fmt.Sprintf("pids.max %d (the container's)", *p)
		}
	}
	bytesOf := func(p *uint64) string { return or(Bytes(deref(p)), p != nil, unknown) }
	intOf := func(p *int) string { return or(fmt.Sprint(deref(p)), p != nil, unknown) }
	meminfo, meminfoSees := "/proc/meminfo (free, top, procps)", bytesOf(v.MeminfoTotalBytes)
	if v.MeminfoFrom != "procfs" && v.MeminfoFrom != "" {
		meminfo = "/proc/meminfo: " + v.MeminfoFrom + " over it"
		// lxcfs reports the smaller of the host's memory and the
		// reader's cgroup limit; nsinspect does not read it from outside,
		// where it would answer for nsinspect's cgroup.
		meminfoSees = "what " + v.MeminfoFrom + " computes for the reader's cgroup"
		if memLimit != nil {
			meminfoSees = Bytes(uint64(*memLimit)) + " (lxcfs: the limit)"
		}
	}
	cpuinfoSees := intOf(v.CPUInfoProcessors)
	cpuinfo := "/proc/cpuinfo processors"
	if v.CPUInfoFrom != "procfs" && v.CPUInfoFrom != "" {
		cpuinfo = "/proc/cpuinfo: " + v.CPUInfoFrom + " over it"
		cpuinfoSees = "the cpuset's CPUs (lxcfs)"
		if cpuset != nil {
			cpuinfoSees = fmt.Sprint(*cpuset) + " (lxcfs: the cpuset)"
		}
	}
	nproc := "unlimited"
	if v.NprocSoftLimit != nil {
		nproc = fmt.Sprint(*v.NprocSoftLimit) + " (the user's processes host-wide)"
	}
	// Go ≥ 1.25: GOMAXPROCS = min(affinity, ceil(quota)), at least 2
	// when the quota is below 2 CPUs' worth but the machine has more.
	gomax := intOf(v.AffinityCPUs)
	if v.AffinityCPUs != nil {
		n := *v.AffinityCPUs
		if quota != nil {
			q := int(math.Ceil(*quota))
			if q < 2 {
				q = 2
			}
			n = min(n, q)
		}
		gomax = fmt.Sprint(n)
	}
	// The JVM: active processors min(cpuset, ceil(quota)); default max
	// heap a quarter of the limit (of the host's memory without one).
	jvm := unknown
	if v.AffinityCPUs != nil {
		cpus := *v.AffinityCPUs
		if cpuset != nil {
			cpus = min(cpus, *cpuset)
		}
		if quota != nil {
			cpus = min(cpus, max(1, int(math.Ceil(*quota))))
		}
		heap := "a quarter of the host's memory"
		if memLimit != nil {
			heap = Bytes(uint64(*memLimit / 4))
		}
		jvm = fmt.Sprintf("%s, max heap %s", plural(cpus, "CPU", "CPUs"), heap)
	}
	rows := [][]string{
		{meminfo, meminfoSees, truthMem},
		{"sysinfo(2) totalram (busybox free)", bytesOf(v.SysinfoTotalRAMBytes) + " (never namespaced)", truthMem},
		{"nproc (sched_getaffinity)", intOf(v.AffinityCPUs), truthCPU},
		{cpuinfo, cpuinfoSees, truthCPU},
		{"ulimit -u (RLIMIT_NPROC)", nproc, truthPids},
		{"Go 1.25+ GOMAXPROCS", gomax + " (the quota rounded up, at least 2)", truthCPU},
		{"JVM container support", jvm, truthMem},
	}
	for i := range rows {
		for j := range rows[i] {
			rows[i][j] = Escape(rows[i][j])
		}
	}
	var b strings.Builder
	_ = renderRows(&b, []string{"WHAT THE PROGRAM READS", "INSIDE IT SEES", "THE TRUTH"}, rows)
	for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintln(w, "  "+line)
	}
	fmt.Fprintln(w)
	for _, k := range []string{"meminfoTotalBytes", "meminfoFrom", "sysinfoTotalRamBytes", "affinityCpus", "cpuinfoProcessors", "cpuinfoFrom", "nprocSoftLimit"} {
		if e, ok := v.Sources[k]; ok {
			fmt.Fprintf(w, "    evidence: %s: %s\n", Escape(e.File), Escape(oneLine(e.Raw)))
		}
	}
	for _, e := range v.Errors {
		fmt.Fprintf(w, "    unread: %s: %s\n", e.Section, Escape(e.Err))
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
