package report

import (
	"slices"
	"strings"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// DangerousCapability is a capability that is a way out of a container or
// a lever on the whole host: one row of the catalogue that the explain
// rules and audit rate capability sets with.
type DangerousCapability struct {
	// Name is the kernel's name, as status decodes and capsh prints it.
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	// Reason names the escape in one line.
	Reason string `json:"reason"`
	// CriticalWith is a capability that, held as well, makes this one
	// critical: together they do what neither does alone.
	CriticalWith string `json:"criticalWith,omitempty"`
}

// ID is the stable id of the finding for holding the capability:
// "cap-sys-admin" for CAP_SYS_ADMIN (docs/explain.md).
func (d DangerousCapability) ID() string {
	return "cap-" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(d.Name, "CAP_")), "_", "-")
}

// dangerous is the catalogue, worst first. Critical is a capability that
// by itself, held by root in a container without a user namespace, is a
// known way to run code on the host or read any of its files. Warn is one
// that reaches the whole host — its clock, log, LSM policy, network when
// shared — or widens the kernel's attack surface, but is no escape by
// itself: CAP_BPF exposes the verifier and CAP_PERFMON system-wide
// profiling, and only together do they load tracing programs that read
// kernel memory, hence CriticalWith.
var dangerous = []DangerousCapability{
	{Name: "CAP_SYS_ADMIN", Severity: Critical, Reason: "mount(2), including the host's disk and a cgroup v1 hierarchy whose release_agent runs on the host; most other escapes need it"},
	{Name: "CAP_SYS_MODULE", Severity: Critical, Reason: "loads kernel modules: any code, run inside the host's kernel"},
	{Name: "CAP_SYS_RAWIO", Severity: Critical, Reason: "raw I/O ports (iopl, ioperm), /dev/mem and raw SCSI commands: the host's memory and devices beneath every permission check"},
	{Name: "CAP_SYS_PTRACE", Severity: Critical, Reason: "ptrace(2) and process_vm_writev(2) on every process it can see, non-dumpable ones too: the host's and other containers' when the pid namespace is shared"},
	{Name: "CAP_DAC_READ_SEARCH", Severity: Critical, Reason: "open_by_handle_at(2) opens any file of a host filesystem bind-mounted inside (such as /etc/hosts's), outside the container's root: the \"shocker\" escape"},
	{Name: "CAP_BPF", Severity: Warn, CriticalWith: "CAP_PERFMON", Reason: "loads BPF programs and maps, exposing the verifier; with CAP_PERFMON, tracing programs that read kernel memory"},
	{Name: "CAP_PERFMON", Severity: Warn, CriticalWith: "CAP_BPF", Reason: "system-wide perf_event_open(2): every process's activity and kernel addresses; with CAP_BPF, tracing programs that read kernel memory"},
	{Name: "CAP_NET_ADMIN", Severity: Warn, Reason: "configures interfaces, routes and iptables of its network namespace: the host's when it shares it"},
	{Name: "CAP_SYS_BOOT", Severity: Warn, Reason: "kexec_load(2) stages a kernel the host may boot into; reboot(2) from its own pid namespace only ends that namespace"},
	{Name: "CAP_SYS_TIME", Severity: Warn, Reason: "sets the system clock, which no namespace isolates: the host's time"},
	{Name: "CAP_SYSLOG", Severity: Warn, Reason: "reads and clears the host's kernel log, and kernel addresses that kptr_restrict hides"},
	{Name: "CAP_MAC_ADMIN", Severity: Warn, Reason: "changes the AppArmor, SELinux or Smack policy that confines containers"},
}

// DangerousCapabilities is the catalogue, worst first, for audit and
// documentation; the slice is the caller's to keep.
func DangerousCapabilities() []DangerousCapability { return slices.Clone(dangerous) }

// DangerousIn lists the catalogue's capabilities that set holds, worst
// first, each with its severity for this set: CriticalWith applied.
func DangerousIn(set facts.CapSet) []DangerousCapability {
	var out []DangerousCapability
	for _, d := range dangerous {
		if !set.Has(d.Name) {
			continue
		}
		if d.CriticalWith != "" && set.Has(d.CriticalWith) {
			d.Severity = Critical
		}
		out = append(out, d)
	}
	return out
}
