package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"
)

// templateFuncs are the helpers docker's --format offers, plus nsinspect's
// unit formatters. They see the escaped copy a template runs over, so
// {{json .}} inside a template prints escaped strings ("\\x1b"); --json
// is the raw document.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"show":  show,
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"bytes": func(v any) string {
		switch n := v.(type) {
		case *uint64:
			if n == nil {
				return "unlimited"
			}
			return Bytes(*n)
		case uint64:
			return Bytes(n)
		}
		return fmt.Sprint(v)
	},
}

// ParseTemplate compiles a --format template, so a bad one is a usage
// error before anything is read.
func ParseTemplate(text string) (*template.Template, error) {
	t, err := template.New("format").Funcs(templateFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("bad --format template: %w", err)
	}
	return t, nil
}

// WriteTemplate executes t over v and ends the output with a newline, as
// docker does. The template runs over an escaped copy of v (sanitize):
// what a container controls prints with its control characters escaped,
// while the format's own text, tabs and newlines print as written.
func WriteTemplate(w io.Writer, t *template.Template, v any) error {
	var b strings.Builder
	if err := executeTemplate(&b, t, v); err != nil {
		return err
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	_, err := io.WriteString(w, out)
	return err
}

// executeTemplate is the one way report runs a --format template: over
// sanitize(v).
func executeTemplate(w io.Writer, t *template.Template, v any) error {
	if err := t.Execute(w, sanitize(v)); err != nil {
		return fmt.Errorf("executing --format template: %w", err)
	}
	return nil
}
