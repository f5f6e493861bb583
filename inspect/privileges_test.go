package inspect

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRootWouldAdd: root is told nothing; nobody is told, in one line,
// that other users' namespaces are unknown (pid 1's net link needs ptrace
// access). The non-root half runs this test binary again as uid 65534.
func TestRootWouldAdd(t *testing.T) {
	if os.Getenv("NSINSPECT_ROOT_WOULD_ADD") == "1" {
		fmt.Println(NewFS(DefaultProcRoot, DefaultCgroupRoot).RootWouldAdd())
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: compares root's answer with uid 65534's")
	}
	if got := NewFS(DefaultProcRoot, DefaultCgroupRoot).RootWouldAdd(); got != "" {
		t.Errorf("as root: %q, want nothing", got)
	}
	if got := NewFS("../testdata/node-v2/proc", "../testdata/node-v2/sys/fs/cgroup").RootWouldAdd(); got != "" {
		t.Errorf("for a fixture: %q, want nothing", got)
	}
	// a copy of the test binary that uid 65534 may run
	dir, err := os.MkdirTemp("", "nsinspect-rootwouldadd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "inspect.test")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^TestRootWouldAdd$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NSINSPECT_ROOT_WOULD_ADD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("as nobody: %v (%s)", err, out)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	for _, want := range []string{"not running as root", "other users' namespaces", "network bytes", "run as root"} {
		if !strings.Contains(line, want) {
			t.Errorf("as nobody: %q lacks %q", line, want)
		}
	}
}
