package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// limited gives the container of dockerContainer Docker's limits: 512 MiB
// of memory, 100 pids, a quota of 1 CPU, on cgroup v2.
func limited(p *facts.Process) *facts.Process {
	c := p.Cgroup
	c.Memory.LimitBytes, c.Memory.UsageBytes, c.Memory.WorkingSetBytes = u64(512<<20), u64(100<<20), u64(80<<20)
	c.Memory.Sources = facts.Sources{"limitBytes": {File: "/sys/fs/cgroup/x/memory.max", Raw: "536870912"}}
	c.Pids.Max = u64(100)
	c.Pids.Sources = facts.Sources{"max": {File: "/sys/fs/cgroup/x/pids.max", Raw: "100"}}
	cpus := 1.0
	c.CPU.QuotaMicros, c.CPU.PeriodMicros, c.CPU.CPUs = u64(100000), u64(100000), &cpus
	c.CPU.Periods, c.CPU.ThrottledPeriods = u64(1000), u64(0)
	c.CPU.Sources = facts.Sources{"quotaMicros": {File: "/sys/fs/cgroup/x/cpu.max", Raw: "100000 100000"}}
	return p
}

func noLimits(p *facts.Process) *facts.Process {
	c := p.Cgroup
	c.Memory.Sources = facts.Sources{"limitBytes": {File: "/sys/fs/cgroup/x/memory.max", Raw: "max"}}
	c.Pids.Sources = facts.Sources{"max": {File: "/sys/fs/cgroup/x/pids.max", Raw: "max"}}
	c.CPU.Sources = facts.Sources{"quotaMicros": {File: "/sys/fs/cgroup/x/cpu.max", Raw: "max 100000"}}
	return p
}

func dockerDefaultCaps(t *testing.T, extra ...string) *facts.Capabilities {
	names := append(slices.Clone(facts.DockerDefaultCapabilities), extra...)
	m := caps(t, names...)
	return capabilities(m, m)
}

func auditRules(t *testing.T, a Audit) map[string]Severity {
	t.Helper()
	out := map[string]Severity{}
	for _, f := range a.Findings() {
		out[f.Rule] = f.Severity
	}
	return out
}

// TestAuditRules: the exact rules each kind of container triggers, from
// facts as inspect reads them.
func TestAuditRules(t *testing.T) {
	ref := hostReference(allCaps)
	base := map[string]Severity{"no-new-privs": Info, "root-without-userns": Info}
	with := func(m map[string]Severity) map[string]Severity {
		out := map[string]Severity{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		make   func() *facts.Process
		before func(*facts.Process)
		want   map[string]Severity
	}{
		{"limited docker container", func() *facts.Process { return limited(dockerContainer(dockerDefaultCaps(t))) }, nil, base},
		{"docker defaults: no limits", func() *facts.Process { return noLimits(dockerContainer(dockerDefaultCaps(t))) }, nil,
			with(map[string]Severity{"no-memory-limit": Warn, "no-pids-limit": Warn, "no-cpu-limit": Info})},
		{"--cap-add SYS_ADMIN", func() *facts.Process { return limited(dockerContainer(dockerDefaultCaps(t, "CAP_SYS_ADMIN"))) }, nil,
			with(map[string]Severity{"cap-sys-admin": Critical})},
		{"--cap-add BPF,PERFMON,IPC_LOCK", func() *facts.Process {
			return limited(dockerContainer(dockerDefaultCaps(t, "CAP_BPF", "CAP_PERFMON", "CAP_IPC_LOCK")))
		}, nil, with(map[string]Severity{"cap-bpf": Critical, "cap-perfmon": Critical, "capabilities-beyond-docker": Info})},
		{"privileged", func() *facts.Process {
			p := limited(dockerContainer(capabilities(allCaps, allCaps)))
			p.Security.Seccomp = "disabled"
			p.Security.LSM, p.Security.Label = "apparmor", "unconfined"
			allow := true
			p.Cgroup.Devices = facts.DevicesCgroup{AllowAll: &allow, Sources: facts.Sources{"allowAll": {File: "/sys/fs/cgroup/devices/x/devices.list", Raw: "a *:* rwm"}}}
			p.Rootfs.SysWritable, p.Rootfs.ProcSysWritable = true, true
			return p
		}, nil, with(map[string]Severity{"privileged": Critical, "seccomp-disabled": Warn, "lsm-unconfined": Info,
			"devices-allow-all": Critical, "sys-writable": Warn, "proc-sys-writable": Warn})},
		{"docker.sock and the host's /etc", func() *facts.Process {
			p := limited(dockerContainer(dockerDefaultCaps(t)))
			p.Rootfs.Notable = []facts.NotableMount{
				{Kind: "runtime-socket", Mountpoint: "/var/run/docker.sock", Line: "50 40 0:24 /docker.sock /var/run/docker.sock rw - tmpfs tmpfs rw"},
				{Kind: "host-sensitive", Mountpoint: "/host/etc", HostPath: "/etc", ReadOnly: true, Line: "51 40 254:1 /etc /host/etc ro - ext4 /dev/vda1 rw"},
			}
			return p
		}, nil, with(map[string]Severity{"runtime-socket": Critical, "host-sensitive": Warn})},
		{"--pid=host --net=host", func() *facts.Process {
			p := limited(dockerContainer(dockerDefaultCaps(t)))
			for i, n := range p.Namespaces {
				if n.Type == facts.NSPID || n.Type == facts.NSNet {
					p.Namespaces[i].Inode = 4026531830 + uint64(i)
				}
			}
			p.Signals.PID1 = false
			return p
		}, nil, with(map[string]Severity{"host-pid": Warn, "host-network": Warn})},
		{"PID 1 sleep, zombies, OOM kills, near its limit", func() *facts.Process {
			p := limited(dockerContainer(dockerDefaultCaps(t)))
			p.Signals.SIGTERM, p.Signals.Children, p.Signals.ZombieChildren = facts.VerdictDropped, intp(9), intp(6)
			p.Cgroup.Memory.OOMKills, p.Cgroup.Memory.WorkingSetBytes = u64(2), u64(500<<20)
			return p
		}, nil, with(map[string]Severity{"pid1-sigterm": Warn, "zombies": Warn, "oom-kills": Critical, "working-set-high": Warn})},
		{"throttled in the window, zombies grew", func() *facts.Process {
			p := limited(dockerContainer(dockerDefaultCaps(t)))
			p.Cgroup.CPU.Periods, p.Cgroup.CPU.ThrottledPeriods = u64(1050), u64(30)
			p.Signals.Children, p.Signals.ZombieChildren = intp(3), intp(2)
			return p
		}, func(b *facts.Process) {
			b.Cgroup.CPU.Periods, b.Cgroup.CPU.ThrottledPeriods = u64(1000), u64(0)
			b.Signals.Children, b.Signals.ZombieChildren = intp(2), intp(1)
		}, with(map[string]Severity{"cpu-throttled": Warn, "zombies": Warn})},
		{"throttled long ago, not in the window", func() *facts.Process {
			p := limited(dockerContainer(dockerDefaultCaps(t)))
			p.Cgroup.CPU.Periods, p.Cgroup.CPU.ThrottledPeriods = u64(1050), u64(900)
			return p
		}, func(b *facts.Process) {
			b.Cgroup.CPU.Periods, b.Cgroup.CPU.ThrottledPeriods = u64(1000), u64(900)
		}, base},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := AuditTarget{Now: Compare(tc.make(), ref, nil, nil), Window: 5 * time.Second}
			if tc.before != nil {
				b := tc.make()
				tc.before(b)
				target.Before = Compare(b, ref, nil, nil)
			}
			a := AuditTargets([]AuditTarget{target}, AuditOptions{Window: 5 * time.Second})
			got := auditRules(t, a)
			if !mapsEqual(got, tc.want) {
				t.Errorf("rules\n got %v\nwant %v", got, tc.want)
			}
			for _, f := range a.Findings() {
				if f.ContainerID == "" || f.Runtime != "docker" || f.PID != 4242 || f.Summary == "" || f.Fix.Docker == "" || f.References == nil {
					t.Errorf("finding lacks its identity, summary, fix or references: %+v", f)
				}
			}
		})
	}
}

func intp(v int) *int { return &v }

func mapsEqual(a, b map[string]Severity) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestAuditOptions: --rule, --skip, --window 0 and --fail-on.
func TestAuditOptions(t *testing.T) {
	ref := hostReference(allCaps)
	p := noLimits(dockerContainer(dockerDefaultCaps(t)))
	p.Cgroup.CPU.Periods, p.Cgroup.CPU.ThrottledPeriods = u64(100), u64(90)
	now := Compare(p, ref, nil, nil)
	for _, tc := range []struct {
		name    string
		opt     AuditOptions
		want    []string
		failed  bool
		skipped []string
	}{
		{"all, window 0", AuditOptions{FailOn: Warn}, []string{"no-memory-limit", "no-pids-limit", "no-new-privs", "root-without-userns", "no-cpu-limit"}, true, []string{"cpu-throttled"}},
		{"--rule", AuditOptions{Rules: []string{"no-memory-limit", "no-cpu-limit"}, FailOn: Critical}, []string{"no-memory-limit", "no-cpu-limit"}, false, nil},
		{"--skip", AuditOptions{Skip: []string{"no-memory-limit", "no-pids-limit"}, FailOn: Warn}, []string{"no-new-privs", "root-without-userns", "no-cpu-limit"}, false, []string{"cpu-throttled"}},
		{"--fail-on info", AuditOptions{Rules: []string{"no-cpu-limit"}, FailOn: Info}, []string{"no-cpu-limit"}, true, nil},
		{"no --fail-on", AuditOptions{}, []string{"no-memory-limit", "no-pids-limit", "no-new-privs", "root-without-userns", "no-cpu-limit"}, false, []string{"cpu-throttled"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := AuditTargets([]AuditTarget{{Now: now}}, tc.opt)
			var got []string
			for _, f := range a.Findings() {
				got = append(got, f.Rule)
			}
			// worst first, then the catalogue's order
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
			if a.Failed() != tc.failed {
				t.Errorf("Failed() = %v, want %v", a.Failed(), tc.failed)
			}
			if !slices.Equal(a.Skipped, tc.skipped) {
				t.Errorf("skipped %v, want %v", a.Skipped, tc.skipped)
			}
		})
	}
	if err := CheckRuleIDs([]string{"no-memory-limit", "pid1-sigterm"}); err != nil {
		t.Error(err)
	}
	if err := CheckRuleIDs([]string{"no-such-rule"}); err == nil || !strings.Contains(err.Error(), `unknown rule "no-such-rule"`) {
		t.Errorf("unknown rule: %v", err)
	}
}

// TestAuditJUnit decodes the XML: one suite per target, one case per
// rule evaluated in the catalogue's order, failures only at or above
// --fail-on, an error case for a target not read in full, and a
// container's control characters escaped.
func TestAuditJUnit(t *testing.T) {
	ref := hostReference(allCaps)
	p := noLimits(dockerContainer(dockerDefaultCaps(t)))
	p.Runtime.ContainerName = "evil\x1b[2J\x07name"
	q := limited(dockerContainer(dockerDefaultCaps(t)))
	q.Runtime.ContainerName = "ok"
	a := AuditTargets([]AuditTarget{{Now: Compare(p, ref, nil, nil)}, {Now: Compare(q, ref, nil, nil), Err: errors.New("pid 4242 left")}},
		AuditOptions{FailOn: Warn, Skip: []string{"no-cpu-limit"}})
	var buf bytes.Buffer
	if err := WriteAuditJUnit(&buf, a); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
				Errors []struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
				Out     string    `xml:"system-out"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("JUnit does not decode: %v\n%s", err, buf.String())
	}
	rules, _ := AuditOptions{Skip: []string{"no-cpu-limit"}}.selected()
	// per suite: the rules, cpu-throttled skipped (--window 0); the
	// second an error case too
	if len(doc.Suites) != 2 || doc.Tests != 2*(len(rules)+1)+1 || doc.Failures != 2 || doc.Errors != 1 {
		t.Fatalf("suites %d tests %d failures %d errors %d; want 2, %d, 2, 1", len(doc.Suites), doc.Tests, doc.Failures, doc.Errors, 2*(len(rules)+1)+1)
	}
	if s := doc.Suites[0].Name; strings.ContainsAny(s, "\x1b\x07") || !strings.Contains(s, `evil\x1b[2J\x07name`) {
		t.Errorf("suite name not escaped: %q", s)
	}
	if c := doc.Suites[0].Cases[len(rules)]; c.Name != "cpu-throttled" || c.Skipped == nil {
		t.Errorf("case %d: %+v, want cpu-throttled skipped", len(rules), c)
	}
	for i, c := range doc.Suites[0].Cases[:len(rules)] {
		if c.Name != rules[i].ID {
			t.Fatalf("case %d is %s, want %s (the catalogue's order)", i, c.Name, rules[i].ID)
		}
		failed := len(c.Failures) > 0
		if want := c.Name == "no-memory-limit" || c.Name == "no-pids-limit"; failed != want {
			t.Errorf("%s failed %v, want %v", c.Name, failed, want)
		}
		if c.Name == "root-without-userns" && !strings.Contains(c.Out, "[info] No user namespace") {
			t.Errorf("an info finding below --fail-on is not in system-out: %q", c.Out)
		}
	}
	last := doc.Suites[1].Cases[len(doc.Suites[1].Cases)-1]
	if last.Name != "evaluated" || len(last.Errors) != 1 || last.Errors[0].Message != "pid 4242 left" {
		t.Errorf("incomplete target: %+v", last)
	}
}

// TestAuditTable: grouped by target, worst first, with the counts.
func TestAuditTable(t *testing.T) {
	ref := hostReference(allCaps)
	a := AuditTargets([]AuditTarget{
		{Now: Compare(noLimits(dockerContainer(dockerDefaultCaps(t, "CAP_SYS_ADMIN"))), ref, nil, nil)},
	}, AuditOptions{})
	var buf bytes.Buffer
	if err := WriteAuditTable(&buf, a); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		"CONTAINER SEVERITY RULE SUMMARY",
		"web (docker ce7724981083, pid 4242) critical cap-sys-admin",
		"warn no-memory-limit", "warn no-pids-limit", "info no-new-privs", "info root-without-userns", "info no-cpu-limit",
		"1 target: 1 critical, 2 warn, 3 info",
		"not evaluated (--window 0): cpu-throttled",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, w := range want {
		if got := strings.Join(strings.Fields(lines[i]), " "); !strings.HasPrefix(got, w) {
			t.Errorf("line %d: %q, want it to start %q", i, got, w)
		}
	}
}

// TestRuleCatalogue: every rule has what docs/rules.md prints, and every
// finding id a rule emits is in the catalogue or is an explanation.
func TestRuleCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s twice", r.ID)
		}
		seen[r.ID] = true
		if r.Severity.Rank() < 0 || r.Summary == "" || r.Why == "" || r.Fix.Docker == "" || r.Fix.Kubernetes == "" || r.Fix.Nsinspect == "" || r.References == nil {
			t.Errorf("rule %s incomplete: %+v", r.ID, r)
		}
		for _, ref := range r.References {
			if strings.HasPrefix(ref, "CIS") && !strings.HasPrefix(ref, cisVersion+" ") {
				t.Errorf("rule %s cites an unpinned CIS version: %s", r.ID, ref)
			}
		}
	}
	for _, d := range DangerousCapabilities() {
		if !seen[d.ID()] {
			t.Errorf("capability %s has no rule", d.Name)
		}
	}
}

// TestRulesDocIsCurrent: docs/rules.md is what the catalogue makes.
func TestRulesDocIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteRulesMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("../docs/rules.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Error("docs/rules.md is stale: regenerate it with `go run ./scripts/genrules docs/rules.md`")
	}
	for _, id := range append(slices.Clone(LaunchDefaultRules), DockerDefaultRules...) {
		if r, ok := RuleByID(id); !ok {
			t.Errorf("default set names no rule %s", id)
		} else if r.Severity.Rank() >= Warn.Rank() && slices.Contains(LaunchDefaultRules, id) {
			t.Errorf("nsinspect run's default triggers %s, a %s", id, r.Severity)
		}
	}
}

// TestAuditJUnitDefaultsAndEscaping: without --fail-on a JUnit report
// still fails warn and critical (exit codes are --fail-on's alone); the
// findings of one rule are one failure; a newline a container put in a
// mountpoint cannot forge a line of the report.
func TestAuditJUnitDefaultsAndEscaping(t *testing.T) {
	ref := hostReference(allCaps)
	p := limited(dockerContainer(dockerDefaultCaps(t)))
	p.Rootfs.Notable = []facts.NotableMount{
		{Kind: "host-sensitive", Mountpoint: "/a\nfix (docker): nothing to do", HostPath: "/etc", Line: "51 40 254:1 /etc /a\\012fix rw - ext4 /dev/vda1 rw"},
		{Kind: "host-sensitive", Mountpoint: "/b", HostPath: "/etc", ReadOnly: true, Line: "52 40 254:1 /etc /b ro - ext4 /dev/vda1 rw"},
	}
	a := AuditTargets([]AuditTarget{{Now: Compare(p, ref, nil, nil)}}, AuditOptions{})
	if a.Failed() {
		t.Error("Failed() without --fail-on")
	}
	var buf bytes.Buffer
	if err := WriteAuditJUnit(&buf, a); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure []struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Suites[0].Cases {
		if c.Name != "host-sensitive" {
			if len(c.Failure) > 0 {
				t.Errorf("%s failed: %+v", c.Name, c.Failure)
			}
			continue
		}
		if len(c.Failure) != 1 || c.Failure[0].Type != "critical" || !strings.HasSuffix(c.Failure[0].Message, "(and 1 more)") {
			t.Fatalf("host-sensitive: %+v, want one critical failure for both findings", c.Failure)
		}
		for _, line := range strings.Split(c.Failure[0].Text, "\n") {
			if strings.HasPrefix(line, "fix (docker): nothing") {
				t.Errorf("a container's newline forged a line: %q", c.Failure[0].Text)
			}
		}
	}
}
