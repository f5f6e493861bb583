package launch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// LogOptions bound a detached container's log, as the max-size and
// max-file options of Docker's json-file driver do: the supervisor writes
// it outside the container's memory cgroup and on the host's /run, so an
// unbounded log is a way for a container to fill the host's memory.
type LogOptions struct {
	MaxSize  int64 `json:"maxSize"`  // bytes per file
	MaxFiles int   `json:"maxFiles"` // container.log plus MaxFiles-1 rotated ones
}

// DefaultLogOptions keeps at most 30 MiB: 10 MiB × 3 files.
var DefaultLogOptions = LogOptions{MaxSize: 10 << 20, MaxFiles: 3}

// ParseLogOpt applies one --log-opt KEY=VALUE (max-size=10m, max-file=3).
func (o *LogOptions) ParseLogOpt(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	switch {
	case !ok:
		return fmt.Errorf("invalid --log-opt %q: want max-size=SIZE or max-file=N", kv)
	case k == "max-size":
		n, err := ParseBytes(v)
		if err != nil || n < 1<<10 {
			return fmt.Errorf("invalid --log-opt %q: want a size of at least 1k, such as 10m", kv)
		}
		o.MaxSize = n
	case k == "max-file":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return fmt.Errorf("invalid --log-opt %q: want a number of files from 1 to 100", kv)
		}
		o.MaxFiles = n
	default:
		return fmt.Errorf("invalid --log-opt %q: only max-size and max-file are known", kv)
	}
	return nil
}

// rotatingLog is an io.Writer that keeps the log within its options: when
// container.log would grow past MaxSize it becomes container.log.1, the
// older ones shift up, and the oldest beyond MaxFiles is removed.
type rotatingLog struct {
	mu   sync.Mutex
	path string
	opt  LogOptions
	f    *os.File
	size int64
}

func openLog(path string, opt LogOptions) (*rotatingLog, error) {
	if opt.MaxSize <= 0 || opt.MaxFiles < 1 {
		opt = DefaultLogOptions
	}
	l := &rotatingLog{path: path, opt: opt}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *rotatingLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	l.f, l.size = f, st.Size()
	return nil
}

func (l *rotatingLog) rotate() error {
	l.f.Close()
	os.Remove(l.rotated(l.opt.MaxFiles - 1))
	for i := l.opt.MaxFiles - 2; i >= 1; i-- {
		os.Rename(l.rotated(i), l.rotated(i+1))
	}
	if l.opt.MaxFiles > 1 {
		os.Rename(l.path, l.rotated(1))
	} else {
		os.Remove(l.path)
	}
	return l.open()
}

// rotated is the name of the i-th older file (container.log.1, ...).
func (l *rotatingLog) rotated(i int) string { return l.path + "." + strconv.Itoa(i) }

func (l *rotatingLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	written := 0
	for len(p) > 0 {
		if l.size >= l.opt.MaxSize {
			if err := l.rotate(); err != nil {
				return written, err
			}
		}
		chunk := p[:min(int64(len(p)), l.opt.MaxSize-l.size)]
		// Rotate at a line's end where there is one, so every file starts
		// with a whole line (only a line longer than MaxSize is split).
		if len(chunk) < len(p) {
			if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
				chunk = chunk[:i+1]
			} else if l.size > 0 {
				l.size = l.opt.MaxSize
				continue
			}
		}
		n, err := l.f.Write(chunk)
		written += n
		l.size += int64(n)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (l *rotatingLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// The log holds one JSON object a line, as Docker's json-file driver
// writes it: {"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}.
// log is the line with its newline (none on a piece of a longer line, or
// on what the stream held when it ended); time is when the line was
// complete. A line that is not valid UTF-8 also carries its exact bytes
// in raw (base64), since JSON strings can only hold it with U+FFFD in
// place of the invalid bytes; logs prints raw when it is there.
type logRecord struct {
	Log    string `json:"log"`
	Stream string `json:"stream"`
	Time   string `json:"time"`
	Raw    []byte `json:"raw,omitempty"`
}

// Streams of a record.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
)

// maxLine is the longest piece of a line one record holds, as Docker's
// copier cuts at 16 KiB. It is smaller for a small max-size, so that a
// record always fits in one file: every byte takes at most 8 in the
// record (\ufffd in log plus its base64 in raw), and the rest of a record
// takes under 100.
func (l *rotatingLog) maxLine() int {
	return max(1, min(16<<10, int(l.opt.MaxSize-100)/8))
}

// logStream is one output stream of a container written into its log: it
// cuts what arrives into lines and writes each as a record. It is not
// safe for concurrent use; each stream has its own, and the log they
// share is.
type logStream struct {
	log  *rotatingLog
	name string
	held []byte // the start of a line whose end has not arrived
	now  func() time.Time
}

func (l *rotatingLog) stream(name string) *logStream {
	return &logStream{log: l, name: name, now: time.Now}
}

func (s *logStream) Write(p []byte) (int, error) {
	s.held = append(s.held, p...)
	limit := s.log.maxLine()
	start := 0
	for start < len(s.held) {
		rest := s.held[start:]
		n := bytes.IndexByte(rest, '\n') + 1
		if n == 0 || n > limit {
			if len(rest) < limit {
				break // wait for the line's end
			}
			n = cutAt(rest, limit)
		}
		if err := s.record(rest[:n]); err != nil {
			s.held = s.held[:0]
			return len(p), err
		}
		start += n
	}
	s.held = append(s.held[:0], s.held[start:]...)
	return len(p), nil
}

// cutAt is where to cut b, longer than limit, into a first piece: at
// limit, or a little before it where a UTF-8 sequence would be split.
func cutAt(b []byte, limit int) int {
	if len(b) <= limit {
		return len(b)
	}
	for i := limit; i > limit-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return limit
}

// Flush writes the line the stream ended in without a newline, if any.
func (s *logStream) Flush() error {
	if len(s.held) == 0 {
		return nil
	}
	err := s.record(s.held)
	s.held = s.held[:0]
	return err
}

func (s *logStream) record(line []byte) error {
	rec := logRecord{Log: string(line), Stream: s.name, Time: s.now().UTC().Format(time.RFC3339Nano)}
	if !utf8.Valid(line) {
		rec.Raw = line
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return err
	}
	// One Write a record: the rotating log cuts only at line ends, and a
	// record is never longer than a file (maxLine), so it is never split.
	_, err := s.log.Write(b.Bytes())
	return err
}

// logReader turns the lines of one log file back into the container's
// streams, handing each line to a logPrinter. A file from before the
// records (raw output) prints as it is: a file is records when its first
// line is one.
type logReader struct {
	p      *logPrinter
	format int // logUnknown until the first line is read
	held   []byte
}

const (
	logUnknown = iota
	logRecords
	logRaw
)

func newLogReader(p *logPrinter) *logReader { return &logReader{p: p} }

// Write takes the next bytes of the file and prints every line they end.
func (r *logReader) Write(p []byte) (int, error) {
	r.held = append(r.held, p...)
	start := 0
	for {
		i := bytes.IndexByte(r.held[start:], '\n')
		if i < 0 {
			break
		}
		if err := r.line(r.held[start : start+i+1]); err != nil {
			return len(p), err
		}
		start += i + 1
	}
	r.held = append(r.held[:0], r.held[start:]...)
	return len(p), nil
}

// end prints what the file ended in after its last newline.
func (r *logReader) end() error {
	if len(r.held) == 0 {
		return nil
	}
	err := r.line(r.held)
	r.held = r.held[:0]
	return err
}

func (r *logReader) line(b []byte) error {
	var rec logRecord
	ok := false
	if r.format != logRaw {
		ok = decodeRecord(b, &rec)
		if r.format == logUnknown {
			r.format = logRaw
			if ok {
				r.format = logRecords
			}
		}
	}
	if !ok {
		// b is part of held, which the next Write overwrites.
		return r.p.print(logEntry{data: bytes.Clone(b)})
	}
	data := rec.Raw
	if data == nil {
		data = []byte(rec.Log)
	}
	at, _ := time.Parse(time.RFC3339Nano, rec.Time) // decodeRecord checked it
	return r.p.print(logEntry{stderr: rec.Stream == StreamStderr, data: data, at: at})
}

// LogsOptions choose what of a log WriteLogs prints, as docker logs' flags
// do.
type LogsOptions struct {
	// Follow keeps printing what arrives until the container and its
	// supervisor are gone (-f).
	Follow bool
	// Tail is how many of the last lines already in the log to print
	// (--tail N), or -1 for all of them. A line longer than a record
	// holds (16 KiB) counts once per record, as in Docker.
	Tail int
	// Since leaves out the lines written before it (--since); the zero
	// time leaves out nothing. A line of a log from before the records
	// has no time, and is left out by any Since.
	Since time.Time
	// Timestamps puts the time each line was written before it (-t), in
	// UTC with nanoseconds of fixed width, as docker logs -t.
	Timestamps bool
}

// timestampFormat is RFC 3339 with all nine digits of the fraction kept, so
// that the timestamps of docker logs -t line up: Docker's RFC3339NanoFixed.
const timestampFormat = "2006-01-02T15:04:05.000000000Z07:00"

// logEntry is one line of the log (or one record's piece of a long line),
// back in its stream; at is the zero time for a line of a raw log.
type logEntry struct {
	stderr bool
	data   []byte
	at     time.Time
}

// logPrinter prints the entries of a log as LogsOptions choose. For
// --tail it first holds the last Tail entries of what the log already
// has, and prints them when the end is reached (flushTail).
type logPrinter struct {
	out, err io.Writer
	opt      LogsOptions
	tail     []logEntry // a ring of the last entries, while tailing
	next     int        // where the ring's next entry goes
	tailing  bool
	midLine  [2]bool // the last piece printed on stdout, stderr ended no line
}

func newLogPrinter(out, errw io.Writer, opt LogsOptions) *logPrinter {
	p := &logPrinter{out: out, err: errw, opt: opt, tailing: opt.Tail >= 0}
	if p.tailing {
		p.tail = make([]logEntry, 0, min(opt.Tail, 4096))
	}
	return p
}

func (p *logPrinter) print(e logEntry) error {
	if !p.opt.Since.IsZero() && (e.at.IsZero() || e.at.Before(p.opt.Since)) {
		return nil
	}
	if !p.tailing {
		return p.write(e)
	}
	switch {
	case p.opt.Tail == 0:
	case len(p.tail) < p.opt.Tail:
		p.tail = append(p.tail, e)
	default:
		p.tail[p.next] = e
		p.next = (p.next + 1) % p.opt.Tail
	}
	return nil
}

// flushTail prints the entries the ring holds, oldest first; from then on
// entries are printed as they come.
func (p *logPrinter) flushTail() error {
	if !p.tailing {
		return nil
	}
	p.tailing = false
	for i := range p.tail {
		if err := p.write(p.tail[(p.next+i)%len(p.tail)]); err != nil {
			return err
		}
	}
	p.tail = nil
	return nil
}

func (p *logPrinter) write(e logEntry) error {
	w, s := p.out, 0
	if e.stderr {
		w, s = p.err, 1
	}
	// The time goes before a line, not before each piece of one cut into
	// several records.
	if p.opt.Timestamps && !e.at.IsZero() && !p.midLine[s] {
		if _, err := io.WriteString(w, e.at.UTC().Format(timestampFormat)+" "); err != nil {
			return err
		}
	}
	p.midLine[s] = len(e.data) > 0 && e.data[len(e.data)-1] != '\n'
	_, err := w.Write(e.data)
	return err
}

// decodeRecord reports whether b is a whole record of a known stream.
func decodeRecord(b []byte, rec *logRecord) bool {
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, rec) != nil {
		return false
	}
	if rec.Stream != StreamStdout && rec.Stream != StreamStderr {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, rec.Time)
	return err == nil
}

// logFiles are the container's log files that exist, oldest first.
func (st *State) logFiles() []string {
	var out []string
	for i := 100; i >= 1; i-- {
		p := st.LogFile() + "." + strconv.Itoa(i)
		if _, err := os.Stat(p); err == nil {
			out = append(out, p)
		}
	}
	return append(out, st.LogFile())
}

// ErrNoLog is returned by CopyLogs for a container that keeps no log
// (only detached containers do).
var ErrNoLog = errors.New("no log: only detached containers keep one")

// CopyLogs writes a detached container's log, oldest first: what it wrote
// to stdout to out, to stderr to errw. With follow it keeps writing what
// arrives, following rotation, until the container and its supervisor
// are gone.
func CopyLogs(st *State, out, errw io.Writer, follow bool) error {
	return WriteLogs(st, out, errw, LogsOptions{Follow: follow, Tail: -1})
}

// WriteLogs writes a detached container's log as CopyLogs does, with the
// lines opt chooses.
func WriteLogs(st *State, out, errw io.Writer, opt LogsOptions) error {
	p := newLogPrinter(out, errw, opt)
	files := st.logFiles()
	for _, path := range files[:len(files)-1] {
		if err := copyFile(newLogReader(p), path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	f, err := os.Open(st.LogFile())
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("container %s: %w", st.Name, ErrNoLog)
	}
	if err != nil {
		return err
	}
	defer func() { f.Close() }()
	r := newLogReader(p)
	for {
		if _, err := io.Copy(r, f); err != nil {
			return err
		}
		if !opt.Follow {
			if err := r.end(); err != nil {
				return err
			}
			return p.flushTail()
		}
		// What the log held when it was first read to its end is what
		// --tail chooses from; a line still being written is not in it.
		if err := p.flushTail(); err != nil {
			return err
		}
		if !st.Alive() && !st.SupervisorAlive() {
			if _, err := io.Copy(r, f); err != nil { // what was written at the very end
				return err
			}
			return r.end()
		}
		// Rotated: container.log is a new file; what the old one still
		// held was copied above.
		if cur, err := os.Stat(st.LogFile()); err == nil {
			if old, err := f.Stat(); err == nil && !os.SameFile(cur, old) {
				if nf, err := os.Open(st.LogFile()); err == nil {
					io.Copy(r, f) // written between our last read and the rename
					r.end()
					f.Close()
					f, r = nf, newLogReader(p)
					continue
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// copyFile prints one whole (rotated) log file.
func copyFile(r *logReader, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err = io.Copy(r, f); err != nil {
		return err
	}
	return r.end()
}
