package inspect

import (
	"fmt"
)

// Kernel reads the release and version from the proc root. The kernel is
// global, so these are the same whichever process asks.
func (fsys FS) Kernel() (*Kernel, error) {
	k := &Kernel{}
	for _, f := range []struct {
		field, name string
		dst         *string
	}{{"release", "osrelease", &k.Release}, {"version", "version", &k.Version}} {
		p := fsys.proc("sys", "kernel", f.name)
		v, err := readTrim(p)
		if err != nil {
			return k, fmt.Errorf("reading %s: %w", p, err)
		}
		*f.dst = v
		k.Sources.Add(f.field, p, v)
	}
	return k, nil
}

// names fills the hostname and domainname of pid's UTS namespace. When the
// process shares the reader's UTS namespace /proc/sys/kernel tells; otherwise
// only a live reader with CAP_SYS_ADMIN can setns into it and ask uname.
func (fsys FS) names(k *Kernel, pid int, utsKnown, sameUTS bool) error {
	if sameUTS {
		for _, f := range []struct {
			field, name string
			dst         **string
		}{{"hostname", "hostname", &k.Hostname}, {"domainname", "domainname", &k.Domainname}} {
			p := fsys.proc("sys", "kernel", f.name)
			v, err := readTrim(p)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, classify(err))
			}
			*f.dst = &v
			k.Sources.Add(f.field, p, v)
		}
		return nil
	}
	if !utsKnown {
		return fmt.Errorf("hostname unknown: the uts namespace of pid %d could not be read", pid)
	}
	if !fsys.Live() {
		return fmt.Errorf("hostname of another uts namespace needs setns, which a fixture root cannot do")
	}
	nsFile := fsys.pid(pid, "ns", "uts")
	host, domain, err := utsNames(nsFile)
	if err != nil {
		return fmt.Errorf("entering %s: %w", nsFile, classify(err))
	}
	k.Hostname, k.Domainname = &host, &domain
	k.Sources.Add("hostname", nsFile, "uname nodename after setns: "+host)
	k.Sources.Add("domainname", nsFile, "uname domainname after setns: "+domain)
	return nil
}
