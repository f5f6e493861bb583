package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// processWithArgs finds the process whose command line is exactly args.
func processWithArgs(args ...string) int {
	want := []byte(strings.Join(args, "\x00") + "\x00")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && bytes.Equal(b, want) {
			return pid
		}
	}
	return 0
}

// statusFields picks lines of a /proc/<pid>/status text.
func statusFields(status string, keys ...string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(l, ":")
		for _, want := range keys {
			if ok && k == want {
				out[k] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

// exec -d starts the command and returns at once, printing nothing. The
// command runs in every namespace and cgroup of the container's PID 1,
// with the credentials, capabilities, no_new_privs and seccomp mode of a
// foreground exec, in a session of its own, waited for by its keeper;
// removing the container leaves nothing of it: not the command, not the
// keeper, not the cgroups.
func TestLiveExecDetach(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	name := detached(t, bin, "sleep", "120")
	init, _ := strconv.Atoi(waitPID1(t, bin, name, "sleep"))
	n, _ := rand.Int(rand.Reader, big.NewInt(1e6))
	marker := strconv.FormatInt(1e6+n.Int64(), 10) // sleep's argument tells the test's process apart

	start := time.Now()
	code, out, errOut := runGuarded(t, bin, "exec", "-d", name, "--", "sleep", marker)
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("exec -d: exit %d, stdout %q, stderr %q; want 0 and nothing", code, out, errOut)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("exec -d returned after %v: it must not wait for the command", took)
	}
	pid := processWithArgs("sleep", marker)
	if pid == 0 {
		t.Fatalf("no process runs sleep %s after exec -d returned", marker)
	}
	for _, ns := range []string{"pid", "net", "mnt", "uts", "ipc", "cgroup", "user"} {
		got, err1 := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "ns", ns))
		want, err2 := os.Readlink(filepath.Join("/proc", strconv.Itoa(init), "ns", ns))
		if err1 != nil || err2 != nil || got != want {
			t.Errorf("%s namespace of the detached command: %s (%v), PID 1's: %s (%v)", ns, got, err1, want, err2)
		}
	}
	cg, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	initCg, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(init), "cgroup"))
	if len(cg) == 0 || !bytes.Equal(cg, initCg) {
		t.Errorf("cgroups of the detached command:\n%s\nPID 1's:\n%s", cg, initCg)
	}
	// What a foreground exec gets, as the process itself reads it.
	keys := []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters"}
	code, fg, errOut := runGuarded(t, bin, "exec", name, "--", "cat", "/proc/self/status")
	if code != 0 {
		t.Fatalf("exec cat /proc/self/status: exit %d, stderr %q", code, errOut)
	}
	st, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	got, want := statusFields(string(st), keys...), statusFields(fg, keys...)
	if want["Seccomp"] != "2" || want["NoNewPrivs"] != "1" {
		t.Fatalf("the foreground exec runs with Seccomp %q, NoNewPrivs %q: want 2 and 1", want["Seccomp"], want["NoNewPrivs"])
	}
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s of the detached command %q, of a foreground exec %q", k, got[k], want[k])
		}
	}
	// A session of its own, and its keeper for a parent.
	stat, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	if fields[3] != strconv.Itoa(pid) {
		t.Errorf("session of the detached command %s, want its own (%d)", fields[3], pid)
	}
	keeper, _ := strconv.Atoi(fields[1])
	kc, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(keeper), "cmdline"))
	if !strings.HasSuffix(string(kc), "\x00exec-keeper\x00") {
		t.Errorf("parent %d of the detached command runs %q, want nsinspect's exec-keeper", keeper, kc)
	}

	// Its cgroups, from the state, to check they go too.
	_, id, _ := runGuarded(t, bin, "ps", name, "--json")
	var rows []struct{ ID string }
	if err := json.Unmarshal([]byte(id), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("ps %s --json: %v (%s)", name, err, id)
	}
	var state struct {
		Cgroups struct {
			V1      map[string]string
			Unified string
		}
	}
	stateDir := filepath.Join("/run/nsinspect", rows[0].ID)
	b, err := os.ReadFile(filepath.Join(stateDir, "state.json"))
	if err != nil || json.Unmarshal(b, &state) != nil {
		t.Fatalf("state of %s: %v (%s)", name, err, b)
	}
	dirs := []string{}
	for _, d := range state.Cgroups.V1 {
		dirs = append(dirs, d)
	}
	if state.Cgroups.Unified != "" {
		dirs = append(dirs, state.Cgroups.Unified)
	}
	if len(dirs) == 0 {
		t.Fatalf("state of %s names no cgroup: %s", name, b)
	}

	if code, _, errOut := runGuarded(t, bin, "rm", "-f", name); code != 0 {
		t.Fatalf("rm -f: exit %d, stderr %q", code, errOut)
	}
	gone := func(pid int, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
				return
			}
			if time.Now().After(deadline) {
				s, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
				t.Errorf("%s (pid %d) is still there 10 s after rm -f: %s", what, pid, s)
				return
			}
		}
	}
	gone(pid, "the detached command")
	gone(keeper, "its keeper")
	for _, d := range append(dirs, stateDir) {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s is left after rm -f", d)
		}
	}
}

// exec -d says at once when the command cannot run (Docker's 126 and 127),
// and refuses -t and -i, which a command nobody waits on cannot use.
func TestLiveExecDetachErrors(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	name := detached(t, bin, "sleep", "120")
	waitPID1(t, bin, name, "sleep")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"exec", "-d", name, "--", "nosuchcommand"}, 127, "nsinspect: nosuchcommand: executable file not found in $PATH\n"},
		{[]string{"exec", "-d", name, "--", "/etc/hostname"}, 126, "nsinspect: /etc/hostname: permission denied\n"},
		{[]string{"exec", "-d", "-t", name, "--", "true"}, 125, "nsinspect: -d: a detached command gets no terminal and no stdin; leave out -t and -i\n"},
		{[]string{"exec", "-di", name, "--", "true"}, 125, "nsinspect: -d: a detached command gets no terminal and no stdin; leave out -t and -i\n"},
		{[]string{"exec", "-d", "nsi-no-such-container", "--", "true"}, 125, "nsinspect: no such container: nsi-no-such-container\n"},
	} {
		code, out, errOut := runGuarded(t, bin, tc.args...)
		if code != tc.code || out != "" || errOut != tc.stderr {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, nothing, %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.stderr)
		}
	}
}
