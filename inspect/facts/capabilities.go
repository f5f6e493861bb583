package facts

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"

	"github.com/moby/sys/capability"
)

// CapSet is a capability bit set as /proc/<pid>/status prints it, sized by
// the kernel's /proc/sys/kernel/cap_last_cap so that every bit the kernel
// knows gets a name.
type CapSet struct {
	Bits uint64
	Last int // cap_last_cap
}

// capName is "CAP_CHOWN" for bit 0. Bits above what moby/sys/capability
// knows (a kernel newer than the library) are named "CAP_<n>".
func capName(bit int) string {
	if n := capability.Cap(bit).String(); n != "unknown" {
		return "CAP_" + strings.ToUpper(n)
	}
	return fmt.Sprintf("CAP_%d", bit)
}

// capBit parses "CAP_SYS_ADMIN", "sys_admin" or "SYS_ADMIN" into its bit.
func capBit(name string) (int, bool) {
	n := strings.ToLower(strings.TrimPrefix(strings.ToUpper(name), "CAP_"))
	for _, c := range capability.ListKnown() {
		if c.String() == n {
			return int(c), true
		}
	}
	return 0, false
}

// Names lists the capabilities in the set, in bit order.
func (c CapSet) Names() []string {
	names := []string{}
	for bit := 0; bit <= c.Last && bit < 64; bit++ {
		if c.Bits&(1<<bit) != 0 {
			names = append(names, capName(bit))
		}
	}
	return names
}

// Has reports whether the named capability is in the set.
func (c CapSet) Has(name string) bool {
	bit, ok := capBit(name)
	return ok && c.Bits&(1<<bit) != 0
}

// Count is the number of capabilities in the set.
func (c CapSet) Count() int { return bits.OnesCount64(c.Bits & c.all()) }

// Full reports whether the set holds every capability the kernel knows.
func (c CapSet) Full() bool { return c.Last > 0 && c.Bits&c.all() == c.all() }

func (c CapSet) all() uint64 {
	if c.Last >= 63 {
		return ^uint64(0)
	}
	return (uint64(1) << (c.Last + 1)) - 1
}

// Hex is the set as the kernel prints it.
func (c CapSet) Hex() string { return fmt.Sprintf("%016x", c.Bits) }

// String is the names joined by commas, for templates.
func (c CapSet) String() string { return strings.Join(c.Names(), ",") }

// MarshalJSON writes the set as a list of names, so jq sees
// ["CAP_CHOWN", ...] rather than a bit mask.
func (c CapSet) MarshalJSON() ([]byte, error) { return json.Marshal(c.Names()) }

// NewCapSet is the set of the named capabilities ("CAP_SYS_ADMIN",
// "sys_admin"), sized by cap_last_cap; names it does not know are left out.
func NewCapSet(last int, names ...string) CapSet {
	s := CapSet{Last: last}
	for _, n := range names {
		if b, ok := capBit(n); ok {
			s.Bits |= 1 << b
		}
	}
	return s
}

// DockerDefaultCapabilities is the set Docker grants a container unless told
// otherwise (moby daemon/pkg/oci/caps/defaults.go), in bit order: what the
// launcher grants by default, and what report compares a set with.
var DockerDefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
}

// Capabilities are the five capability sets of a process.
type Capabilities struct {
	Inheritable CapSet  `json:"inheritable"`
	Permitted   CapSet  `json:"permitted"`
	Effective   CapSet  `json:"effective"`
	Bounding    CapSet  `json:"bounding"`
	Ambient     *CapSet `json:"ambient"` // nil before Linux 4.3
	LastCap     int     `json:"lastCap"`
	// The fields below are verdicts, not facts: package inspect leaves
	// them empty and report fills them (report.Compare) before anything
	// is rendered, where the JSON document has always carried them.
	//
	// Compared with Docker's default set of 14: what the effective set has
	// beyond it, and what it lacks of it.
	AddedVsDocker   []string `json:"addedVsDocker"`
	DroppedVsDocker []string `json:"droppedVsDocker"`
	// Privileged: the effective set holds every capability the host can
	// grant, or CAP_SYS_ADMIN with the host's devices; PrivilegedReason
	// says which, or why a set that large is not privileged.
	Privileged       bool    `json:"privileged"`
	PrivilegedReason string  `json:"privilegedReason,omitempty"`
	Sources          Sources `json:"evidence,omitempty"`
}
