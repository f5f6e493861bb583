package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// procEntry writes /proc/<pid>/{stat,status,ns/*} into a fixture tree:
// mnt is the mount namespace's inode (the others are the initial ones).
func procEntry(t *testing.T, root string, pid, ppid int, comm string, flags uint64, uid int, mnt uint64) {
	t.Helper()
	dir := filepath.Join(root, fmt.Sprint(pid))
	if err := os.MkdirAll(filepath.Join(dir, "ns"), 0o755); err != nil {
		t.Fatal(err)
	}
	stat := fmt.Sprintf("%d (%s) S %d %d %d 0 -1 %d 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n", pid, comm, ppid, pid, pid, flags)
	status := fmt.Sprintf("Name:\t%s\nUid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n", comm, uid, uid, uid, uid)
	for name, body := range map[string]string{"stat": stat, "status": status} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for ns, ino := range map[string]uint64{"mnt": mnt, "pid": 4026531836, "net": 4026531840, "ipc": 4026531839, "uts": 4026531838, "user": 4026531837, "cgroup": 4026531835} {
		if err := os.Symlink(fmt.Sprintf("%s:[%d]", ns, ino), filepath.Join(dir, "ns", ns)); err != nil {
			t.Fatal(err)
		}
	}
}

// The stand-in for an unreadable PID 1, for a reader in a container of
// its own that shares the host's pid namespace: the first child of PID 1
// run by root in every namespace of kthreadd, which must be a kernel
// thread; none when the reader is in them itself.
func TestInitialNamespacesProcess(t *testing.T) {
	const host, container = 4026531841, 4026532500
	const kthread = pfKthread | 0x40
	type entry struct {
		pid, ppid int
		comm      string
		flags     uint64
		uid       int
		mnt       uint64
	}
	base := []entry{
		{2, 0, "kthreadd", kthread, 0, host},
		{3, 2, "rcu_gp", kthread, 0, host},
		{40, 1, "exporter", 0x400100, 0, container}, // the reader
	}
	tests := []struct {
		name  string
		procs []entry
		self  int
		want  int
	}{
		{"a host daemon", []entry{{9, 1, "systemd-journal", 0x400100, 0, host}, {12, 1, "sshd", 0x400100, 0, host}}, 40, 9},
		{"not a daemon of another user", []entry{{9, 1, "dbus-daemon", 0x400100, 101, host}, {12, 1, "sshd", 0x400100, 0, host}}, 40, 12},
		{"not a container's process in the host's namespaces", []entry{{8, 50, "sh", 0x400100, 0, host}, {12, 1, "sshd", 0x400100, 0, host}}, 40, 12},
		{"not a daemon in a mount namespace of its own", []entry{{9, 1, "chronyd", 0x400100, 0, container + 1}, {12, 1, "sshd", 0x400100, 0, host}}, 40, 12},
		{"the reader in the host's namespaces itself", []entry{{12, 1, "sshd", 0x400100, 0, host}, {41, 1, "nsinspect", 0x400100, 0, host}}, 41, 0},
		{"no process qualifies", []entry{{8, 50, "sh", 0x400100, 0, host}}, 40, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, e := range append(append([]entry{}, base...), tt.procs...) {
				procEntry(t, root, e.pid, e.ppid, e.comm, e.flags, e.uid, e.mnt)
			}
			pid, _, ok := NewFS(root, t.TempDir()).initialNamespacesProcess(tt.self)
			if pid != tt.want || ok != (tt.want != 0) {
				t.Errorf("initialNamespacesProcess = %d, %v; want %d", pid, ok, tt.want)
			}
		})
	}
	// PID 2 that is no kernel thread (the reader's own pid namespace): none.
	root := t.TempDir()
	procEntry(t, root, 2, 1, "kthreadd", 0x400100, 0, host)
	procEntry(t, root, 9, 1, "sshd", 0x400100, 0, host)
	procEntry(t, root, 40, 1, "exporter", 0x400100, 0, container)
	if pid, _, ok := NewFS(root, t.TempDir()).initialNamespacesProcess(40); ok {
		t.Errorf("a PID 2 without PF_KTHREAD was trusted: chose %d", pid)
	}
}
