package report

import (
	"fmt"
	"io"
	"strings"
)

// ExplainOptions tune WriteExplain.
type ExplainOptions struct {
	// MinSeverity leaves out the findings below it ("": none left out).
	MinSeverity Severity
}

// WriteExplain writes one paragraph per finding, each followed by the files
// that back it and what they held, so every claim can be checked with cat.
func WriteExplain(w io.Writer, in *Inspection, opt ExplainOptions) error {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "EXPLAINED — each claim cites the file it came from; check it with cat.")
	shown := in.Findings
	if opt.MinSeverity != "" {
		shown = nil
		for _, f := range in.Findings {
			if f.Severity.Rank() >= opt.MinSeverity.Rank() {
				shown = append(shown, f)
			}
		}
		if left := len(in.Findings) - len(shown); left > 0 {
			fmt.Fprintf(w, "(%s below %s not shown)\n", plural(left, "finding", "findings"), opt.MinSeverity)
		}
	}
	for _, f := range shown {
		writeFinding(w, f)
	}
	return nil
}

// writeFinding is one finding of --explain and explain TOPIC.
func writeFinding(w io.Writer, f Finding) {
	fmt.Fprintln(w)
	// Summaries, details and evidence quote what the container named
	// (hostname, mount points, layers, raw file lines): escaped, and
	// before wrapping, which would otherwise split at a raw newline.
	fmt.Fprintf(w, "[%s] %s: %s\n", f.Severity, f.ID, Escape(f.Summary))
	for _, line := range wrap(Escape(f.Detail), 76) {
		fmt.Fprintf(w, "    %s\n", line)
	}
	for _, e := range f.Evidence {
		if e.Raw != "" {
			fmt.Fprintf(w, "    evidence: %s: %s\n", Escape(e.File), Escape(oneLine(e.Raw)))
		} else {
			fmt.Fprintf(w, "    evidence: %s\n", Escape(e.File))
		}
	}
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\t", " ")
	return strings.ReplaceAll(s, "\n", " | ")
}

// wrap breaks text into lines of at most width runes at spaces.
func wrap(text string, width int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(text) {
		if cur.Len() > 0 && cur.Len()+1+len(word) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
