package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// window is an earlier reading of a target, length before the one judged.
type window struct {
	before *Inspection
	length time.Duration
}

func noPidsLimit(in *Inspection) []Finding {
	if in.Cgroup == nil || !in.InContainer() {
		return nil
	}
	p := in.Cgroup.Pids
	if _, known := p.Sources["max"]; !known || p.Max != nil || p.EffectiveMax != nil {
		return nil
	}
	return one(Finding{
		ID: "no-pids-limit", Severity: Warn,
		Summary:  "The container has no pids limit: a fork bomb inside can exhaust the host's pids",
		Detail:   "pids.max says max here and in every parent cgroup. kernel.pid_max and kernel.threads-max are host-wide, so one container that forks without end stops every process of the host from forking. Set docker run --pids-limit (nsinspect run sets 2048 by default).",
		Evidence: ev(p.Sources, "max"),
	})
}

func workingSetHigh(in *Inspection) []Finding {
	if in.Cgroup == nil {
		return nil
	}
	m := in.Cgroup.Memory
	limit, field := m.LimitBytes, "limitBytes"
	if limit == nil {
		limit, field = m.EffectiveLimitBytes, "effectiveLimitBytes"
	}
	if limit == nil || *limit == 0 || m.WorkingSetBytes == nil {
		return nil
	}
	ratio := float64(*m.WorkingSetBytes) / float64(*limit)
	if ratio <= 0.9 {
		return nil
	}
	return one(Finding{
		ID: "working-set-high", Severity: Warn,
		Summary: fmt.Sprintf("The working set is %s of the memory limit: %s of %s", Percent(ratio), Bytes(*m.WorkingSetBytes), Bytes(*limit)),
		Detail: "The working set is usage minus the inactive page cache the kernel can drop, the figure docker stats and the kubelet's eviction use. " +
			"Above 90 % of the limit the next burst makes the kernel reclaim hard and then OOM-kill.",
		Evidence: ev(m.Sources, field, "usageBytes", "workingSetBytes"),
	})
}

func noCPULimit(in *Inspection) []Finding {
	if in.Cgroup == nil || !in.InContainer() {
		return nil
	}
	c := in.Cgroup.CPU
	e, known := c.Sources["quotaMicros"]
	if !known || c.QuotaMicros != nil {
		return nil
	}
	return one(Finding{
		ID: "no-cpu-limit", Severity: Info,
		Summary:  "The container has no CPU quota: it may take every CPU",
		Detail:   fmt.Sprintf("%s says %q. CPUs are shared by weight (cpu.shares, cpu.weight) when contended, so this is about fairness more than safety; docker run --cpus 1.5 sets a quota.", e.File, e.Raw),
		Evidence: []facts.Evidence{e},
	})
}

// zombieFloor is the number of unreaped children of PID 1 that makes a
// pile, without a window to see it grow.
const zombieFloor = 5

func zombies(in *Inspection) []Finding {
	s := in.Signals
	if s == nil || !s.PID1 || s.ZombieChildren == nil || !in.InContainer() {
		return nil
	}
	n := *s.ZombieChildren
	grew := ""
	if w := in.window; w != nil && w.before.Signals != nil && w.before.Signals.ZombieChildren != nil && n > *w.before.Signals.ZombieChildren {
		grew = fmt.Sprintf(", up from %d %s ago", *w.before.Signals.ZombieChildren, w.length)
	}
	if n < zombieFloor && grew == "" {
		return nil
	}
	comm := "PID 1"
	if in.Process != nil {
		comm = fmt.Sprintf("PID 1 (%s)", in.Process.Comm)
	}
	return one(Finding{
		ID: "zombies", Severity: Warn,
		Summary: fmt.Sprintf("%s has %s that exited and were never reaped%s", comm, plural(n, "zombie child", "zombie children"), grew),
		Detail: "Orphans of a pid namespace are re-parented to its PID 1, which must wait(2) for them. A program that was never written to be an init does not, " +
			"and each zombie keeps its pid until the pids limit refuses new processes. Run the container with --init (tini reaps them).",
		Evidence: ev(s.Sources, "zombieChildren", "pid1"),
	})
}

func noNewPrivs(in *Inspection) []Finding {
	s := in.Security
	if s == nil || s.NoNewPrivs == nil || *s.NoNewPrivs || !in.InContainer() {
		return nil
	}
	return one(Finding{
		ID: "no-new-privs", Severity: Info,
		Summary:  "no_new_privs is off: a setuid binary inside still raises its caller to its owner",
		Detail:   "NoNewPrivs: 0 in status. Docker leaves it off unless --security-opt no-new-privileges (Kubernetes: allowPrivilegeEscalation: false); with it, execve never adds privileges: setuid bits and file capabilities are ignored.",
		Evidence: ev(s.Sources, "noNewPrivs"),
	})
}

func lsmUnconfined(in *Inspection) []Finding {
	s := in.Security
	if s == nil || !in.InContainer() || s.LSM == "unknown" {
		return nil
	}
	var sum string
	switch {
	case s.LSM == "none":
		sum = "No LSM confines the container: the host has no AppArmor or SELinux active"
	case s.LSM == "apparmor" && strings.HasPrefix(s.Label, "unconfined"):
		sum = "AppArmor is active but the container runs unconfined"
	case s.LSM == "selinux" && (strings.Contains(s.Label, ":unconfined_t:") || strings.Contains(s.Label, ":spc_t:")):
		sum = "SELinux is active but the container runs in an unconfined type (" + s.Label + ")"
	default:
		return nil
	}
	return one(Finding{
		ID: "lsm-unconfined", Severity: Info,
		Summary:  sum,
		Detail:   "An AppArmor or SELinux profile (Docker's docker-default, container_t) is the fence after capabilities and seccomp: it denies mounts, writes to /proc and /sys and ptrace even to root. Without one, a mistake in the others is the last word.",
		Evidence: ev(s.Sources, "label"),
	})
}

func sysWritable(in *Inspection) []Finding {
	r := in.Rootfs
	if r == nil || !in.InContainer() || !r.SysWritable {
		return nil
	}
	if n, ok := in.namespace(facts.NSMount); !ok || n.Isolated == nil || !*n.Isolated {
		return nil
	}
	return one(Finding{
		ID: "sys-writable", Severity: Warn,
		Summary:  "/sys is mounted read-write",
		Detail:   "Docker mounts sysfs read-only for unprivileged containers. Writable, root in the container reaches host-wide kernel and device settings (/sys/kernel/uevent_helper, module and device parameters).",
		Evidence: []facts.Evidence{{File: r.Sources["fsType"].File, Raw: "sysfs on /sys read-write"}},
	})
}

func devicesAllowAll(in *Inspection) []Finding {
	if in.Cgroup == nil || !in.InContainer() {
		return nil
	}
	d := in.Cgroup.Devices
	if d.AllowAll == nil || !*d.AllowAll {
		return nil
	}
	return one(Finding{
		ID: "devices-allow-all", Severity: Critical,
		Summary:  "The device cgroup allows every device (a *:* rwm)",
		Detail:   "Runtimes allow a short list (null, zero, random, tty, ...). With every device allowed and CAP_MKNOD, which Docker grants by default, root inside makes a node for the host's disk (mknod /tmp/d b 8 0) and reads or writes it beneath every file permission.",
		Evidence: ev(d.Sources, "allowAll"),
	})
}
