package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The exit-code contract of docs/exit-codes.md, command by command, on the
// built binary: run and exec follow docker run (125 for every failure of
// nsinspect itself, usage errors and unknown containers included); every
// other command gives 1 for a runtime error and 2 for a usage error or an
// unknown container. Each case also checks the one-line message, which
// echoes what was typed.
func TestExitCodes(t *testing.T) {
	bin := buildBinary(t)
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	// The first CPU nsinspect may not use: --cpuset-cpus of it is refused
	// before anything is created.
	absent := 0
	for set.IsSet(absent) {
		absent++
	}
	proc, cg := nodeRoots(t, "node-v2")
	fixture := []string{"--proc-root", proc, "--cgroup-root", cg}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string // the whole of stderr, one line
		root   bool   // the command checks for root first
	}{
		{[]string{"run"}, 125, "nsinspect: no command given: nsinspect run [flags] -- COMMAND [ARG...]", false},
		{[]string{"run", "--bogus", "--", "true"}, 125, "nsinspect: unknown flag: --bogus", false},
		{[]string{"run", "--cpu-shares", "-5", "--", "true"}, 125, `nsinspect: invalid --cpu-shares "-5": want a number from 2 to 262144`, false},
		{[]string{"run", "--cpu-shares", "abc", "--", "true"}, 125, `nsinspect: invalid --cpu-shares "abc": want a number from 2 to 262144`, false},
		{[]string{"run", "--cpuset-cpus", fmt.Sprint(absent), "--", "true"}, 125, fmt.Sprintf(`nsinspect: invalid --cpuset-cpus "%d": CPU %d is not available; this host's CPUs are %s`, absent, absent, cpuList(set)), false},
		{[]string{"run", "--cpuset-cpus", "0-x", "--", "true"}, 125, `nsinspect: invalid --cpuset-cpus "0-x": want a CPU list such as 0-1,3`, false},
		{[]string{"run", "--memory", "4k", "--", "true"}, 125, `nsinspect: invalid --memory "4k": the minimum is 6m`, false},
		{[]string{"run", "--memory", "12q", "--", "true"}, 125, `nsinspect: invalid --memory "12q": want a size such as 512m or 1g (units b, k, m, g)`, false},
		{[]string{"run", "--pids-limit", "-3", "--", "true"}, 125, `nsinspect: invalid --pids-limit "-3": want a positive number, or 0 / -1 for unlimited`, false},
		{[]string{"run", "--cpus", "abc", "--", "true"}, 125, `nsinspect: invalid --cpus "abc": want a positive number of CPUs such as 0.5 or 1.5`, false},
		{[]string{"run", "--oom-score-adj", "2000", "--", "true"}, 125, `nsinspect: invalid --oom-score-adj "2000": want -1000 to 1000`, false},
		{[]string{"run", "-e", "=x", "--", "true"}, 125, `nsinspect: invalid --env "=x": want KEY=VALUE, or KEY to copy it from this environment`, false},
		{[]string{"exec"}, 125, "nsinspect: requires at least 2 arg(s), only received 0", false},
		{[]string{"exec", "--bogus", "x", "true"}, 125, "nsinspect: unknown flag: --bogus", false},
		{[]string{"exec", "nsinspect-test-nosuch", "--", "true"}, 125, "nsinspect: no such container: nsinspect-test-nosuch", true},
		// A container of another runtime, as ps lists it (the fixture's
		// docker container "web"): its runtime is named, and its tool.
		{append(fixture, "exec", "web", "--", "true"), 125, "nsinspect: web is a docker container; nsinspect exec manages only containers started by nsinspect run — use docker exec", true},
		{append(fixture, "stop", "web"), 2, "nsinspect: web is a docker container; nsinspect stop manages only containers started by nsinspect run — use docker stop", true},
		{append(fixture, "logs", "a521bfcf"), 2, "nsinspect: a521bfcf is a podman container; nsinspect logs manages only containers started by nsinspect run — use podman logs", true},
		{append(fixture, "kill", "c1"), 2, "nsinspect: c1 is a lxc container; nsinspect kill manages only containers started by nsinspect run — use lxc-attach, lxc-stop", true},
		{[]string{"pid", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", false},
		{[]string{"pid", "99999999"}, 2, "nsinspect: pid 99999999: no such process", false},
		{[]string{"pid", "self", "--bogus"}, 2, "nsinspect: unknown flag: --bogus", false},
		{[]string{"pid", "self", "--format", "{{.Nope}}"}, 2, `nsinspect: unknown field .Nope in --format; pid fields: .Capabilities .Cgroup .Errors .Findings .Host .InContainer .Isolated .Kernel .Namespaces .PID .Process .Reference .ReferenceProcess .Rootfs .Runtime .SchemaVersion .Security .Shared .Signals .Target .Unreadable`, false},
		{[]string{"pid", "self", "--format", "{{.Cgroup.Memory.Nope}}"}, 2, `nsinspect: unknown field .Nope of facts.MemoryCgroup in --format`, false},
		{[]string{"ps", "--format", "{{.Nope}}"}, 2, `nsinspect: unknown field .Nope in --format; ps fields: .CPU .CgroupPath .Command .ExitCode .ID .Image .Memory .Name .Names .Namespaces .Pid .Pids .Pod .Processes .Runtime .Short .Started .Status .UptimeSeconds`, false},
		{[]string{"stats", "--no-stream", "--format", "table {{.Nope}}"}, 2, `nsinspect: unknown field .Nope in --format; stats fields: .BlockIO .BlockReadBytes .BlockWriteBytes .CPUPerc .CPUPercent .CPUPressure .CPUQuotaPercent .Container .Hits .HostNetwork .ID .IOPressure .LimitHits .MemLimitBytes .MemLimited .MemPerc .MemPercent .MemPressure .MemPressureFull .MemUsage .MemUsageBytes .Name .NetIO .NetRxBytes .NetTxBytes .OOM .OOMKills .OOMKillsRose .PIDs .PSI .Pid .PidsCurrent .QuotaPerc .Runtime .Throttled .ThrottledPercent .Time`, false},
		{[]string{"ps", "-o", "yaml"}, 2, `nsinspect: unknown output "yaml": want table, wide or json`, false},
		{[]string{"ps", "--proc-root", "/nonexistent"}, 1, "nsinspect: listing /nonexistent: open /nonexistent: no such file or directory", false},
		{[]string{"stats", "--interval", "0"}, 2, "nsinspect: invalid --interval 0s: must be positive", false},
		{[]string{"stats", "--no-stream", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", false},
		{[]string{"stats", "--no-stream", "--proc-root", "/nonexistent"}, 1, "nsinspect: listing /nonexistent: open /nonexistent: no such file or directory", false},
		{[]string{"stop"}, 2, "nsinspect: requires at least 1 arg(s), only received 0", false},
		{[]string{"stop", "-t", "-1", "x"}, 2, "nsinspect: invalid --time -1: want 0 or more seconds", false},
		{[]string{"stop", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", true},
		{[]string{"kill", "-s", "BOGUS", "x"}, 2, `nsinspect: invalid signal "BOGUS"`, false},
		{[]string{"kill", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", true},
		{[]string{"rm", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", true},
		{[]string{"logs"}, 2, "nsinspect: accepts 1 arg(s), received 0", false},
		{[]string{"logs", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", false},
		{[]string{"audit", "nsinspect-test-nosuch"}, 2, "nsinspect: no such container: nsinspect-test-nosuch", false},
		{[]string{"audit", "99999999"}, 2, "nsinspect: pid 99999999: no such process", false},
		{[]string{"audit", "--fail-on", "high"}, 2, `nsinspect: --fail-on: unknown severity "high": want info, warn or critical`, false},
		{[]string{"audit", "-o", "yaml"}, 2, `nsinspect: unknown output "yaml": want table, json or junit`, false},
		{[]string{"audit", "--window", "-1s"}, 2, "nsinspect: invalid --window -1s: want 0 or more (e.g. 5s)", false},
		{[]string{"audit", "--window", "0", "--rule", "cpu-throttled"}, 2, "nsinspect: --rule cpu-throttled needs a sampling window: --window 0 would evaluate nothing", false},
		{[]string{"explain", "nope"}, 2, `nsinspect: unknown topic "nope": want one of kernel, namespaces, pid1, cgroups, memory, cpu, free, unionfs, capabilities, privileged, seccomp`, false},
		{[]string{"explain", "free", "--pid", "99999999"}, 2, "nsinspect: pid 99999999: no such process", false},
		{[]string{"schema", "nope"}, 2, `nsinspect: unknown schema "nope": want one of audit, inspect, pid, ps, stats`, false},
		{[]string{"gc", "x"}, 2, `nsinspect: unknown command "x" for "nsinspect gc"`, false},
		{[]string{"nosuchcommand"}, 2, `nsinspect: unknown command "nosuchcommand" for "nsinspect"`, false},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("the command checks for root before the container")
			}
			code, out, errOut := runGuarded(t, bin, tc.args...)
			if code != tc.code || errOut != tc.stderr+"\n" {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, errOut, tc.code, tc.stderr+"\n")
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// cpuList is the CPUs of set as --cpuset-cpus refusals list them.
func cpuList(set unix.CPUSet) string {
	var cpus []string
	for i := 0; i < len(set)*64; i++ {
		if set.IsSet(i) {
			cpus = append(cpus, fmt.Sprint(i))
		}
	}
	return strings.Join(cpus, ",")
}

// run's own statuses: the command's, 126 and 127 (live: they start a
// container).
func TestLiveRunExitCodes(t *testing.T) {
	requireRoot(t)
	containerTestLock(t)
	bin := buildBinary(t)
	t.Setenv("NSI_TEST_SET", "from caller")
	t.Setenv("NSI_TEST_UNSET", "") // restored after the test
	os.Unsetenv("NSI_TEST_UNSET")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"run", "--", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"run", "--", "/nonexistent-nsinspect-test"}, 127, "nsinspect: /nonexistent-nsinspect-test: no such file or directory"},
		{[]string{"run", "--", "/etc/hostname"}, 126, "permission denied"},
		{[]string{"run", "--", "nosuchcommand-nsinspect-test"}, 127, "nsinspect: nosuchcommand-nsinspect-test: executable file not found in $PATH"},
		// -e KEY takes the caller's value (the binary runs with
		// NSI_TEST_SET=from caller) or is left out when the caller has none.
		{[]string{"run", "-e", "NSI_TEST_SET", "-e", "NSI_TEST_UNSET", "--", "sh", "-c", `[ "$NSI_TEST_SET" = "from caller" ] && [ -z "${NSI_TEST_UNSET+set}" ] || exit 9`}, 0, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := runGuarded(t, bin, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) || strings.Count(errOut, "\n") > 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and at most one line containing %q", code, errOut, tc.code, tc.stderr)
			}
		})
	}
}

// -e works as Docker's: KEY=VALUE as given, KEY alone copied from the
// caller's environment or left out when unset there, an empty key refused.
func TestParseEnv(t *testing.T) {
	t.Setenv("NSI_TEST_SET", "from caller")
	t.Setenv("NSI_TEST_UNSET", "") // restored after the test
	os.Unsetenv("NSI_TEST_UNSET")
	for _, tc := range []struct {
		flags []string
		want  string
		err   string
	}{
		{[]string{"A=1", "B=", "C=x=y"}, "A=1|B=|C=x=y", ""},
		{[]string{"NSI_TEST_SET"}, "NSI_TEST_SET=from caller", ""},
		{[]string{"NSI_TEST_UNSET", "A=1"}, "A=1", ""},
		{[]string{"=x"}, "", `invalid --env "=x": want KEY=VALUE, or KEY to copy it from this environment`},
		{[]string{""}, "", `invalid --env "": want KEY=VALUE, or KEY to copy it from this environment`},
	} {
		env, err := parseEnv(tc.flags)
		if got := strings.Join(env, "|"); got != tc.want || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("parseEnv(%q) = %q, %v; want %q, %q", tc.flags, got, err, tc.want, tc.err)
		}
	}
}
