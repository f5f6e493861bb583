package report

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// Privileged is every capability the host can grant: the host reference's
// bounding set, which on this VM lacks CAP_SYS_RESOURCE.
func TestPrivileged(t *testing.T) {
	hostBounding := allCaps &^ caps(t, "CAP_SYS_RESOURCE")
	docker := caps(t, facts.DockerDefaultCapabilities...)
	for _, tc := range []struct {
		name       string
		eff        uint64
		setup      func(p *facts.Process, ref *facts.Reference)
		privileged bool
		reason     string
		severity   Severity // of the privileged finding
	}{
		{
			name: "all the host's bounding set allows, seccomp off, /proc/sys writable", eff: hostBounding,
			setup: func(p *facts.Process, _ *facts.Reference) {
				p.Security.Seccomp = "disabled"
				p.Rootfs.ProcSysWritable = true
			},
			privileged: true, reason: "holds all 40 capabilities the host's bounding set allows (CAP_SYS_RESOURCE is not in the host's bounding set either)",
			severity: Critical,
		},
		{
			name: "all the kernel knows, on a host whose bounding set has them all", eff: allCaps,
			setup: func(_ *facts.Process, ref *facts.Reference) {
				ref.Process.Capabilities = capabilities(allCaps, allCaps)
			},
			privileged: true, reason: "holds all 41 capabilities the host's bounding set allows", severity: Critical,
		},
		{name: "Docker's default 14", eff: docker, severity: Info},
		{name: "all but one the host allows", eff: hostBounding &^ caps(t, "CAP_SYS_TIME"), severity: Info},
		{
			name: "all the host allows, in a user namespace", eff: hostBounding,
			setup:  func(p *facts.Process, _ *facts.Reference) { p.Security.UserNamespaced = true },
			reason: "its capabilities are held inside a user namespace and do not extend to the host", severity: Info,
		},
		{
			name: "CAP_SYS_ADMIN with every device allowed", eff: docker | caps(t, "CAP_SYS_ADMIN"),
			setup: func(p *facts.Process, _ *facts.Reference) {
				all := true
				p.Cgroup.Devices.AllowAll = &all
			},
			privileged: true, reason: "CAP_SYS_ADMIN with every device allowed (devices.list: a *:* rwm)", severity: Critical,
		},
		{
			name: "CAP_SYS_ADMIN with the host's /dev", eff: docker | caps(t, "CAP_SYS_ADMIN"),
			setup:      func(p *facts.Process, _ *facts.Reference) { p.Rootfs.HostDevices = true },
			privileged: true, reason: "CAP_SYS_ADMIN with the host's /dev (devtmpfs)", severity: Critical,
		},
		{
			// --vs names another process: not the host, so the measure is
			// every capability the kernel knows
			name: "compared with --vs", eff: hostBounding,
			setup:    func(_ *facts.Process, ref *facts.Reference) { ref.Kind = facts.ReferenceProcess },
			severity: Info,
		},
		{
			name: "nsinspect itself in a container", eff: hostBounding,
			setup: func(_ *facts.Process, ref *facts.Reference) {
				ref.Partial = "nsinspect runs inside pid namespace 4026532999"
			},
			severity: Info,
		},
		{
			// nsinspect in a Docker-default container sharing the host's pid
			// namespace compares with itself: its bounding set is no host's
			name: "a reference without CAP_SYS_ADMIN in its bounding set", eff: docker,
			setup: func(_ *facts.Process, ref *facts.Reference) {
				ref.Kind = facts.ReferenceSelf
				ref.Process.Capabilities = capabilities(docker, docker)
			},
			severity: Info,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dockerContainer(capabilities(tc.eff, allCaps))
			ref := hostReference(hostBounding)
			if tc.setup != nil {
				tc.setup(p, ref)
			}
			in := Compare(p, ref, nil, nil)
			if in.Capabilities.Privileged != tc.privileged || in.Capabilities.PrivilegedReason != tc.reason {
				t.Errorf("privileged %v %q, want %v %q", in.Capabilities.Privileged, in.Capabilities.PrivilegedReason, tc.privileged, tc.reason)
			}
			f := finding(t, in, "privileged")
			if f.Severity != tc.severity {
				t.Errorf("privileged finding %s, want %s: %s", f.Severity, tc.severity, f.Summary)
			}
		})
	}
}

// The measure is cited: the host's CapBnd line is evidence of the
// privileged finding.
func TestPrivilegedCitesHostBoundingSet(t *testing.T) {
	hostBounding := allCaps &^ caps(t, "CAP_SYS_RESOURCE")
	ref := hostReference(hostBounding)
	ref.Process.Capabilities.Sources["bounding"] = facts.Evidence{File: "/proc/1/status", Raw: "CapBnd:\t000001fffeffffff"}
	in := Compare(dockerContainer(capabilities(hostBounding, hostBounding)), ref, nil, nil)
	f := finding(t, in, "privileged")
	if want := (facts.Evidence{File: "/proc/1/status", Raw: "CapBnd:\t000001fffeffffff"}); !slices.Contains(f.Evidence, want) {
		t.Errorf("evidence %v lacks the host's %v", f.Evidence, want)
	}
	if want := "The container is privileged: holds all 40 capabilities the host's bounding set allows"; !strings.HasPrefix(f.Summary, want) {
		t.Errorf("summary %q, want it to start %q", f.Summary, want)
	}
}

// Compare judges the reference too, against the same bounding set, and
// leaves the facts it was given as inspect read them.
func TestComparePrivilegedKeepsFacts(t *testing.T) {
	hostBounding := allCaps &^ caps(t, "CAP_SYS_RESOURCE")
	p := dockerContainer(capabilities(hostBounding, hostBounding))
	ref := hostReference(hostBounding)
	in := Compare(p, ref, nil, nil)
	// inspect leaves the verdicts empty, and so they stay in its facts
	for _, c := range []*facts.Capabilities{p.Capabilities, ref.Process.Capabilities} {
		if c.Privileged || c.PrivilegedReason != "" || c.AddedVsDocker != nil || c.DroppedVsDocker != nil {
			t.Errorf("Compare changed the facts it was given: %+v", c)
		}
	}
	if !in.Target().Capabilities.Privileged || in.Target().Capabilities != in.Capabilities {
		t.Error("Target() does not carry the judged capabilities")
	}
	if rc := in.ReferenceProcess().Capabilities; !rc.Privileged || rc.PrivilegedReason != "holds all 40 capabilities the host's bounding set allows" {
		t.Errorf("reference: privileged %v %q, want true with the bounding-set reason", rc.Privileged, rc.PrivilegedReason)
	}
	// .capabilities.privileged is a JSON contract: same place, right value
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Capabilities struct {
			Privileged       *bool     `json:"privileged"`
			PrivilegedReason string    `json:"privilegedReason"`
			AddedVsDocker    *[]string `json:"addedVsDocker"`
			DroppedVsDocker  *[]string `json:"droppedVsDocker"`
		} `json:"capabilities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Capabilities.Privileged == nil || !*doc.Capabilities.Privileged ||
		!strings.HasPrefix(doc.Capabilities.PrivilegedReason, "holds all 40") {
		t.Errorf("JSON .capabilities: %+v, %v", doc.Capabilities, err)
	}
	if a, d := doc.Capabilities.AddedVsDocker, doc.Capabilities.DroppedVsDocker; a == nil || len(*a) != 40-14 || d == nil || len(*d) != 0 {
		t.Errorf("JSON .capabilities: addedVsDocker %v droppedVsDocker %v, want 26 names and []", a, d)
	}
}

// The comparison with Docker's default 14 is report's too: what the
// effective set holds beyond them and lacks of them, in bit order.
func TestVsDocker(t *testing.T) {
	capshDocker := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}
	tests := []struct {
		name           string
		eff            uint64
		added, dropped []string
	}{
		{"Docker default", 0xa80425fb, []string{}, []string{}},
		{"--cap-add NET_ADMIN --cap-drop NET_RAW", 0xa80415fb, []string{"CAP_NET_ADMIN"}, []string{"CAP_NET_RAW"}},
		{"--privileged", 0x000001ffffffffff, []string{
			"CAP_DAC_READ_SEARCH", "CAP_LINUX_IMMUTABLE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
			"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE",
			"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
			"CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_LEASE", "CAP_AUDIT_CONTROL", "CAP_MAC_OVERRIDE",
			"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
			"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
		}, []string{}},
		{"uid 1000: nothing effective", 0, []string{}, capshDocker},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Compare(dockerContainer(capabilities(tt.eff, allCaps)), hostReference(allCaps), nil, nil)
			if got := in.Capabilities.AddedVsDocker; !slices.Equal(got, tt.added) || got == nil {
				t.Errorf("AddedVsDocker = %q, want %q", got, tt.added)
			}
			if got := in.Capabilities.DroppedVsDocker; !slices.Equal(got, tt.dropped) || got == nil {
				t.Errorf("DroppedVsDocker = %q, want %q", got, tt.dropped)
			}
		})
	}
}
