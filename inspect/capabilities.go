package inspect

// newCapabilities builds the five sets from a parsed status. How they
// compare with Docker's default and whether they make the process
// privileged is report's to say: that needs the host's side too.
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
	return c
}
