package inspect

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestHostSocketsUnderBinds: -v /var/run:/var/run names no socket, but
// hands over the host's /run/docker.sock and containerd's. They are found
// on the host's side of the bind (through the host's root, from the host's
// mount table), by their directory entries: a symlinked directory is not
// followed, a FIFO with a socket's name is not a socket, and nothing
// deeper than socketDepth is looked at.
func TestHostSocketsUnderBinds(t *testing.T) {
	proc := filepath.Join(t.TempDir(), "proc")
	host := filepath.Join(proc, "1", "root")
	mk := func(dirs ...string) {
		for _, d := range dirs {
			if err := os.MkdirAll(filepath.Join(host, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("run/containerd", "run/user/1000/podman", "run/a/b/c/d", "srv/data", "elsewhere")
	listen := func(rel string) {
		l, err := net.Listen("unix", filepath.Join(host, rel))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
	listen("run/docker.sock")
	listen("run/containerd/containerd.sock")
	listen("run/user/1000/podman/podman.sock") // depth 4: found
	listen("run/a/b/c/d/crio.sock")            // depth 5: beyond the bound
	listen("elsewhere/crio.sock")
	if err := os.Symlink("../elsewhere", filepath.Join(host, "run/linked")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(host, "srv/data/kubelet.sock"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(rel, s string) {
		if err := os.WriteFile(filepath.Join(proc, rel), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("1/mountinfo", "1 0 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"+
		"25 1 0:25 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,mode=755\n")
	containerMounts := "600 500 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l\n" +
		"601 600 0:25 / /var/run rw,nosuid,nodev master:5 - tmpfs tmpfs rw,mode=755\n" +
		"602 600 254:1 /srv /data rw,relatime master:1 - ext4 /dev/vda1 rw\n"
	table, err := parseMountinfo([]byte(containerMounts))
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewFS(proc, filepath.Join(proc, "cgroup")).hostSockets(table)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // mountpoint in the container: host path
		"/var/run/docker.sock":                  "/run/docker.sock",
		"/var/run/containerd/containerd.sock":   "/run/containerd/containerd.sock",
		"/var/run/user/1000/podman/podman.sock": "/run/user/1000/podman/podman.sock",
	}
	line := "601 600 0:25 / /var/run rw,nosuid,nodev master:5 - tmpfs tmpfs rw,mode=755"
	for _, n := range got {
		hp, ok := want[n.Mountpoint]
		if !ok || n.HostPath != hp || n.Kind != "runtime-socket" || n.Line != line {
			t.Errorf("unexpected %+v", n)
			continue
		}
		delete(want, n.Mountpoint)
	}
	for mp, hp := range want {
		t.Errorf("missing %s (host %s) in %+v", mp, hp, got)
	}
}
