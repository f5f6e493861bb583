package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// The ids are a contract (docs/explain.md, audit rules): a rename is a
// breaking change, so the list is spelled out here.
func TestDangerousCatalogue(t *testing.T) {
	want := []struct {
		id  string
		sev Severity
	}{
		{"cap-sys-admin", Critical}, {"cap-sys-module", Critical}, {"cap-sys-rawio", Critical},
		{"cap-sys-ptrace", Critical}, {"cap-dac-read-search", Critical}, {"cap-bpf", Warn}, {"cap-perfmon", Warn},
		{"cap-net-admin", Warn}, {"cap-sys-boot", Warn}, {"cap-sys-time", Warn}, {"cap-syslog", Warn}, {"cap-mac-admin", Warn},
	}
	got := DangerousCapabilities()
	if len(got) != len(want) {
		t.Fatalf("%d capabilities in the catalogue, want %d", len(got), len(want))
	}
	known := facts.CapSet{Bits: allCaps, Last: testLastCap}
	for i, d := range got {
		if d.ID() != want[i].id || d.Severity != want[i].sev {
			t.Errorf("catalogue[%d] = %s %s, want %s %s", i, d.ID(), d.Severity, want[i].id, want[i].sev)
		}
		if !known.Has(d.Name) || slices.Contains(facts.DockerDefaultCapabilities, d.Name) {
			t.Errorf("%s: not a capability the kernel knows, or one Docker grants by default", d.Name)
		}
		if d.Reason == "" || len(d.Reason) > 160 || strings.Contains(d.Reason, "\n") {
			t.Errorf("%s: reason %q, want one short line", d.Name, d.Reason)
		}
		if d.CriticalWith != "" && !known.Has(d.CriticalWith) {
			t.Errorf("%s: CriticalWith %q is no capability", d.Name, d.CriticalWith)
		}
	}
	got[0].Severity = Info
	if DangerousCapabilities()[0].Severity != Critical {
		t.Error("DangerousCapabilities hands out the catalogue itself")
	}
}

func TestDangerousIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  []string
		want string // id:severity, catalogue order
	}{
		{"Docker's default", facts.DockerDefaultCapabilities, ""},
		{"SYS_ADMIN and NET_ADMIN", []string{"CAP_NET_ADMIN", "CAP_SYS_ADMIN"}, "cap-sys-admin:critical cap-net-admin:warn"},
		{"BPF alone", []string{"CAP_BPF"}, "cap-bpf:warn"},
		{"PERFMON alone", []string{"CAP_PERFMON"}, "cap-perfmon:warn"},
		{"BPF with PERFMON", []string{"CAP_BPF", "CAP_PERFMON"}, "cap-bpf:critical cap-perfmon:critical"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, d := range DangerousIn(facts.CapSet{Bits: caps(t, tc.set...), Last: testLastCap}) {
				got = append(got, d.ID()+":"+string(d.Severity))
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("got %q, want %q", s, tc.want)
			}
		})
	}
}

func TestCapabilityFindings(t *testing.T) {
	hostBounding := allCaps &^ caps(t, "CAP_SYS_RESOURCE") // this VM's
	docker := caps(t, facts.DockerDefaultCapabilities...)
	for _, tc := range []struct {
		name      string
		eff       uint64
		permitted uint64 // beyond eff
		userns    bool
		// the findings wanted with their severity, and ids that must be absent
		want   map[string]Severity
		absent []string
	}{
		{
			name: "Docker's default 14", eff: docker,
			want:   map[string]Severity{"privileged": Info},
			absent: []string{"capabilities-beyond-docker", "cap-sys-admin", "cap-net-admin"},
		},
		{
			name: "--cap-add SYS_ADMIN", eff: docker | caps(t, "CAP_SYS_ADMIN"),
			want:   map[string]Severity{"privileged": Info, "cap-sys-admin": Critical},
			absent: []string{"capabilities-beyond-docker"},
		},
		{
			name: "--cap-add NET_ADMIN", eff: docker | caps(t, "CAP_NET_ADMIN"),
			want:   map[string]Severity{"cap-net-admin": Warn},
			absent: []string{"capabilities-beyond-docker"},
		},
		{
			name: "--cap-add BPF --cap-add PERFMON", eff: docker | caps(t, "CAP_BPF", "CAP_PERFMON"),
			want: map[string]Severity{"cap-bpf": Critical, "cap-perfmon": Critical},
		},
		{
			name: "--cap-add IPC_LOCK: the rest stays info", eff: docker | caps(t, "CAP_IPC_LOCK", "CAP_SYS_PTRACE"),
			want: map[string]Severity{"cap-sys-ptrace": Critical, "capabilities-beyond-docker": Info},
		},
		{
			name: "SYS_ADMIN permitted, not effective", eff: docker, permitted: caps(t, "CAP_SYS_ADMIN"),
			want: map[string]Severity{"cap-sys-admin": Critical},
		},
		{
			name: "SYS_ADMIN inside a user namespace", eff: docker | caps(t, "CAP_SYS_ADMIN"), userns: true,
			want: map[string]Severity{"cap-sys-admin": Info},
		},
		{
			name: "privileged: one finding says it all", eff: hostBounding,
			want:   map[string]Severity{"privileged": Critical},
			absent: []string{"cap-sys-admin", "cap-net-admin", "capabilities-beyond-docker"},
		},
		{
			name: "all the host allows, in a user namespace", eff: hostBounding, userns: true,
			want: map[string]Severity{"privileged": Info, "cap-sys-admin": Info, "cap-sys-module": Info, "capabilities-beyond-docker": Info},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := capabilities(tc.eff, allCaps)
			c.Permitted.Bits |= tc.permitted
			p := dockerContainer(c)
			p.Security.UserNamespaced = tc.userns
			in := Compare(p, hostReference(hostBounding), nil, nil)
			got := findingsOf(in)
			for id, sev := range tc.want {
				if got[id] != sev {
					t.Errorf("finding %s: %q, want %q (all: %v)", id, got[id], sev, got)
				}
			}
			for _, id := range tc.absent {
				if _, ok := got[id]; ok {
					t.Errorf("finding %s present, want none (all: %v)", id, got)
				}
			}
		})
	}
}

// The finding of a catalogued capability: its reason, the status line
// behind it, what else is left to capabilities-beyond-docker.
func TestCapSysAdminFinding(t *testing.T) {
	docker := caps(t, facts.DockerDefaultCapabilities...)
	p := dockerContainer(capabilities(docker|caps(t, "CAP_SYS_ADMIN", "CAP_IPC_LOCK"), allCaps))
	in := Compare(p, hostReference(allCaps), nil, nil)

	f := finding(t, in, "cap-sys-admin")
	if want := "The container holds CAP_SYS_ADMIN — mount(2), including the host's disk"; !strings.HasPrefix(f.Summary, want) {
		t.Errorf("summary %q, want it to start %q", f.Summary, want)
	}
	if !strings.HasPrefix(f.Detail, "CAP_SYS_ADMIN is in the effective set.") {
		t.Errorf("detail %q", f.Detail)
	}
	if len(f.Evidence) == 0 || f.Evidence[0].File != "/proc/4242/status" || f.Evidence[0].Raw != "CapEff:\t00000000a82465fb" {
		t.Errorf("evidence %v, want /proc/4242/status: CapEff:\\t00000000a82465fb first", f.Evidence)
	}
	c := capabilities(docker, allCaps)
	c.Permitted.Bits |= caps(t, "CAP_SYS_ADMIN")
	permitted := finding(t, Compare(dockerContainer(c), hostReference(allCaps), nil, nil), "cap-sys-admin")
	if !strings.HasPrefix(permitted.Detail, "CAP_SYS_ADMIN is permitted, not effective: one capset(2) call") {
		t.Errorf("permitted only: detail %q", permitted.Detail)
	}

	rest := finding(t, in, "capabilities-beyond-docker")
	if rest.Summary != "Capabilities beyond Docker's default set: CAP_IPC_LOCK" {
		t.Errorf("capabilities-beyond-docker: %q, want only CAP_IPC_LOCK", rest.Summary)
	}
}
