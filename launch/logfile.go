package launch

import (
	"bytes"
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

// CopyLogs writes a detached container's log to w, oldest first. With
// follow it keeps writing what arrives, following rotation, until the
// container and its supervisor are gone.
func CopyLogs(st *State, w io.Writer, follow bool) error {
	files := st.logFiles()
	for _, p := range files[:len(files)-1] {
		if err := copyFile(w, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
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
	for {
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		if !follow {
			return nil
		}
		if !st.Alive() && !st.SupervisorAlive() {
			_, err := io.Copy(w, f) // what was written at the very end
			return err
		}
		// Rotated: container.log is a new file; what the old one still
		// held was copied above.
		if cur, err := os.Stat(st.LogFile()); err == nil {
			if old, err := f.Stat(); err == nil && !os.SameFile(cur, old) {
				if nf, err := os.Open(st.LogFile()); err == nil {
					io.Copy(w, f) // written between our last read and the rename
					f.Close()
					f = nf
					continue
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
