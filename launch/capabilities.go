package launch

import (
	"fmt"
	"strings"

	"github.com/moby/sys/capability"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// DefaultCapabilities is Docker's default set (moby
// daemon/pkg/oci/caps/defaults.go): what root in a container may do, and
// what report compares a container's set with.
var DefaultCapabilities = facts.DockerDefaultCapabilities

// capByName accepts CAP_SYS_ADMIN, SYS_ADMIN or sys_admin.
func capByName(name string) (capability.Cap, bool) {
	n := strings.ToLower(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "CAP_"))
	for _, c := range capability.ListKnown() {
		if c.String() == n {
			return c, true
		}
	}
	return 0, false
}

func capName(c capability.Cap) string { return "CAP_" + strings.ToUpper(c.String()) }

// ValidateCapNames checks --cap-add / --cap-drop values before anything
// is created.
func ValidateCapNames(flag string, names []string) error {
	for _, n := range names {
		if strings.EqualFold(n, "ALL") {
			continue
		}
		if _, ok := capByName(n); !ok {
			return fmt.Errorf("invalid %s %q: not a capability name (CAP_NET_ADMIN, SYS_PTRACE, ALL, ...)", flag, n)
		}
	}
	return nil
}

// heldBounding is the launcher's own bounding set: what it can hand on.
func heldBounding() (map[capability.Cap]bool, capability.Cap, error) {
	last, err := capability.LastCap()
	if err != nil {
		return nil, 0, err
	}
	held := map[capability.Cap]bool{}
	for c := capability.Cap(0); c <= last; c++ {
		ok, err := capability.GetBound(c)
		if err != nil {
			return nil, 0, err
		}
		held[c] = ok
	}
	return held, last, nil
}

// Resolve computes the container's capability set: Docker's 14 by default,
// every capability the launcher holds for --privileged, then --cap-drop and
// --cap-add as Docker applies them (drop first, ALL allowed in both).
// Capabilities asked for but not held by the launcher are left out and
// listed in MissingCaps, instead of failing as docker run --privileged does.
func (s *Spec) ResolveCapabilities() error {
	held, last, err := heldBounding()
	if err != nil {
		return fmt.Errorf("reading the launcher's capabilities: %w", err)
	}
	set := map[capability.Cap]bool{}
	all := func() {
		for c := capability.Cap(0); c <= last; c++ {
			set[c] = true
		}
	}
	if s.Privileged {
		all()
	} else {
		for _, n := range DefaultCapabilities {
			c, _ := capByName(n)
			set[c] = true
		}
	}
	for _, n := range s.CapDrop {
		if strings.EqualFold(n, "ALL") {
			clear(set)
			continue
		}
		c, _ := capByName(n)
		delete(set, c)
	}
	for _, n := range s.CapAdd {
		if strings.EqualFold(n, "ALL") {
			all()
			continue
		}
		c, _ := capByName(n)
		set[c] = true
	}
	s.Capabilities, s.MissingCaps = nil, nil
	for c := capability.Cap(0); c <= last; c++ {
		switch {
		case !set[c]:
		case held[c]:
			s.Capabilities = append(s.Capabilities, capName(c))
		default:
			s.MissingCaps = append(s.MissingCaps, capName(c))
		}
	}
	return nil
}
