package inspect

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
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

// bufPool holds read buffers: /proc and cgroup files report size 0, so
// os.ReadFile starts at 512 bytes and grows, costing a read (and for some
// files a regeneration in the kernel) per step.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// readFile reads a kernel file with as few read calls as possible and
// returns a copy of its content.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	n := 0
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
			*bp = buf
		}
		m, err := f.Read(buf[n:])
		n += m
		if err == io.EOF || (err == nil && m == 0) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return bytes.Clone(buf[:n]), nil
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
