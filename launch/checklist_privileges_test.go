package launch_test

// Checklist items 11 to 13 (security-notes.md §9): capabilities,
// no_new_privs, no CAP_SYS_ADMIN, and the host's secrets under the
// default root filesystem.

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// capLines runs `grep -E 'Cap|NoNewPrivs' /proc/self/status` in a
// container with flags and returns the fields by name.
func capLines(t *testing.T, flags ...string) (map[string]string, result) {
	t.Helper()
	args := append(append([]string{"run"}, flags...), "--", "grep", "-E", "Cap|NoNewPrivs", "/proc/self/status")
	r := nsi(t, args...)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		k, v, _ := strings.Cut(line, ":")
		got[k] = strings.TrimSpace(v)
	}
	return got, r
}

func wantCaps(t *testing.T, what string, got map[string]string, set string) {
	t.Helper()
	want := map[string]string{
		"CapInh": "0000000000000000", "CapPrm": set, "CapEff": set, "CapBnd": set,
		"CapAmb": "0000000000000000", "NoNewPrivs": "1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s %q, want %q", what, k, got[k], v)
		}
	}
}

// Checklist 11: bounding = permitted = effective = Docker's 14,
// inheritable and ambient empty, no_new_privs set; --cap-drop ALL
// --cap-add NET_ADMIN leaves exactly CAP_NET_ADMIN (bit 12).
func TestChecklist11Capabilities(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	got, r := capLines(t)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	wantCaps(t, "default", got, dockerCapMask)

	got, r = capLines(t, "--cap-drop", "ALL", "--cap-add", "NET_ADMIN")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	wantCaps(t, "--cap-drop ALL --cap-add NET_ADMIN", got, "0000000000001000")
}

// Checklist 11: --privileged hands on every capability the launcher
// itself holds (here: the test's own bounding set), and says nothing
// failed.
func TestChecklist11Privileged(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	own := statusField(os.Getpid(), "CapBnd")
	got, r := capLines(t, "--privileged")
	if r.code != 0 {
		t.Fatalf("run --privileged: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, k := range []string{"CapPrm", "CapEff", "CapBnd"} {
		if got[k] != own {
			t.Errorf("--privileged: %s %q, want the launcher's own bounding set %q", k, got[k], own)
		}
	}
	if got["CapInh"] != "0000000000000000" || got["CapAmb"] != "0000000000000000" {
		t.Errorf("--privileged: CapInh %q, CapAmb %q; want both empty", got["CapInh"], got["CapAmb"])
	}
	low := strings.ToLower(r.stderr)
	for _, bad := range []string{"fail", "error", "cannot", "denied", "invalid"} {
		if strings.Contains(low, bad) {
			t.Errorf("run --privileged stderr mentions %q: %q", bad, r.stderr)
		}
	}
}

// Checklist 12: without CAP_SYS_ADMIN the container can mount neither a
// cgroup v1 hierarchy (CVE-2022-0492's release_agent) nor a tmpfs, not
// even from a new user namespace.
func TestChecklist12NoSysAdmin(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	script := `mount -t cgroup -o memory x /mnt 2>/dev/null; echo "cgroup:$?"
mount -t tmpfs x /mnt 2>/dev/null; echo "tmpfs:$?"
unshare -Urm sh -c 'mount -t cgroup -o memory x /mnt' 2>/dev/null; echo "userns-cgroup:$?"`
	r := nsi(t, "run", "--", "sh", "-c", script)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, l := range lines {
		if strings.HasSuffix(l, ":0") {
			t.Errorf("mount inside succeeded: %s", l)
		}
	}
}

// Checklist 13: under the default root (the host's / as lower layer) the
// host's secrets are hidden: /etc/shadow is empty, /root /home /run /tmp
// are fresh and empty, and no runtime socket is reachable.
func TestChecklist13HostSecretsHidden(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if b, err := os.ReadFile("/etc/shadow"); err != nil || len(b) == 0 {
		t.Logf("the host's /etc/shadow is empty or unreadable (%v): the shadow check proves little here", err)
	}
	// A socket of the host's own, as docker.sock would be.
	sock := filepath.Join("/run", "nsinspect-test-"+token(t)+".sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listening on %s: %v", sock, err)
	}
	t.Cleanup(func() { l.Close(); os.Remove(sock) })

	script := `echo "shadow:$(cat /etc/shadow | wc -c)"
for d in /root /home /run /tmp; do echo "$d:$(ls -A $d | wc -l)"; done
echo "sockets:$(find /run/ /var/run/ -type s 2>/dev/null | wc -l)"
echo "named:$(find /run/ /var/run/ -name '*.sock' 2>/dev/null | wc -l)"`
	r := nsi(t, "run", "--", "sh", "-c", script)
	want := "shadow:0\n/root:0\n/home:0\n/run:0\n/tmp:0\nsockets:0\nnamed:0\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("inside: exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	if keys, _ := filepath.Glob("/etc/ssh/ssh_host_*_key"); len(keys) > 0 {
		if r := nsi(t, "run", "--", "cat", keys[0]); r.stdout != "" {
			t.Errorf("cat %s inside printed %d bytes, want nothing (masked)", keys[0], len(r.stdout))
		}
	}
}
