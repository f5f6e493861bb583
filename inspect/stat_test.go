package inspect

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Lines of /proc/<pid>/stat captured on Linux 6.18.
const (
	statCat     = "7003 (cat) R 6901 6901 6140 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 76502 3133440 355 18446744073709551615 94142553071616 94142553091497 140735570717312 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94142553107504 94142553109120 94143536218112 140735570725562 140735570725582 140735570725582 140735570726891 0\n"
	statOddComm = "12794 (my (odd) comm) S 1 12789 6140 0 -1 4194304 100 0 0 0 0 0 0 0 20 0 1 0 94256 2990080 410 18446744073709551615 94589436489728 94589436507657 140723474465984 0 0 0 0 0 0 1 0 0 17 0 0 0 0 0 0 94589436521744 94589436523008 94589951860736 140723474467501 140723474467524 140723474467524 140723474468837 0\n"
	statParens  = "7045 (a) b) c) S 1 7038 6140 0 -1 4194304 127 0 0 0 0 0 0 0 20 0 1 0 76685 2990080 392 18446744073709551615 94169645674496 94169645692425 140734616175008 0 0 0 0 6 0 1 0 0 17 1 0 0 0 0 0 94169645706512 94169645707776 94170533851136 140734616181446 140734616181463 140734616181463 140734616182763 0\n"
	// stat prints the comm unescaped: this one holds a real newline.
	statNewline = "17763 (nl\nx\\y) S 1 17759 6140 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 102434 2990080 394 18446744073709551615 94598508642304 94598508660233 140720473028096 0 0 0 0 0 0 1 0 0 17 1 0 0 0 0 0 94598508674320 94598508675584 94598705307648 140720473029322 140720473029335 140720473029335 140720473030639 0\n"
	// A comm that looks like the fields that follow it.
	statFakeFields = "4242 (x) R 7 7 7) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 123456 0 0\n"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *Stat
	}{
		{"plain", statCat, &Stat{PID: 7003, Comm: "cat", State: "R", PPid: 6901, Flags: 4194304, StartTicks: 76502}},
		{"comm with spaces and parentheses", statOddComm, &Stat{PID: 12794, Comm: "my (odd) comm", State: "S", PPid: 1, Flags: 4194304, StartTicks: 94256}},
		{"comm with unbalanced ')'", statParens, &Stat{PID: 7045, Comm: "a) b) c", State: "S", PPid: 1, Flags: 4194304, StartTicks: 76685}},
		{"comm with a newline", statNewline, &Stat{PID: 17763, Comm: "nl\nx\\y", State: "S", PPid: 1, Flags: 4194304, StartTicks: 102434}},
		{"comm imitating fields", statFakeFields, &Stat{PID: 4242, Comm: "x) R 7 7 7", State: "S", PPid: 1, Flags: 4194560, StartTicks: 123456}},
		{"empty comm", "1 () S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", &Stat{PID: 1, Comm: "", State: "S", PPid: 0, Flags: 4194560, StartTicks: 5}},
		{"zombie", "99 (defunct) Z 1 99 99 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 18446744073709551615 0 0", &Stat{PID: 99, Comm: "defunct", State: "Z", PPid: 1, Flags: 4227084, StartTicks: 18446744073709551615}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.text))
			if err != nil {
				t.Fatalf("parseStat: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseStat = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatErrors(t *testing.T) {
	// the first 21 fields of statCat, one short of starttime
	short := strings.Join(strings.Fields(statCat)[:21], " ")
	tests := []struct {
		name, text, wantErr string
	}{
		{"empty", "", "no (comm)"},
		{"no parentheses", "42 cat S 1", "no (comm)"},
		{"no pid", "(cat) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", "no (comm)"},
		{"')' before '('", "42 )cat( S 1", "no (comm)"},
		{"bad pid", "x42 (cat) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", "pid"},
		{"field 22 missing", short, "want at least 20"},
		{"only comm", "42 (cat)", "want at least 20"},
		{"bad ppid", "42 (cat) S one 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", "ppid"},
		{"negative starttime", "42 (cat) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0 0", "starttime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.text))
			if err == nil {
				t.Fatalf("parseStat = %+v, want error containing %q", got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseStat error %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	for _, s := range []string{statCat, statOddComm, statParens, statNewline, statFakeFields} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseStat(b)
		if ref, rerr := parseStatFields(b); asciiAfterComm(b) && ((rerr == nil) != (err == nil) || err == nil && *ref != *s) {
			t.Fatalf("parseStat %+v, %v; split with bytes.Fields %+v, %v", s, err, ref, rerr)
		}
		if err != nil {
			return
		}
		// The comm lies between the first '(' and the last ')'.
		open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if s.Comm != string(b[open+1:closing]) {
			t.Fatalf("comm %q, want %q", s.Comm, b[open+1:closing])
		}
		if strings.ContainsAny(s.State, " \t\n") || s.State == "" {
			t.Fatalf("state %q", s.State)
		}
	})
}

// parseStatFields is parseStat as it was, splitting every field with
// bytes.Fields: the reference the fuzzer holds the in-place parser to.
func parseStatFields(b []byte) (*Stat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open {
		return nil, fmt.Errorf("no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return nil, err
	}
	rest := bytes.Fields(b[closing+1:])
	if len(rest) < 20 {
		return nil, fmt.Errorf("%d fields", len(rest))
	}
	ppid, err := strconv.Atoi(string(rest[1]))
	if err != nil {
		return nil, err
	}
	flags, err := strconv.ParseUint(string(rest[6]), 10, 64)
	if err != nil {
		return nil, err
	}
	start, err := strconv.ParseUint(string(rest[19]), 10, 64)
	if err != nil {
		return nil, err
	}
	return &Stat{PID: pid, Comm: string(b[open+1 : closing]), State: string(rest[0]), PPid: ppid, Flags: flags, StartTicks: start}, nil
}

// asciiAfterComm: the kernel writes only ASCII after the comm; bytes.Fields
// also splits on Unicode spaces, which the in-place parser need not.
func asciiAfterComm(b []byte) bool {
	closing := bytes.LastIndexByte(b, ')')
	if closing < 0 {
		return true
	}
	for _, c := range b[closing+1:] {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
