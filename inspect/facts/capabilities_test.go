package facts

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// capshAll is `capsh --decode=000001ffffffffff` (libcap 2.x), upper-cased.
var capshAll = strings.Split(strings.ToUpper("cap_chown,cap_dac_override,cap_dac_read_search,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_linux_immutable,cap_net_bind_service,cap_net_broadcast,cap_net_admin,cap_net_raw,cap_ipc_lock,cap_ipc_owner,cap_sys_module,cap_sys_rawio,cap_sys_chroot,cap_sys_ptrace,cap_sys_pacct,cap_sys_admin,cap_sys_boot,cap_sys_nice,cap_sys_resource,cap_sys_time,cap_sys_tty_config,cap_mknod,cap_lease,cap_audit_write,cap_audit_control,cap_setfcap,cap_mac_override,cap_mac_admin,cap_syslog,cap_wake_alarm,cap_block_suspend,cap_audit_read,cap_perfmon,cap_bpf,cap_checkpoint_restore"), ",")

// capshDocker is `capsh --decode=00000000a80425fb`, upper-cased.
var capshDocker = strings.Split(strings.ToUpper("cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service,cap_net_raw,cap_sys_chroot,cap_mknod,cap_audit_write,cap_setfcap"), ",")

func TestCapSetNames(t *testing.T) {
	tests := []struct {
		name string
		set  CapSet
		want []string
	}{
		{"every capability of Linux 5.9+", CapSet{0x000001ffffffffff, 40}, capshAll},
		{"Docker's default", CapSet{0x00000000a80425fb, 40}, capshDocker},
		{"root on this VM: all but CAP_SYS_RESOURCE", CapSet{0x000001fffeffffff, 40},
			append(append([]string{}, capshAll[:24]...), capshAll[25:]...)},
		{"bits above cap_last_cap are not named", CapSet{0x000001ffffffffff, 37}, capshAll[:38]},
		{"a capability newer than the library", CapSet{1<<41 | 1<<40 | 1, 41}, []string{"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE", "CAP_41"}},
		{"the top bit", CapSet{1 << 63, 63}, []string{"CAP_63"}},
		{"cap_last_cap above 63 stops at bit 63", CapSet{1 << 63, 70}, []string{"CAP_63"}},
		{"empty", CapSet{0, 40}, []string{}},
		{"cap_last_cap 0", CapSet{0x3, 0}, []string{"CAP_CHOWN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.set.Names()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Names() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
	if n := len(CapSet{0x000001ffffffffff, 40}.Names()); n != 41 {
		t.Errorf("every capability: %d names, want 41", n)
	}
	if !reflect.DeepEqual(capshDocker, DockerDefaultCapabilities) {
		t.Errorf("DockerDefaultCapabilities = %q, capsh says %q", DockerDefaultCapabilities, capshDocker)
	}
}

// TestCapSetNamesCapsh compares with the capsh of this machine.
func TestCapSetNamesCapsh(t *testing.T) {
	capsh, err := exec.LookPath("capsh")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/capsh"); serr != nil {
			t.Skip("capsh not installed (libcap2-bin): nothing to compare with")
		}
		capsh = "/usr/sbin/capsh"
	}
	for _, set := range []CapSet{{0x00000000a80425fb, 40}, {0x000001ffffffffff, 40}, {0x0000000000003000, 40}} {
		out, err := exec.Command(capsh, "--decode="+set.Hex()).Output()
		if err != nil {
			t.Fatalf("capsh --decode=%s: %v", set.Hex(), err)
		}
		// "0x00000000a80425fb=cap_chown,cap_dac_override,..."
		_, list, _ := strings.Cut(strings.TrimSpace(string(out)), "=")
		if want := strings.ToUpper(list); set.String() != want {
			t.Errorf("CapSet %s:\n got %s\nwant %s (capsh)", set.Hex(), set.String(), want)
		}
	}
}

func TestCapSetCountFull(t *testing.T) {
	tests := []struct {
		set   CapSet
		count int
		full  bool
	}{
		{CapSet{0x000001ffffffffff, 40}, 41, true},
		{CapSet{0xffffffffffffffff, 40}, 41, true}, // bits above cap_last_cap do not count
		{CapSet{0x000001fffeffffff, 40}, 40, false},
		{CapSet{0x00000000a80425fb, 40}, 14, false},
		{CapSet{0x0000003fffffffff, 37}, 38, true}, // Linux 3.16 to 5.7
		{CapSet{0x0000003fffffffff, 40}, 38, false},
		{CapSet{0xffffffffffffffff, 63}, 64, true},
		{CapSet{0, 40}, 0, false},
		{CapSet{1, 0}, 1, false}, // cap_last_cap unknown
	}
	for _, tt := range tests {
		if got := tt.set.Count(); got != tt.count {
			t.Errorf("%s/%d Count() = %d, want %d", tt.set.Hex(), tt.set.Last, got, tt.count)
		}
		if got := tt.set.Full(); got != tt.full {
			t.Errorf("%s/%d Full() = %v, want %v", tt.set.Hex(), tt.set.Last, got, tt.full)
		}
	}
}

func TestCapBit(t *testing.T) {
	tests := []struct {
		name string
		bit  int
		ok   bool
	}{
		{"CAP_SYS_ADMIN", 21, true},
		{"sys_admin", 21, true},
		{"SYS_ADMIN", 21, true},
		{"cap_sys_admin", 21, true},
		{"Cap_Sys_Admin", 21, true},
		{"CAP_CHOWN", 0, true},
		{"CAP_CHECKPOINT_RESTORE", 40, true},
		{"NOPE", 0, false},
		{"CAP_", 0, false},
		{"", 0, false},
		{"CAP_41", 0, false},
		{"SYS ADMIN", 0, false},
	}
	for _, tt := range tests {
		bit, ok := capBit(tt.name)
		if bit != tt.bit || ok != tt.ok {
			t.Errorf("capBit(%q) = %d, %v; want %d, %v", tt.name, bit, ok, tt.bit, tt.ok)
		}
	}
	docker := CapSet{0xa80425fb, 40}
	for name, want := range map[string]bool{"NET_RAW": true, "cap_setfcap": true, "SYS_ADMIN": false, "NOPE": false} {
		if got := docker.Has(name); got != want {
			t.Errorf("Docker default Has(%q) = %v, want %v", name, got, want)
		}
	}
	if got := docker.Hex(); got != "00000000a80425fb" {
		t.Errorf("Hex() = %q", got)
	}
}
