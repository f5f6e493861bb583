package inspect

import (
	"bytes"
	"strings"
)

// Evidence is where a fact came from: the file an operator can cat, and the
// raw text it held (trimmed, and for long files only the line that mattered).
type Evidence struct {
	File string `json:"file"`
	Raw  string `json:"raw,omitempty"`
}

// Sources maps a JSON field name of a fact ("limitBytes") to its evidence.
type Sources map[string]Evidence

func (s *Sources) add(field, file, raw string) {
	if *s == nil {
		*s = Sources{}
	}
	(*s)[field] = Evidence{File: file, Raw: raw}
}

// readTrim reads a small kernel file and returns its content without the
// trailing newline.
func readTrim(path string) (string, error) {
	b, err := readFile(path)
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(b, "\n")), nil
}

// firstLine is the first line of s, for evidence of multi-line files.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
