package launch_test

// The management commands on a running container (exec, stop, kill, logs,
// rm), and the two halves of nsinspect agreeing: what `run` set up is what
// `pid` reports.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exec joins every namespace and cgroup of the container with its
// privileges; its command is not PID 1, sleep is; a missing command is 127.
func TestChecklistExec(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "exec-" + token(t)
	detach(t, name, "--", "sleep", "30")

	r := nsi(t, "exec", name, "--", "sh", "-c", "echo $$; cat /proc/self/status")
	if r.code != 0 {
		t.Fatalf("exec: exit %d, stderr %q", r.code, r.stderr)
	}
	first, status, _ := strings.Cut(r.stdout, "\n")
	if pid, err := strconv.Atoi(first); err != nil || pid <= 1 {
		t.Errorf("exec'd shell's pid inside: %q, want a pid other than 1", first)
	}
	for _, want := range []string{"CapEff:\t" + dockerCapMask, "NoNewPrivs:\t1", "CapBnd:\t" + dockerCapMask, "CapInh:\t0000000000000000"} {
		if !strings.Contains(status, want+"\n") {
			t.Errorf("exec'd process status lacks %q:\n%s", want, status)
		}
	}

	ps := mustRun(t, "exec", name, "--", "ps", "-e", "-o", "pid=,comm=")
	var procs []string
	for _, line := range strings.Split(strings.TrimSpace(ps), "\n") {
		procs = append(procs, strings.Join(strings.Fields(line), " "))
	}
	if len(procs) != 2 || procs[0] != "1 sleep" || !strings.HasSuffix(procs[1], " ps") {
		t.Errorf("ps -e through exec: %q, want sleep as PID 1 and ps", procs)
	}

	// The caller's own fds (3 to 8 here, not close-on-exec) stay out.
	extra, _ := callerFds(t)
	l := startLauncher(t, nil, extra, "exec", name, "--", "ls", "/proc/self/fd")
	if code := l.wait(t); code != 0 || l.out.String() != "0\n1\n2\n3\n" {
		t.Errorf("exec -- ls /proc/self/fd with the caller's fds open: exit %d, %q, stderr %q; want 0 1 2 3", code, l.out.String(), l.err.String())
	}

	if r := nsi(t, "exec", name, "--", "nosuch"); r.code != 127 {
		t.Errorf("exec nosuch: exit %d, stderr %q; want 127", r.code, r.stderr)
	}
}

// stop sends SIGTERM: a PID 1 that traps it exits with its own code,
// recorded in ps -a.
func TestChecklistStopTrapped(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "stop-" + token(t)
	id, pid := detach(t, name, append([]string{"--"}, trapTERM(5)...)...)
	waitFor(t, "the container's TERM trap", func() bool { return trapped(pid, syscall.SIGTERM) })
	mustRun(t, "stop", name)
	if got := strings.TrimSpace(mustRun(t, "ps", "-a", "--format", "{{.Status}} {{.ExitCode}}", name)); got != "exited 5" {
		t.Errorf("ps -a after stop: %q, want \"exited 5\"", got)
	}
	if dirs := cgroupDirs(id); len(dirs) > 0 {
		t.Errorf("cgroups of the stopped container left: %v", dirs)
	}
	mustRun(t, "rm", name)
	assertNothingLeft(t, id)
}

// stop -t 1 on a PID 1 that drops SIGTERM (sleep) falls back to SIGKILL.
func TestChecklistStopKillsAfterTimeout(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "stopk-" + token(t)
	id, pid := detach(t, name, "--", "sleep", "100")
	mustRun(t, "stop", "-t", "1", name)
	if !gone(pid) {
		t.Errorf("pid %d still runs after stop -t 1", pid)
	}
	if got := strings.TrimSpace(mustRun(t, "ps", "-a", "--format", "{{.Status}} {{.ExitCode}}", name)); got != "exited 137" {
		t.Errorf("ps -a after stop -t 1: %q, want \"exited 137\" (SIGKILL)", got)
	}
	mustRun(t, "rm", name)
	assertNothingLeft(t, id)
}

// kill -s HUP reaches the container's handler; logs shows its output; rm
// refuses a running container and rm -f removes it; an unknown name is a
// usage error.
func TestChecklistKillLogsRm(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	name := "hup-" + token(t)
	id, pid := detach(t, name, "--", "sh", "-c", `trap "echo got-hup" HUP; echo started; while :; do sleep 0.1; done`)
	if !poll(60*time.Second, func() bool { return trapped(pid, syscall.SIGHUP) }) {
		argv, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		t.Fatalf("timed out waiting for the container's HUP trap: pid %d, cmdline %q, SigCgt %s, state %s; ps: %s; logs: %q",
			pid, argv, statusField(pid, "SigCgt"), statusField(pid, "State"), nsi(t, "ps", "-a", "--no-trunc", name).stdout, nsi(t, "logs", name).stdout)
	}
	mustRun(t, "kill", "-s", "HUP", name)
	waitFor(t, "got-hup in the log", func() bool { return strings.Contains(nsi(t, "logs", name).stdout, "got-hup") })
	if got := mustRun(t, "logs", name); got != "started\ngot-hup\n" {
		t.Errorf("logs: %q, want \"started\\ngot-hup\\n\"", got)
	}
	if got := strings.TrimSpace(mustRun(t, "ps", "--format", "{{.Status}}", name)); got != "running" {
		t.Errorf("status after HUP: %q, want running", got)
	}
	if r := nsi(t, "rm", name); r.code == 0 {
		t.Errorf("rm of a running container succeeded, want a refusal")
	}
	mustRun(t, "rm", "-f", name)
	if !poll(2*time.Second, func() bool { return gone(pid) }) {
		t.Errorf("pid %d still runs after rm -f", pid)
	}
	if got := mustRun(t, "ps", "-a", "-q", name); got != "" {
		t.Errorf("ps -a after rm -f: %q, want nothing", got)
	}
	assertNothingLeft(t, id)

	for _, cmd := range []string{"stop", "kill", "rm", "logs"} {
		if r := nsi(t, cmd, "nosuch-"+token(t)); r.code != 2 {
			t.Errorf("nsinspect %s nosuch: exit %d, stderr %q; want 2", cmd, r.code, r.stderr)
		}
	}
}

// The two halves agree: `nsinspect pid` reports what `nsinspect run` set
// up.
func TestChecklistRunAndPidAgree(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	id, pid := detach(t, "agree-"+token(t), "--memory", "256m", "--cpus", "0.5", "--pids-limit", "50", "--hostname", "webx", "--", "sleep", "30")
	var doc struct {
		Runtime struct {
			Name        string `json:"name"`
			ContainerID string `json:"containerId"`
		} `json:"runtime"`
		Cgroup struct {
			Memory struct {
				LimitBytes *int64 `json:"limitBytes"`
			} `json:"memory"`
			CPU struct {
				CPUs *float64 `json:"cpus"`
			} `json:"cpu"`
			Pids struct {
				Max *int64 `json:"max"`
			} `json:"pids"`
		} `json:"cgroup"`
		Capabilities struct {
			Effective []string `json:"effective"`
		} `json:"capabilities"`
		Security struct {
			NoNewPrivs *bool `json:"noNewPrivs"`
		} `json:"security"`
		Kernel struct {
			Hostname *string `json:"hostname"`
		} `json:"kernel"`
		Rootfs struct {
			FSType string `json:"fsType"`
		} `json:"rootfs"`
		Signals struct {
			Pid1 *bool `json:"pid1"`
		} `json:"signals"`
		Namespaces []struct {
			Type     string `json:"type"`
			Isolated *bool  `json:"isolated"`
		} `json:"namespaces"`
	}
	out := mustRun(t, "pid", strconv.Itoa(pid), "--json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("pid --json: %v\n%s", err, out)
	}
	str := func(p any) string {
		switch v := p.(type) {
		case *int64:
			if v != nil {
				return strconv.FormatInt(*v, 10)
			}
		case *float64:
			if v != nil {
				return strconv.FormatFloat(*v, 'g', -1, 64)
			}
		case *bool:
			if v != nil {
				return strconv.FormatBool(*v)
			}
		case *string:
			if v != nil {
				return *v
			}
		}
		return "null"
	}
	for _, c := range []struct{ field, got, want string }{
		{"runtime.name", doc.Runtime.Name, "nsinspect"},
		{"runtime.containerId", doc.Runtime.ContainerID, id},
		{"cgroup.memory.limitBytes", str(doc.Cgroup.Memory.LimitBytes), "268435456"},
		{"cgroup.cpu.cpus", str(doc.Cgroup.CPU.CPUs), "0.5"},
		{"cgroup.pids.max", str(doc.Cgroup.Pids.Max), "50"},
		{"security.noNewPrivs", str(doc.Security.NoNewPrivs), "true"},
		{"kernel.hostname", str(doc.Kernel.Hostname), "webx"},
		{"rootfs.fsType", doc.Rootfs.FSType, "overlay"},
		{"signals.pid1", str(doc.Signals.Pid1), "true"},
	} {
		if c.got != c.want {
			t.Errorf("pid --json %s = %s, want %s", c.field, c.got, c.want)
		}
	}
	if got := slices.Sorted(slices.Values(doc.Capabilities.Effective)); !slices.Equal(got, slices.Sorted(slices.Values(dockerCaps))) {
		t.Errorf("capabilities.effective = %v, want Docker's 14: %v", doc.Capabilities.Effective, dockerCaps)
	}
	isolated := map[string]bool{}
	for _, ns := range doc.Namespaces {
		isolated[ns.Type] = ns.Isolated != nil && *ns.Isolated
	}
	want := []string{"cgroup", "ipc", "mnt", "net", "pid", "uts"}
	if _, err := os.Stat("/proc/self/ns/time"); err == nil {
		want = append(want, "time")
	}
	for _, ns := range want {
		if !isolated[ns] {
			t.Errorf("pid --json: namespace %s not isolated (isolated: %v)", ns, isolated)
		}
	}
	if isolated["user"] {
		t.Errorf("pid --json: user namespace isolated, but run makes none")
	}
}

// A container still starting (its init paused before exec, in its cgroups)
// is what ps lists: kill acts on it and the run ends with 137, while exec
// refuses it, since there is nothing of the container's to join yet. The
// same while the init still builds the root filesystem and has not read
// the launcher's "go": the run ends with 137 and says nothing (not "connection
// reset by peer", the socket the dying init reset).
func TestKillWhileStarting(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	for _, step := range []string{"before-exec", "after-mount"} {
		t.Run(step, func(t *testing.T) {
			name := "starting-" + token(t)
			removeOnCleanup(t, name)
			l := startLauncher(t, []string{"NSINSPECT_TEST_PAUSE_AT=" + step}, nil, "run", "--name", name, "--", "sleep", "300")
			waitFor(t, "the init to pause at "+step+", in its cgroups", func() bool {
				kids := children(l.pid())
				if len(kids) != 1 || step == "before-exec" && statusField(kids[0], "NoNewPrivs") != "1" {
					return false
				}
				return len(strings.TrimSpace(mustRun(t, "ps", "-q", name))) == 12
			})
			if r := nsi(t, "exec", name, "--", "true"); r.code != 125 || !strings.Contains(r.stderr, "is not running") {
				t.Errorf("exec into a starting container: exit %d, stderr %q; want 125, not running", r.code, r.stderr)
			}
			if r := nsi(t, "kill", name); r.code != 0 {
				t.Fatalf("kill of a starting container: exit %d, stderr %q", r.code, r.stderr)
			}
			if code := l.wait(t); code != 137 || l.err.String() != "" {
				t.Errorf("the launcher exit %d after kill, stderr %q; want 137 and nothing", code, l.err.String())
			}
		})
	}
}

// A launcher started with SIGHUP ignored (nohup, a daemon) still gives the
// container's command every signal at its default, as Docker's daemon
// does: a shell in it can trap HUP. Found when the suite ran under nohup
// and TestChecklistKillLogsRm waited for a trap the shell could not set.
func TestChecklistSignalsStartAtDefault(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT) // inherited by nsinspect run, as under nohup
	defer signal.Reset(syscall.SIGHUP, syscall.SIGINT)
	name := "sigdfl-" + token(t)
	id, pid := detach(t, name, "--", "sh", "-c", `trap "echo got-hup" HUP; while :; do sleep 0.1; done`)
	waitFor(t, "the container's HUP trap", func() bool { return trapped(pid, syscall.SIGHUP) })
	ign, err := strconv.ParseUint(statusField(pid, "SigIgn"), 16, 64)
	if err != nil || ign&(1<<(uint(syscall.SIGINT)-1)) != 0 {
		t.Errorf("the container's shell ignores SIGINT (SigIgn %s), which only its launcher's caller did", statusField(pid, "SigIgn"))
	}
	// nsinspect exec starts its command through a helper of its own, not
	// through the container's init: the same holds there.
	for _, line := range strings.Split(mustRun(t, "exec", name, "--", "cat", "/proc/self/status"), "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			if v = strings.TrimSpace(v); v != "0000000000000000" {
				t.Errorf("a command from nsinspect exec starts with SigIgn %s, want none ignored", v)
			}
		}
	}
	mustRun(t, "rm", "-f", name)
	assertNothingLeft(t, id)
}
