package launch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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
		r := newLogReader(newLogPrinter(&o, &e, LogsOptions{Tail: -1}))
		r.Write(b)
		r.end()
		if r.format == logRaw && (!bytes.Equal(o.Bytes(), b) || e.Len() != 0) {
			t.Errorf("raw file %q printed as %q / %q", b, o.Bytes(), e.Bytes())
		}
	})
}

// writeTimedLog writes records to a fresh log of st, one a second from
// 03:04:00: "oN\n" on stdout for even N, "eN\n" on stderr for odd N.
func writeTimedLog(t *testing.T, st *State, n int, opt LogOptions) {
	t.Helper()
	l, err := openLog(st.LogFile(), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out, errs := l.stream(StreamStdout), l.stream(StreamStderr)
	for i := range n {
		at := time.Date(2026, 1, 2, 3, 4, i, 5000, time.UTC)
		s, prefix := out, "o"
		if i%2 == 1 {
			s, prefix = errs, "e"
		}
		s.now = func() time.Time { return at }
		s.Write([]byte(prefix + strconv.Itoa(i) + "\n"))
	}
}

// --tail counts the lines of both streams together, across rotated files;
// --since leaves out what was written before it; -t puts each line's time
// before it, in UTC with nine digits, as docker logs -t.
func TestWriteLogsTailSinceTimestamps(t *testing.T) {
	since := func(s int) time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	for _, tc := range []struct {
		name     string
		opt      LogsOptions
		out, err string
	}{
		{"all", LogsOptions{Tail: -1}, "o0\no2\no4\no6\no8\n", "e1\ne3\ne5\ne7\ne9\n"},
		{"tail 3", LogsOptions{Tail: 3}, "o8\n", "e7\ne9\n"},
		{"tail 1", LogsOptions{Tail: 1}, "", "e9\n"},
		{"tail 0", LogsOptions{Tail: 0}, "", ""},
		{"tail more than there are", LogsOptions{Tail: 50}, "o0\no2\no4\no6\no8\n", "e1\ne3\ne5\ne7\ne9\n"},
		{"since", LogsOptions{Tail: -1, Since: since(6)}, "o6\no8\n", "e7\ne9\n"},
		{"since a time between lines", LogsOptions{Tail: -1, Since: since(5).Add(time.Millisecond)}, "o6\no8\n", "e7\ne9\n"},
		{"since after the last", LogsOptions{Tail: -1, Since: since(10)}, "", ""},
		{"since and tail", LogsOptions{Tail: 3, Since: since(8)}, "o8\n", "e9\n"},
		{"timestamps", LogsOptions{Tail: 2, Timestamps: true}, "2026-01-02T03:04:08.000005000Z o8\n", "2026-01-02T03:04:09.000005000Z e9\n"},
		{"follow of a stopped container", LogsOptions{Tail: 2, Follow: true}, "o8\n", "e9\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := logState(t)
			// Small files: the ten records are spread over rotated ones.
			writeTimedLog(t, st, 10, LogOptions{MaxSize: 200, MaxFiles: 10})
			if files := st.logFiles(); len(files) < 3 {
				t.Fatalf("log files %v: want the records in at least 3", files)
			}
			var o, e bytes.Buffer
			if err := WriteLogs(st, &o, &e, tc.opt); err != nil {
				t.Fatal(err)
			}
			if o.String() != tc.out || e.String() != tc.err {
				t.Errorf("stdout %q, stderr %q; want %q, %q", o.String(), e.String(), tc.out, tc.err)
			}
		})
	}
}

// A line cut into records gets one timestamp, and --tail counts its
// records. A raw log's lines have no time: -t prints them as they are,
// --since leaves them out, --tail counts them.
func TestWriteLogsLongLinesAndRawLogs(t *testing.T) {
	st := logState(t)
	l, err := openLog(st.LogFile(), LogOptions{MaxSize: 1 << 10, MaxFiles: 2})
	if err != nil {
		t.Fatal(err)
	}
	out := l.stream(StreamStdout)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	out.now = func() time.Time { return at }
	long := strings.Repeat("x", 300) + "\n" // three records of at most 115 bytes (maxLine)
	out.Write([]byte("short\n" + long))
	l.Close()
	if n := len(readRecords(t, st.LogFile())); n != 4 {
		t.Fatalf("%d records, want 4", n)
	}
	var o, e bytes.Buffer
	if err := WriteLogs(st, &o, &e, LogsOptions{Tail: -1, Timestamps: true}); err != nil {
		t.Fatal(err)
	}
	ts := "2026-01-02T03:04:05.000000000Z "
	if want := ts + "short\n" + ts + long; o.String() != want {
		t.Errorf("-t printed %q, want %q", o.String(), want)
	}
	o.Reset()
	if err := WriteLogs(st, &o, &e, LogsOptions{Tail: 2}); err != nil {
		t.Fatal(err)
	}
	if want := long[115:]; o.String() != want {
		t.Errorf("--tail 2 printed %q, want the last two records %q", o.String(), want)
	}

	raw := logState(t)
	if err := os.WriteFile(raw.LogFile(), []byte("one\ntwo\nthree"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opt  LogsOptions
		want string
	}{
		{LogsOptions{Tail: -1, Timestamps: true}, "one\ntwo\nthree"},
		{LogsOptions{Tail: 2}, "two\nthree"},
		{LogsOptions{Tail: -1, Since: at}, ""},
	} {
		o.Reset()
		if err := WriteLogs(raw, &o, &e, tc.opt); err != nil {
			t.Fatal(err)
		}
		if o.String() != tc.want || e.Len() != 0 {
			t.Errorf("raw log with %+v: stdout %q, stderr %q; want %q", tc.opt, o.String(), e.String(), tc.want)
		}
	}
}
