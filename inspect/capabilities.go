package inspect

import "github.com/nsinspect/nsinspect/inspect/facts"

// newCapabilities builds the five sets from a parsed status.
func newCapabilities(st *Status, last int, file string) *Capabilities {
	c := &Capabilities{
		Inheritable: CapSet{Bits: st.CapInh, Last: last},
		Permitted:   CapSet{Bits: st.CapPrm, Last: last},
		Effective:   CapSet{Bits: st.CapEff, Last: last},
		Bounding:    CapSet{Bits: st.CapBnd, Last: last},
		LastCap:     last,
	}
	if st.CapAmb != nil {
		c.Ambient = &CapSet{Bits: *st.CapAmb, Last: last}
	}
	for _, f := range []struct {
		field, key string
		set        CapSet
	}{{"inheritable", "CapInh", c.Inheritable}, {"permitted", "CapPrm", c.Permitted}, {"effective", "CapEff", c.Effective}, {"bounding", "CapBnd", c.Bounding}} {
		c.Sources.Add(f.field, file, f.key+":\t"+f.set.Hex())
	}
	if c.Ambient != nil {
		c.Sources.Add("ambient", file, "CapAmb:\t"+c.Ambient.Hex())
	}
	def := facts.NewCapSet(last, facts.DockerDefaultCapabilities...)
	c.AddedVsDocker = CapSet{Bits: c.Effective.Bits &^ def.Bits, Last: last}.Names()
	c.DroppedVsDocker = CapSet{Bits: def.Bits &^ c.Effective.Bits, Last: last}.Names()
	if c.Effective.Full() {
		c.Privileged, c.PrivilegedReason = true, "every capability the kernel knows is effective"
	}
	return c
}
