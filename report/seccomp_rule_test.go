package report

import (
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// seccomp-disabled is critical exactly where an unconfined container can
// raise its own limits: cgroup v1 and hybrid hosts, and v2 hosts whose
// cgroup2 lacks nsdelegate; a user-namespaced container never.
func TestSeccompRuleSeverity(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name       string
		mode       facts.CgroupMode
		nsdelegate *bool
		userns     bool
		seccomp    string
		want       Severity // "" for no finding
	}{
		{"v1", facts.CgroupV1, nil, false, "disabled", Critical},
		{"hybrid", facts.CgroupHybrid, nil, false, "disabled", Critical},
		{"v2 with nsdelegate", facts.CgroupV2, &yes, false, "disabled", Warn},
		{"v2 without nsdelegate", facts.CgroupV2, &no, false, "disabled", Critical},
		{"v2, delegation unknown", facts.CgroupV2, nil, false, "disabled", Warn},
		{"v2 without nsdelegate, user namespace", facts.CgroupV2, &no, true, "disabled", Warn},
		{"v1, user namespace", facts.CgroupV1, nil, true, "disabled", Warn},
		{"filtered", facts.CgroupV2, &no, false, "filter", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &Inspection{
				Runtime:  &facts.Runtime{Name: facts.RuntimeNsinspect},
				Security: &facts.Security{Seccomp: tc.seccomp, UserNamespaced: tc.userns},
				Cgroup:   &facts.Cgroup{Mode: tc.mode, NsDelegate: tc.nsdelegate, File: "/proc/42/cgroup"},
			}
			f := seccompRule(in)
			if tc.want == "" {
				if len(f) != 0 {
					t.Fatalf("findings %+v, want none", f)
				}
				return
			}
			if len(f) != 1 || f[0].ID != "seccomp-disabled" || f[0].Severity != tc.want {
				t.Fatalf("findings %+v, want one seccomp-disabled %s", f, tc.want)
			}
		})
	}
}
