package report

import (
	"fmt"
	"slices"
	"strings"
)

// Rule is one check of the audit catalogue: the findings of the same id
// that --explain prints are its verdicts. A finding may rate itself above
// or below the rule's usual severity (a capability held inside a user
// namespace is info; no seccomp filter on a cgroup v1 host is critical):
// Why says when.
type Rule struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Family   string   `json:"family"` // escape, isolation, resources, pid1
	Summary  string   `json:"summary"`
	Why      string   `json:"why"`
	Fix      Fix      `json:"fix"`
	// References are the controls that ask for the same thing: the CIS
	// Docker Benchmark (version pinned in cisVersion, as section numbers
	// move between versions) and the Kubernetes Pod Security Standards.
	References []string `json:"references"`
	// Window marks a rule that compares two readings taken --window
	// apart; --window 0 skips it.
	Window bool `json:"window,omitempty"`
}

// Fix says how to remove the finding in each tool's own terms.
type Fix struct {
	Docker     string `json:"docker"`
	Kubernetes string `json:"kubernetes"`
	Nsinspect  string `json:"nsinspect"`
}

// cisVersion is the CIS Docker Benchmark the references cite.
const cisVersion = "CIS Docker Benchmark v1.6.0"

func cis(section, title string) string { return fmt.Sprintf("%s %s %s", cisVersion, section, title) }

func pss(level, control string) string {
	return fmt.Sprintf("Kubernetes Pod Security Standards (%s): %s", level, control)
}

// catalogue is every audit rule, by family. The capability rules come
// from the capability table (capabilities.go): one catalogue, not two.
var catalogue = buildCatalogue()

func buildCatalogue() []Rule {
	noCapAdd := Fix{
		Docker:     "drop it: remove --cap-add, or --cap-drop it",
		Kubernetes: "remove it from securityContext.capabilities.add (or add it to drop)",
		Nsinspect:  "remove --cap-add, or --cap-drop it",
	}
	capRefs := []string{cis("5.3", "Ensure that Linux kernel capabilities are restricted within containers"), pss("baseline", "Capabilities")}
	rules := []Rule{
		{ID: "privileged", Severity: Critical, Family: "escape",
			Summary: "The container is privileged",
			Why:     "Every capability, every host device, writable /sys and cgroupfs, no seccomp and no LSM profile: root inside can mount the host's disks and load kernel modules. It is the host.",
			Fix: Fix{Docker: "run without --privileged; add only the capabilities and --device entries the workload needs",
				Kubernetes: "securityContext.privileged: false", Nsinspect: "run without --privileged"},
			References: []string{cis("5.4", "Ensure that privileged containers are not used"), pss("baseline", "Privileged Containers")}},
	}
	for _, d := range dangerous {
		why := d.Reason + "."
		if d.CriticalWith != "" {
			why += " Critical when " + d.CriticalWith + " is held too."
		}
		why += " Info when held inside a user namespace of the container's own, which owns nothing of the host's."
		rules = append(rules, Rule{ID: d.ID(), Severity: d.Severity, Family: "escape",
			Summary: "The container holds " + d.Name, Why: why, Fix: noCapAdd, References: capRefs})
	}
	rules = append(rules, []Rule{
		{ID: "capabilities-beyond-docker", Severity: Info, Family: "escape",
			Summary: "Capabilities beyond Docker's default 14, outside the dangerous table",
			Why:     "No known escape by themselves, but each widens what root in the container may do.",
			Fix:     noCapAdd, References: capRefs},
		{ID: "host-root-mounted", Severity: Critical, Family: "escape",
			Summary: "The host's / is mounted in the container",
			Why:     "The container reads and, unless read-only, changes every file of the host.",
			Fix: Fix{Docker: "remove -v /:…", Kubernetes: "remove the hostPath volume of /",
				Nsinspect: "remove -v /:…"},
			References: []string{cis("5.5", "Ensure sensitive host system directories are not mounted on containers"), pss("baseline", "HostPath Volumes")}},
		{ID: "host-sensitive", Severity: Warn, Family: "escape",
			Summary: "A sensitive host directory is mounted: /etc, /proc, /sys, /dev, /boot, /root, /usr, /bin, /sbin, /lib*, /var/lib/kubelet, a directory inside one (/etc/cron.d, /root/.ssh) or one holding one (/var)",
			Why: "The host's configuration, binaries, kernel interfaces, devices or the kubelet's keys and pod secrets. Critical when the mount is writable: a writable host /etc, /usr or /proc is root on the host. " +
				"Found on the host's side of the bind (same filesystem, its host path), so a mount moved or renamed inside is found too; a pod's own volumes under /var/lib/kubelet/pods/<uid>/ are not counted, nor the shm, mqueue and pty mounts inside /dev (host-ipc and host-devices judge those).",
			Fix: Fix{Docker: "remove the -v of that host directory, or mount only the one file needed, read-only",
				Kubernetes: "remove the hostPath volume, or use a configMap, secret or projected volume", Nsinspect: "remove the -v of that host directory"},
			References: []string{cis("5.5", "Ensure sensitive host system directories are not mounted on containers"), pss("baseline", "HostPath Volumes")}},
		{ID: "runtime-socket", Severity: Critical, Family: "escape",
			Summary: "A container-runtime socket is reachable (docker.sock, containerd.sock, crio.sock, podman.sock), by name or through a mounted directory",
			Why:     "Whoever talks to it starts a privileged container with the host's / mounted: root on the host.",
			Fix: Fix{Docker: "remove -v /var/run/docker.sock:… (and binds of /run or /var/run); use a socket proxy that allows only what is needed",
				Kubernetes: "remove the hostPath volume of the socket or of /run", Nsinspect: "remove the -v of the socket or of its directory"},
			References: []string{cis("5.31", "Ensure that the Docker socket is not mounted inside any containers"), pss("baseline", "HostPath Volumes")}},
		{ID: "host-devices", Severity: Warn, Family: "escape",
			Summary: "/dev is the host's devtmpfs: every host device node is visible",
			Why:     "Disks and other devices of the host become nodes inside; with a permissive device cgroup they are open to root in the container.",
			Fix: Fix{Docker: "remove -v /dev:/dev; pass single devices with --device", Kubernetes: "remove the hostPath volume of /dev; use a device plugin",
				Nsinspect: "remove -v /dev:…"},
			References: []string{cis("5.17", "Ensure that host devices are not directly exposed to containers")}},
		{ID: "devices-allow-all", Severity: Critical, Family: "escape",
			Summary: "The device cgroup allows every device (a *:* rwm)",
			Why:     "With CAP_MKNOD, which Docker grants by default, root inside makes a node for the host's disk and reads or writes it beneath every file permission.",
			Fix: Fix{Docker: "run without --privileged or --device-cgroup-rule 'a *:* rwm'", Kubernetes: "securityContext.privileged: false",
				Nsinspect: "run without --privileged"},
			References: []string{cis("5.17", "Ensure that host devices are not directly exposed to containers"), pss("baseline", "Privileged Containers")}},
		{ID: "proc-sys-writable", Severity: Warn, Family: "escape",
			Summary: "/proc/sys is writable",
			Why:     "Host-wide sysctls such as kernel.core_pattern, a known escape, can be changed from inside.",
			Fix: Fix{Docker: "run without --privileged and without --security-opt systempaths=unconfined", Kubernetes: "securityContext.procMount: Default",
				Nsinspect: "run without --privileged"},
			References: []string{pss("baseline", "/proc Mount Type")}},
		{ID: "sys-writable", Severity: Warn, Family: "escape",
			Summary:    "/sys is mounted read-write",
			Why:        "Writable sysfs reaches host-wide kernel and device settings (uevent_helper, device parameters) from inside.",
			Fix:        Fix{Docker: "run without --privileged", Kubernetes: "securityContext.privileged: false", Nsinspect: "run without --privileged"},
			References: []string{cis("5.4", "Ensure that privileged containers are not used")}},
		{ID: "seccomp-disabled", Severity: Warn, Family: "escape",
			Summary: "No seccomp filter",
			Why:     "Every system call is open, keyctl, unshare of user namespaces and io_uring among them. Critical on a cgroup v1 host, or a cgroup2 mount without nsdelegate, where root inside can raise its own limits through a user namespace.",
			Fix: Fix{Docker: "remove --security-opt seccomp=unconfined (Docker's default profile applies)", Kubernetes: "securityContext.seccompProfile.type: RuntimeDefault",
				Nsinspect: "remove --privileged (nsinspect run applies Docker's default profile)"},
			References: []string{cis("5.21", "Ensure the default seccomp profile is not Disabled"), pss("baseline", "Seccomp")}},
		{ID: "no-new-privs", Severity: Info, Family: "escape",
			Summary: "no_new_privs is off: a setuid binary inside still gains its owner's privileges",
			Why:     "Docker leaves it off by default; setting it stops setuid and file capabilities from raising privileges after exec.",
			Fix: Fix{Docker: "--security-opt no-new-privileges", Kubernetes: "securityContext.allowPrivilegeEscalation: false",
				Nsinspect: "run without --privileged (nsinspect run sets it)"},
			References: []string{cis("5.25", "Ensure that the container is restricted from acquiring additional privileges"), pss("restricted", "Privilege Escalation")}},
		{ID: "lsm-unconfined", Severity: Info, Family: "escape",
			Summary: "No LSM profile confines the container (AppArmor, SELinux): it runs unconfined, or the host has no LSM",
			Why:     "An AppArmor or SELinux profile is a second fence after capabilities and seccomp; without one, a mistake in those is the last word.",
			Fix: Fix{Docker: "enable AppArmor or SELinux on the host; Docker then applies docker-default", Kubernetes: "securityContext.appArmorProfile.type: RuntimeDefault, or seLinuxOptions",
				Nsinspect: "nsinspect run applies no LSM profile (docs/run.md)"},
			References: []string{cis("5.1", "Ensure that, if applicable, an AppArmor Profile is enabled"), cis("5.2", "Ensure that, if applicable, SELinux security options are set"), pss("baseline", "AppArmor")}},
		{ID: "host-pid", Severity: Warn, Family: "isolation",
			Summary:    "The container shares the host's pid namespace (--pid=host)",
			Why:        "It sees every host process and can signal, and with CAP_SYS_PTRACE trace, those of its uid.",
			Fix:        Fix{Docker: "remove --pid=host", Kubernetes: "hostPID: false", Nsinspect: "nsinspect run always makes a pid namespace"},
			References: []string{cis("5.15", "Ensure that the host's process namespace is not shared"), pss("baseline", "Host Namespaces")}},
		{ID: "host-network", Severity: Warn, Family: "isolation",
			Summary:    "The container shares the host's network namespace (--net=host)",
			Why:        "It uses the host's interfaces and ports and reaches every service bound to the host's localhost.",
			Fix:        Fix{Docker: "remove --network host", Kubernetes: "hostNetwork: false", Nsinspect: "nsinspect run always makes a network namespace"},
			References: []string{cis("5.9", "Ensure that the host's network namespace is not shared"), pss("baseline", "Host Namespaces")}},
		{ID: "host-ipc", Severity: Warn, Family: "isolation",
			Summary:    "The container shares the host's IPC namespace (--ipc=host)",
			Why:        "System V shared memory, semaphores and POSIX message queues of the host are open to it.",
			Fix:        Fix{Docker: "remove --ipc=host", Kubernetes: "hostIPC: false", Nsinspect: "nsinspect run always makes an IPC namespace"},
			References: []string{cis("5.16", "Ensure that the host's IPC namespace is not shared"), pss("baseline", "Host Namespaces")}},
		{ID: "host-uts", Severity: Warn, Family: "isolation",
			Summary:    "The container shares the host's UTS namespace (--uts=host)",
			Why:        "With CAP_SYS_ADMIN it renames the host.",
			Fix:        Fix{Docker: "remove --uts=host", Kubernetes: "(pods always get their own UTS namespace)", Nsinspect: "nsinspect run always makes a UTS namespace"},
			References: []string{cis("5.20", "Ensure that the host's UTS namespace is not shared")}},
		{ID: "host-mount", Severity: Warn, Family: "isolation",
			Summary:    "The container shares the host's mount namespace",
			Why:        "It sees the host's mount table and files; no runtime does this on purpose.",
			Fix:        Fix{Docker: "(Docker always makes a mount namespace)", Kubernetes: "(pods always get their own)", Nsinspect: "nsinspect run always makes a mount namespace"},
			References: []string{}},
		{ID: "host-user-namespace", Severity: Info, Family: "isolation",
			Summary: "The container shares the host's user namespace: its ids are the host's",
			Why:     "A process that becomes root inside (a setuid binary, docker exec -u 0) is root on the host, held back only by capabilities, seccomp and the LSM.",
			Fix: Fix{Docker: "dockerd --userns-remap default", Kubernetes: "spec.hostUsers: false",
				Nsinspect: "nsinspect run has no user-namespace remapping yet (docs/run.md)"},
			References: []string{cis("5.30", "Ensure that the host's user namespaces are not shared")}},
		{ID: "root-without-userns", Severity: Info, Family: "isolation",
			Summary: "The container runs as root without a user namespace: uid 0 inside is uid 0 on the host",
			Why:     "A breakout lands as the host's root. Docker's default; a USER in the image, or a user namespace, makes a breakout land as nobody.",
			Fix: Fix{Docker: "--user 1000:1000 (or USER in the image), or dockerd --userns-remap", Kubernetes: "securityContext.runAsNonRoot: true, runAsUser; or spec.hostUsers: false",
				Nsinspect: "--user 1000:1000"},
			References: []string{cis("4.1", "Ensure that a user for the container has been created"), pss("restricted", "Running as Non-root")}},
		{ID: "no-memory-limit", Severity: Warn, Family: "resources",
			Summary:    "No memory limit",
			Why:        "One runaway container pushes the whole host into swap or the global OOM killer, which may pick another container.",
			Fix:        Fix{Docker: "--memory 512m", Kubernetes: "resources.limits.memory", Nsinspect: "--memory 512m (the default is 1g)"},
			References: []string{cis("5.10", "Ensure that the memory usage for containers is limited")}},
		{ID: "no-pids-limit", Severity: Warn, Family: "resources",
			Summary:    "No pids limit",
			Why:        "A fork bomb inside exhausts the host's pids (kernel.pid_max and threads-max are global) and stops every process of the host from forking.",
			Fix:        Fix{Docker: "--pids-limit 2048", Kubernetes: "the kubelet's podPidsLimit", Nsinspect: "--pids-limit N (the default is 2048)"},
			References: []string{cis("5.28", "Ensure that the PIDs cgroup limit is used")}},
		{ID: "no-cpu-limit", Severity: Info, Family: "resources",
			Summary:    "No CPU quota",
			Why:        "It may take every CPU; CPU is shared by weight when contended, so this is a fairness question more than a safety one.",
			Fix:        Fix{Docker: "--cpus 1.5", Kubernetes: "resources.limits.cpu", Nsinspect: "--cpus 1.5"},
			References: []string{cis("5.11", "Ensure that CPU priority is set appropriately on containers")}},
		{ID: "oom-kills", Severity: Critical, Family: "resources",
			Summary: "The memory cgroup has OOM-killed processes",
			Why:     "The kernel killed a process inside for exceeding the memory limit (exit code 137): the limit is too small for the workload, or it leaks.",
			Fix: Fix{Docker: "raise --memory, or find what grew (nsinspect pid ID --json | jq .cgroup.memory)", Kubernetes: "raise resources.limits.memory",
				Nsinspect: "raise --memory; scripts/runbooks/oom-triage.sh"},
			References: []string{}},
		{ID: "working-set-high", Severity: Warn, Family: "resources",
			Summary:    "The working set is above 90 % of the memory limit",
			Why:        "Memory the kernel cannot drop (usage minus inactive page cache, as docker stats and the kubelet count it) is close to the limit: the next burst is an OOM kill.",
			Fix:        Fix{Docker: "raise --memory, or lower the workload's memory", Kubernetes: "raise resources.limits.memory", Nsinspect: "raise --memory"},
			References: []string{}},
		{ID: "cpu-throttled", Severity: Warn, Family: "resources", Window: true,
			Summary: "CPU throttled in more than 25 % of the CFS periods of the sampling window",
			Why:     "Each throttled period stalls every thread of the group until the next period: latency spikes even when average use looks low. Without a window (--explain), the ratio since the cgroup was made.",
			Fix: Fix{Docker: "raise --cpus, or lower the parallelism the program derives from nproc", Kubernetes: "raise resources.limits.cpu, or remove the limit",
				Nsinspect: "raise --cpus; scripts/runbooks/cpu-throttle.sh"},
			References: []string{}},
		{ID: "pid1-sigterm", Severity: Warn, Family: "pid1",
			Summary: "PID 1 drops or ignores SIGTERM: docker stop waits its timeout, then SIGKILLs",
			Why:     "The kernel drops a default-action signal sent to a namespace's init, so a program without a SIGTERM handler as PID 1 never sees a stop request.",
			Fix: Fix{Docker: "docker run --init, or handle SIGTERM in the program (exec form of CMD, so the program is PID 1)", Kubernetes: "handle SIGTERM, or run tini as the entrypoint; shareProcessNamespace makes the pause container PID 1",
				Nsinspect: "--init"},
			References: []string{}},
		{ID: "zombies", Severity: Warn, Family: "pid1",
			Summary:    "Zombies pile up under PID 1: at least 5 unreaped children, or more at the end of the window than at its start",
			Why:        "PID 1 adopts every orphan of its namespace and must wait(2) for them; one that does not fills the namespace with zombies until the pids limit refuses new processes.",
			Fix:        Fix{Docker: "docker run --init", Kubernetes: "run tini as the entrypoint", Nsinspect: "--init"},
			References: []string{}},
	}...)
	return rules
}

// Rules is the audit catalogue, in the order audit evaluates it; the
// slice is the caller's to keep.
func Rules() []Rule { return slices.Clone(catalogue) }

// RuleByID is the catalogue's rule id.
func RuleByID(id string) (Rule, bool) {
	i := slices.IndexFunc(catalogue, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return catalogue[i], true
}

// ruleIDs is the catalogue's ids, for error messages.
func ruleIDs() string {
	ids := make([]string, len(catalogue))
	for i, r := range catalogue {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}
