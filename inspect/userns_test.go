package inspect

import (
	"reflect"
	"testing"
)

// uid_map text as the kernel prints it ("%10u %10u %10u\n"), captured.
const (
	idMapInitial  = "         0          0 4294967295\n"
	idMapRootless = "         0       1000          1\n         1     100000      65536\n"
)

func TestParseIDMap(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []IDMapping
	}{
		{"initial user namespace", idMapInitial, []IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}},
		{"rootless podman", idMapRootless, []IDMapping{{Inside: 0, Outside: 1000, Length: 1}, {Inside: 1, Outside: 100000, Length: 65536}}},
		{"single spaces", "0 1000 1\n1 100000 65536", []IDMapping{{Inside: 0, Outside: 1000, Length: 1}, {Inside: 1, Outside: 100000, Length: 65536}}},
		// A user namespace whose map was never written has an empty file.
		{"unmapped namespace", "", []IDMapping{}},
		{"blank lines", "\n0 0 1\n\n", []IDMapping{{Inside: 0, Outside: 0, Length: 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIDMap([]byte(tt.text))
			if err != nil {
				t.Fatalf("parseIDMap: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseIDMap = %+v, want %+v", got, tt.want)
			}
		})
	}
	for _, text := range []string{
		"0 0\n",
		"0 0 1 2\n",
		"0 0 x\n",
		"-1 0 1\n",
		"0 0 4294967296\n",
		"0 0 1\nbad\n",
	} {
		if got, err := parseIDMap([]byte(text)); err == nil {
			t.Errorf("parseIDMap(%q) = %+v, want error", text, got)
		}
	}
}

func FuzzParseIDMap(f *testing.F) {
	for _, s := range []string{idMapInitial, idMapRootless, "", "0 0\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseIDMap(b)
		if err != nil {
			return
		}
		if m == nil {
			t.Fatal("parseIDMap returned nil without an error")
		}
		for _, e := range m {
			if _, ok := mapToOutside(m, e.Inside); e.Length > 0 && !ok {
				t.Fatalf("id %d of %+v unmapped", e.Inside, m)
			}
		}
	})
}

func TestIdentityMap(t *testing.T) {
	tests := []struct {
		m    []IDMapping
		want bool
	}{
		{[]IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}, true},
		{[]IDMapping{{Inside: 0, Outside: 1000, Length: 1}, {Inside: 1, Outside: 100000, Length: 65536}}, false},
		{[]IDMapping{{Inside: 0, Outside: 0, Length: 65536}}, false}, // identity, but not of every id
		{[]IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}, {Inside: 0, Outside: 0, Length: 1}}, false},
		{[]IDMapping{{Inside: 1, Outside: 1, Length: 4294967295}}, false},
		{[]IDMapping{}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := identityMap(tt.m); got != tt.want {
			t.Errorf("identityMap(%+v) = %v, want %v", tt.m, got, tt.want)
		}
	}
}

func TestMapToOutside(t *testing.T) {
	rootless := []IDMapping{{Inside: 0, Outside: 1000, Length: 1}, {Inside: 1, Outside: 100000, Length: 65536}}
	initial := []IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}
	tests := []struct {
		name string
		m    []IDMapping
		id   uint32
		want uint32
		ok   bool
	}{
		{"rootless root", rootless, 0, 1000, true},
		{"rootless first subuid", rootless, 1, 100000, true},
		{"rootless nobody", rootless, 65534, 165533, true},
		{"rootless last mapped", rootless, 65536, 165535, true},
		{"rootless past the end", rootless, 65537, 0, false},
		{"initial", initial, 1000, 1000, true},
		{"initial last", initial, 4294967294, 4294967294, true},
		{"initial overflow id", initial, 4294967295, 0, false}, // (uid_t)-1 is never mapped
		{"empty map", []IDMapping{}, 0, 0, false},
		{"zero-length range", []IDMapping{{Inside: 5, Outside: 10, Length: 0}}, 5, 0, false},
	}
	for _, tt := range tests {
		got, ok := mapToOutside(tt.m, tt.id)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: mapToOutside(%d) = %d, %v; want %d, %v", tt.name, tt.id, got, ok, tt.want, tt.ok)
		}
	}
}
