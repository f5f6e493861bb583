package launch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// logState is a container state under a temporary StateRoot, for log
// tests.
func logState(t *testing.T) *State {
	t.Helper()
	old := StateRoot
	StateRoot = t.TempDir()
	t.Cleanup(func() { StateRoot = old })
	st := &State{ID: strings.Repeat("b", 64), Name: "logtest"}
	if err := os.MkdirAll(st.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	return st
}

// readRecords decodes every line of a log file, failing on one that is not
// a record.
func readRecords(t *testing.T, path string) []logRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []logRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r logRecord
		if !decodeRecord(append(sc.Bytes(), '\n'), &r) {
			t.Fatalf("%s: line %q is not a record", path, sc.Text())
		}
		recs = append(recs, r)
	}
	return recs
}

// Each line is stored as Docker's json-file driver stores it, with its
// stream and time, and logs gives stdout lines to stdout and stderr lines
// to stderr, byte for byte.
func TestLogRecordsKeepStreamsApart(t *testing.T) {
	st := logState(t)
	l, err := openLog(st.LogFile(), DefaultLogOptions)
	if err != nil {
		t.Fatal(err)
	}
	out, errs := l.stream(StreamStdout), l.stream(StreamStderr)
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	out.now, errs.now = func() time.Time { return at }, func() time.Time { return at }
	out.Write([]byte("one\ntw"))
	errs.Write([]byte("oops\n"))
	out.Write([]byte("o\n<&>\t\x1b[31mred\n"))
	errs.Write([]byte("\xff\xfe not utf-8\n"))
	out.Write([]byte("no newline at the end"))
	out.Flush()
	errs.Flush()
	l.Close()

	b, _ := os.ReadFile(st.LogFile())
	lines := strings.SplitAfter(string(b), "\n")
	wantFirst := `{"log":"one\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}` + "\n"
	if lines[0] != wantFirst {
		t.Errorf("first line %q, want %q", lines[0], wantFirst)
	}
	var got []string
	for _, r := range readRecords(t, st.LogFile()) {
		got = append(got, r.Stream+" "+r.Log)
	}
	want := []string{"stdout one\n", "stderr oops\n", "stdout two\n", "stdout <&>\t\x1b[31mred\n", "stderr \ufffd\ufffd not utf-8\n", "stdout no newline at the end"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("records %q, want %q", got, want)
	}
	var o, e bytes.Buffer
	if err := CopyLogs(st, &o, &e, false); err != nil {
		t.Fatal(err)
	}
	if want := "one\ntwo\n<&>\t\x1b[31mred\nno newline at the end"; o.String() != want {
		t.Errorf("stdout %q, want %q", o.String(), want)
	}
	if want := "oops\n\xff\xfe not utf-8\n"; e.String() != want {
		t.Errorf("stderr %q, want %q (the exact bytes)", e.String(), want)
	}
}

// Rotation still keeps every file within max-size, now cut at record
// ends: a line longer than a file is stored in pieces, each a whole
// record, and logs joins them back.
func TestLogRecordsRotate(t *testing.T) {
	st := logState(t)
	opt := LogOptions{MaxSize: 1 << 10, MaxFiles: 3}
	l, err := openLog(st.LogFile(), opt)
	if err != nil {
		t.Fatal(err)
	}
	out := l.stream(StreamStdout)
	var want strings.Builder
	for i := range 40 {
		line := strings.Repeat(string(rune('a'+i%26)), 30) + "\n"
		out.Write([]byte(line))
		want.WriteString(line)
	}
	long := strings.Repeat("\x01é", 100) + "\n" // 301 bytes, in 3 records: 6 bytes in one for each \x01
	out.Write([]byte(long))
	l.Close()
	names, _ := filepath.Glob(st.LogFile() + "*")
	if len(names) != 3 {
		t.Fatalf("log files %v, want 3", names)
	}
	for _, n := range names {
		if fi, _ := os.Stat(n); fi.Size() > opt.MaxSize {
			t.Errorf("%s has %d bytes, want at most %d", n, fi.Size(), opt.MaxSize)
		}
		readRecords(t, n) // every line a whole record
	}
	var o, e bytes.Buffer
	if err := CopyLogs(st, &o, &e, false); err != nil {
		t.Fatal(err)
	}
	// The oldest lines were rotated away; the long one is there whole.
	if !strings.HasSuffix(o.String(), long) || e.Len() != 0 {
		t.Errorf("logs end %q (stderr %q), want the long line whole", o.String()[max(0, o.Len()-40):], e.String())
	}
}

// A log written before the records (raw output) prints as it is, even
// where a line of it looks like a record.
func TestLogOldFormatPrints(t *testing.T) {
	st := logState(t)
	old := "plain line\n" + `{"log":"x\n","stream":"stderr","time":"2026-01-02T03:04:05Z"}` + "\nlast"
	if err := os.WriteFile(st.LogFile(), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if err := CopyLogs(st, &o, &e, false); err != nil {
		t.Fatal(err)
	}
	if o.String() != old || e.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want the file as it is on stdout", o.String(), e.String())
	}
}

// What goes through a stream comes back from the log byte for byte, however
// it was cut into writes and whatever the file bound.
func FuzzLogRoundTrip(f *testing.F) {
	f.Add([]byte("hello\nworld\n"), uint16(3), uint16(1024))
	f.Add([]byte("\xff\xfe\x00\n\x1b[2J"), uint16(1), uint16(1500))
	f.Add([]byte(strings.Repeat("é", 3000)), uint16(1000), uint16(2048))
	f.Add([]byte(`{"log":"x\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}`+"\n"), uint16(0), uint16(4096))
	f.Fuzz(func(t *testing.T, data []byte, cut, size uint16) {
		if len(data) > 8<<10 { // 100 files of at least 1 KiB hold it all
			return
		}
		st := logState(t)
		l, err := openLog(st.LogFile(), LogOptions{MaxSize: 1<<10 + int64(size), MaxFiles: 100})
		if err != nil {
			t.Fatal(err)
		}
		s := l.stream(StreamStderr)
		c := min(int(cut), len(data))
		s.Write(data[:c])
		s.Write(data[c:])
		s.Flush()
		l.Close()
		var o, e bytes.Buffer
		if err := CopyLogs(st, &o, &e, false); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Bytes(), data) || o.Len() != 0 {
			t.Errorf("read back %q (stdout %q), wrote %q", e.Bytes(), o.Bytes(), data)
		}
		names, _ := filepath.Glob(st.LogFile() + "*")
		for _, n := range names {
			if fi, _ := os.Stat(n); fi.Size() > l.opt.MaxSize {
				t.Errorf("%s has %d bytes, more than max-size %d", n, fi.Size(), l.opt.MaxSize)
			}
			b, _ := os.ReadFile(n)
			for line := range bytes.Lines(b) {
				var rec logRecord
				if !decodeRecord(line, &rec) || !json.Valid(line) {
					t.Errorf("line %q is not a record", line)
				}
			}
		}
	})
}

// The reader takes any bytes without failing.
func FuzzLogReader(f *testing.F) {
	f.Add([]byte(`{"log":"a\n","stream":"stdout","time":"2026-01-02T03:04:05Z"}` + "\n{bad\n"))
	f.Add([]byte("raw\n{\"log\":1}\n"))
	f.Add([]byte(`{"log":"","stream":"stderr","time":"x","raw":"//8="}` + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var o, e bytes.Buffer
		r := newLogReader(&o, &e)
		r.Write(b)
		r.end()
		if r.format == logRaw && (!bytes.Equal(o.Bytes(), b) || e.Len() != 0) {
			t.Errorf("raw file %q printed as %q / %q", b, o.Bytes(), e.Bytes())
		}
	})
}
