package inspect

import (
	"reflect"
	"strings"
	"testing"
)

// capshDocker is `capsh --decode=00000000a80425fb`, upper-cased.
var capshDocker = strings.Split(strings.ToUpper("cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap"), ",")

func TestNewCapabilities(t *testing.T) {
	tests := []struct {
		name              string
		eff               uint64
		amb               *uint64
		ambientPresent    bool
		effectiveEvidence string
	}{
		{name: "Docker default", eff: 0xa80425fb, amb: u64(0), ambientPresent: true,
			effectiveEvidence: "CapEff:\t00000000a80425fb"},
		{name: "--cap-add NET_ADMIN --cap-drop NET_RAW, before Linux 4.3 (no CapAmb)", eff: 0xa80415fb,
			effectiveEvidence: "CapEff:\t00000000a80415fb"},
		{name: "--privileged", eff: 0x000001ffffffffff, amb: u64(0), ambientPresent: true,
			effectiveEvidence: "CapEff:\t000001ffffffffff"},
		{name: "uid 1000: nothing effective", eff: 0, amb: u64(0), ambientPresent: true,
			effectiveEvidence: "CapEff:\t0000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &Status{Name: "x", CapEff: tt.eff, CapPrm: tt.eff, CapBnd: 0x000001ffffffffff, CapAmb: tt.amb}
			c := newCapabilities(st, 40, "/proc/42/status")
			// inspect never judges: the comparison with Docker's
			// default and the privileged verdict are report's.
			if c.AddedVsDocker != nil || c.DroppedVsDocker != nil || c.Privileged || c.PrivilegedReason != "" {
				t.Errorf("verdicts filled by inspect: added %q dropped %q privileged %v %q", c.AddedVsDocker, c.DroppedVsDocker, c.Privileged, c.PrivilegedReason)
			}
			if (c.Ambient != nil) != tt.ambientPresent {
				t.Errorf("Ambient = %v, want present %v", c.Ambient, tt.ambientPresent)
			}
			if c.Effective.Bits != tt.eff || c.Effective.Last != 40 || c.LastCap != 40 || c.Bounding.Bits != 0x000001ffffffffff {
				t.Errorf("sets = %+v", c)
			}
			if ev := c.Sources["effective"]; ev != (Evidence{File: "/proc/42/status", Raw: tt.effectiveEvidence}) {
				t.Errorf("effective evidence = %+v", ev)
			}
			if _, ok := c.Sources["ambient"]; ok != tt.ambientPresent {
				t.Errorf("ambient evidence present = %v, want %v", ok, tt.ambientPresent)
			}
		})
	}

	// Status parsed from the fixture of a process shaped like a container's.
	st, err := parseStatus(strings.NewReader(readStatusFixture(t, "seccomp-uid1000.txt")))
	if err != nil {
		t.Fatal(err)
	}
	c := newCapabilities(st, 40, "/proc/18722/status")
	if got := c.Bounding.Names(); !reflect.DeepEqual(got, capshDocker) {
		t.Errorf("Bounding = %q, want Docker's default", got)
	}
	if c.Effective.Count() != 0 {
		t.Errorf("Effective %s, want none", c.Effective.Hex())
	}
}
