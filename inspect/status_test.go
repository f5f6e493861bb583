package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// statusOld has the layout of Linux 3.10 (CentOS 7): no NSpid (4.1), CapAmb
// (4.3), NoNewPrivs (4.10) nor Seccomp_filters (5.9), and a bounding set of
// 37 capabilities. Written by hand after that layout, not captured.
const statusOld = `Name:	java
State:	S (sleeping)
Tgid:	1187
Ngid:	0
Pid:	1187
PPid:	1
TracerPid:	0
Uid:	994	994	994	994
Gid:	991	991	991	991
FDSize:	256
Groups:	991 
VmPeak:	 3570700 kB
VmSize:	 3505164 kB
Threads:	31
SigQ:	0/15066
SigPnd:	0000000000000000
ShdPnd:	0000000000000000
SigBlk:	0000000000000000
SigIgn:	0000000000000003
SigCgt:	2000000181005ccc
CapInh:	0000000000000000
CapPrm:	0000000000000000
CapEff:	0000000000000000
CapBnd:	0000001fffffffff
Cpus_allowed:	3
Cpus_allowed_list:	0-1
voluntary_ctxt_switches:	5
nonvoluntary_ctxt_switches:	2
`

func readStatusFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "status", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func u64(v uint64) *uint64 { return &v }
func intp(v int) *int      { return &v }
func boolp(v bool) *bool   { return &v }

func TestParseStatus(t *testing.T) {
	allCaps := uint64(0x000001fffeffffff) // root on this VM: all but CAP_SYS_RESOURCE
	tests := []struct {
		name string
		text string
		want *Status
	}{
		{
			name: "cat /proc/self/status",
			text: readStatusFixture(t, "self.txt"),
			want: &Status{
				Name: "cat", State: "R (running)", Tgid: 17619, PPid: 17616,
				NSpid:  []int{17619},
				CapPrm: allCaps, CapEff: allCaps, CapBnd: allCaps, CapAmb: u64(0),
				NoNewPrivs: boolp(false), Seccomp: intp(0), SeccompFilters: intp(0),
			},
		},
		{
			name: "comm with spaces and parentheses",
			text: readStatusFixture(t, "odd-comm.txt"),
			want: &Status{
				Name: "my (odd) comm", State: "S (sleeping)", Tgid: 12794, PPid: 1,
				NSpid:  []int{12794},
				CapPrm: allCaps, CapEff: allCaps, CapBnd: allCaps, CapAmb: u64(0),
				NoNewPrivs: boolp(false), Seccomp: intp(0), SeccompFilters: intp(0),
			},
		},
		{
			name: "sh as pid 1 of a pid namespace",
			text: readStatusFixture(t, "sh-pid1.txt"),
			want: &Status{
				Name: "sh", State: "S (sleeping)", Tgid: 12808, PPid: 12806,
				NSpid:  []int{12808, 1},
				CapPrm: allCaps, CapEff: allCaps, CapBnd: allCaps, CapAmb: u64(0),
				NoNewPrivs: boolp(false), Seccomp: intp(0), SeccompFilters: intp(0),
				SigIgn: 0x6, SigCgt: 0x10000,
			},
		},
		{
			name: "Go binary with signal.Notify",
			text: readStatusFixture(t, "go.txt"),
			want: &Status{
				Name: "gosig", State: "S (sleeping)", Tgid: 12797, PPid: 12789,
				NSpid:  []int{12797},
				CapPrm: allCaps, CapEff: allCaps, CapBnd: allCaps, CapAmb: u64(0),
				NoNewPrivs: boolp(false), Seccomp: intp(0), SeccompFilters: intp(0),
				SigBlk: 0xfffffffc3bba3a00, SigIgn: 0x2, SigCgt: 0xfffffffd7fc1fefd,
			},
		},
		{
			name: "uid 1000, no_new_privs, seccomp filter, Docker's bounding set",
			text: readStatusFixture(t, "seccomp-uid1000.txt"),
			want: &Status{
				Name: "hard", State: "S (sleeping)", Tgid: 18722, PPid: 18662,
				UID:    [4]uint32{1000, 1000, 1000, 1000},
				GID:    [4]uint32{1000, 1000, 1000, 1000},
				NSpid:  []int{18722},
				CapBnd: 0xa80425fb, CapAmb: u64(0),
				NoNewPrivs: boolp(true), Seccomp: intp(2), SeccompFilters: intp(1),
				SigIgn: 0x6,
			},
		},
		{
			name: "Linux 3.10 layout: optional lines absent",
			text: statusOld,
			want: &Status{
				Name: "java", State: "S (sleeping)", Tgid: 1187, PPid: 1,
				UID:    [4]uint32{994, 994, 994, 994},
				GID:    [4]uint32{991, 991, 991, 991},
				CapBnd: 0x1fffffffff,
				SigIgn: 0x3, SigCgt: 0x2000000181005ccc,
			},
		},
		{
			name: "comm beginning with a space keeps it",
			text: "Name:\t lead\nState:\tS (sleeping)\n",
			want: &Status{Name: " lead", State: "S (sleeping)"},
		},
		{
			// The kernel escapes a newline and a backslash in the comm.
			name: "comm with escaped newline and backslash",
			text: "Name:\tnl\\nx\\\\y\n",
			want: &Status{Name: `nl\nx\\y`},
		},
		{
			name: "comm containing a colon",
			text: "Name:\ta:b\n",
			want: &Status{Name: "a:b"},
		},
		{
			name: "huge values",
			text: "Name:\tx\nUid:\t4294967295\t4294967295\t4294967295\t4294967295\n" +
				"CapEff:\tffffffffffffffff\nCapAmb:\tffffffffffffffff\nSigCgt:\tffffffffffffffff\n",
			want: &Status{
				Name:   "x",
				UID:    [4]uint32{4294967295, 4294967295, 4294967295, 4294967295},
				CapEff: ^uint64(0), CapAmb: u64(^uint64(0)), SigCgt: ^uint64(0),
			},
		},
		{
			name: "non-zero NoNewPrivs other than 1 is true",
			text: "Name:\tx\nNoNewPrivs:\t2\n",
			want: &Status{Name: "x", NoNewPrivs: boolp(true)},
		},
		{
			name: "unknown keys and lines without a colon are ignored",
			text: "Name:\tx\nFutureKey:\tnot a number\ngarbage\n\n",
			want: &Status{Name: "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(strings.NewReader(tt.text))
			if err != nil {
				t.Fatalf("parseStatus: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseStatus:\n got %s\nwant %s", dumpStatus(got), dumpStatus(tt.want))
			}
		})
	}
}

// dumpStatus prints the pointer fields by value, so a mismatch is readable.
func dumpStatus(s *Status) string {
	p := func(v any) any {
		switch v := v.(type) {
		case *uint64:
			if v != nil {
				return *v
			}
		case *int:
			if v != nil {
				return *v
			}
		case *bool:
			if v != nil {
				return *v
			}
		}
		return "nil"
	}
	return strings.Join([]string{
		s.Name, s.State,
		fmt.Sprint(s.Tgid, s.PPid, s.TracerPid, s.UID, s.GID, s.NSpid),
		fmt.Sprint(s.CapInh, s.CapPrm, s.CapEff, s.CapBnd, p(s.CapAmb)),
		fmt.Sprint(p(s.NoNewPrivs), p(s.Seccomp), p(s.SeccompFilters)),
		fmt.Sprint(s.SigPnd, s.ShdPnd, s.SigBlk, s.SigIgn, s.SigCgt),
	}, " | ")
}

func TestParseStatusErrors(t *testing.T) {
	tests := []struct {
		name, text, wantErr string
	}{
		{"no Name line", "State:\tS (sleeping)\nPid:\t1\n", "no Name line"},
		{"empty", "", "no Name line"},
		{"malformed hex", "Name:\tx\nCapEff:\t00000000a80425fz\n", "CapEff"},
		{"hex wider than 64 bits", "Name:\tx\nSigCgt:\t1ffffffffffffffff\n", "SigCgt"},
		{"empty hex", "Name:\tx\nCapAmb:\t\n", "CapAmb"},
		{"three uids", "Name:\tx\nUid:\t0\t0\t0\n", "Uid"},
		{"uid above 32 bits", "Name:\tx\nGid:\t4294967296\t0\t0\t0\n", "Gid"},
		{"negative uid", "Name:\tx\nUid:\t-1\t0\t0\t0\n", "Uid"},
		{"bad NSpid", "Name:\tx\nNSpid:\t42\tone\n", "NSpid"},
		{"bad Tgid", "Name:\tx\nTgid:\t\n", "Tgid"},
		{"bad NoNewPrivs", "Name:\tx\nNoNewPrivs:\tyes\n", "NoNewPrivs"},
		{"bad Seccomp", "Name:\tx\nSeccomp:\tfilter\n", "Seccomp"},
		{"bad Seccomp_filters", "Name:\tx\nSeccomp_filters:\t-\n", "Seccomp_filters"},
		{"line longer than 1 MiB", "Name:\tx\nGroups:\t" + strings.Repeat("1 ", 1<<19) + "\n", "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatus(strings.NewReader(tt.text))
			if err == nil {
				t.Fatalf("parseStatus = %s, want error containing %q", dumpStatus(got), tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStatus error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, name := range []string{"self.txt", "odd-comm.txt", "sh-pid1.txt", "go.txt", "seccomp-uid1000.txt", "sigtimedwait-pid1.txt"} {
		f.Add(readStatusFixture(f, name))
	}
	f.Add(statusOld)
	f.Add("Name:\tnl\\nx\\\\y\nNSpid:\t4242\t1\n")
	f.Add("Name:\tx\nCapEff:\tffffffffffffffff\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := parseStatus(strings.NewReader(text))
		if err != nil {
			if s != nil {
				t.Fatalf("parseStatus returned both %+v and %v", s, err)
			}
			return
		}
		if !strings.Contains(text, "Name:") {
			t.Fatalf("parseStatus accepted text without a Name line: %q", text)
		}
	})
}
