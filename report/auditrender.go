package report

import (
	"encoding/xml"
	"fmt"
	"io"
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
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failures  []junitResult `xml:"failure,omitempty"`
	Errors    []junitResult `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteAuditJUnit writes one testsuite per target and one testcase per
// rule evaluated, in the catalogue's order: a finding at or above
// --fail-on is a failure, one below it is told in system-out, and a
// target that could not be read in full has an error case.
func WriteAuditJUnit(w io.Writer, a Audit) error {
	doc := junitSuites{Name: "nsinspect audit"}
	for _, t := range a.Targets {
		s := junitSuite{Name: xmlText(t.Label())}
		for _, r := range t.Evaluated {
			c := junitCase{Name: r.ID, ClassName: "nsinspect.audit." + r.Family}
			for _, f := range t.Findings {
				if f.Rule != r.ID {
					continue
				}
				text := xmlText(f.Summary + "\n" + evidenceText(f) + "fix (docker): " + f.Fix.Docker + "\nfix (kubernetes): " + f.Fix.Kubernetes + "\nfix (nsinspect): " + f.Fix.Nsinspect)
				if a.Options.FailOn != "" && f.Severity.Rank() >= a.Options.FailOn.Rank() {
					c.Failures = append(c.Failures, junitResult{Message: xmlText(f.Summary), Type: string(f.Severity), Text: text})
				} else {
					c.SystemOut += "[" + string(f.Severity) + "] " + text + "\n"
				}
			}
			if len(c.Failures) > 0 {
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		if t.Err != nil {
			s.Cases = append(s.Cases, junitCase{Name: "evaluated", ClassName: "nsinspect.audit",
				Errors: []junitResult{{Message: xmlText(t.Err.Error()), Type: "incomplete"}}})
			s.Errors++
		}
		s.Tests = len(s.Cases)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
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

func evidenceText(f AuditFinding) string {
	var b strings.Builder
	for _, e := range f.Evidence {
		fmt.Fprintf(&b, "evidence: %s: %s\n", e.File, e.Raw)
	}
	return b.String()
}

// xmlText is s as XML 1.0 may hold it: the container chooses names,
// commands and paths, and a control character other than tab and
// newline makes the document invalid (encoding/xml writes it as
// U+FFFD, or as a character reference no parser accepts). They are
// escaped as the table escapes them.
func xmlText(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		nl := strings.HasSuffix(line, "\n")
		b.WriteString(Escape(strings.TrimSuffix(line, "\n")))
		if nl {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
