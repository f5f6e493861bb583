package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// Severity ranks findings; audit fails at or above a chosen level.
type Severity string

// Severities, lowest first.
const (
	Info     Severity = "info"
	Warn     Severity = "warn"
	Critical Severity = "critical"
)

// Rank orders severities: info 0, warn 1, critical 2; -1 if unknown.
func (s Severity) Rank() int {
	return slices.Index([]Severity{Info, Warn, Critical}, s)
}

// ParseSeverity reads a severity as the flags take it (--severity warn).
func ParseSeverity(s string) (Severity, error) {
	if v := Severity(s); v.Rank() >= 0 {
		return v, nil
	}
	return "", fmt.Errorf("unknown severity %q: want info, warn or critical", s)
}

// Finding is one plain statement about the target with the evidence behind
// it: the files an operator can cat to check it by hand.
type Finding struct {
	ID       string           `json:"id"`
	Severity Severity         `json:"severity"`
	Summary  string           `json:"summary"`
	Detail   string           `json:"detail"`
	Evidence []facts.Evidence `json:"evidence"`

	// pass marks a finding that says a rule's check passed ("Not
	// privileged: ..."): explain prints it, audit does not count it.
	pass bool
}

// rule looks at an inspection and returns zero or more findings.
type rule func(in *Inspection) []Finding

// rules in the order explain prints them: what the article asks first, then
// what an operator should worry about.
var rules = []rule{
	hostProcess, runtimeRule, kernelShared, pid1Rule, memoryView, oomKills,
	noPidsLimit, workingSetHigh, cpuView, noCPULimit, cpuThrottled, zombies, namespacesRule, userNamespace, privilegedRule,
	dangerousCapabilities, extraCapabilities, seccompRule, noNewPrivs, lsmUnconfined, unionFS, notableMounts,
	procSysWritable, sysWritable, devicesAllowAll,
}

func findings(in *Inspection) []Finding {
	out := []Finding{}
	for _, r := range rules {
		for _, f := range r(in) {
			if f.Evidence == nil {
				f.Evidence = []facts.Evidence{}
			}
			out = append(out, f)
		}
	}
	return out
}

// ev collects the evidence of the named fields that exist, each distinct
// file and value once (quota and period come from the same cpu.max).
func ev(src facts.Sources, fields ...string) []facts.Evidence {
	var out []facts.Evidence
	for _, f := range fields {
		if e, ok := src[f]; ok && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func one(f Finding) []Finding { return []Finding{f} }

func hostProcess(in *Inspection) []Finding {
	if in.InContainer() || len(in.Namespaces) == 0 || in.Runtime == nil || in.Runtime.Role == "monitor" || len(in.Unreadable()) > 0 {
		return nil
	}
	var e []facts.Evidence
	if n, ok := in.namespace(facts.NSPID); ok {
		e = append(e, facts.Evidence{File: n.File, Raw: fmt.Sprintf("pid:[%d]", n.Inode)})
	}
	return one(Finding{
		ID: "host-process", Severity: Info,
		Summary: fmt.Sprintf("pid %d is not in a container: it shares every namespace with the reference and no runtime claims it", in.PID),
		Detail: "No pid or mount namespace of its own, no container cgroup path, no runtime marker files: " +
			"this is an ordinary process of the host (or of the same container as nsinspect).",
		Evidence: append(e, ev(in.Runtime.Sources, "name")...),
	})
}

func runtimeRule(in *Inspection) []Finding {
	rt := in.Runtime
	if rt == nil || rt.Name == facts.RuntimeNone {
		return nil
	}
	what := rt.Name
	switch {
	case rt.Name == facts.RuntimeKubernetes:
		what = fmt.Sprintf("kubernetes pod %s (QoS %s)", rt.PodUID, rt.QoSClass)
		if rt.Engine != "" {
			what += " via " + rt.Engine
		}
	case rt.Name == facts.RuntimeUnknown:
		what = "an unrecognised runtime (it has its own pid namespace, but no known cgroup path or marker)"
	}
	if rt.ContainerID != "" {
		what += ", container " + short(rt.ContainerID)
	}
	if rt.ContainerName != "" {
		what += " (" + rt.ContainerName + ")"
	}
	if rt.Role == "monitor" {
		what += "; this process is the runtime's monitor, not the container's payload"
	}
	return one(Finding{
		ID: "runtime", Severity: Info,
		Summary: "Started by " + what,
		Detail: "Recognised from the evidence below: a cgroup path pattern (a path that is only a shape, /<id> or /<x>/<id>, " +
			"is named by the runtimes' own state: containerd's task directory, runc's state.json, crun's status), the runtimes' " +
			"state for a free-form id, a bind mount the runtime made, a marker file in the container's root, or the container= " +
			"variable — checked in that order.",
		Evidence: ev(rt.Sources, "name"),
	})
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func kernelShared(in *Inspection) []Finding {
	k := in.Kernel
	if k == nil {
		return nil
	}
	detail := "A container is a group of host processes fenced off by namespaces and cgroups, not a virtual machine: " +
		"there is no kernel inside it. uname -r reads the one running kernel, so it prints " + k.Release + " inside and outside."
	if n, ok := in.namespace(facts.NSUTS); ok && n.Isolated != nil && *n.Isolated && k.Hostname != nil {
		host := ""
		if in.ref != nil && in.ref.Kernel != nil && in.ref.Kernel.Hostname != nil {
			host = fmt.Sprintf(" (the host's is %q)", *in.ref.Kernel.Hostname)
		}
		detail += fmt.Sprintf(" Only the names differ: its own UTS namespace calls the machine %q%s.", *k.Hostname, host)
	}
	return one(Finding{
		ID: "kernel-shared", Severity: Info,
		Summary:  "The kernel is the host's own: " + k.Release,
		Detail:   detail,
		Evidence: ev(k.Sources, "release", "hostname"),
	})
}

func pid1Rule(in *Inspection) []Finding {
	s, p := in.Signals, in.Process
	if s == nil || p == nil {
		return nil
	}
	if !s.PID1 {
		if !in.InContainer() {
			return nil
		}
		return one(Finding{
			ID: "sigterm", Severity: Info,
			Summary:  fmt.Sprintf("pid %d is not PID 1 of its pid namespace; SIGTERM: %s", in.PID, s.SIGTERM),
			Detail:   "Only a namespace's init gets the kernel's protection against default-action signals; this process does not.",
			Evidence: ev(s.Sources, "pid1", "caught", "ignored"),
		})
	}
	f := Finding{ID: "pid1", Severity: Info, Evidence: ev(s.Sources, "pid1", "caught", "ignored", "blocked", "wchan")}
	inner := in.PID
	if len(p.NSpid) > 0 {
		inner = p.NSpid[len(p.NSpid)-1]
	}
	f.Summary = fmt.Sprintf("pid %d is PID %d of its own pid namespace; SIGTERM: %s", in.PID, inner, s.SIGTERM)
	var b strings.Builder
	fmt.Fprintf(&b, "The first process started in a new pid namespace gets pid 1 there (NSpid: %s), which is why ps inside shows %q as PID 1. ",
		strings.Trim(fmt.Sprint(p.NSpid), "[]"), p.Comm)
	b.WriteString("The kernel shields a namespace's init: a signal whose action is still the default is dropped, " +
		"so SIGTERM and SIGINT do nothing unless the program installs a handler; only SIGKILL or SIGSTOP sent from the host get through. ")
	var stop *Finding
	switch s.SIGTERM {
	case facts.VerdictDropped:
		b.WriteString("This process has no SIGTERM handler: docker stop (or nsinspect stop) will wait for its timeout and then SIGKILL it. " +
			"Run it with --init, or make it handle SIGTERM.")
		stop = &Finding{ID: "pid1-sigterm", Severity: Warn,
			Summary: fmt.Sprintf("PID 1 (%s) has no SIGTERM handler: the kernel drops SIGTERM, and docker stop waits its timeout before SIGKILL", p.Comm)}
	case facts.VerdictIgnored:
		b.WriteString("This process ignores SIGTERM outright: only SIGKILL will stop it.")
		stop = &Finding{ID: "pid1-sigterm", Severity: Warn,
			Summary: fmt.Sprintf("PID 1 (%s) ignores SIGTERM: only SIGKILL stops it", p.Comm)}
	case facts.VerdictHandled:
		b.WriteString("This process has a SIGTERM handler (SigCgt), so a stop request reaches it; what it does then is up to the program.")
	case facts.VerdictProbablyHandled:
		b.WriteString("Its masks look like the default, but it sleeps in sigtimedwait (wchan), the way tini and other inits wait for signals: " +
			"SIGTERM will probably be taken and acted on. This is a heuristic.")
	case facts.VerdictBlocked:
		b.WriteString("SIGTERM is blocked: it stays pending until the program unblocks it or reads it with sigwait or signalfd.")
	}
	f.Detail = b.String()
	if stop == nil || !in.InContainer() {
		return one(f)
	}
	stop.Detail = "Run it with an init that forwards signals (docker run --init, nsinspect run --init), or make the program install a SIGTERM handler. See the pid1 finding for the kernel's rule."
	stop.Evidence = ev(s.Sources, "pid1", "caught", "ignored", "blocked")
	return []Finding{f, *stop}
}

func memoryView(in *Inspection) []Finding {
	if in.Cgroup == nil {
		return nil
	}
	m := in.Cgroup.Memory
	hostMem := "the host's memory"
	if in.Host != nil {
		hostMem = "the host's " + Bytes(in.Host.MemTotalBytes)
	}
	var out []Finding
	limitEv, known := m.Sources["limitBytes"]
	limit := m.LimitBytes
	limitFile := limitEv.File
	if limit == nil && m.EffectiveLimitBytes != nil {
		limit = m.EffectiveLimitBytes
		limitFile = m.Sources["effectiveLimitBytes"].File
	}
	f := Finding{ID: "memory-view", Severity: Info, Evidence: ev(m.Sources, "limitBytes", "effectiveLimitBytes", "usageBytes", "workingSetBytes")}
	if in.Host != nil {
		f.Evidence = append(f.Evidence, ev(in.Host.Sources, "memTotalBytes")...)
	}
	inside := "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	if in.Cgroup.Mode == facts.CgroupV2 {
		inside = "/sys/fs/cgroup/memory.max"
	}
	usage := ""
	if m.UsageBytes != nil && m.WorkingSetBytes != nil {
		usage = fmt.Sprintf(" It uses %s now (%s working set, the figure docker stats shows: usage minus inactive page cache).", Bytes(*m.UsageBytes), Bytes(*m.WorkingSetBytes))
	}
	switch {
	case limit != nil:
		f.Summary = fmt.Sprintf("free inside shows %s; the real limit is %s, in %s", hostMem, Bytes(*limit), limitFile)
		f.Detail = "free, top and most runtimes read /proc/meminfo, which always describes the whole host: a cgroup limit does not change it. " +
			fmt.Sprintf("The limit lives in the memory cgroup: cat %s. Inside a container with its own cgroup view the same file is %s.", limitFile, inside) + usage
		if m.LimitBytes == nil {
			f.Detail += " The process's own cgroup sets no limit; the one shown is inherited from a parent cgroup, which caps all its children together."
		}
	case known:
		f.Summary = fmt.Sprintf("No memory limit: free shows %s, and that is what it may really use", hostMem)
		f.Detail = fmt.Sprintf("%s says %q: no limit, so the process may use all of %s until the kernel's global OOM killer steps in.", limitEv.File, limitEv.Raw, hostMem) +
			" docker run --memory 512m would write 536870912 there (memory.max on cgroup v2)." + usage
		if in.InContainer() {
			out = append(out, Finding{
				ID: "no-memory-limit", Severity: Warn,
				Summary:  "The container has no memory limit: it can take " + hostMem,
				Detail:   "One runaway container can push the whole host into swap or the global OOM killer. Set a limit (docker run --memory, a Kubernetes memory limit).",
				Evidence: ev(m.Sources, "limitBytes"),
			})
		}
	default:
		return nil
	}
	return append([]Finding{f}, out...)
}

func oomKills(in *Inspection) []Finding {
	if in.Cgroup == nil || in.Cgroup.Memory.OOMKills == nil || *in.Cgroup.Memory.OOMKills == 0 {
		return nil
	}
	m := in.Cgroup.Memory
	limit := "its limit"
	if m.LimitBytes != nil {
		limit = "its " + Bytes(*m.LimitBytes) + " limit"
	}
	detail := "When a cgroup reaches its memory limit and cannot reclaim, the kernel kills a process inside it with SIGKILL; a container runtime reports exit code 137. "
	if m.LimitHits != nil {
		detail += fmt.Sprintf("The limit was reached %d times in all. ", *m.LimitHits)
	}
	detail += "Look at the working set against the limit, and at what grew: anonymous memory, tmpfs, page cache that could not be dropped."
	return one(Finding{
		ID: "oom-kills", Severity: Critical,
		Summary:  fmt.Sprintf("The memory cgroup OOM-killed %s for exceeding %s", plural(int(*m.OOMKills), "process", "processes"), limit),
		Detail:   detail,
		Evidence: ev(m.Sources, "oomKills", "limitHits", "limitBytes"),
	})
}

func cpuView(in *Inspection) []Finding {
	if in.Cgroup == nil {
		return nil
	}
	c := in.Cgroup.CPU
	_, hasQuota := c.Sources["quotaMicros"]
	if c.CPUs == nil && !hasQuota {
		return nil
	}
	hostCPUs := 0
	if in.Host != nil {
		hostCPUs = in.Host.CPUs
	}
	// nproc counts the CPUs the process may be scheduled on: its cpuset
	// (sched_getaffinity). /proc/cpuinfo and /proc/stat are not
	// namespaced and list the host's.
	nproc, cpuset := hostCPUs, "the host's CPUs"
	if c.CpusetCount != nil {
		nproc = *c.CpusetCount
		cpuset = "its cpuset"
		if c.CpusetCPUs != nil {
			cpuset = "its cpuset " + *c.CpusetCPUs
		}
	}
	// What it may use is the smaller of its quota and its cpuset.
	usable := float64(nproc)
	if c.CPUs != nil && (nproc == 0 || *c.CPUs < usable) {
		usable = *c.CPUs
	}
	e := ev(c.Sources, "quotaMicros", "periodMicros", "cpusetCpus", "shares", "weight")
	if in.Host != nil {
		e = append(e, ev(in.Host.Sources, "cpus")...)
	}
	f := Finding{ID: "cpu-view", Severity: Info, Evidence: e}
	weight := ""
	switch {
	case c.Shares != nil:
		weight = fmt.Sprintf(" --cpu-shares became cpu.shares = %d, a relative weight (1024 is the default) that matters only when CPUs are contended.", *c.Shares)
	case c.Weight != nil:
		weight = fmt.Sprintf(" --cpu-shares became cpu.weight = %d (v2 maps shares 1024 to weight 100), a relative weight that matters only when CPUs are contended.", *c.Weight)
	}
	var view strings.Builder
	fmt.Fprintf(&view, " The CPUs it may use are the smaller of its quota and %s: %s.", cpuset, cpuCount(usable))
	fmt.Fprintf(&view, " nproc shows %d: it counts the CPUs of the cpuset (the scheduler's affinity mask), not the quota", nproc)
	if float64(nproc) > usable {
		fmt.Fprintf(&view, ", so a program that sizes its thread pool from nproc starts %d threads for %s and over-subscribes.", nproc, cpuCount(usable))
	} else {
		view.WriteString(", so here it is right.")
	}
	if hostCPUs > nproc && nproc > 0 {
		fmt.Fprintf(&view, " /proc/cpuinfo and /proc/stat are not namespaced and still list the host's %d CPUs: a program that counts them over-subscribes.", hostCPUs)
	} else if hostCPUs > 0 {
		fmt.Fprintf(&view, " /proc/cpuinfo and /proc/stat list the host's %d CPUs.", hostCPUs)
	}
	if c.CPUs != nil {
		f.Summary = fmt.Sprintf("The CPU limit (--cpus) is a CFS quota of %d µs per %d µs period = %s; it may use %s; nproc shows %d", *c.QuotaMicros, *c.PeriodMicros, CPUs(*c.CPUs), cpuCount(usable), nproc)
		f.Detail = fmt.Sprintf("A CPU limit such as docker run --cpus %g is a CFS quota and period (v1 cpu.cfs_quota_us and cpu.cfs_period_us, v2 cpu.max): "+
			"the group may run %s of CPU time in every %s, spread over any of its CPUs, and is throttled for the rest of the period.",
			*c.CPUs, Micros(*c.QuotaMicros), Micros(*c.PeriodMicros)) + weight + view.String()
	} else {
		f.Summary = fmt.Sprintf("No CPU quota: it may use %s (%s); nproc shows %d", cpuCount(usable), cpuset, nproc)
		f.Detail = "There is no CFS quota (cpu.cfs_quota_us -1 or cpu.max \"max\"): docker run --cpus 1 would write 100000 per 100000 µs." + weight + view.String()
	}
	return one(f)
}

// cpuCount is a number of CPUs, whole ones without decimals: "2 CPUs",
// "0.50 CPUs".
func cpuCount(v float64) string {
	if v == float64(int(v)) && v != 1 {
		return fmt.Sprintf("%d CPUs", int(v))
	}
	return CPUs(v)
}

func cpuThrottled(in *Inspection) []Finding {
	if in.Cgroup == nil {
		return nil
	}
	c := in.Cgroup.CPU
	if c.Periods == nil || c.ThrottledPeriods == nil {
		return nil
	}
	periods, throttled, over := *c.Periods, *c.ThrottledPeriods, "since the cgroup was made"
	if w := in.window; w != nil {
		// the audit's sampling window: what happened during it
		b := w.before.Cgroup
		if b == nil || b.CPU.Periods == nil || b.CPU.ThrottledPeriods == nil || *b.CPU.Periods > periods || *b.CPU.ThrottledPeriods > throttled {
			return nil
		}
		periods, throttled = periods-*b.CPU.Periods, throttled-*b.CPU.ThrottledPeriods
		over = "in the last " + w.length.String()
	}
	if periods == 0 {
		return nil
	}
	ratio := float64(throttled) / float64(periods)
	if ratio <= throttledRatio {
		return nil
	}
	t := ""
	if c.ThrottledTimeMicros != nil && in.window == nil {
		t = fmt.Sprintf(", %s in all", Micros(*c.ThrottledTimeMicros))
	}
	return one(Finding{
		ID: "cpu-throttled", Severity: Warn,
		Summary: fmt.Sprintf("Heavy CPU throttling: %d of %d periods (%s) hit the quota %s%s", throttled, periods, Percent(ratio), over, t),
		Detail: "Each throttled period stalled every thread of the group until the next period began, which shows up as latency spikes " +
			"even when average CPU use looks low. Raise the quota (--cpus), or lower the parallelism the program derives from nproc.",
		Evidence: ev(c.Sources, "periods", "throttledPeriods", "throttledTimeMicros", "quotaMicros"),
	})
}

// throttledRatio is the share of CFS periods throttled above which
// cpu-throttled fires.
const throttledRatio = 0.25

// exposure says what sharing a namespace type with the host hands over.
var exposure = map[facts.NamespaceType]string{
	facts.NSPID:    "it sees every host process and can signal those of its uid",
	facts.NSNet:    "it uses the host's interfaces and ports, and can reach services bound to localhost",
	facts.NSIPC:    "it shares System V IPC and POSIX message queues with the host",
	facts.NSMount:  "it sees the host's mount table and files",
	facts.NSUTS:    "it can change the host's hostname if it holds CAP_SYS_ADMIN",
	facts.NSCgroup: "it sees the full cgroup paths of the host's tree (Docker's default on cgroup v1 hosts)",
	facts.NSTime:   "it shares the host's monotonic and boot clocks (the usual case)",
}

// sharedUser says what sharing the host's user namespace means for this
// process: its own uid is the host's.
func sharedUser(in *Inspection) string {
	if p := in.Process; p != nil && p.UID != 0 {
		return fmt.Sprintf("its ids are the host's: uid %d inside is uid %d on the host, and root inside would be root on the host", p.UID, p.UID)
	}
	return "uid 0 inside is uid 0 on the host"
}

// hostShareWarn are the namespaces a container should not share: sharing
// one is docker's --pid=host, --net=host, --ipc=host or --uts=host.
var hostShareWarn = []facts.NamespaceType{facts.NSPID, facts.NSNet, facts.NSIPC, facts.NSMount, facts.NSUTS}

// hostShareID is the rule of sharing each of them.
var hostShareID = map[facts.NamespaceType]string{
	facts.NSPID: "host-pid", facts.NSNet: "host-network", facts.NSIPC: "host-ipc", facts.NSMount: "host-mount", facts.NSUTS: "host-uts",
}

func namespacesRule(in *Inspection) []Finding {
	if len(in.Namespaces) == 0 {
		return nil
	}
	iso, shared, unread := in.Isolated(), in.Shared(), in.Unreadable()
	var e []facts.Evidence
	for _, n := range in.Namespaces {
		if n.Type == facts.NSPIDForChildren || n.Type == facts.NSTimeForChildren || n.Inode == 0 {
			continue
		}
		raw := fmt.Sprintf("%s:[%d]", n.Type, n.Inode)
		if n.ReferenceInode != 0 {
			raw += fmt.Sprintf(" (reference %s:[%d])", n.Type, n.ReferenceInode)
		}
		e = append(e, facts.Evidence{File: n.File, Raw: raw})
	}
	var d strings.Builder
	d.WriteString("Namespaces are compared by the device and inode of /proc/<pid>/ns/<type>: the same inode is the same namespace. ")
	if in.Reference.Partial != "" || in.Reference.PID == in.PID {
		fmt.Fprintf(&d, "The reference is pid %d (%s), so \"shared\" below means shared with it, and \"the host\" means that reference. ", in.Reference.PID, in.Reference.Reason)
	}
	for _, n := range in.Namespaces {
		if n.Isolated != nil && !*n.Isolated {
			if n.Type == facts.NSUser {
				fmt.Fprintf(&d, "Shared user: %s. ", sharedUser(in))
			} else if x, ok := exposure[n.Type]; ok {
				fmt.Fprintf(&d, "Shared %s: %s. ", n.Type, x)
			}
		}
	}
	sum := fmt.Sprintf("Isolated: %s; shared with the reference: %s", list(iso), list(shared))
	if len(unread) > 0 {
		sum += "; unreadable, so neither shared nor own: " + list(unread)
		why := ""
		for _, n := range in.Namespaces {
			if n.Isolated == nil && n.Error != "" {
				why = fmt.Sprintf(" (%s: %s)", n.File, n.Error)
				break
			}
		}
		fmt.Fprintf(&d, "Unreadable: %s%s. Which of those it shares with the reference is unknown: reading another user's namespace links needs ptrace access (root), and a zombie has released all but its pid and user namespaces. ", list(unread), why)
	}
	out := []Finding{{
		ID: "namespaces", Severity: Info,
		Summary:  sum,
		Detail:   strings.TrimSpace(d.String()),
		Evidence: e,
	}}
	if in.InContainer() && in.Reference.Partial == "" && in.Reference.PID != in.PID {
		var bad []Namespace
		for _, t := range hostShareWarn {
			if n, ok := in.namespace(t); ok && n.Isolated != nil && !*n.Isolated && in.Reference.Kind != facts.ReferenceProcess {
				bad = append(bad, n)
			}
		}
		if len(bad) < len(hostShareWarn) {
			for _, n := range bad {
				out = append(out, Finding{
					ID: hostShareID[n.Type], Severity: Warn,
					Summary:  fmt.Sprintf("The container shares the host's %s namespace: %s", n.Type, exposure[n.Type]),
					Detail:   "This is what docker run --pid=host, --net=host, --ipc=host or --uts=host (Kubernetes hostPID, hostNetwork, hostIPC) do: the isolation of that kind is gone.",
					Evidence: []facts.Evidence{{File: n.File, Raw: fmt.Sprintf("%s:[%d] (reference %s:[%d])", n.Type, n.Inode, n.Type, n.ReferenceInode)}},
				})
			}
		}
	}
	return out
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func userNamespace(in *Inspection) []Finding {
	s := in.Security
	if s == nil || len(s.UIDMap) == 0 {
		return nil
	}
	if s.UserNamespaced {
		sum := "Runs in a user namespace"
		if s.RootMapsTo != nil {
			sum = fmt.Sprintf("Runs in a user namespace: root in the container is uid %d on the host", *s.RootMapsTo)
		}
		return one(Finding{
			ID: "user-namespace", Severity: Info, Summary: sum,
			Detail:   "uid_map translates ids inside to ids outside; capabilities held inside apply only to what the user namespace owns, so a breakout lands as an unprivileged host user.",
			Evidence: ev(s.Sources, "uidMap", "gidMap"),
		})
	}
	if !in.InContainer() {
		return nil
	}
	f := Finding{
		ID: "root-without-userns", Severity: Info,
		Summary:  "No user namespace: uid 0 in the container is uid 0 on the host",
		Detail:   "uid_map is the identity map \"0 0 4294967295\". Only capabilities, seccomp and the LSM stand between root inside and root outside.",
		Evidence: ev(s.Sources, "uidMap"),
	}
	// The process's own uid is what it is on the host: speak of that one.
	if p := in.Process; p != nil && (p.UID != 0 || p.EUID != 0) {
		uid := fmt.Sprintf("uid %d", p.UID)
		if p.EUID != p.UID {
			uid += fmt.Sprintf(" (effective %d)", p.EUID)
		}
		f.ID = "host-user-namespace"
		f.Summary = fmt.Sprintf("No user namespace: %s in the container is %s on the host; root in the container would be root on the host", uid, uid)
		f.Detail = "uid_map is the identity map \"0 0 4294967295\": ids are not translated. This process runs as " + uid +
			", so what it reaches on the host is what that host user may reach. A process that becomes root in the container " +
			"(a setuid binary, docker exec -u 0) is root on the host, held back only by capabilities, seccomp and the LSM."
		f.Evidence = append(ev(p.Sources, "uid"), f.Evidence...)
	}
	return one(f)
}

func privilegedRule(in *Inspection) []Finding {
	c := in.Capabilities
	if c == nil {
		return nil
	}
	e := ev(c.Sources, "effective", "bounding")
	grant := fmt.Sprintf("every capability the kernel knows (%d)", in.grant.Count())
	whose := "the kernel knows"
	if in.grantFromHost {
		grant = fmt.Sprintf("every capability of the host's bounding set (%d here)", in.grant.Count())
		whose = "the host can grant"
		// the host's CapBnd is the measure: cite it
		if b, ok := in.ref.Capabilities.Sources["bounding"]; ok && !slices.Contains(e, b) {
			e = append(e, b)
		}
	}
	if in.Cgroup != nil {
		e = append(e, ev(in.Cgroup.Devices.Sources, "allowAll")...)
	}
	what := "docker run --privileged gives a container " + grant + ", every host device, a writable /sys and cgroupfs, and no seccomp or AppArmor profile."
	if c.Privileged {
		sev := Info
		sum := "Privileged: " + c.PrivilegedReason
		if in.InContainer() {
			sev = Critical
			sum = "The container is privileged: " + c.PrivilegedReason
		}
		return one(Finding{
			ID: "privileged", Severity: sev, Summary: sum,
			Detail: what + fmt.Sprintf(" This process holds %d capabilities effective. Root in a privileged container can mount the host's disks, load kernel modules and escape; "+
				"with -v /:/host it already has the host's files.", c.Effective.Count()),
			Evidence: e,
		})
	}
	held := facts.CapSet{Bits: c.Effective.Bits & in.grant.Bits, Last: in.grant.Last}
	sum := fmt.Sprintf("Not privileged: %d of the %d capabilities %s are effective", held.Count(), in.grant.Count(), whose)
	detail := what + fmt.Sprintf(" This process has %s, which is not that.", list(c.Effective.Names()))
	if c.PrivilegedReason != "" {
		// as many as privileged, in a user namespace of its own
		sum = "Not privileged: " + c.PrivilegedReason
		detail = what + fmt.Sprintf(" This process holds %d capabilities effective, but %s.", c.Effective.Count(), c.PrivilegedReason)
	}
	return one(Finding{ID: "privileged", Severity: Info, Summary: sum, Detail: detail, Evidence: e, pass: true})
}

// dangerousCapabilities rates each capability of the catalogue a
// container holds, one finding each. It looks at the permitted set, not
// only the effective one: a process moves any permitted capability into
// its effective set with one capset(2) call and no privilege, so a
// CAP_SYS_ADMIN that is permitted but not effective is as good as held
// (and every effective capability is also permitted). A privileged
// container's finding already says it holds everything.
func dangerousCapabilities(in *Inspection) []Finding {
	c := in.Capabilities
	if c == nil || !in.InContainer() || c.Privileged {
		return nil
	}
	userns := in.Security != nil && in.Security.UserNamespaced
	var out []Finding
	for _, d := range DangerousIn(c.Permitted) {
		var detail strings.Builder
		if c.Effective.Has(d.Name) {
			fmt.Fprintf(&detail, "%s is in the effective set. ", d.Name)
		} else {
			fmt.Fprintf(&detail, "%s is permitted, not effective: one capset(2) call, which needs no privilege, makes it effective. ", d.Name)
		}
		if d.CriticalWith != "" && d.Severity == Critical {
			fmt.Fprintf(&detail, "It is held together with %s, which makes it critical. ", d.CriticalWith)
		}
		if userns {
			d.Severity = Info
			detail.WriteString("It is held inside a user namespace, so it reaches only what that namespace owns, not the host.")
		} else {
			detail.WriteString("Docker does not grant it by default: it comes from --cap-add or a Kubernetes securityContext's capabilities.add. Drop it unless the workload needs it.")
		}
		out = append(out, Finding{
			ID: d.ID(), Severity: d.Severity,
			Summary:  "The container holds " + d.Name + " — " + d.Reason,
			Detail:   detail.String(),
			Evidence: ev(c.Sources, "effective", "permitted"),
		})
	}
	return out
}

// extraCapabilities names what the container holds beyond Docker's
// default 14 and outside the catalogue, as info: the catalogue rates
// every capability known to be an escape or a lever on the whole host,
// and what remains (CAP_IPC_LOCK for a database, CAP_SYS_NICE, ...) is
// ordinary for some workloads; warning about it would teach operators to
// ignore warnings.
func extraCapabilities(in *Inspection) []Finding {
	c := in.Capabilities
	if c == nil || !in.InContainer() || c.Privileged {
		return nil
	}
	var rest []string
	for _, n := range c.AddedVsDocker {
		if !slices.ContainsFunc(dangerous, func(d DangerousCapability) bool { return d.Name == n }) {
			rest = append(rest, n)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	return one(Finding{
		ID: "capabilities-beyond-docker", Severity: Info,
		Summary: "Capabilities beyond Docker's default set: " + strings.Join(rest, ", "),
		Detail: "Docker grants 14 capabilities by default (" + strings.Join(facts.DockerDefaultCapabilities, ", ") + "). " +
			"These extra ones are no known escape by themselves, but each widens what root in the container may do; the dangerous ones have findings of their own (cap-sys-admin, ...).",
		Evidence: ev(c.Sources, "effective"),
	})
}

func seccompRule(in *Inspection) []Finding {
	s := in.Security
	if s == nil || !in.InContainer() || s.Seccomp != "disabled" {
		return nil
	}
	f := Finding{
		ID: "seccomp-disabled", Severity: Warn,
		Summary:  "No seccomp filter: every system call is open to the container",
		Detail:   "Docker's default profile blocks the risky system calls a container rarely needs (keyctl and add_key, which reach root's user keyring; unshare and clone of new user namespaces; io_uring, userfaultfd, perf_event_open, kexec_load, ...). Seccomp: 0 means none is installed.",
		Evidence: ev(s.Sources, "seccomp"),
	}
	// On cgroup v1, a process that may create a user namespace can mount
	// its own cgroup hierarchy there and write its own limits: nothing
	// but seccomp (or an LSM, or a host without user namespaces) stops it.
	if cg := in.Cgroup; cg != nil && (cg.Mode == facts.CgroupV1 || cg.Mode == facts.CgroupHybrid) && !s.UserNamespaced {
		f.Severity = Critical
		f.Summary = "No seccomp filter on a cgroup v1 host: the container can raise its own memory and pids limits"
		f.Detail = "Without a filter, root in the container can unshare a user namespace (unshare -U -r -m -C), mount a cgroup v1 hierarchy there and write its own memory.limit_in_bytes or pids.max: the limits are only as good as the filter. " + f.Detail
		f.Evidence = append(f.Evidence, facts.Evidence{File: cg.File, Raw: "cgroup " + string(cg.Mode)})
	}
	// On v2 the same works through a cgroup2 mount in a user and cgroup
	// namespace of its own, unless the host mounted cgroup2 with
	// nsdelegate (as systemd does), which makes the namespace's root
	// cgroup read-only from inside.
	if cg := in.Cgroup; cg != nil && cg.Mode == facts.CgroupV2 && cg.NsDelegate != nil && !*cg.NsDelegate && !s.UserNamespaced {
		f.Severity = Critical
		f.Summary = "No seccomp filter, and cgroup2 mounted without nsdelegate: the container can raise its own memory and pids limits"
		f.Detail = "Without a filter, root in the container can unshare a user and cgroup namespace (unshare -U -r -m -C), mount cgroup2 there and write its own memory.max or pids.max; nsdelegate on the host's cgroup2 mount (systemd's default) would forbid that write. " + f.Detail
		f.Evidence = append(f.Evidence, facts.Evidence{File: "/proc/self/mountinfo", Raw: "cgroup2 /sys/fs/cgroup without nsdelegate"})
	}
	return one(f)
}

func unionFS(in *Inspection) []Finding {
	r := in.Rootfs
	if r == nil {
		return nil
	}
	if r.FSType != "overlay" {
		return one(Finding{
			ID: "union-fs", Severity: Info,
			Summary:  fmt.Sprintf("The root filesystem is %s from %s, not a union filesystem", r.FSType, r.Source),
			Detail:   "Container runtimes give each container an overlay (union) of read-only image layers and a private writable layer; this process's / is a plain filesystem.",
			Evidence: ev(r.Sources, "fsType"),
		})
	}
	var d strings.Builder
	fmt.Fprintf(&d, "overlayfs merges %s read-only lower layer%s", fmt.Sprint(len(r.LowerDirs)), pluralS(len(r.LowerDirs)))
	if len(r.LowerDirs) > 0 {
		fmt.Fprintf(&d, " (topmost first: %s)", strings.Join(r.LowerDirs, ", "))
	}
	if r.UpperDir != "" {
		fmt.Fprintf(&d, " with a writable upper layer %s", r.UpperDir)
	}
	d.WriteString(". Reads fall through to the first layer that has the file; a write copies the file up into the upper layer, so the image layers are never changed and are shared between containers.")
	return one(Finding{
		ID: "union-fs", Severity: Info,
		Summary:  fmt.Sprintf("The root filesystem is a union (overlay) of %d read-only layer%s and a writable layer", len(r.LowerDirs), pluralS(len(r.LowerDirs))),
		Detail:   d.String(),
		Evidence: ev(r.Sources, "fsType"),
	})
}

func notableMounts(in *Inspection) []Finding {
	if in.Rootfs == nil || !in.InContainer() {
		return nil
	}
	var out []Finding
	for _, m := range in.Rootfs.Notable {
		e := []facts.Evidence{{File: in.Rootfs.Sources["fsType"].File, Raw: m.Line}}
		switch m.Kind {
		case "host-root":
			out = append(out, Finding{
				ID: "host-root-mounted", Severity: Critical,
				Summary:  fmt.Sprintf("The host's / is mounted at %s (-v /:%s)", m.Mountpoint, m.Mountpoint),
				Detail:   "The container sees and, unless the mount is read-only, can change every file of the host: /etc/shadow, the runtime's state, other containers' layers. With root and no user namespace that is the host.",
				Evidence: e,
			})
		case "runtime-socket":
			f := Finding{
				ID: "runtime-socket", Severity: Critical,
				Summary:  fmt.Sprintf("A container-runtime socket is mounted at %s", m.Mountpoint),
				Detail:   "Whoever can talk to it can start a privileged container with the host's / mounted: it is root on the host.",
				Evidence: e,
			}
			if m.HostPath != "" {
				// found inside a bind-mounted directory (-v /var/run:/var/run)
				f.Summary = fmt.Sprintf("A container-runtime socket is reachable at %s: the host's %s, through a bind-mounted directory", m.Mountpoint, m.HostPath)
				f.Detail = "The bind mount below names no socket, but the host directory it shows holds " + m.HostPath +
					" (found on the host's side of the bind; ls -l it there). " + f.Detail
			}
			out = append(out, f)
		case "host-sensitive":
			if m.HostPath == "/proc" && m.Mountpoint == "/proc" {
				// A process in the host's pid namespace and a copy of its
				// mount table sees the host's procfs by right (host-pid
				// says so); one with a pid namespace of its own has no
				// business with it.
				if n, ok := in.namespace(facts.NSPID); ok && n.Isolated != nil && !*n.Isolated {
					continue
				}
			}
			f := Finding{
				ID: "host-sensitive", Severity: Warn,
				Summary:  fmt.Sprintf("The host's %s is mounted at %s, read-only", m.HostPath, m.Mountpoint),
				Detail:   "A bind of a sensitive host directory: the host's configuration, kernel interfaces, devices or the kubelet's pod secrets are visible inside.",
				Evidence: e,
			}
			if !m.ReadOnly {
				f.Severity = Critical
				f.Summary = fmt.Sprintf("The host's %s is mounted at %s, writable", m.HostPath, m.Mountpoint)
				f.Detail += " Writable, root in the container changes them: a cron job or a user in /etc, a sysctl in /proc, a pod's token in /var/lib/kubelet."
			}
			out = append(out, f)
		case "host-devices":
			out = append(out, Finding{
				ID: "host-devices", Severity: Warn,
				Summary:  "/dev is the host's devtmpfs: every host device node is visible",
				Detail:   "Runtimes give a container a small /dev of its own on tmpfs; the host's devtmpfs exposes disks and other devices.",
				Evidence: e,
			})
		}
	}
	return out
}

func procSysWritable(in *Inspection) []Finding {
	r := in.Rootfs
	if r == nil || !in.InContainer() || !r.ProcSysWritable {
		return nil
	}
	if n, ok := in.namespace(facts.NSMount); !ok || n.Isolated == nil || !*n.Isolated {
		return nil
	}
	return one(Finding{
		ID: "proc-sys-writable", Severity: Warn,
		Summary:  "/proc/sys is writable: kernel settings of the whole host can be changed from inside",
		Detail:   "Docker mounts /proc/sys read-only (and masks /proc/kcore, /proc/keys, ...). Writable, root in the container can change host-wide sysctls such as kernel.core_pattern, a known escape.",
		Evidence: ev(r.Sources, "procSysWritable"),
	})
}
