package inspect

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestZombieNamespacesUnknown: a zombie has released its mount namespace.
// That is not a mount namespace of its own: the process must not be called
// isolated ("unknown" runtime), and the entry says why it is unreadable.
func TestZombieNamespacesUnknown(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Not waited for: it stays a zombie until the Wait in Cleanup.
	t.Cleanup(func() { cmd.Wait() })
	pid := cmd.Process.Pid
	zombie := false
	for i := 0; i < 400 && !zombie; i++ {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		zombie = strings.Contains(string(b), ") Z ")
		time.Sleep(5 * time.Millisecond)
	}
	if !zombie {
		t.Fatalf("pid %d did not become a zombie in 2s", pid)
	}
	p, err := NewFS(DefaultProcRoot, DefaultCgroupRoot).Inspect(pid, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mnt, ok := FindNamespace(p.Namespaces, NSMount)
	if !ok || mnt.Inode != 0 || mnt.Error == "" {
		t.Fatalf("zombie's mnt namespace = %+v, want inode 0 with an error", mnt)
	}
	if pidNS, ok := FindNamespace(p.Namespaces, NSPID); !ok || pidNS.Inode == 0 {
		t.Errorf("zombie's pid namespace = %+v: a zombie keeps it", pidNS)
	}
	if p.Runtime != nil {
		t.Errorf("runtime = %+v, want none claimed (nil): its namespaces could not be read", *p.Runtime)
	}
	var why string
	for _, e := range p.Errors {
		if e.Section == "runtime" {
			why = e.Err
		}
	}
	if !strings.Contains(why, "could not be read") {
		t.Errorf("runtime error = %q, want why it is unknown", why)
	}
}

// TestNamespacesUnlistable: when a process's ns directory cannot be listed
// (another user's, without ptrace access), each type the kernel has is
// still listed, unreadable, so that none passes for shared or own.
func TestNamespacesUnlistable(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(root+"/100/ns", 0o755))
	must(os.Symlink("net:[4026531840]", root+"/100/ns/net"))
	must(os.Symlink("pid:[4026531836]", root+"/100/ns/pid"))
	must(os.Symlink("100", root+"/self"))
	must(os.MkdirAll(root+"/200", 0o755))
	must(os.WriteFile(root+"/200/ns", nil, 0o644)) // not a directory: listing fails
	got, err := NewFS(root, root+"/cgroup").Namespaces(200)
	if err == nil || !strings.Contains(err.Error(), "listing "+root+"/200/ns") {
		t.Errorf("err = %v, want the listing's failure", err)
	}
	if len(got) != 2 || got[0].Type != NSNet || got[1].Type != NSPID {
		t.Fatalf("namespaces = %+v, want net and pid, the reader's types", got)
	}
	for _, n := range got {
		if n.Inode != 0 || n.Error == "" || n.File != root+"/200/ns/"+string(n.Type) {
			t.Errorf("%s = %+v, want inode 0, an error and its file", n.Type, n)
		}
	}
}

// TestSamplerNetworkUnknown: a network namespace that cannot be compared
// with the host's (no host namespaces read, as for a non-root reader whose
// reference is unreadable) may be the host's: its bytes are unknown, never
// the host's counters shown as the container's.
func TestSamplerNetworkUnknown(t *testing.T) {
	proc, cg := nodeRoots(t, "node-v2")
	fsys := NewFS(proc, cg)
	host, err := fsys.Namespaces(1)
	if err != nil {
		t.Fatal(err)
	}
	noNet := []Namespace{}
	for _, n := range host {
		if n.Type != NSNet {
			noNet = append(noNet, n)
		}
	}
	for _, tc := range []struct {
		name, container string
		host            []Namespace
		hostNet         bool
		rx              string
	}{
		{"own namespace, compared", "web", host, false, "1450000"},
		{"host network, compared", "build-01", host, true, "nil"},
		{"host network, host unread", "build-01", nil, false, "nil"},
		{"host network, host's net unread", "build-01", noNet, false, "nil"},
		{"own namespace, host unread", "web", nil, false, "nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := containerNamed(t, fsys, tc.container)
			s := fsys.NewSampler()
			defer s.Close()
			s.HostNamespaces = tc.host
			u, err := s.Sample(&c)
			if err != nil {
				t.Fatal(err)
			}
			if u.HostNetwork != tc.hostNet || showU64(u.NetRx) != tc.rx || (tc.rx == "nil") != (u.NetTx == nil) {
				t.Errorf("HostNetwork %v NetRx %s NetTx %s, want %v %s", u.HostNetwork, showU64(u.NetRx), showU64(u.NetTx), tc.hostNet, tc.rx)
			}
		})
	}
}
