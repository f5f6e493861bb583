package inspect

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A Docker socket that accepts and never answers costs one deadline, and
// is not asked again for a while: stats names containers as they appear.
func TestDockerAPIHungSocket(t *testing.T) {
	root, err := os.MkdirTemp("", "nsi-dock-") // a socket path is at most 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	sock := filepath.Join(root, "proc", "1", "root", "var", "run", "docker.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("unix socket at %s: %v", sock, err)
	}
	var accepted atomic.Int32
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c) // held open, never answered
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	fsys := NewFS(filepath.Join(root, "proc"), filepath.Join(root, "cg"))
	id := strings.Repeat("e5", 32)
	promptly(t, func() {
		if n := fsys.dockerAPIName(id); n != "" {
			t.Errorf("name %q from a socket that never answers", n)
		}
	})
	// Past the usual TTL, the hung daemon is still not asked again.
	fsys.docker.mu.Lock()
	fsys.docker.at = time.Now().Add(-2 * dockerAPITTL)
	fsys.docker.mu.Unlock()
	if n := fsys.dockerAPIName(id); n != "" {
		t.Errorf("name %q from a socket that never answers", n)
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1: a hung daemon is not asked again within %v", n, dockerAPIHungTTL)
	}
}
