package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteAuditTable prints the findings grouped by target, worst first,
// and a last line that counts them.
func WriteAuditTable(w io.Writer, a Audit) error {
	header := []string{"CONTAINER", "SEVERITY", "RULE", "SUMMARY"}
	var rows [][]string
	counts := map[Severity]int{}
	for _, t := range a.Targets {
		label := Escape(t.Label())
		if len(t.Findings) == 0 {
			what := "no findings"
			if t.Err != nil {
				what = "no findings in what could be read"
			}
			rows = append(rows, []string{label, "-", "-", what})
		}
		for i, f := range t.Findings {
			cell := label
			if i > 0 {
				cell = ""
			}
			rows = append(rows, []string{cell, string(f.Severity), f.Rule, Escape(f.Summary)})
			counts[f.Severity]++
		}
	}
	if len(rows) > 0 {
		if err := renderRows(w, header, rows); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%s: %d critical, %d warn, %d info\n",
		plural(len(a.Targets), "target", "targets"), counts[Critical], counts[Warn], counts[Info])
	if err == nil && len(a.Skipped) > 0 {
		_, err = fmt.Fprintf(w, "not evaluated (--window 0): %s\n", strings.Join(a.Skipped, ", "))
	}
	return err
}

// JUnit XML as CI systems read it (the Ant/Surefire schema that Jenkins,
// GitLab and GitHub's test reporters take).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	Failure   *junitResult  `xml:"failure,omitempty"`
	Error     *junitResult  `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnitFailOn is the severity at which a finding fails its testcase when
// --fail-on is not given: a JUnit report is read by people looking for red,
// and a critical finding shown as a passing test would be a gate that
// passes silently. The exit status still follows --fail-on alone.
const JUnitFailOn = Warn

// WriteAuditJUnit writes one testsuite per target and one testcase per
// rule evaluated, in the catalogue's order: a rule with findings at or
// above --fail-on (JUnitFailOn without it) fails, all its findings in one
// failure; findings below it are told in system-out; a rule --window 0
// left out is skipped; a target that could not be read in full has an
// error case.
func WriteAuditJUnit(w io.Writer, a Audit) error {
	failOn := a.Options.FailOn
	if failOn == "" {
		failOn = JUnitFailOn
	}
	doc := junitSuites{Name: "nsinspect audit"}
	for _, t := range a.Targets {
		s := junitSuite{Name: Escape(t.Label())}
		for _, r := range t.Evaluated {
			c := junitCase{Name: r.ID, ClassName: "nsinspect.audit." + r.Family}
			var failed, below []string
			worst := Severity("")
			for _, f := range t.Findings {
				if f.Rule != r.ID {
					continue
				}
				text := findingText(f)
				if f.Severity.Rank() >= failOn.Rank() {
					failed = append(failed, text)
					if f.Severity.Rank() > worst.Rank() {
						worst = f.Severity
					}
				} else {
					below = append(below, text)
				}
			}
			if len(failed) > 0 {
				msg := Escape(t.Findings[slices.IndexFunc(t.Findings, func(f AuditFinding) bool { return f.Rule == r.ID && f.Severity == worst })].Summary)
				if len(failed) > 1 {
					msg += fmt.Sprintf(" (and %d more)", len(failed)-1)
				}
				c.Failure = &junitResult{Message: msg, Type: string(worst), Text: strings.Join(failed, "\n")}
				s.Failures++
			}
			c.SystemOut = strings.Join(below, "\n")
			s.Cases = append(s.Cases, c)
		}
		if t.Evaluated != nil {
			for _, id := range a.Skipped {
				r, _ := RuleByID(id)
				s.Cases = append(s.Cases, junitCase{Name: id, ClassName: "nsinspect.audit." + r.Family,
					Skipped: &junitSkipped{Message: "--window 0: a rate rule needs a sampling window"}})
				s.Skipped++
			}
		}
		if t.Err != nil {
			s.Cases = append(s.Cases, junitCase{Name: "evaluated", ClassName: "nsinspect.audit",
				Error: &junitResult{Message: Escape(t.Err.Error()), Type: "incomplete"}})
			s.Errors++
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// findingText is a finding as a JUnit report tells it. Every piece that
// holds what a container chose is escaped on its own (Escape: control
// characters, newlines included), and only nsinspect's own layout is a
// real newline, so a container cannot forge a "fix:" line, nor put a
// character XML 1.0 cannot hold in the document.
func findingText(f AuditFinding) string {
	lines := []string{"[" + string(f.Severity) + "] " + Escape(f.Summary)}
	for _, e := range f.Evidence {
		lines = append(lines, "evidence: "+Escape(e.File)+": "+Escape(oneLine(e.Raw)))
	}
	lines = append(lines, "fix (docker): "+f.Fix.Docker, "fix (kubernetes): "+f.Fix.Kubernetes, "fix (nsinspect): "+f.Fix.Nsinspect)
	return strings.Join(lines, "\n")
}
