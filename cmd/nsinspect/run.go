package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/launch"
	"github.com/nsinspect/nsinspect/report"
)

// exitLaunch is Docker's code for a failure of the launcher itself (bad
// flags included); run otherwise exits with the container's own status.
const exitLaunch = 125

type runFlags struct {
	memory, memorySwap, cpus, cpusetCPUs string
	tmpfsSize                            string
	// Numbers are read as strings, so that a bad one is refused in
	// nsinspect's words, echoing what was typed.
	cpuShares, pidsLimit, oomScoreAdj string
	name, hostname, workdir, user     string
	network, pid, rootfs, initPath    string
	detach, rm, readOnly, privileged  bool
	initProc, interactive, tty        bool
	env, volumes, capAdd, capDrop     []string
	groupAdd, sysctls, logOpts        []string
	securityOpts                      []string
}

func newRunCmd(s streams, g *globals) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] -- COMMAND [ARG...]",
		Short: "Run a command in a new, isolated container",
		Long: `Run a command in new pid, mount, uts, ipc, network and cgroup namespaces,
inside cgroups with the given limits, on an overlay of the host's / (or of
--rootfs) with a private writable layer, with Docker's default capabilities.
The command is PID 1 of the container, as with Docker; --init puts a small
reaping init in front of it. Exit status: the command's own, 128+N when a
signal N killed it, 137 with a message when the memory limit did, 127 when
the command is not found, 126 when it cannot be executed, 125 when
nsinspect itself failed.`,
		Example: `  nsinspect run --memory 512m -- sh
  nsinspect run --memory 512m --cpus 1 --pids-limit 100 --hostname web -- python3 app.py
  nsinspect run -d --name web --memory 256m -- sleep 1000
  nsinspect run --rootfs /srv/busybox --read-only -- /bin/sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes'`,
		Args: launchArgs(func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("no command given: nsinspect run [flags] -- COMMAND [ARG...]")
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			spec, err := f.spec(cmd, args)
			if err != nil {
				return exitError{code: exitLaunch, err: err}
			}
			return runContainer(s, spec)
		},
	}
	fl := cmd.Flags()
	fl.SetInterspersed(false) // everything after the command belongs to it
	fl.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 512m, 1g; default 1g, 0 for none)")
	fl.StringVar(&f.memorySwap, "memory-swap", "", "memory plus swap limit; -1 for unlimited swap")
	fl.StringVar(&f.cpus, "cpus", "", "number of CPUs (CFS quota), e.g. 1.5")
	fl.StringVarP(&f.cpuShares, "cpu-shares", "c", "", "relative CPU weight, 2 to 262144 (default 1024)")
	fl.StringVar(&f.cpusetCPUs, "cpuset-cpus", "", "CPUs the container may use, e.g. 0-1")
	fl.StringVar(&f.pidsLimit, "pids-limit", "", "maximum number of tasks (default 2048; 0 or -1: unlimited)")
	fl.StringVar(&f.name, "name", "", "container name")
	fl.StringVar(&f.hostname, "hostname", "", "hostname (default: the short id)")
	fl.BoolVarP(&f.detach, "detach", "d", false, "run in the background and print the container id")
	fl.BoolVar(&f.rm, "rm", false, "remove the container's state when it exits (the default for foreground runs)")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to copy it)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&f.user, "user", "u", "", "uid[:gid] to run the command as")
	fl.StringArrayVarP(&f.volumes, "volume", "v", nil, "bind mount host:container[:ro]")
	fl.BoolVar(&f.readOnly, "read-only", false, "mount the container's / read-only")
	fl.StringVar(&f.rootfs, "rootfs", "", "directory to use as the read-only lower layer instead of the host's /")
	fl.StringVar(&f.network, "network", "none", "none (own network namespace with lo up) or host")
	fl.StringVar(&f.pid, "pid", "", "host to share the host's pid namespace (the command is then not PID 1 and sees every host process); own by default")
	fl.BoolVar(&f.privileged, "privileged", false, "every capability nsinspect holds, host devices, no masks")
	fl.StringArrayVar(&f.capAdd, "cap-add", nil, "add a capability (CAP_NET_ADMIN, SYS_PTRACE, ALL)")
	fl.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop a capability (or ALL)")
	fl.BoolVar(&f.initProc, "init", false, "run an init as PID 1 that forwards signals to the command and reaps zombies (the host's docker-init or tini, as Docker)")
	fl.StringVar(&f.initPath, "init-path", "", "host binary to use for --init, statically linked (default: docker-init, tini-static or tini, found on the host)")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep stdin open and pass it to the container (default when stdin is a terminal)")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a terminal inside the container (default when stdin is a terminal)")
	fl.StringVar(&f.tmpfsSize, "tmpfs-size", "", "bound of the writable layer and /tmp, /run, /root, ... together (default 1g, or --memory when smaller)")
	fl.StringArrayVar(&f.groupAdd, "group-add", nil, "add a supplementary group (numeric gid); none by default")
	fl.StringVar(&f.oomScoreAdj, "oom-score-adj", "", "the container's oom_score_adj, -1000 to 1000 (default 0)")
	fl.StringArrayVar(&f.sysctls, "sysctl", nil, "set a namespaced sysctl (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, kernel.domainname)")
	fl.StringArrayVar(&f.logOpts, "log-opt", nil, "bound a detached container's log: max-size=10m, max-file=3 (the defaults)")
	fl.StringArrayVar(&f.securityOpts, "security-opt", nil, "seccomp=unconfined, or seccomp=PROFILE.json (Docker's format); Docker's default profile otherwise")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitError{code: exitLaunch, err: err}
	})
	return cmd
}

// spec turns the flags into a launch.Spec, rejecting malformed values
// before anything is created.
func (f *runFlags) spec(cmd *cobra.Command, args []string) (*launch.Spec, error) {
	spec := &launch.Spec{
		Args: args, Name: f.name, Hostname: f.hostname, Cwd: f.workdir, Network: f.network, PID: f.pid,
		ReadOnly: f.readOnly, Privileged: f.privileged, CapAdd: f.capAdd, CapDrop: f.capDrop,
		Init: f.initProc, TTY: f.tty, Interactive: f.interactive, Detach: f.detach,
	}
	if f.initPath != "" {
		abs, err := filepath.Abs(f.initPath)
		if err != nil {
			return nil, fmt.Errorf("invalid --init-path %q: %w", f.initPath, err)
		}
		spec.InitPath = abs
	}
	spec.Remove = f.rm || (!cmd.Flags().Changed("rm") && !f.detach)
	// On a terminal, a foreground run is interactive by default, as
	// docker run -it: `nsinspect run -- sh` is a usable shell.
	if !f.detach && !cmd.Flags().Changed("tty") && !cmd.Flags().Changed("interactive") && launch.IsTerminal(os.Stdin) {
		spec.TTY, spec.Interactive = true, true
	}
	if f.rootfs != "" {
		st, err := os.Stat(f.rootfs)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("invalid --rootfs %q: not a directory", f.rootfs)
		}
		// Made absolute, not resolved: the launcher opens it once without
		// following symlinks, and says so if it has one.
		abs, err := filepath.Abs(f.rootfs)
		if err != nil {
			return nil, fmt.Errorf("invalid --rootfs %q: %w", f.rootfs, err)
		}
		spec.Rootfs = abs
	}
	if f.tmpfsSize != "" {
		v, err := launch.ParseBytes(f.tmpfsSize)
		if err != nil || v < 1<<20 {
			return nil, fmt.Errorf("invalid --tmpfs-size %q: want a size of at least 1m, such as 256m", f.tmpfsSize)
		}
		spec.TmpfsSize = &v
	}
	for _, g := range f.groupAdd {
		gid, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("invalid --group-add %q: want a numeric gid (names are not looked up)", g)
		}
		spec.Groups = append(spec.Groups, uint32(gid))
	}
	if f.oomScoreAdj != "" {
		n, err := strconv.Atoi(f.oomScoreAdj)
		if err != nil || n < -1000 || n > 1000 {
			return nil, fmt.Errorf("invalid --oom-score-adj %q: want -1000 to 1000", f.oomScoreAdj)
		}
		spec.OOMScoreAdj = n
	}
	for _, kv := range f.sysctls {
		k, v, err := launch.ParseSysctl(kv, f.network == "host")
		if err != nil {
			return nil, err
		}
		if spec.Sysctls == nil {
			spec.Sysctls = map[string]string{}
		}
		spec.Sysctls[k] = v
	}
	spec.Seccomp = launch.Seccomp{Profile: launch.SeccompDefault}
	for _, o := range f.securityOpts {
		if err := spec.ParseSecurityOpt(o); err != nil {
			return nil, err
		}
	}
	spec.Log = launch.DefaultLogOptions
	for _, o := range f.logOpts {
		if err := spec.Log.ParseLogOpt(o); err != nil {
			return nil, err
		}
	}
	r := &spec.Resources
	// Limits by default (launch.DefaultMemoryBytes, DefaultPidsLimit):
	// one container must not take the host's memory or pids; 0 lifts them.
	mem, pids := int64(launch.DefaultMemoryBytes), int64(launch.DefaultPidsLimit)
	r.MemoryBytes, r.PidsLimit = &mem, &pids
	if f.memory == "-1" {
		r.MemoryBytes = nil
	} else if f.memory != "" {
		v, err := launch.ParseBytes(f.memory)
		if err != nil {
			return nil, fmt.Errorf("invalid --memory %q: want a size such as 512m or 1g (units b, k, m, g)", f.memory)
		}
		switch {
		case v == 0: // 0, 0m, 0g: no limit, as Docker's
			r.MemoryBytes = nil
		case v < 6<<20: // the kernel's and Docker's minimum
			return nil, fmt.Errorf("invalid --memory %q: the minimum is 6m", f.memory)
		default:
			r.MemoryBytes = &v
		}
	}
	if f.memorySwap != "" {
		v := int64(-1)
		if f.memorySwap != "-1" {
			var err error
			if v, err = launch.ParseBytes(f.memorySwap); err != nil {
				return nil, fmt.Errorf("invalid --memory-swap %q: want a size such as 1g, or -1 for unlimited swap", f.memorySwap)
			}
		}
		r.MemorySwapBytes = &v
	}
	if f.cpus != "" {
		q, p, err := launch.ParseCPUs(f.cpus, runtime.NumCPU())
		if err != nil {
			return nil, err
		}
		r.CPUQuota, r.CPUPeriod = &q, p
	}
	if f.cpuShares != "" {
		n, err := strconv.ParseUint(f.cpuShares, 10, 64)
		if err != nil || n < 2 || n > 262144 {
			return nil, fmt.Errorf("invalid --cpu-shares %q: want a number from 2 to 262144", f.cpuShares)
		}
		r.CPUShares = &n
	}
	if f.cpusetCPUs != "" {
		v, err := launch.ParseCpuset(f.cpusetCPUs)
		if err != nil {
			return nil, err
		}
		if err := cpusAllowed(f.cpusetCPUs); err != nil {
			return nil, err
		}
		r.CpusetCPUs = v
	}
	if f.pidsLimit != "" {
		n, err := strconv.ParseInt(f.pidsLimit, 10, 64)
		if err != nil || n < -1 {
			return nil, fmt.Errorf("invalid --pids-limit %q: want a positive number, or 0 / -1 for unlimited", f.pidsLimit)
		}
		r.PidsLimit = nil
		if n > 0 {
			r.PidsLimit = &n
		}
	}
	if f.user != "" {
		uid, gid, err := launch.ParseUser(f.user)
		if err != nil {
			return nil, err
		}
		spec.UID, spec.GID = uid, gid
	}
	for _, v := range f.volumes {
		vol, err := launch.ParseVolume(v)
		if err != nil {
			return nil, err
		}
		if _, err := os.Stat(vol.Source); err != nil {
			return nil, fmt.Errorf("invalid --volume %q: %s does not exist", v, vol.Source)
		}
		spec.Volumes = append(spec.Volumes, vol)
	}
	var err error
	if spec.Env, err = parseEnv(f.env); err != nil {
		return nil, err
	}
	if err := launch.ValidateCapNames("--cap-add", f.capAdd); err != nil {
		return nil, err
	}
	if err := launch.ValidateCapNames("--cap-drop", f.capDrop); err != nil {
		return nil, err
	}
	if f.tty && !launch.IsTerminal(os.Stdin) {
		return nil, errors.New("-t: the input device is not a terminal")
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}

// parseEnv reads -e flags as Docker does: KEY=VALUE sets KEY; KEY alone
// takes the caller's value of KEY, and is left out when the caller has
// none; an empty KEY is refused.
func parseEnv(flags []string) ([]string, error) {
	var env []string
	for _, e := range flags {
		k, _, hasValue := strings.Cut(e, "=")
		if k == "" || strings.ContainsAny(k, "\x00") {
			return nil, fmt.Errorf("invalid --env %q: want KEY=VALUE, or KEY to copy it from this environment", e)
		}
		if !hasValue {
			v, ok := os.LookupEnv(k)
			if !ok {
				continue
			}
			e += "=" + v
		}
		env = append(env, e)
	}
	return env, nil
}

// cpusAllowed checks a --cpuset-cpus list (already well formed) against
// the CPUs nsinspect may run on, which the container inherits: the online
// ones, less any affinity or cpuset it runs under. The kernel would refuse
// the list only when the cgroup is written, after much has been created.
func cpusAllowed(list string) error {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil // the kernel will say
	}
	var have []string
	for i := 0; i < len(set)*64; i++ {
		if set.IsSet(i) {
			have = append(have, strconv.Itoa(i))
		}
	}
	for part := range strings.SplitSeq(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		a, _ := strconv.Atoi(lo)
		b, _ := strconv.Atoi(hi)
		for cpu := a; cpu <= b; cpu++ {
			if !set.IsSet(cpu) {
				return fmt.Errorf("invalid --cpuset-cpus %q: CPU %d is not available; this host's CPUs are %s", list, cpu, strings.Join(have, ","))
			}
		}
	}
	return nil
}

// launchArgs makes an argument check fail with Docker's 125, as run and
// exec fail for every error of nsinspect itself.
func launchArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return exitError{code: exitLaunch, err: err}
		}
		return nil
	}
}

// runContainer runs spec in the foreground (or starts it detached) and
// turns its end into nsinspect's exit code.
func runContainer(s streams, spec *launch.Spec) error {
	if os.Geteuid() != 0 {
		return exitError{code: exitLaunch, err: errors.New("run needs root (namespaces, cgroups and mounts)")}
	}
	if spec.Detach {
		st, err := launch.StartDetached(spec)
		if err != nil {
			return launchErr(err)
		}
		fmt.Fprintln(s.out, st.ID)
		return nil
	}
	c, err := launch.Create(spec)
	if err != nil {
		return launchErr(err)
	}
	if spec.Privileged {
		// docker run --privileged fails outright when the daemon lacks a
		// capability; nsinspect grants what it holds and says what not.
		msg := fmt.Sprintf("nsinspect: --privileged: %d capabilities, the host's /dev, no masked or read-only paths, writable /sys and cgroupfs", len(c.State.Spec.Capabilities))
		if m := c.State.Spec.MissingCaps; len(m) > 0 {
			msg += "; not granted, because nsinspect itself lacks them: " + strings.Join(m, ", ")
		}
		fmt.Fprintln(s.err, msg)
	}
	// Signals meant for the container: forwarded to its PID 1 from the
	// moment it exists, so none is lost while it starts.
	fg := launch.CatchSignals()
	defer fg.Stop()

	stdio := launch.Stdio{Out: os.Stdout, Err: os.Stderr}
	if spec.Interactive && !spec.TTY {
		stdio.In = os.Stdin
	}
	if err := c.Start(stdio); err != nil {
		return launchErr(err)
	}
	fg.Attach(c)
	es := c.Wait()
	fg.Ended(c)
	if err := c.Finish(es); err != nil {
		fmt.Fprintln(s.err, "nsinspect: cleaning up: "+err.Error())
	}
	if es.Message != "" {
		fmt.Fprintln(s.err, "nsinspect: "+report.Escape(es.Message))
	}
	if es.Code != 0 {
		return exitError{code: es.Code}
	}
	return nil
}

// launchErr prints a launcher failure with its code (125, 126, 127); nil
// stays nil.
func launchErr(err error) error {
	if err == nil {
		return nil
	}
	var ee *launch.ExitError
	if errors.As(err, &ee) {
		return exitError{code: ee.Code, err: ee.Err}
	}
	return exitError{code: exitLaunch, err: err}
}
