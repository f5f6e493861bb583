package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// complete runs cobra's hidden __complete as the shell scripts do, over
// the node-v2 fixture, and returns the offered lines and the directive.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	proc, cg := nodeRoots(t, "node-v2")
	code, out, errOut := run(t, append([]string{"__complete", "--proc-root", proc, "--cgroup-root", cg}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletions(t *testing.T) {
	const noFile, noFileNoSpace, dirs = ":4", ":6", ":16"
	allSignals := []string{"SIGHUP\t1", "SIGINT\t2", "SIGQUIT\t3", "SIGILL\t4", "SIGTRAP\t5", "SIGABRT\t6", "SIGBUS\t7", "SIGFPE\t8",
		"SIGKILL\t9", "SIGUSR1\t10", "SIGSEGV\t11", "SIGUSR2\t12", "SIGPIPE\t13", "SIGALRM\t14", "SIGTERM\t15", "SIGSTKFLT\t16",
		"SIGCHLD\t17", "SIGCONT\t18", "SIGSTOP\t19", "SIGTSTP\t20", "SIGTTIN\t21", "SIGTTOU\t22", "SIGURG\t23", "SIGXCPU\t24",
		"SIGXFSZ\t25", "SIGVTALRM\t26", "SIGPROF\t27", "SIGWINCH\t28", "SIGIO\t29", "SIGPWR\t30", "SIGSYS\t31"}
	for _, tc := range []struct {
		name      string
		args      []string
		want      []string
		directive string
	}{
		// PIDs of live processes, with their command, for pid and --vs.
		{"pid: pids", []string{"pid", "40"}, []string{"4000\tcontainerd-shim", "4010\tnginx", "4011\tnginx", "4015\tsh"}, noFile},
		{"pid: self", []string{"pid", "s"}, []string{"self\tnsinspect itself"}, noFile},
		{"pid: a container name", []string{"pid", "we"}, []string{"web\tdocker, f83b8fa7c0fc"}, noFile},
		{"pid: a short id", []string{"pid", "f8"}, []string{"f83b8fa7c0fc\tdocker, web"}, noFile},
		{"pid: only one argument", []string{"pid", "4010", ""}, nil, noFile},
		{"pid --vs", []string{"pid", "self", "--vs", "401"}, []string{"4010\tnginx", "4011\tnginx", "4015\tsh"}, noFile},
		{"inspect: pids and containers", []string{"inspect", "52"}, []string{"5200\tsystemd-nspawn", "5210\tbash", "5211\tmake"}, noFile},
		{"inspect: not twice", []string{"inspect", "api", "a"}, []string{"a668b5ae40da\tkubernetes, tools/debug-shell/shell"}, noFile},
		// Containers, from the listing ps makes.
		{"ps: names and ids", []string{"ps", "d"}, []string{
			"default/web-5d8f7b9c4-abcde/d984babdc8aa\tkubernetes, d984babdc8aa", "d984babdc8aa\tkubernetes, default/web-5d8f7b9c4-abcde/d984babdc8aa",
			"default/web-5d8f7b9c4-abcde/nginx\tkubernetes, 8527473bda7e", "demo\tnsinspect, 6480f8c926fc", "db\tpodman, 210fd3c88e0c"}, noFile},
		{"ps: an unnamed container once", []string{"ps", "be"}, []string{"be42b6838156\tcri-o, be42b6838156"}, noFile},
		{"stats", []string{"stats", "web", "a"}, []string{"a668b5ae40da\tkubernetes, tools/debug-shell/shell", "api\tpodman, a521bfcfd1b2", "a521bfcfd1b2\tpodman, api"}, noFile},
		// exec, stop, kill, rm and logs act on nsinspect's containers only
		// (the fixture's stopped ones would come from this host's /run).
		{"stop", []string{"stop", ""}, []string{"demo\tnsinspect, 6480f8c926fc", "6480f8c926fc\tnsinspect, demo"}, noFile},
		{"kill", []string{"kill", "-s", "HUP", "de"}, []string{"demo\tnsinspect, 6480f8c926fc"}, noFile},
		{"rm", []string{"rm", "6"}, []string{"6480f8c926fc\tnsinspect, demo"}, noFile},
		{"logs", []string{"logs", "-f", ""}, []string{"demo\tnsinspect, 6480f8c926fc", "6480f8c926fc\tnsinspect, demo"}, noFile},
		{"logs: one container", []string{"logs", "demo", ""}, nil, noFile},
		{"exec: the container", []string{"exec", "-it", "d"}, []string{"demo\tnsinspect, 6480f8c926fc"}, noFile},
		{"exec: then its command", []string{"exec", "demo", "--", ""}, nil, noFile},
		// Flag values.
		{"pid -o", []string{"pid", "self", "-o", ""}, []string{"table", "json"}, noFile},
		{"ps --output", []string{"ps", "--output", ""}, []string{"table", "wide", "json"}, noFile},
		{"stats -o w", []string{"stats", "-o", "w"}, []string{"wide"}, noFile},
		{"stats --sort", []string{"stats", "--sort", ""}, []string{"name", "cpu", "mem"}, noFile},
		{"run --network", []string{"run", "--network", ""}, []string{"none", "host"}, noFile},
		{"kill -s", []string{"kill", "-s", ""}, allSignals, noFile},
		{"kill -s TE", []string{"kill", "-s", "TE"}, []string{"TERM\t15"}, noFile},
		{"kill --signal SIGT", []string{"kill", "--signal", "SIGT"}, []string{"SIGTRAP\t5", "SIGTERM\t15", "SIGTSTP\t20", "SIGTTIN\t21", "SIGTTOU\t22"}, noFile},
		{"kill -s sigk", []string{"kill", "-s", "sigk"}, []string{"sigkill\t9"}, noFile},
		{"kill -s hu", []string{"kill", "-s", "hu"}, []string{"hup\t1"}, noFile},
		{"ps --filter keys", []string{"ps", "--filter", ""}, []string{"id=", "name=", "namespace=", "pod=", "runtime=", "status="}, noFileNoSpace},
		{"ps -f n", []string{"ps", "-f", "n"}, []string{"name=", "namespace="}, noFileNoSpace},
		{"ps -f status=", []string{"ps", "-f", "status="}, []string{"status=created", "status=restarting", "status=running", "status=removing", "status=paused", "status=exited", "status=dead"}, noFile},
		{"--proc-root", []string{"ps", "--proc-root", ""}, nil, dirs},
		{"commands", []string{"s"}, []string{"schema\tPrint the JSON Schema of a command's JSON output", "stats\tLive resource usage of every container, like docker stats for all runtimes", "stop\tStop containers: SIGTERM, then SIGKILL after the timeout (default 10 s)"}, noFile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, directive := complete(t, tc.args...)
			if !slices.Equal(got, tc.want) || directive != tc.directive {
				t.Errorf("__complete %q:\n got %q %s\nwant %q %s", tc.args, got, directive, tc.want, tc.directive)
			}
		})
	}
}

// A name a container chose is offered only when it can be typed, and its
// description never carries a control character to the shell.
func TestCompletionCandidates(t *testing.T) {
	var out []cobra.Completion
	for _, c := range []struct{ value, desc string }{
		{"web", "docker"},
		{"we\x1b[2Jb", "docker"},
		{"w eb", "docker"},
		{"we\u202eb", "docker"},
		{"webby", "evil\tdesc\nnext"},
		{"other", "x"},
	} {
		out = candidate(out, c.value, c.desc, "we")
	}
	if want := []string{"web\tdocker", `webby` + "\t" + `evil\tdesc\nnext`}; !slices.Equal(out, want) {
		t.Errorf("candidates %q, want %q", out, want)
	}
}

// Each shell's script names the program and asks it for completions;
// bash's passes bash -n.
func TestCompletionScripts(t *testing.T) {
	for _, tc := range []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"# bash completion V2 for nsinspect", "__start_nsinspect()", "complete -o default -F __start_nsinspect nsinspect", "__complete"}},
		{"zsh", []string{"#compdef nsinspect", "compdef _nsinspect nsinspect", "__complete"}},
		{"fish", []string{"# fish completion for nsinspect", "complete -c nsinspect ", "__complete"}},
	} {
		t.Run(tc.shell, func(t *testing.T) {
			code, out, errOut := run(t, "completion", tc.shell)
			if code != 0 || errOut != "" {
				t.Fatalf("completion %s: exit %d, stderr %q", tc.shell, code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("completion %s: the script has no %q", tc.shell, w)
				}
			}
			if tc.shell != "bash" {
				return
			}
			bash, err := exec.LookPath("bash")
			if err != nil {
				t.Skip("no bash to check the script with")
			}
			f := filepath.Join(t.TempDir(), "nsinspect.bash")
			if err := os.WriteFile(f, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command(bash, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("bash -n rejects the script: %v\n%s", err, b)
			}
		})
	}
}
