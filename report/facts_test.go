package report

import (
	"strconv"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// Facts built in memory, as inspect would read them, for rules and
// renderers whose input no fixture tree under testdata/ has.

// testLastCap is cap_last_cap of the kernels the tests describe
// (CAP_CHECKPOINT_RESTORE, Linux 5.9+).
const testLastCap = 40

// caps is the mask of the named capabilities.
func caps(t *testing.T, names ...string) uint64 {
	t.Helper()
	var m uint64
	for _, n := range names {
		found := false
		for bit := 0; bit <= testLastCap; bit++ {
			if s := (facts.CapSet{Bits: 1 << bit, Last: testLastCap}).Names(); s[0] == n {
				m |= 1 << bit
				found = true
			}
		}
		if !found {
			t.Fatalf("no capability %s", n)
		}
	}
	return m
}

const allCaps = uint64(1)<<(testLastCap+1) - 1

// capabilities is what inspect makes of a status with these CapEff and
// CapBnd (permitted as effective, as for root after execve): the sets and
// their evidence, with the verdicts left to Compare.
func capabilities(eff, bnd uint64) *facts.Capabilities {
	set := func(b uint64) facts.CapSet { return facts.CapSet{Bits: b, Last: testLastCap} }
	c := &facts.Capabilities{
		Effective: set(eff), Permitted: set(eff), Bounding: set(bnd), Inheritable: set(0), LastCap: testLastCap,
		Sources: facts.Sources{
			"effective": {File: "/proc/4242/status", Raw: "CapEff:\t" + set(eff).Hex()},
			"permitted": {File: "/proc/4242/status", Raw: "CapPrm:\t" + set(eff).Hex()},
			"bounding":  {File: "/proc/4242/status", Raw: "CapBnd:\t" + set(bnd).Hex()},
		},
	}
	return c
}

func namespaces(pid int, inode uint64) []facts.Namespace {
	var out []facts.Namespace
	for i, t := range []facts.NamespaceType{facts.NSIPC, facts.NSMount, facts.NSNet, facts.NSPID, facts.NSUTS} {
		out = append(out, facts.Namespace{Type: t, Inode: inode + uint64(i), File: "/proc/" + strconv.Itoa(pid) + "/ns/" + string(t)})
	}
	return out
}

// dockerContainer is pid 4242, PID 1 of a Docker container with its own
// ipc, mnt, net, pid and uts namespaces, the given capabilities and
// seccomp's filter.
func dockerContainer(c *facts.Capabilities) *facts.Process {
	host := "web-1"
	noNewPrivs := false
	return &facts.Process{
		PID:        4242,
		Info:       &facts.ProcessInfo{PID: 4242, NSpid: []int{4242, 1}, PPid: 4200, Comm: "nginx", Cmdline: []string{"nginx", "-g", "daemon off;"}, State: "S (sleeping)"},
		Namespaces: namespaces(4242, 4026532200),
		Cgroup: &facts.Cgroup{Mode: facts.CgroupV2, File: "/proc/4242/cgroup",
			Paths: []facts.CgroupPath{{Hierarchy: 0, Path: "/system.slice/docker-ce7724981083.scope"}}},
		Kernel:       &facts.Kernel{Release: "6.1.0-18-amd64", Hostname: &host},
		Capabilities: c,
		Security: &facts.Security{Seccomp: "filter", NoNewPrivs: &noNewPrivs, LSM: "apparmor", Label: "docker-default (enforce)",
			UIDMap: []facts.IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}},
		Signals: &facts.Signals{PID1: true, SIGTERM: facts.VerdictHandled, SIGINT: facts.VerdictHandled},
		Rootfs: &facts.Rootfs{Mountpoint: "/", FSType: "overlay", Source: "overlay", LowerDirs: []string{"/var/lib/docker/overlay2/l/A"},
			UpperDir: "/var/lib/docker/overlay2/x/diff", MountCount: 20,
			Sources: facts.Sources{"fsType": {File: "/proc/4242/mountinfo", Raw: "1 0 0:50 / / rw - overlay overlay rw"}}},
		Runtime: &facts.Runtime{Name: facts.RuntimeDocker, ContainerID: "ce7724981083ac1ad9efeaf127c7da058cbfc6fc7df4333efa6293cee54edcf7", ContainerName: "web",
			Sources: facts.Sources{"name": {File: "/proc/4242/cgroup", Raw: "0::/system.slice/docker-ce7724981083.scope"}}},
		Errors: []facts.SectionError{},
	}
}

// hostReference is PID 1 of the host, with every capability effective
// and the bounding set bnd.
func hostReference(bnd uint64) *facts.Reference {
	host := "node-1"
	return &facts.Reference{PID: 1, Kind: facts.ReferenceInit, Reason: "PID 1, the host's init", Process: &facts.Process{
		PID:          1,
		Info:         &facts.ProcessInfo{PID: 1, NSpid: []int{1}, Comm: "systemd", Cmdline: []string{"/sbin/init"}},
		Namespaces:   namespaces(1, 4026531830),
		Kernel:       &facts.Kernel{Release: "6.1.0-18-amd64", Hostname: &host},
		Capabilities: capabilities(allCaps, bnd),
		Security:     &facts.Security{Seccomp: "disabled", UIDMap: []facts.IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}},
	}}
}

// findingsOf maps the ids of in's findings to their severities.
func findingsOf(in *Inspection) map[string]Severity {
	out := map[string]Severity{}
	for _, f := range in.Findings {
		out[f.ID] = f.Severity
	}
	return out
}

func finding(t *testing.T, in *Inspection, id string) Finding {
	t.Helper()
	for _, f := range in.Findings {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no finding %s in %v", id, findingsOf(in))
	return Finding{}
}
