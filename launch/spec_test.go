package launch

import (
	"strings"
	"testing"

	"github.com/moby/sys/capability"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"512m", 536870912, false}, {"512M", 536870912, false}, {"512mb", 536870912, false},
		{"1g", 1 << 30, false}, {"1.5g", 3 << 29, false}, {"100k", 102400, false},
		{"1048576", 1048576, false}, {"1048576b", 1048576, false}, {"2t", 2 << 40, false},
		{"12q", 0, true}, {"", 0, true}, {"-1", 0, true}, {"m", 0, true}, {"1e30g", 0, true}, {"NaN", 0, true},
	} {
		got, err := ParseBytes(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseCPUs(t *testing.T) {
	for _, tc := range []struct {
		in    string
		quota int64
		err   string
	}{
		{"1", 100000, ""}, {"0.5", 50000, ""}, {"1.5", 150000, ""}, {"2", 200000, ""},
		{"0.01", 1000, ""}, {"0.001", 0, "smallest is 0.01"}, {"-1", 0, "positive"},
		{"0", 0, "positive"}, {"abc", 0, "positive"}, {"3", 0, "has 2 CPUs"},
	} {
		q, p, err := ParseCPUs(tc.in, 2)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseCPUs(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || q != tc.quota || p != 100000 {
			t.Errorf("ParseCPUs(%q) = %d/%d, %v; want %d/100000", tc.in, q, p, err, tc.quota)
		}
	}
}

func TestParseCpuset(t *testing.T) {
	for in, ok := range map[string]bool{"0": true, "0-1": true, "0-1,3": true, "1,3-5": true, "": false, "a": false, "1-": false, "3-1": false, "0,,1": false} {
		if _, err := ParseCpuset(in); (err == nil) != ok {
			t.Errorf("ParseCpuset(%q) error %v, want ok=%v", in, err, ok)
		}
	}
}

func TestParseVolume(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Volume
		err  string
	}{
		{"/srv/data:/data", Volume{"/srv/data", "/data", false}, ""},
		{"/srv/data:/data:ro", Volume{"/srv/data", "/data", true}, ""},
		{"/srv/data/:/data/./x:rw", Volume{"/srv/data", "/data/x", false}, ""},
		{"/:/host", Volume{"/", "/host", false}, ""},
		{"data:/data", Volume{}, "absolute"},
		{"/a:b", Volume{}, "absolute"},
		{"/a:/b:rx", Volume{}, "not ro or rw"},
		{"/a", Volume{}, "want"},
		{"/a:/", Volume{}, "container's /"},
	} {
		got, err := ParseVolume(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseVolume(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseVolume(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseUser(t *testing.T) {
	for _, tc := range []struct {
		in       string
		uid, gid uint32
		ok       bool
	}{
		{"1000", 1000, 1000, true}, {"1000:100", 1000, 100, true}, {"root", 0, 0, true}, {"0:0", 0, 0, true},
		{"nobody", 0, 0, false}, {"1000:staff", 0, 0, false}, {"-1", 0, 0, false},
	} {
		uid, gid, err := ParseUser(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (uid != tc.uid || gid != tc.gid)) {
			t.Errorf("ParseUser(%q) = %d:%d, %v; want %d:%d ok=%v", tc.in, uid, gid, err, tc.uid, tc.gid, tc.ok)
		}
	}
}

func TestValidName(t *testing.T) {
	for in, ok := range map[string]bool{"web": true, "web-1.prod_x": true, "9lives": true, "": false, "-web": false, ".x": false, "a b": false, "a/b": false, strings.Repeat("a", 129): false} {
		if ValidName(in) != ok {
			t.Errorf("ValidName(%q) = %v, want %v", in, !ok, ok)
		}
	}
}

func TestResolveCapabilities(t *testing.T) {
	held, last, err := heldBounding()
	if err != nil {
		t.Skipf("cannot read capabilities: %v", err)
	}
	count := func(s []string) int { return len(s) }
	s := &Spec{}
	if err := s.ResolveCapabilities(); err != nil {
		t.Fatal(err)
	}
	if count(s.Capabilities)+count(s.MissingCaps) != 14 {
		t.Errorf("default: %v + missing %v, want Docker's 14", s.Capabilities, s.MissingCaps)
	}
	s = &Spec{CapDrop: []string{"ALL"}, CapAdd: []string{"net_admin", "CAP_SYS_PTRACE"}}
	s.ResolveCapabilities()
	if strings.Join(append(s.Capabilities, s.MissingCaps...), ",") != "CAP_NET_ADMIN,CAP_SYS_PTRACE" {
		t.Errorf("--cap-drop ALL --cap-add NET_ADMIN,SYS_PTRACE: %v %v", s.Capabilities, s.MissingCaps)
	}
	s = &Spec{Privileged: true}
	s.ResolveCapabilities()
	n := 0
	for c := 0; c <= int(last); c++ {
		if held[capability.Cap(c)] {
			n++
		}
	}
	if len(s.Capabilities) != n || len(s.Capabilities)+len(s.MissingCaps) != int(last)+1 {
		t.Errorf("--privileged: %d granted (held %d), %d missing, of %d", len(s.Capabilities), n, len(s.MissingCaps), last+1)
	}
	if err := ValidateCapNames("--cap-add", []string{"NOPE"}); err == nil {
		t.Error("ValidateCapNames accepted NOPE")
	}
}

// No id nsinspect makes has an all-digit short form, which a command line
// could not tell from a PID (Docker's rule): 0.4 % of random ids would, so
// 5000 of them would hold about 18.
func TestNewIDNeverLooksLikeAPID(t *testing.T) {
	for i := 0; i < 5000; i++ {
		if id := newID(); len(id) != 64 || allDigits(id[:12]) {
			t.Fatalf("newID() = %q", id)
		}
	}
	for s, want := range map[string]bool{"272202931234": true, "27220293123a": false, "": false} {
		if allDigits(s) != want {
			t.Errorf("allDigits(%q) = %v", s, !want)
		}
	}
}
