package inspect

import (
	"bytes"
	"strings"
)

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
