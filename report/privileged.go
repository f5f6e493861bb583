package report

import (
	"fmt"
	"strings"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// grantable is what the host can grant a container: the bounding set of
// the host's reference process. A process chosen with --vs, or the init
// of the container nsinspect itself runs in, is not the host; nor is a
// set without CAP_SYS_ADMIN, which every host that runs containers can
// grant — nsinspect in a container sharing the host's pid namespace
// compares with itself, and its own bounding set would make every
// container as capable as it "privileged". Then the set is every
// capability the kernel knows.
func grantable(last int, ref *facts.Reference) (set facts.CapSet, fromHost bool) {
	kernel := facts.CapSet{Bits: capMask(last), Last: last}
	if ref == nil || ref.Kind == facts.ReferenceProcess || ref.Partial != "" || ref.Process == nil || ref.Process.Capabilities == nil {
		return kernel, false
	}
	b := facts.CapSet{Bits: ref.Process.Capabilities.Bounding.Bits & kernel.Bits, Last: last}
	if !b.Has("CAP_SYS_ADMIN") {
		return kernel, false
	}
	return b, true
}

func capMask(last int) uint64 {
	if last >= 63 {
		return ^uint64(0)
	}
	return uint64(1)<<(last+1) - 1
}

// privileged decides .capabilities.privileged: the effective set holds
// every capability the host can grant — its bounding set, not every one
// the kernel knows, which a host without CAP_SYS_RESOURCE in its bounding
// set (this VM) can never give — or CAP_SYS_ADMIN with the host's devices.
// Capabilities held in a user namespace of its own reach only what that
// namespace owns, so nothing there is privileged.
func privileged(p *facts.Process, grant facts.CapSet, fromHost bool) (bool, string) {
	c := p.Capabilities
	eff := c.Effective.Bits & capMask(c.LastCap)
	var reason string
	switch {
	case eff&grant.Bits == grant.Bits && fromHost:
		reason = fmt.Sprintf("holds all %d capabilities the host's bounding set allows", grant.Count())
		missing := facts.CapSet{Bits: capMask(grant.Last) &^ grant.Bits, Last: grant.Last}
		if n := missing.Names(); len(n) > 0 && eff&missing.Bits == 0 {
			reason += fmt.Sprintf(" (%s %s not in the host's bounding set either)", strings.Join(n, ", "), map[bool]string{true: "is", false: "are"}[len(n) == 1])
		}
	case eff&grant.Bits == grant.Bits:
		reason = fmt.Sprintf("holds all %d capabilities the kernel knows", grant.Count())
	case !c.Effective.Has("CAP_SYS_ADMIN"):
		return false, ""
	case p.Cgroup != nil && p.Cgroup.Devices.AllowAll != nil && *p.Cgroup.Devices.AllowAll:
		reason = "CAP_SYS_ADMIN with every device allowed (devices.list: a *:* rwm)"
	case p.Rootfs != nil && p.Rootfs.HostDevices:
		reason = "CAP_SYS_ADMIN with the host's /dev (devtmpfs)"
	case p.Rootfs != nil && p.Rootfs.HostDiskDevice != "":
		reason = "CAP_SYS_ADMIN with the host's " + p.Rootfs.HostDiskDevice + " in its /dev"
	default:
		return false, ""
	}
	if p.Security != nil && p.Security.UserNamespaced {
		return false, "its capabilities are held inside a user namespace and do not extend to the host"
	}
	return true, reason
}

// vsDocker compares an effective set with Docker's default: what it holds
// beyond it, and what it lacks of it, in bit order.
func vsDocker(eff facts.CapSet) (added, dropped []string) {
	def := facts.NewCapSet(eff.Last, facts.DockerDefaultCapabilities...)
	added = facts.CapSet{Bits: eff.Bits &^ def.Bits, Last: eff.Last}.Names()
	dropped = facts.CapSet{Bits: def.Bits &^ eff.Bits, Last: eff.Last}.Names()
	return added, dropped
}

// judged returns p with its capability verdicts filled in — the
// comparison with Docker's default, and privileged decided against
// grant — leaving p itself as inspect read it.
func judged(p *facts.Process, grant facts.CapSet, fromHost bool) *facts.Process {
	if p == nil || p.Capabilities == nil {
		return p
	}
	cp, c := *p, *p.Capabilities
	cp.Capabilities = &c
	c.AddedVsDocker, c.DroppedVsDocker = vsDocker(c.Effective)
	c.Privileged, c.PrivilegedReason = privileged(&cp, grant, fromHost)
	return &cp
}
