package runbooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The runbooks, and one set of valid arguments for each (for the checks
// that come after argument parsing).
var runbooks = map[string][]string{
	"no-limits.sh":      nil,
	"oom-triage.sh":     {"web"},
	"cpu-throttle.sh":   {"web", "1"},
	"escape-surface.sh": {"web"},
	"wont-stop.sh":      {"web"},
	"diff.sh":           {"web", "db"},
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// nsinspectBin builds nsinspect once per test binary, into a temporary
// directory TestMain removes; NSINSPECT_TEST_BIN names a binary to use
// instead, as in cmd/nsinspect's tests.
func nsinspectBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NSINSPECT_TEST_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "nsinspect-runbooks-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "nsinspect")
		build := exec.Command("go", "build", "-o", binPath, "github.com/nsinspect/nsinspect/cmd/nsinspect")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs a runbook of this directory with env added to the test's own
// environment (RUNBOOK_* settings removed), within 60 s.
func run(t *testing.T, env []string, script string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./"+script, args...)
	cmd.WaitDelay = 5 * time.Second
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RUNBOOK_") && !strings.HasPrefix(kv, "NSINSPECT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not end within 60 s; killed. stderr: %s", script, args, errb.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %s: %v", script, err)
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// oneLine fails unless s is exactly one line that matches re.
func oneLine(t *testing.T, what, s, re string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || !regexp.MustCompile(re).MatchString(strings.TrimSuffix(s, "\n")) {
		t.Errorf("%s: %q, want one line matching %q", what, s, re)
	}
}

// Bad arguments are one line on stderr and exit 2, before any tool is
// needed; -h prints the usage and exits 0.
func TestRunbookArguments(t *testing.T) {
	env := []string{"NSINSPECT=/nonexistent/nsinspect"} // never reached
	for _, tc := range []struct {
		script string
		args   []string
		want   string // the start of the message after "<script>: "
	}{
		{"no-limits.sh", []string{"--json"}, `--json is not for this runbook`},
		{"no-limits.sh", []string{"-f", "name=x", "--format", "{{.ID}}"}, `--format is not for this runbook`},
		{"oom-triage.sh", nil, "missing CONTAINER"},
		{"oom-triage.sh", []string{"a", "b"}, "too many arguments"},
		{"oom-triage.sh", []string{"-x"}, "unknown option -x"},
		{"oom-triage.sh", []string{""}, "empty CONTAINER"},
		{"cpu-throttle.sh", nil, "missing CONTAINER"},
		{"cpu-throttle.sh", []string{"web", "abc"}, "SECONDS must be a positive number, not abc"},
		{"cpu-throttle.sh", []string{"web", "0"}, "SECONDS must be a positive number, not 0"},
		{"cpu-throttle.sh", []string{"web", "-1"}, `SECONDS must be a positive number, not -1`},
		{"cpu-throttle.sh", []string{"web", "1", "2"}, "too many arguments"},
		{"escape-surface.sh", nil, "missing CONTAINER"},
		{"escape-surface.sh", []string{"--all"}, "unknown option --all"},
		{"wont-stop.sh", nil, "missing CONTAINER"},
		{"wont-stop.sh", []string{"a", "b"}, "too many arguments"},
		{"diff.sh", nil, "want two containers, got 0"},
		{"diff.sh", []string{"web"}, "want two containers, got 1"},
		{"diff.sh", []string{"a", "b", "c"}, "too many arguments"},
		{"diff.sh", []string{"web", "-v"}, "unknown option -v"},
	} {
		t.Run(tc.script+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, env, tc.script, tc.args...)
			if r.code != 2 || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", r.code, r.stdout)
			}
			oneLine(t, "stderr", r.stderr, "^"+regexp.QuoteMeta(tc.script+": "+tc.want)+`.* \(usage: `+regexp.QuoteMeta(tc.script)+`.*\)$`)
		})
	}
	for script := range runbooks {
		for _, flag := range []string{"-h", "--help"} {
			r := run(t, env, script, flag)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "usage: "+script) || r.stderr != "" {
				t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want 0 and the usage", script, flag, r.code, r.stdout, r.stderr)
			}
		}
	}
}

// A missing nsinspect or jq is one line and exit 1.
func TestRunbookMissingTools(t *testing.T) {
	bin := nsinspectBin(t)
	// A PATH with bash (for #!/usr/bin/env bash) and what the runbooks
	// use to find their lib.sh, and no jq.
	noJq := t.TempDir()
	for _, tool := range []string{"bash", "readlink", "dirname"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(noJq, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for script, args := range runbooks {
		t.Run(script, func(t *testing.T) {
			r := run(t, []string{"NSINSPECT=" + bin, "PATH=" + noJq}, script, args...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("without jq: exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
			}
			oneLine(t, "without jq, stderr", r.stderr, "^"+regexp.QuoteMeta(script+": jq not found"))

			r = run(t, []string{"NSINSPECT=/nonexistent/nsinspect"}, script, args...)
			if r.code != 1 || r.stdout != "" {
				t.Errorf("without nsinspect: exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
			}
			oneLine(t, "without nsinspect, stderr", r.stderr, "^"+regexp.QuoteMeta(script+": nsinspect not found (/nonexistent/nsinspect)"))
		})
	}
}

// needJq skips a test that runs the runbooks through to jq.
func needJq(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed: the runbooks need it (apt-get install jq; .ci/run installs it)")
	}
}

// An unknown container is nsinspect's own one-line message and its exit 2.
func TestRunbookUnknownContainer(t *testing.T) {
	needJq(t)
	env := []string{"NSINSPECT=" + nsinspectBin(t)}
	name := fmt.Sprintf("rb-missing-%d", os.Getpid())
	want := "nsinspect: no such container: " + name + "\n"
	for script, args := range runbooks {
		if script == "no-limits.sh" {
			continue // takes ps's arguments: ps of an unknown name lists nothing
		}
		args = append([]string{name}, args[1:]...)
		r := run(t, env, script, args...)
		if r.code != 2 || r.stdout != "" || r.stderr != want {
			t.Errorf("%s %q: exit %d, stdout %q, stderr %q; want 2, nothing, %q", script, args, r.code, r.stdout, r.stderr, want)
		}
	}
	if r := run(t, env, "no-limits.sh", "-f", "bogus=1"); r.code != 2 || !strings.HasPrefix(r.stderr, `nsinspect: invalid filter "bogus=1"`) {
		t.Errorf("no-limits.sh -f bogus=1: exit %d, stderr %q; want ps's usage error", r.code, r.stderr)
	}
}

var iteration atomic.Int64

// container is one container a live test started.
type container struct {
	name, id string
	pid      int
}

// lab starts nsinspect containers for one test and removes them, and
// checks that nothing of them is left, when the test ends.
type lab struct {
	t      *testing.T
	bin    string
	prefix string
}

func newLab(t *testing.T) *lab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("live runbook test skipped: starting containers needs root; run `go test ./...` as root")
	}
	needJq(t)
	bin := nsinspectBin(t)
	hostLock(t)
	return &lab{t: t, bin: bin, prefix: fmt.Sprintf("rb%d-%d-", os.Getpid(), iteration.Add(1))}
}

// hostLock holds, until the test ends, the host-wide lock that every test
// starting nsinspect containers takes (launch's and cmd/nsinspect's):
// their leak and gc checks read every nsinspect container on the host.
func hostLock(t *testing.T) {
	t.Helper()
	f, err := os.Open("/run")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Logf("waited %v for the container test lock", time.Since(start).Round(time.Millisecond))
	t.Cleanup(func() { f.Close() })
}

func (l *lab) nsinspect(args ...string) result {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.bin, args...)
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if ctx.Err() != nil || (err != nil && !errors.As(err, &ee)) {
		l.t.Fatalf("nsinspect %q: %v (stderr %s)", args, err, errb.String())
	}
	return result{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// start runs `nsinspect run -d --name <prefix><role> flags...` and waits
// until the container's PID 1, or a child of it (behind --init), runs
// comm. Cleanup removes it with rm -f and checks that its state, cgroups
// and PID 1 are gone.
func (l *lab) start(role, comm string, flags ...string) *container {
	l.t.Helper()
	c := &container{name: l.prefix + role}
	l.t.Cleanup(func() { l.remove(c) })
	r := l.nsinspect(append([]string{"run", "-d", "--name", c.name}, flags...)...)
	c.id = strings.TrimSpace(r.stdout)
	if r.code != 0 || len(c.id) != 64 {
		l.t.Fatalf("run -d %s: exit %d, stdout %q, stderr %q", c.name, r.code, r.stdout, r.stderr)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r := l.nsinspect("ps", "--format", "{{.Pid}}", c.name)
		if pid, err := strconv.Atoi(strings.TrimSpace(r.stdout)); err == nil && pid > 0 {
			if runs(pid, comm) {
				c.pid = pid
				return c
			}
		}
		if time.Now().After(deadline) {
			logs := l.nsinspect("logs", c.name)
			l.t.Fatalf("%s: PID 1 never ran %q (logs: %q %q)", c.name, comm, logs.stdout, logs.stderr)
		}
	}
}

// runs reports whether pid or one of its children runs comm.
func runs(pid int, comm string) bool {
	pids := []string{strconv.Itoa(pid)}
	kids, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, k := range kids {
		b, _ := os.ReadFile(k)
		pids = append(pids, strings.Fields(string(b))...)
	}
	for _, p := range pids {
		if b, _ := os.ReadFile("/proc/" + p + "/comm"); string(b) == comm+"\n" {
			return true
		}
	}
	return false
}

func (l *lab) remove(c *container) {
	l.t.Helper()
	if r := l.nsinspect("rm", "-f", c.name); r.code != 0 && !strings.Contains(r.stderr, "no such container") {
		l.t.Errorf("rm -f %s: exit %d, stderr %q", c.name, r.code, r.stderr)
	}
	if c.id == "" {
		return
	}
	left, _ := filepath.Glob("/sys/fs/cgroup/*/nsinspect/" + c.id)
	if v2, err := os.Stat("/sys/fs/cgroup/nsinspect/" + c.id); err == nil && v2.IsDir() {
		left = append(left, "/sys/fs/cgroup/nsinspect/"+c.id)
	}
	if _, err := os.Stat("/run/nsinspect/" + c.id); err == nil {
		left = append(left, "/run/nsinspect/"+c.id)
	}
	if c.pid > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", c.pid)); err == nil && strings.Contains(string(b), c.id) {
			left = append(left, fmt.Sprintf("process %d", c.pid))
		}
	}
	if len(left) > 0 {
		l.t.Errorf("%s left behind after rm -f: %s", c.name, strings.Join(left, ", "))
	}
}

// oomKills reads .cgroup.memory.oomKills of the container's PID 1.
func (l *lab) oomKills(c *container) int {
	l.t.Helper()
	r := l.nsinspect("pid", "--json", c.name)
	var doc struct {
		Cgroup struct {
			Memory struct {
				OOMKills *int `json:"oomKills"`
			} `json:"memory"`
		} `json:"cgroup"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Cgroup.Memory.OOMKills == nil {
		l.t.Fatalf("pid --json %s: exit %d, %v, stderr %q; want oomKills", c.name, r.code, err, r.stderr)
	}
	return *doc.Cgroup.Memory.OOMKills
}

// evilComm is the command name of one container's PID 1: escape
// sequences that retitle a terminal, which the runbooks must print escaped.
const evilComm = "e\x1b]0;pwn\x07v"

// Each runbook against the containers it is meant for, and against one it
// should find nothing wrong with.
func TestRunbooksLive(t *testing.T) {
	l := newLab(t)
	start := time.Now()
	// nsinspect run may set limits of its own by default (0 lifts them):
	// the containers meant to have none ask for none.
	none := []string{"--pids-limit", "0"}
	if r := l.nsinspect("run", "--help"); strings.Contains(r.stdout, "0 for none") {
		none = append(none, "--memory", "0")
	}
	flags := func(f ...string) []string { return append(append([]string{}, none...), f...) }
	limited := l.start("limited", evilComm, "--memory", "64m", "--pids-limit", "50", "--",
		"sh", "-c", `cp /bin/sleep "/tmp/$(printf 'e\033]0;pwn\007v')" && exec /tmp/e*v 120`)
	unlimited := l.start("unlimited", "sleep", flags("--", "sleep", "120")...)
	// tail of /dev/zero (no newline ever) grows until the 16m limit kills
	// it, as launch's OOM test does with head | tail; oom_score_adj 1000
	// makes the OOM killer pick it, never the shell, which stays PID 1. No
	// pipe: a writer still filling it while the victim's memory is being
	// freed made a second OOM kill, of the shell (1 run in 80).
	victim := l.start("oom", "sleep", "--pids-limit", "0", "--memory", "16m", "--",
		"sh", "-c", `sh -c 'echo 1000 >/proc/self/oom_score_adj; exec tail /dev/zero'; exec sleep 120`)
	// A busy loop under 0.1 CPU; PID 1 is sleep, so the loop dies with it.
	busy := l.start("busy", "sleep", flags("--cpus", "0.1", "--", "sh", "-c", `while :; do :; done & exec sleep 120`)...)
	withInit := l.start("init", "sleep", flags("--init", "--", "sleep", "120")...)
	hostRoot := l.start("hostroot", "sleep", flags("-v", "/:/host:ro", "--", "sleep", "120")...)
	if n := l.oomKills(victim); n < 1 {
		t.Fatalf("%s: oomKills %d once its PID 1 runs sleep; want at least 1", victim.name, n)
	}
	t.Logf("containers up in %v", time.Since(start).Round(time.Millisecond))

	env := []string{"NSINSPECT=" + l.bin}
	for _, tc := range []struct {
		name   string
		script string
		args   []string
		code   int
		want   []string // regexps that must each match a line of stdout
		absent []string // regexps that must match no line
	}{
		{"oom-triage victim", "oom-triage.sh", []string{victim.name}, 0, []string{
			`^container +` + victim.name + ` \(nsinspect ` + victim.id[:12] + `\), pid ` + strconv.Itoa(victim.pid) + ` \(sleep\)$`,
			`^limit +16MiB \(16777216 bytes\)$`,
			`^oom kills +[1-9][0-9]*$`,
			`^` + strconv.Itoa(victim.pid) + ` +[0-9.]+[KMG]iB +[0-9.]+[KMG]?i?B +sleep$`,
			`^verdict: OOM-killed [1-9][0-9]* times?; working set [0-9.]+[KMG]?i?B of limit 16MiB \([0-9.]+%\)$`,
		}, nil},
		{"oom-triage limited", "oom-triage.sh", []string{limited.name}, 0, []string{
			`^limit +64MiB \(67108864 bytes\)$`,
			`^oom kills +0$`,
			`^1 process in the cgroup, by RSS:$`,
			`^` + strconv.Itoa(limited.pid) + ` .* e\\x1b\]0;pwn\\x07v$`,
			`^verdict: not OOM-killed; working set .* of limit 64MiB`,
		}, nil},
		{"oom-triage unlimited", "oom-triage.sh", []string{strconv.Itoa(unlimited.pid)}, 0, []string{
			`^limit +none$`,
			`^verdict: no memory limit: never OOM-killed by its own cgroup`,
		}, nil},
		{"cpu-throttle busy", "cpu-throttle.sh", []string{busy.name, "1"}, 0, []string{
			`^quota +10000 µs per 100000 µs period = 0.1 CPUs$`,
			`^throttled +[1-9][0-9]* periods \([0-9.]+%\), [0-9.]+ s waiting$`,
			`^verdict: throttled in [1-9][0-9]* of [1-9][0-9]* periods \([0-9.]+%\); used [0-9.]+ of its 0.1 CPUs`,
		}, nil},
		{"cpu-throttle unlimited", "cpu-throttle.sh", []string{unlimited.name, "0.5"}, 0, []string{
			`^quota +none \(period [0-9]+ µs\)$`,
			`^verdict: no CPU quota: never throttled; used [0-9.]+ CPUs$`,
		}, nil},
		{"escape-surface host root", "escape-surface.sh", []string{hostRoot.name}, 3, []string{
			`^notable mounts +host-root at /host from [^ ]+:/ ro(;|$)`,
			`^\[critical\] host-root-mounted: The host's / is mounted at /host`,
			`^verdict: CRITICAL: 1 critical finding \(host-root-mounted\): this container can reach the host`,
		}, nil},
		{"escape-surface limited", "escape-surface.sh", []string{limited.id}, 0, []string{
			`^privileged +no$`,
			`^capabilities +14 effective; beyond Docker's 14: none$`,
			`^seccomp +filter \([0-9]+ filters?\); no_new_privs: yes$`,
			`^notable mounts +none$`,
			`^verdict: no critical finding`,
		}, []string{`^\[critical\]`}},
		{"wont-stop sleep", "wont-stop.sh", []string{limited.name}, 0, []string{
			`^container +` + limited.name + ` \(nsinspect [0-9a-f]{12}\), pid [0-9]+ \(e\\x1b\]0;pwn\\x07v\)$`,
			`^SIGTERM +dropped \(pid 1 with default action\)$`,
			`^verdict: SIGTERM dropped: PID 1 \(e\\x1b\]0;pwn\\x07v\) has no SIGTERM handler`,
			`^fix: run it with nsinspect run --init`,
		}, nil},
		{"wont-stop init", "wont-stop.sh", []string{withInit.name}, 0, []string{
			`^command +docker-init -- sleep 120$`,
			`^child +pid [0-9]+ \(sleep\): SIGTERM default \(terminates\)$`,
			`^verdict: SIGTERM handled: PID 1 `,
		}, []string{`dropped`}},
		{"diff limited unlimited", "diff.sh", []string{limited.name, unlimited.name}, 0, []string{
			`^A +` + limited.name + ` `,
			`^B +` + unlimited.name + ` `,
			`^\.cgroup\.memory\.limitBytes +67108864 +null$`,
			`^\.cgroup\.pids\.max +50 +null$`,
			`^\.findings\["no-memory-limit"\] +\(absent\) +"warn"$`,
			`^\.process\.cmdline +\["/tmp/e\\u001b\]0;pwn\\u0007v","120"\] +\["sleep","120"\]$`,
			`^[0-9]+ fields differ \(`,
		}, []string{`^\.pid `, `^\.process\.(pid|startTicks|startTime|nspid)`, `^\S*evidence`, `^\S*[iI]node`,
			`^\S*usageBytes`, `^\S*usageMicros`, `^\.runtime\.container(Id|Name)`, `^\.kernel\.hostname`, `^\.cgroup\.paths`}},
		{"diff limited host root", "diff.sh", []string{limited.name, hostRoot.name}, 0, []string{
			`^\.rootfs\.notable\["/host"\] +\(absent\) +"host-root from [^ ]+:/ ro"$`,
			`^\.findings\["host-root-mounted"\] +\(absent\) +"critical"$`,
		}, []string{`^\.rootfs\.notable +`}},
		{"diff with itself", "diff.sh", []string{busy.name, busy.id}, 0, []string{
			`^no field differs \(`,
		}, []string{`^PATH`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, env, tc.script, tc.args...)
			if r.code != tc.code || r.stderr != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing", r.code, r.stderr, tc.code)
			}
			checkLines(t, r.stdout, tc.want, tc.absent)
		})
	}

	// no-limits lists every container on the host: look at ours only.
	t.Run("no-limits", func(t *testing.T) {
		t.Parallel()
		r := run(t, env, "no-limits.sh")
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
		}
		rows := map[string][]string{}
		for _, line := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(line); len(f) == 8 && strings.HasPrefix(f[0], l.prefix) {
				rows[f[0]] = f
			}
		}
		for _, w := range []struct {
			c       *container
			missing string // "" for not listed
		}{
			{limited, ""}, {unlimited, "memory,pids"}, {victim, "pids"}, {busy, "memory,pids"}, {withInit, "memory,pids"}, {hostRoot, "memory,pids"},
		} {
			row, listed := rows[w.c.name]
			switch {
			case w.missing == "" && listed:
				t.Errorf("%s (memory and pids limited) listed: %q", w.c.name, row)
			case w.missing != "" && !listed:
				t.Errorf("%s not listed; want it with %s missing; output:\n%s", w.c.name, w.missing, r.stdout)
			case listed && (row[2] != strconv.Itoa(w.c.pid) || row[6] != w.missing || row[7] != w.c.id[:12]):
				t.Errorf("%s: row %q; want pid %d, missing %s, id %s", w.c.name, row, w.c.pid, w.missing, w.c.id[:12])
			}
		}
		checkLines(t, r.stdout, []string{`^NAME +RUNTIME +PID +MEMORY +PIDS +CPUS +MISSING +ID$`, `^[0-9]+ of [0-9]+ containers lack a memory or pids limit$`}, nil)

		// Arguments go to ps: a name filter leaves only ours.
		r = run(t, env, "no-limits.sh", "-f", "name="+l.prefix)
		want := []string{`^NAME `, `^` + victim.name + ` +nsinspect +[0-9]+ +16MiB +unlimited +unlimited +pids +[0-9a-f]{12}$`, `^5 of 6 containers lack a memory or pids limit$`}
		if r.code != 0 || r.stderr != "" || strings.Count(r.stdout, "\n") != 7 {
			t.Errorf("-f name=%s: exit %d, stderr %q, stdout %q; want 0, nothing and 7 lines", l.prefix, r.code, r.stderr, r.stdout)
		}
		checkLines(t, r.stdout, want, nil)
		r = run(t, env, "no-limits.sh", limited.name)
		checkLines(t, r.stdout, []string{`^every container has a memory and a pids limit \(1 container checked\)$`}, []string{`^NAME`})
	})
}

// checkLines fails unless every regexp of want matches a line of out, no
// regexp of absent matches any, and out holds no raw control character
// but newlines.
func checkLines(t *testing.T, out string, want, absent []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, w := range want {
		re := regexp.MustCompile(w)
		found := false
		for _, line := range lines {
			found = found || re.MatchString(line)
		}
		if !found {
			t.Errorf("no line matches %q; output:\n%s", w, out)
		}
	}
	for _, a := range absent {
		re := regexp.MustCompile(a)
		for _, line := range lines {
			if re.MatchString(line) {
				t.Errorf("line %q matches %q, which should not be there", line, a)
			}
		}
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Errorf("raw control character %U in the output:\n%q", r, out)
			break
		}
	}
}
