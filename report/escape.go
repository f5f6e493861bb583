package report

import (
	"io"
	"unicode/utf8"
)

// What a container or another user names — its command line, hostname,
// cgroup path, mount points — is printed on the operator's terminal. A
// control character there is an instruction to the terminal, not text:
// OSC retitles the window, CSI moves the cursor and rewrites what the
// table and findings said (the class of kubectl's CVE-2021-25743), and
// bidi overrides reorder what is shown ("Trojan source"). So every such
// string is escaped when it is rendered; JSON is left raw, because
// encoding/json escapes C0 controls by construction and scripts want the
// real value.

const hexDigits = "0123456789abcdef"

// Escape returns s with every character a terminal would act on written
// out as text: C0 controls as \n, \r, \t or \xNN, DEL as \x7f, C1 controls
// as \u0085, invalid UTF-8 bytes as \xNN, and the bidi controls U+200E,
// U+200F, U+202A–U+202E and U+2066–U+2069 as \u202e. A backslash is left
// alone, so systemd's own escapes (machine-qemu\x2d1.scope) read as the
// kernel spells them; the cost is that a literal "\x1b" and an escaped
// ESC look the same, which is harmless on a terminal. s comes back
// unchanged, without allocating, when nothing needs escaping.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape for text whose newlines and tabs are the
// operator's own layout — a template's output, a multi-line error, a
// container's log — so \n and \t pass through and everything else Escape
// rewrites is still rewritten, \r included (it could overwrite a line).
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, layout bool) string {
	i := firstEscape(s, layout)
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	return string(appendEscaped(append(b, s[:i]...), s[i:], layout))
}

// firstEscape is the index of the first character of s that must be
// escaped, or -1.
func firstEscape(s string, layout bool) int {
	for i := 0; i < len(s); {
		if c := s[i]; c >= ' ' && c < 0x7f {
			i++ // the common case: printable ASCII
			continue
		}
		_, size, bad := needsEscape(s[i:], layout)
		if bad {
			return i
		}
		i += size
	}
	return -1
}

// needsEscape decodes the character at the start of s and reports whether
// it must be escaped.
func needsEscape(s string, layout bool) (r rune, size int, bad bool) {
	r, size = utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size <= 1:
		return r, size, true // an invalid byte
	case r == '\n' || r == '\t':
		return r, size, !layout
	case r < ' ' || r == 0x7f:
		return r, size, true
	case r >= 0x80 && r <= 0x9f:
		return r, size, true // C1: 0x9b is a one-character CSI on some terminals
	case r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return r, size, true
	}
	return r, size, false
}

// appendEscaped appends s to b, escaped.
func appendEscaped(b []byte, s string, layout bool) []byte {
	for i := 0; i < len(s); {
		r, size, bad := needsEscape(s[i:], layout)
		switch {
		case !bad:
			b = append(b, s[i:i+size]...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == utf8.RuneError || r < 0x80:
			// an invalid byte, a C0 control or DEL: the byte itself
			b = append(b, '\\', 'x', hexDigits[s[i]>>4], hexDigits[s[i]&0xf])
		default:
			b = append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		}
		i += size
	}
	return b
}

// EscapeWriter applies EscapeLines to a byte stream, such as a container's
// output followed by nsinspect logs. A UTF-8 sequence split across two
// Writes is held back until its end arrives, so it is neither torn into
// \xNN escapes nor let through unchecked; Flush writes out what is held
// back when the stream ends (an incomplete sequence, as \xNN).
type EscapeWriter struct {
	w    io.Writer
	held []byte // the start of a UTF-8 sequence the last Write ended in
	buf  []byte
}

// NewEscapeWriter returns an EscapeWriter writing to w.
func NewEscapeWriter(w io.Writer) *EscapeWriter { return &EscapeWriter{w: w} }

// Write escapes p and writes it through. It reports all of p as written
// when the underlying write succeeds, including bytes it holds back.
func (e *EscapeWriter) Write(p []byte) (int, error) {
	data := p
	if len(e.held) > 0 {
		data = append(e.held, p...)
		e.held = nil
	}
	// Hold back a trailing sequence that is a valid start but incomplete:
	// at most utf8.UTFMax-1 bytes, from the last byte that begins one.
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-(utf8.UTFMax-1); i-- {
		if utf8.RuneStart(data[i]) {
			if data[i] >= utf8.RuneSelf && !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	e.held = append([]byte(nil), data[cut:]...)
	e.buf = appendEscaped(e.buf[:0], string(data[:cut]), true)
	if _, err := e.w.Write(e.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes out a sequence held back by the last Write, escaped: the
// stream ended in the middle of it.
func (e *EscapeWriter) Flush() error {
	if len(e.held) == 0 {
		return nil
	}
	b := appendEscaped(nil, string(e.held), true)
	e.held = nil
	_, err := e.w.Write(b)
	return err
}
