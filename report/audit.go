package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// AuditTarget is one container or process to judge: its inspection now
// and, when audit sampled a window, the one taken Window earlier. Err
// says why it could not be judged in full (it left, a section was
// unreadable); what could be read is judged anyway.
type AuditTarget struct {
	Ref    string // what the user named, or the container's id
	Now    *Inspection
	Before *Inspection
	Window time.Duration
	// Others are the container's other processes whose privileges or
	// view differ from its init's: judged too, since the container
	// controls its init (it can chroot, enter a user namespace of its own
	// or drop its capabilities while a sibling keeps them).
	Others []*Inspection
	Err    error
}

// AuditOptions choose the rules and the gate.
type AuditOptions struct {
	FailOn Severity // "" fails on nothing
	Rules  []string // only these rule ids (none: all)
	Skip   []string // not these
	// Window is the sampling window; 0 skips the rules that need one.
	Window time.Duration
}

// AuditFinding is one line of audit --json: a finding of a rule on one
// container, with the rule's fix and references.
type AuditFinding struct {
	ContainerID string           `json:"containerId"`
	Name        string           `json:"name"`
	Runtime     string           `json:"runtime"`
	PID         int              `json:"pid"`
	Rule        string           `json:"rule"`
	Severity    Severity         `json:"severity"`
	Summary     string           `json:"summary"`
	Detail      string           `json:"detail"`
	Evidence    []facts.Evidence `json:"evidence"`
	Fix         Fix              `json:"fix"`
	References  []string         `json:"references"`
}

// AuditedTarget is one target's verdicts: which rules were evaluated,
// what they found, and what kept it from being judged in full.
type AuditedTarget struct {
	Ref         string
	ContainerID string
	Name        string
	Runtime     string
	PID         int
	Evaluated   []Rule
	Findings    []AuditFinding
	Err         error
}

// Audit is the judgement of every target.
type Audit struct {
	Targets []AuditedTarget
	Options AuditOptions
	// Skipped are the window rules --window 0 left out.
	Skipped []string
}

// CheckRuleIDs checks --rule and --skip ids against the catalogue.
func CheckRuleIDs(ids []string) error {
	for _, id := range ids {
		if _, ok := RuleByID(id); !ok {
			return fmt.Errorf("unknown rule %q: see docs/rules.md; the ids are %s", id, ruleIDs())
		}
	}
	return nil
}

// selected is the catalogue as opt narrows it, and the window rules it
// had to leave out.
func (opt AuditOptions) selected() (rules []Rule, skipped []string) {
	for _, r := range catalogue {
		if (len(opt.Rules) > 0 && !slices.Contains(opt.Rules, r.ID)) || slices.Contains(opt.Skip, r.ID) {
			continue
		}
		if r.Window && opt.Window <= 0 {
			skipped = append(skipped, r.ID)
			continue
		}
		rules = append(rules, r)
	}
	return rules, skipped
}

// AuditTargets judges every target by the rules opt selects.
func AuditTargets(targets []AuditTarget, opt AuditOptions) Audit {
	rules, skipped := opt.selected()
	a := Audit{Options: opt, Skipped: skipped}
	for _, t := range targets {
		a.Targets = append(a.Targets, auditOne(t, rules))
	}
	return a
}

func auditOne(t AuditTarget, rules []Rule) AuditedTarget {
	out := AuditedTarget{Evaluated: rules, Err: t.Err, Findings: []AuditFinding{}, Ref: t.Ref}
	in := t.Now
	if in == nil {
		out.Evaluated = nil
		return out
	}
	out.PID = in.PID
	if rt := in.Runtime; rt != nil {
		out.ContainerID, out.Name, out.Runtime = rt.ContainerID, rt.ContainerName, rt.Name
	}
	// Compare judged each inspection already; only the rate rules need the
	// window, so the init is judged again when there is one.
	all := slices.Clone(in.Findings)
	if t.Before != nil {
		in.window = &window{before: t.Before, length: t.Window}
		all = findings(in)
		in.window = nil
	}
	for _, o := range t.Others {
		// Each member's verdicts; what a member says that the init
		// already said (same rule, same words) once.
		for _, f := range o.Findings {
			if !slices.ContainsFunc(all, func(g Finding) bool { return g.ID == f.ID && g.Summary == f.Summary && g.Severity == f.Severity }) {
				if o.Process != nil && f.Severity.Rank() > Info.Rank() {
					f.Summary += fmt.Sprintf(" (pid %d, %s, not the init)", o.PID, o.Process.Comm)
				}
				all = append(all, f)
			}
		}
	}
	for _, f := range all {
		i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == f.ID })
		if i < 0 || f.pass {
			continue
		}
		r := rules[i]
		out.Findings = append(out.Findings, AuditFinding{
			ContainerID: out.ContainerID, Name: out.Name, Runtime: out.Runtime, PID: out.PID,
			Rule: f.ID, Severity: f.Severity, Summary: f.Summary, Detail: f.Detail, Evidence: f.Evidence,
			Fix: r.Fix, References: slices.Clone(r.References),
		})
	}
	// Worst first, then in the catalogue's order.
	order := func(id string) int { return slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id }) }
	slices.SortStableFunc(out.Findings, func(a, b AuditFinding) int {
		return cmp.Or(cmp.Compare(b.Severity.Rank(), a.Severity.Rank()), cmp.Compare(order(a.Rule), order(b.Rule)))
	})
	if out.Err == nil {
		var parts []string
		for _, e := range in.Errors {
			// The kernel section (release, UTS names) feeds no rule.
			if e.Section != "kernel" {
				parts = append(parts, e.Section+": "+e.Err)
			}
		}
		if len(parts) > 0 {
			out.Err = fmt.Errorf("not all of it could be read (%s)", strings.Join(parts, "; "))
		}
	}
	return out
}

// Findings is every finding of every target, in order: audit --json.
func (a Audit) Findings() []AuditFinding {
	out := []AuditFinding{}
	for _, t := range a.Targets {
		out = append(out, t.Findings...)
	}
	return out
}

// Failed reports whether a finding is at or above --fail-on.
func (a Audit) Failed() bool {
	if a.Options.FailOn == "" {
		return false
	}
	for _, f := range a.Findings() {
		if f.Severity.Rank() >= a.Options.FailOn.Rank() {
			return true
		}
	}
	return false
}

// Incomplete is the targets that could not be judged in full.
func (a Audit) Incomplete() []AuditedTarget {
	var out []AuditedTarget
	for _, t := range a.Targets {
		if t.Err != nil {
			out = append(out, t)
		}
	}
	return out
}

// Label names a target for people: "web (docker 3f2a1b9c0d1e, pid 1234)".
func (t AuditedTarget) Label() string {
	id := short(t.ContainerID)
	name := t.Name
	switch {
	case t.PID == 0:
		return t.Ref
	case name == "" && id == "":
		return fmt.Sprintf("pid %d", t.PID)
	case name == "":
		name = id
	case id != "":
		return fmt.Sprintf("%s (%s %s, pid %d)", name, t.Runtime, id, t.PID)
	}
	return fmt.Sprintf("%s (%s, pid %d)", name, t.Runtime, t.PID)
}

// AuditFormat is what audit offers -o and --format: its table, JSON,
// JUnit XML, or a template over each finding ({{.Rule}} {{.Severity}}).
var AuditFormat = FormatSpec{Command: "audit", Row: AuditFinding{}, Extra: []string{"junit"}}
