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
		added, dropped    []string
		privileged        bool
		ambientPresent    bool
		effectiveEvidence string
	}{
		{name: "Docker default", eff: 0xa80425fb, amb: u64(0),
			added: []string{}, dropped: []string{}, ambientPresent: true,
			effectiveEvidence: "CapEff:\t00000000a80425fb"},
		{name: "--cap-add NET_ADMIN --cap-drop NET_RAW", eff: 0xa80415fb,
			added: []string{"CAP_NET_ADMIN"}, dropped: []string{"CAP_NET_RAW"},
			effectiveEvidence: "CapEff:\t00000000a80415fb"},
		{name: "--privileged", eff: 0x000001ffffffffff, amb: u64(0),
			added: []string{
				"CAP_DAC_READ_SEARCH", "CAP_LINUX_IMMUTABLE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
				"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE",
				"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
				"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_LEASE", "CAP_AUDIT_CONTROL", "CAP_MAC_OVERRIDE",
				"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
				"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
			},
			dropped: []string{}, privileged: true, ambientPresent: true,
			effectiveEvidence: "CapEff:\t000001ffffffffff"},
		{name: "uid 1000: nothing effective", eff: 0, amb: u64(0),
			added: []string{}, dropped: capshDocker, ambientPresent: true,
			effectiveEvidence: "CapEff:\t0000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &Status{Name: "x", CapEff: tt.eff, CapPrm: tt.eff, CapBnd: 0x000001ffffffffff, CapAmb: tt.amb}
			c := newCapabilities(st, 40, "/proc/42/status")
			if !reflect.DeepEqual(c.AddedVsDocker, tt.added) {
				t.Errorf("AddedVsDocker = %q, want %q", c.AddedVsDocker, tt.added)
			}
			if !reflect.DeepEqual(c.DroppedVsDocker, tt.dropped) {
				t.Errorf("DroppedVsDocker = %q, want %q", c.DroppedVsDocker, tt.dropped)
			}
			if c.Privileged != tt.privileged || (c.PrivilegedReason != "") != tt.privileged {
				t.Errorf("Privileged = %v %q, want %v", c.Privileged, c.PrivilegedReason, tt.privileged)
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
	if c.Effective.Count() != 0 || c.Privileged {
		t.Errorf("Effective %s Privileged %v", c.Effective.Hex(), c.Privileged)
	}
}
