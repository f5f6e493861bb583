package report

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

// The attack that was reproduced: OSC 0 retitles the terminal, CSI 2J
// clears it.
const evil = "evil\x1b]0;PWNED\x07\x1b[2Jx"

func TestEscape(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, lines string // lines: EscapeLines' result, when it differs
	}{
		{name: "plain ASCII", in: "sleep 120 --flag=a,b", want: "sleep 120 --flag=a,b"},
		{name: "empty", in: "", want: ""},
		{name: "OSC title and CSI clear", in: evil, want: `evil\x1b]0;PWNED\x07\x1b[2Jx`},
		{name: "BEL", in: "a\ab", want: `a\x07b`},
		{name: "NUL and DEL", in: "\x00\x7f", want: `\x00\x7f`},
		{name: "newline, return, tab", in: "a\nb\rc\td", want: `a\nb\rc\td`, lines: "a\nb\\rc\td"},
		{name: "C1 CSI as U+009B", in: "x\u009b2J", want: `x\u009b2J`},
		{name: "C1 NEL", in: "a\u0085b", want: `a\u0085b`},
		{name: "lone 0x9b byte is invalid UTF-8", in: "x\x9b2J", want: `x\x9b2J`},
		{name: "invalid UTF-8", in: "ok\xff\xfe", want: `ok\xff\xfe`},
		{name: "truncated sequence", in: "\xe6\x97", want: `\xe6\x97`},
		{name: "bidi override (Trojan source)", in: "admin\u202etxt.exe", want: `admin\u202etxt.exe`},
		{name: "every bidi control", in: "\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069",
			want: `\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069`},
		{name: "backslash untouched (systemd escapes)", in: `machine-qemu\x2d1.scope`, want: `machine-qemu\x2d1.scope`},
		{name: "printable Unicode untouched", in: "日本語-build ü U+FFFD:\uFFFD", want: "日本語-build ü U+FFFD:\uFFFD"},
		{name: "non-breaking space is text", in: "a\u00a0b", want: "a\u00a0b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Escape(tc.in); got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
			lines := tc.lines
			if lines == "" {
				lines = tc.want
			}
			if got := EscapeLines(tc.in); got != lines {
				t.Errorf("EscapeLines(%q) = %q, want %q", tc.in, got, lines)
			}
		})
	}
}

// Nothing to escape: the very same string, no copy — Escape runs on every
// cell of ps and stats.
func TestEscapeFastPathDoesNotAllocate(t *testing.T) {
	in := strings.Repeat("nginx: worker process 日本 ", 4)
	if got := Escape(in); unsafe.StringData(got) != unsafe.StringData(in) {
		t.Error("Escape copied a string with nothing to escape")
	}
	withLayout := in + "\n\t"
	if n := testing.AllocsPerRun(100, func() { Escape(in); EscapeLines(withLayout) }); n != 0 {
		t.Errorf("Escape allocates %v times for clean input, want 0", n)
	}
}

// Escaping twice changes nothing: output holds no control characters,
// and a backslash is left alone.
func TestEscapeIdempotent(t *testing.T) {
	for _, s := range []string{evil, "a\u202eb\xff\n", `\x1b`} {
		if once := Escape(s); Escape(once) != once {
			t.Errorf("Escape(Escape(%q)) = %q, want %q", s, Escape(once), once)
		}
	}
}

func TestEscapeWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"lines and tabs kept", []string{"a\tb\n", "c\n"}, "a\tb\nc\n"},
		{"ESC and BEL", []string{evil + "\n"}, `evil\x1b]0;PWNED\x07\x1b[2Jx` + "\n"},
		{"carriage return", []string{"50%\r100%\n"}, `50%\r100%` + "\n"},
		{"UTF-8 split across writes", []string{"日本\xe8", "\xaa\x9e\n"}, "日本語\n"},
		{"split one byte at a time", []string{"\xe8", "\xaa", "\x9e"}, "語"},
		{"bidi override split", []string{"a\xe2\x80", "\xaeb"}, `a\u202eb`},
		{"C1 CSI split", []string{"\xc2", "\x9b2J"}, `\u009b2J`},
		{"an ESC right after a held start", []string{"\xe8", "\x1b"}, `\xe8\x1b`},
		{"invalid byte", []string{"a\xffb"}, `a\xffb`},
		{"stream ends mid-sequence", []string{"ok\xe8\xaa"}, `ok\xe8\xaa`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := NewEscapeWriter(&b)
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				if err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Errorf("wrote %q, want %q", b.String(), tc.want)
			}
		})
	}
}

func BenchmarkEscapeClean(b *testing.B) {
	s := "/kubepods.slice/kubepods-burstable.slice/cri-containerd-0123456789abcdef.scope"
	for b.Loop() {
		Escape(s)
	}
}
