package report

import (
	"strconv"
	"testing"

	"github.com/nsinspect/nsinspect/inspect"
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
			if s := (inspect.CapSet{Bits: 1 << bit, Last: testLastCap}).Names(); s[0] == n {
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
// CapBnd (permitted as effective, as for root after execve).
func capabilities(eff, bnd uint64) *inspect.Capabilities {
	set := func(b uint64) inspect.CapSet { return inspect.CapSet{Bits: b, Last: testLastCap} }
	c := &inspect.Capabilities{
		Effective: set(eff), Permitted: set(eff), Bounding: set(bnd), Inheritable: set(0), LastCap: testLastCap,
		Sources: inspect.Sources{
			"effective": {File: "/proc/4242/status", Raw: "CapEff:\t" + set(eff).Hex()},
			"permitted": {File: "/proc/4242/status", Raw: "CapPrm:\t" + set(eff).Hex()},
			"bounding":  {File: "/proc/4242/status", Raw: "CapBnd:\t" + set(bnd).Hex()},
		},
	}
	var def uint64
	for _, n := range inspect.DockerDefaultCapabilities {
		for bit := 0; bit <= testLastCap; bit++ {
			if set(1 << bit).Names()[0] == n {
				def |= 1 << bit
			}
		}
	}
	c.AddedVsDocker = set(eff &^ def).Names()
	c.DroppedVsDocker = set(def &^ eff).Names()
	// inspect's own first guess, which Compare replaces
	if set(eff).Full() {
		c.Privileged, c.PrivilegedReason = true, "every capability the kernel knows is effective"
	}
	return c
}

func namespaces(pid int, inode uint64) []inspect.Namespace {
	var out []inspect.Namespace
	for i, t := range []inspect.NamespaceType{inspect.NSIPC, inspect.NSMount, inspect.NSNet, inspect.NSPID, inspect.NSUTS} {
		out = append(out, inspect.Namespace{Type: t, Inode: inode + uint64(i), File: "/proc/" + strconv.Itoa(pid) + "/ns/" + string(t)})
	}
	return out
}

// dockerContainer is pid 4242, PID 1 of a Docker container with its own
// ipc, mnt, net, pid and uts namespaces, the given capabilities and
// seccomp's filter.
func dockerContainer(c *inspect.Capabilities) *inspect.Process {
	host := "web-1"
	noNewPrivs := false
	return &inspect.Process{
		PID:        4242,
		Info:       &inspect.ProcessInfo{PID: 4242, NSpid: []int{4242, 1}, PPid: 4200, Comm: "nginx", Cmdline: []string{"nginx", "-g", "daemon off;"}, State: "S (sleeping)"},
		Namespaces: namespaces(4242, 4026532200),
		Cgroup: &inspect.Cgroup{Mode: inspect.CgroupV2, File: "/proc/4242/cgroup",
			Paths: []inspect.CgroupPath{{Hierarchy: 0, Path: "/system.slice/docker-ce7724981083.scope"}}},
		Kernel:       &inspect.Kernel{Release: "6.1.0-18-amd64", Hostname: &host},
		Capabilities: c,
		Security: &inspect.Security{Seccomp: "filter", NoNewPrivs: &noNewPrivs, LSM: "apparmor", Label: "docker-default (enforce)",
			UIDMap: []inspect.IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}},
		Signals: &inspect.Signals{PID1: true, SIGTERM: inspect.VerdictHandled, SIGINT: inspect.VerdictHandled},
		Rootfs: &inspect.Rootfs{Mountpoint: "/", FSType: "overlay", Source: "overlay", LowerDirs: []string{"/var/lib/docker/overlay2/l/A"},
			UpperDir: "/var/lib/docker/overlay2/x/diff", MountCount: 20,
			Sources: inspect.Sources{"fsType": {File: "/proc/4242/mountinfo", Raw: "1 0 0:50 / / rw - overlay overlay rw"}}},
		Runtime: &inspect.Runtime{Name: inspect.RuntimeDocker, ContainerID: "ce7724981083ac1ad9efeaf127c7da058cbfc6fc7df4333efa6293cee54edcf7", ContainerName: "web",
			Sources: inspect.Sources{"name": {File: "/proc/4242/cgroup", Raw: "0::/system.slice/docker-ce7724981083.scope"}}},
		Errors: []inspect.SectionError{},
	}
}

// hostReference is PID 1 of the host, with every capability effective
// and the bounding set bnd.
func hostReference(bnd uint64) *inspect.Reference {
	host := "node-1"
	return &inspect.Reference{PID: 1, Kind: inspect.ReferenceInit, Reason: "PID 1, the host's init", Process: &inspect.Process{
		PID:          1,
		Info:         &inspect.ProcessInfo{PID: 1, NSpid: []int{1}, Comm: "systemd", Cmdline: []string{"/sbin/init"}},
		Namespaces:   namespaces(1, 4026531830),
		Kernel:       &inspect.Kernel{Release: "6.1.0-18-amd64", Hostname: &host},
		Capabilities: capabilities(allCaps, bnd),
		Security:     &inspect.Security{Seccomp: "disabled", UIDMap: []inspect.IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}},
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
