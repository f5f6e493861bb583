package inspect

import (
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hostile is a fake container root next to a file of the "host" (another
// temp dir the test owns), for the attacks a container can stage in its
// own tree.
type hostile struct {
	root       string // the container's root
	hostSecret string // absolute path of a host file outside the root
}

func newHostile(t *testing.T) hostile {
	t.Helper()
	h := hostile{root: t.TempDir(), hostSecret: filepath.Join(t.TempDir(), "secret")}
	if err := os.WriteFile(h.hostSecret, []byte("name=hostleak\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(h.root, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

// inRoot is path p as the container's root has it.
func (h hostile) inRoot(p string) string { return filepath.Join(h.root, p) }

func (h hostile) write(t *testing.T, p, content string) {
	t.Helper()
	full := h.inRoot(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (h hostile) symlink(t *testing.T, p, target string) {
	t.Helper()
	if err := os.Symlink(target, h.inRoot(p)); err != nil {
		t.Fatal(err)
	}
}

func (h hostile) mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(h.inRoot(p), 0o644); err != nil {
		t.Fatal(err)
	}
}

// promptly runs f and fails the test if it has not returned after 10s: a
// guard against a read that blocks, far above any deadline under test.
func promptly(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("did not return within 10s: the read blocks")
	}
}

func TestReadInStaysInRoot(t *testing.T) {
	const marker = "run/.containerenv"
	tests := []struct {
		name    string
		setup   func(t *testing.T, h hostile)
		want    string // content; "" when an error is expected
		wantErr error  // errors.Is target
		errText string // substring of the error
	}{
		{"regular file", func(t *testing.T, h hostile) { h.write(t, marker, "name=web\n") }, "name=web\n", nil, ""},
		{"absolute symlink to a host file: resolved inside the root, where it is missing",
			func(t *testing.T, h hostile) { h.symlink(t, marker, h.hostSecret) },
			"", fs.ErrNotExist, "no such file"},
		{"absolute symlink to a host file: the root's own file of that name",
			func(t *testing.T, h hostile) {
				h.symlink(t, marker, h.hostSecret)
				h.write(t, h.hostSecret, "name=inroot\n")
			}, "name=inroot\n", nil, ""},
		{"symlink to /etc/hostname: the root's /etc/hostname",
			func(t *testing.T, h hostile) {
				h.symlink(t, marker, "/etc/hostname")
				h.write(t, "etc/hostname", "box\n")
			}, "box\n", nil, ""},
		{"relative symlink climbing out with ..",
			func(t *testing.T, h hostile) {
				rel, err := filepath.Rel(h.inRoot("run"), h.hostSecret)
				if err != nil || !strings.HasPrefix(rel, "../..") {
					t.Fatalf("relative path %q (%v) does not climb out of the root", rel, err)
				}
				h.symlink(t, marker, rel)
			}, "", fs.ErrNotExist, ""},
		{"directory symlink to / in the middle of the path",
			func(t *testing.T, h hostile) {
				if err := os.Remove(h.inRoot("run")); err != nil {
					t.Fatal(err)
				}
				h.symlink(t, "run", "/")
				h.write(t, ".containerenv", "name=top\n")
			}, "name=top\n", nil, ""},
		{"fifo", func(t *testing.T, h hostile) { h.mkfifo(t, marker) }, "", ErrNotRegular, "/run/.containerenv: not a regular file (fifo)"},
		{"directory", func(t *testing.T, h hostile) {
			if err := os.Mkdir(h.inRoot(marker), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "", ErrNotRegular, "not a regular file (directory)"},
		{"socket", func(t *testing.T, h hostile) {
			l, err := net.Listen("unix", h.inRoot(marker))
			if err != nil {
				t.Skipf("unix socket at %s: %v", h.inRoot(marker), err)
			}
			t.Cleanup(func() { l.Close() })
		}, "", ErrNotRegular, "not a regular file (socket)"},
		{"symlink loop", func(t *testing.T, h hostile) { h.symlink(t, marker, "/run/.containerenv") }, "", syscall.ELOOP, ""},
		{"exactly the bound", func(t *testing.T, h hostile) { h.write(t, marker, strings.Repeat("x", markerLimit)) }, strings.Repeat("x", markerLimit), nil, ""},
		{"one byte over the bound", func(t *testing.T, h hostile) { h.write(t, marker, strings.Repeat("x", markerLimit+1)) }, "", ErrTooLarge, "larger than nsinspect reads (over 64 KiB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t)
			tt.setup(t, h)
			fsys := NewFS(t.TempDir(), t.TempDir())
			var b []byte
			var err error
			promptly(t, func() { b, err = fsys.readIn(markerLimit, h.root, marker) })
			if bytes.Contains(b, []byte("hostleak")) {
				t.Fatalf("read the host's file through the container's root: %q", b)
			}
			if tt.wantErr == nil {
				if err != nil || string(b) != tt.want {
					t.Fatalf("readIn = %.40q, %v; want %.40q", b, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || b != nil {
				t.Fatalf("readIn = %.40q, %v; want an error that is %v", b, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.errText) || !strings.HasPrefix(err.Error(), h.root+"/"+marker+":") {
				t.Errorf("error %q, want it to start with the path and contain %q", err, tt.errText)
			}
		})
	}
}

// Resolution never follows a magic link: /proc/self/root would lead from
// any tree straight to the reader's root.
func TestReadInRefusesMagicLinks(t *testing.T) {
	h := newHostile(t)
	fsys := NewFS(t.TempDir(), t.TempDir())
	self := filepath.Join(DefaultProcRoot, "self")
	b, err := fsys.readIn(markerLimit, self, "root"+h.hostSecret)
	if !errors.Is(err, syscall.ELOOP) || b != nil {
		t.Fatalf("readIn(/proc/self, root%s) = %q, %v; want ELOOP", h.hostSecret, b, err)
	}
	if ok, err := fsys.existsIn(self, "root"+h.hostSecret); ok || !errors.Is(err, syscall.ELOOP) {
		t.Errorf("existsIn through /proc/self/root = %v, %v; want false, ELOOP", ok, err)
	}
}

// A device node is refused without being opened for reading (/dev/null
// stands in for one a container made with CAP_MKNOD).
func TestReadInRefusesDevices(t *testing.T) {
	fsys := NewFS(t.TempDir(), t.TempDir())
	b, err := fsys.readIn(markerLimit, "/dev", "null")
	if !errors.Is(err, ErrNotRegular) || !strings.HasSuffix(err.Error(), "/dev/null: not a regular file (character device)") || b != nil {
		t.Fatalf("readIn(/dev, null) = %q, %v; want not a regular file (character device)", b, err)
	}
}

// The user's home is resolved inside the host's root, the store inside
// the home: a symlink in the home leads nowhere else.
func TestReadInChain(t *testing.T) {
	host := t.TempDir()
	outside := filepath.Join(t.TempDir(), "store.json")
	for p, c := range map[string]string{
		"home/alice/.local/share/f": "alice's",
		outside:                     "not alice's",
	} {
		if !filepath.IsAbs(p) {
			p = filepath.Join(host, p)
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(host, "home/alice/.local/share/g")); err != nil {
		t.Fatal(err)
	}
	// A home that is an absolute link resolves in the host's root too.
	if err := os.Symlink("/home/alice", filepath.Join(host, "home/al")); err != nil {
		t.Fatal(err)
	}
	fsys := NewFS(t.TempDir(), t.TempDir())
	for _, tt := range []struct {
		home, rel, want string
		wantErr         error
	}{
		{"/home/alice", ".local/share/f", "alice's", nil},
		{"/home/al", ".local/share/f", "alice's", nil},
		{"/home/alice", ".local/share/g", "", fs.ErrNotExist},
		{"/home/alice", "../../" + outside, "", fs.ErrNotExist},
		{"/home/alice/.local/share/f", "x", "", syscall.ENOTDIR},
	} {
		b, err := fsys.readIn(storeLimit, host, tt.home, tt.rel)
		if string(b) != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("readIn(%s, %s) = %q, %v; want %q, %v", tt.home, tt.rel, b, err, tt.want, tt.wantErr)
		}
		if path := host + tt.home + "/" + tt.rel + ":"; err != nil && !strings.HasPrefix(err.Error(), path) {
			t.Errorf("error %q, want it to start with %s", err, path)
		}
	}
}

func TestExistsIn(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, h hostile)
		want  bool
	}{
		{"empty file", func(t *testing.T, h hostile) { h.write(t, ".dockerenv", "") }, true},
		{"missing", func(t *testing.T, h hostile) {}, false},
		{"absolute symlink to a host file", func(t *testing.T, h hostile) { h.symlink(t, ".dockerenv", h.hostSecret) }, false},
		{"fifo: exists, and is not opened", func(t *testing.T, h hostile) { h.mkfifo(t, ".dockerenv") }, true},
		{"path through a file", func(t *testing.T, h hostile) { h.write(t, "run", "") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHostile(t)
			os.Remove(h.inRoot("run"))
			tt.setup(t, h)
			fsys := NewFS(t.TempDir(), t.TempDir())
			rel := ".dockerenv"
			if tt.name == "path through a file" {
				rel = "run/.dockerenv"
			}
			var ok bool
			var err error
			promptly(t, func() { ok, err = fsys.existsIn(h.root, rel) })
			if ok != tt.want || err != nil {
				t.Errorf("existsIn = %v, %v; want %v, nil", ok, err, tt.want)
			}
		})
	}
}

// The deadline, with a stall standing in for a FUSE file whose daemon
// never answers: the read times out, later reads of the same path fail at
// once without a new goroutine, other paths are unaffected, and once the
// stuck read returns the path is read again.
func TestReadDeadline(t *testing.T) {
	h := newHostile(t)
	h.write(t, "run/.containerenv", "name=web\n")
	h.write(t, "other", "x")
	proc := t.TempDir()
	fsys := NewFS(proc, t.TempDir())
	environ := filepath.Join(proc, "42", "environ")
	os.MkdirAll(filepath.Dir(environ), 0o755)
	os.WriteFile(environ, []byte("container=podman\x00"), 0o644)

	for _, tc := range []struct {
		name string
		path string
		read func() error
	}{
		{"readIn", h.root + "/run/.containerenv", func() error { _, err := fsys.readIn(markerLimit, h.root, "run/.containerenv"); return err }},
		{"existsIn", h.root + "/run/.containerenv", func() error { _, err := fsys.existsIn(h.root, "run/.containerenv"); return err }},
		{"readSlow", environ, func() error { _, err := fsys.readSlow(environ); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var stalls atomic.Int32
			fsys.hangs.timeout = 20 * time.Millisecond
			fsys.hangs.stall = func(p string) {
				if p == tc.path {
					stalls.Add(1)
					<-release
				}
			}
			released := false
			t.Cleanup(func() {
				if !released {
					close(release)
				}
				fsys.hangs.stall = nil
			})

			err := tc.read()
			if !errors.Is(err, ErrTimedOut) || err.Error() != tc.path+": timed out after 20ms (FUSE?)" {
				t.Fatalf("stalled read: %v, want %s: timed out after 20ms (FUSE?)", err, tc.path)
			}
			for range 3 {
				err = tc.read()
				if !errors.Is(err, ErrTimedOut) || !strings.Contains(err.Error(), "that read still hangs; not retried until it returns") {
					t.Fatalf("read while the first hangs: %v, want a fast failure naming the hung read", err)
				}
			}
			if n := stalls.Load(); n != 1 {
				t.Errorf("%d reads reached the file, want 1: later ones must fail fast", n)
			}
			// A generous deadline for the healthy read: 20 ms is no
			// bound on a loaded or emulated machine (a VM guest).
			fsys.hangs.timeout = 10 * time.Second
			if _, err := fsys.readIn(markerLimit, h.root, "other"); err != nil {
				t.Errorf("another path while one hangs: %v", err)
			}

			close(release)
			released = true
			waitFor := time.Now().Add(10 * time.Second)
			for {
				fsys.hangs.mu.Lock()
				_, stuck := fsys.hangs.stuck[tc.path]
				fsys.hangs.mu.Unlock()
				if !stuck {
					break
				}
				if time.Now().After(waitFor) {
					t.Fatal("the released read is still remembered as hung")
				}
				time.Sleep(time.Millisecond)
			}
			if err := tc.read(); err != nil {
				t.Errorf("read after the hung one returned: %v", err)
			}
		})
	}
}

// A read that returns just as its deadline fires is not remembered as hung.
func TestReadDeadlineRace(t *testing.T) {
	h := newHostile(t)
	h.write(t, "f", "x")
	fsys := NewFS(t.TempDir(), t.TempDir())
	fsys.hangs.timeout = time.Millisecond
	fsys.hangs.stall = func(string) { time.Sleep(time.Millisecond) }
	for range 200 {
		fsys.readIn(markerLimit, h.root, "f")
	}
	fsys.hangs.stall = nil
	deadline := time.Now().Add(10 * time.Second)
	for {
		fsys.hangs.mu.Lock()
		n := len(fsys.hangs.stuck)
		fsys.hangs.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d reads remembered as hung after all returned", n)
		}
		time.Sleep(time.Millisecond)
	}
	fsys.hangs.timeout = readTimeout
	if b, err := fsys.readIn(markerLimit, h.root, "f"); err != nil || string(b) != "x" {
		t.Errorf("readIn = %q, %v; want x", b, err)
	}
}

// The cost of the confined read and of the deadline, next to a plain read
// of the same file: BenchmarkReadIn against BenchmarkReadPlain, and
// BenchmarkReadSlow against BenchmarkReadFile on /proc/self/cmdline.
func BenchmarkReadIn(b *testing.B) {
	root := b.TempDir()
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	os.WriteFile(filepath.Join(root, "run/.containerenv"), []byte("name=web\n"), 0o644)
	fsys := NewFS(b.TempDir(), b.TempDir())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fsys.readIn(markerLimit, root, "run/.containerenv"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadPlain(b *testing.B) {
	root := b.TempDir()
	os.MkdirAll(filepath.Join(root, "run"), 0o755)
	os.WriteFile(filepath.Join(root, "run/.containerenv"), []byte("name=web\n"), 0o644)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := os.ReadFile(filepath.Join(root, "run/.containerenv")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadSlow(b *testing.B) {
	fsys := NewFS("", "")
	p := fsys.self("cmdline")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fsys.readSlow(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadFile(b *testing.B) {
	p := NewFS("", "").self("cmdline")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readFile(p); err != nil {
			b.Fatal(err)
		}
	}
}
