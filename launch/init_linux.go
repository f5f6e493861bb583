package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/launch/seccomp"
)

// IsInit reports whether this process is a container's init (or the exec
// helper), re-executed by the launcher.
func IsInit() bool {
	return len(os.Args) > 1 && os.Args[1] == InitArg && os.Getenv(strings.Split(initEnv, "=")[0]) == "1"
}

// initError carries the exit code Docker's contract gives a failure: 125
// for setup, 126 for a command that cannot be executed, 127 for one that
// is not found.
type initError struct {
	code int
	err  error
}

func (e *initError) Error() string { return e.err.Error() }

func setupErr(format string, a ...any) error {
	return &initError{125, fmt.Errorf(format, a...)}
}

// Init is the container's init: PID 1 of the new pid namespace, in new
// mount, uts, ipc and net namespaces, already inside its cgroups. It never
// returns: it execs the user's command, or with --init the sealed copy of
// the host's docker-init (tini) in front of it. Started
// for nsinspect exec, it is the exec helper instead (exechelper_linux.go).
func Init() {
	// Every step below changes this thread's state (cgroup namespace,
	// capabilities, credentials) and must be on the thread that execs.
	runtime.LockOSThread()
	setName("nsinspect-init")
	sock := os.NewFile(fdSock, "init-socket")
	// Not dumpable while the host's binary and fds are ours: no process
	// could ptrace or open /proc/1/* of the init (CVE-2016-9962).
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	var cfg initConfig
	buf := make([]byte, 1<<20)
	n, _, _, _, err := unix.Recvmsg(fdSock, buf, nil, 0)
	if err != nil || n == 0 {
		os.Exit(125) // the launcher is gone
	}
	if err := json.Unmarshal(buf[:n], &cfg); err != nil {
		report(sock, &initError{125, fmt.Errorf("reading the container config: %w", err)})
	}
	if cfg.Exec {
		report(sock, execHelper(&cfg))
	}
	report(sock, run(&cfg))
}

// setName sets the comm ps shows: exec'd from a memfd it would be the fd
// number.
func setName(name string) {
	b := append([]byte(name), 0)
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0)
}

// report sends a failure to the launcher and exits with its code.
func report(sock *os.File, err error) {
	code := 125
	var ie *initError
	if errors.As(err, &ie) {
		code = ie.code
	}
	b, _ := json.Marshal(message{Type: msgError, Code: code, Error: err.Error()})
	unix.Sendmsg(fdSock, b, nil, nil, 0)
	os.Exit(code)
}

func send(m message, fds ...int) error {
	b, _ := json.Marshal(m)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	return unix.Sendmsg(fdSock, b, oob, nil, 0)
}

// pause blocks forever at a named setup step when a test asks for it
// (NSINSPECT_TEST_PAUSE_AT), so the test can kill the launcher there.
func pause(cfg *initConfig, step string) {
	if cfg.PauseAt == step {
		for {
			time.Sleep(time.Hour)
		}
	}
}

// launcherGone reports whether the liveness pipe has hung up.
func launcherGone() bool {
	fds := []unix.PollFd{{Fd: fdLive, Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLIN) != 0
}

func run(cfg *initConfig) error {
	spec := &cfg.Spec
	// SIGKILL if the launcher's thread dies. Set again here because the
	// clone-time setting does not survive every exec path.
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	if launcherGone() {
		os.Exit(125)
	}
	if err := setProcessLimits(spec, "/proc/self/oom_score_adj"); err != nil {
		return err
	}
	rootfd, pidsFd, err := setupContainer(cfg)
	if err != nil {
		return err
	}
	unix.Close(rootfd)

	env := containerEnv(spec)
	if err := enterWorkdir(spec.Cwd); err != nil {
		return err
	}
	path, err := lookCommand(spec.Args[0], env)
	if err != nil {
		return err
	}
	tty := -1
	if spec.TTY {
		master, slave, err := openPty()
		if err != nil {
			return setupErr("allocating a terminal: %w", err)
		}
		// /dev/console is the terminal, bound via the fd we opened and
		// verified, never through a path the container could swap.
		if err := bindConsole(slave); err != nil {
			return setupErr("binding /dev/console: %w", err)
		}
		if err := send(message{Type: msgPty}, master); err != nil {
			return setupErr("passing the terminal to the launcher: %w", err)
		}
		unix.Close(master)
		tty = slave
	}

	if err := dropPrivileges(spec); err != nil {
		return err
	}
	// Changing the credentials cleared the parent-death signal (for a
	// non-root --user): set it again, then check the launcher did not die
	// in between; from here the liveness pipe is no longer needed.
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	pause(cfg, "before-exec")
	if launcherGone() {
		os.Exit(125)
	}
	unix.Close(fdLive)
	// Only stdio survive exec. The socket closing on exec is how the
	// launcher learns that exec worked.
	unix.CloseRange(fdSock, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	// The terminal is PID 1's: the command itself, or with --init tini,
	// which puts the command in a process group of its own and makes that
	// the terminal's foreground group, as under Docker.
	if tty >= 0 {
		if err := takeTerminal(tty); err != nil {
			return setupErr("%w", err)
		}
	}
	unignoreSignals()
	ex, err := prepareExec(spec, path, env, pidsFd)
	if err != nil {
		return err
	}
	// The filter last, immediately before exec: everything above needs
	// calls the container may not make (mount, pivot_root, sethostname).
	if err := loadFilter(cfg.Seccomp); err != nil {
		return err
	}
	if err := ex.run(); err != nil {
		if spec.Init {
			return setupErr("starting the --init binary %s: %w", spec.InitPath, err)
		}
		return execError(spec.Args[0], err)
	}
	return nil
}

// fdInit is where the launcher puts the sealed copy of the host's init
// binary (--init, --init-path) for the container's init.
const fdInit = 5

// lastExec is the container's init's last two system calls, prepared in
// advance: writing pids.max (see cgroupSet.pidsFile), then execveat. Both
// are raw system calls and nothing is allocated between them, so the Go
// runtime, which may not start another thread once the limit holds, has
// no reason to.
type lastExec struct {
	dirfd, flags int
	path         *byte
	argv, envv   []*byte
	pidsFd       int
	pidsMax      []byte
}

// prepareExec builds the last exec: the command itself, found at path in
// the container; or with --init the sealed init binary at fdInit, by
// descriptor (no path in the container's root is ever resolved for it),
// as "docker-init -- COMMAND ARGS...", which is what ps shows under
// Docker. The init binary finds the command with the container's PATH,
// as Docker's does; lookCommand has checked it is there.
func prepareExec(spec *Spec, path string, env []string, pidsFd int) (*lastExec, error) {
	ex := &lastExec{dirfd: unix.AT_FDCWD, pidsFd: pidsFd}
	argv := spec.Args
	if spec.Init {
		ex.dirfd, ex.flags, path = fdInit, unix.AT_EMPTY_PATH, ""
		argv = append([]string{filepath.Base(spec.InitPath), "--"}, spec.Args...)
	}
	var err error
	if ex.path, err = syscall.BytePtrFromString(path); err != nil {
		return nil, setupErr("exec %s: %w", path, err)
	}
	if ex.argv, err = syscall.SlicePtrFromStrings(argv); err != nil {
		return nil, setupErr("exec %s: %w", spec.Args[0], err)
	}
	if ex.envv, err = syscall.SlicePtrFromStrings(env); err != nil {
		return nil, setupErr("exec %s: %w", spec.Args[0], err)
	}
	if pidsFd >= 0 {
		if spec.Resources.PidsLimit == nil {
			return nil, setupErr("received pids.max without a --pids-limit")
		}
		ex.pidsMax = []byte(strconv.FormatInt(*spec.Resources.PidsLimit, 10))
	}
	return ex, nil
}

// run writes the pids limit and execs. It returns only on failure: a
// failed write is a setup error (125), a failed exec the caller's to
// judge.
func (ex *lastExec) run() error {
	if ex.pidsFd >= 0 {
		n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(ex.pidsFd), uintptr(unsafe.Pointer(&ex.pidsMax[0])), uintptr(len(ex.pidsMax)))
		if errno != 0 || int(n) != len(ex.pidsMax) {
			return setupErr("setting pids.max to %s: %w", ex.pidsMax, errno)
		}
	}
	argv, envv := uintptr(unsafe.Pointer(&ex.argv[0])), uintptr(unsafe.Pointer(&ex.envv[0]))
	if ex.dirfd == unix.AT_FDCWD {
		// execve, not execveat: a --security-opt profile may allow only it.
		_, _, errno := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(ex.path)), argv, envv)
		return errno
	}
	_, _, errno := unix.RawSyscall6(unix.SYS_EXECVEAT, uintptr(ex.dirfd), uintptr(unsafe.Pointer(ex.path)), argv, envv, uintptr(ex.flags), 0)
	return errno
}

// loadFilter installs the compiled seccomp program on this thread (none
// for an unconfined container). no_new_privs is set by then.
func loadFilter(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	p, err := seccomp.ProgramFrom(b)
	if err != nil {
		return setupErr("%w", err)
	}
	if err := seccomp.Load(p); err != nil {
		return setupErr("%w", err)
	}
	return nil
}

// setProcessLimits sets what the container must not inherit from whoever
// started nsinspect: its oom_score_adj (0 unless --oom-score-adj) and its
// open-file limit (soft = hard, as Docker gives containers). Both are
// per-process; oomFile is the host's /proc/self/oom_score_adj.
func setProcessLimits(spec *Spec, oomFile string) error {
	if err := os.WriteFile(oomFile, []byte(strconv.Itoa(spec.OOMScoreAdj)), 0); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return setupErr("setting oom_score_adj to %d: %w (lowering it needs CAP_SYS_RESOURCE, which nsinspect lacks here; give --oom-score-adj at least the caller's, see /proc/self/oom_score_adj)", spec.OOMScoreAdj, err)
		}
		return setupErr("setting oom_score_adj to %d: %w", spec.OOMScoreAdj, err)
	}
	// Go raises its own soft limit at start-up and restores it only for
	// children started through os/exec; set it explicitly so every process
	// of the container, run or exec'd, gets the same.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return nil
}

// setupContainer makes the init's namespaces into a container: root
// filesystem, cgroup namespace, hostname, loopback. It returns the
// descriptor of the new root.
func setupContainer(cfg *initConfig) (rootfd, pidsFd int, err error) {
	spec := &cfg.Spec
	cgroupMounts, rootfd, err := setupRootfs(cfg)
	if err != nil {
		return -1, -1, err
	}
	// Wait until the launcher has moved us into the container's cgroups.
	if pidsFd, err = awaitGo(); err != nil {
		return -1, -1, err
	}
	// The cgroup namespace is made now, not at clone time: we are in the
	// container's cgroups, so their directories become the namespace's
	// root, /proc/self/cgroup reads "/", and the cgroupfs mounted below
	// shows the container's own limits.
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return -1, -1, setupErr("creating the cgroup namespace: %w", err)
	}
	if err := setupCgroupfs(rootfd, cfg.Cgroup, cgroupMounts, spec.Privileged); err != nil {
		return -1, -1, err
	}
	if spec.ReadOnly {
		if err := setAttrs(rootfd, unix.MOUNT_ATTR_RDONLY, false); err != nil {
			return -1, -1, setupErr("making / read-only: %w", err)
		}
	}
	if err := unix.Sethostname([]byte(spec.hostname())); err != nil {
		return -1, -1, setupErr("setting hostname: %w", err)
	}
	if spec.Network != "host" {
		if err := loopbackUp(); err != nil {
			return -1, -1, setupErr("bringing up lo: %w", err)
		}
	}
	return rootfd, pidsFd, nil
}

// awaitGo blocks until the launcher says the init is in its cgroups. With
// --pids-limit the message carries the cgroup's pids.max, returned
// (close-on-exec) for the last step before exec; -1 otherwise.
func awaitGo() (int, error) {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(fdSock, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil || n == 0 {
		os.Exit(125) // the launcher is gone
	}
	var m message
	if err := json.Unmarshal(buf[:n], &m); err != nil || m.Type != msgGo {
		return -1, setupErr("unexpected message from the launcher")
	}
	if oobn == 0 {
		return -1, nil
	}
	scms, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(scms) != 1 {
		return -1, setupErr("unexpected descriptors from the launcher")
	}
	fds, err := unix.ParseUnixRights(&scms[0])
	if err != nil || len(fds) != 1 {
		return -1, setupErr("unexpected descriptors from the launcher")
	}
	return fds[0], nil
}

// containerEnv is Docker's default environment plus the user's -e values.
func containerEnv(spec *Spec) []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOSTNAME=" + spec.hostname(),
		"HOME=/root",
		"container=nsinspect",
	}
	if spec.UID != 0 {
		env[2] = "HOME=/"
	}
	if spec.TTY {
		env = append(env, "TERM=xterm")
	}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		for i, e := range env {
			if strings.HasPrefix(e, k+"=") {
				env[i] = kv
				return
			}
		}
		env = append(env, kv)
	}
	for _, kv := range spec.Env {
		set(kv)
	}
	return env
}

// enterWorkdir makes and enters the working directory. It runs inside the
// container's root, so the path resolves there; one that leads outside it
// anyway (an inherited fd, a /proc/self/fd/N path) shows as "(unreachable)"
// and is refused (CVE-2024-21626).
func enterWorkdir(cwd string) error {
	if cwd == "" {
		cwd = "/"
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return setupErr("creating working directory %s: %w", cwd, err)
	}
	if err := unix.Chdir(cwd); err != nil {
		return setupErr("entering working directory %s: %w", cwd, err)
	}
	if wd, err := unix.Getwd(); err != nil || !filepath.IsAbs(wd) {
		return setupErr("working directory %s is outside the container", cwd)
	}
	return nil
}

// lookCommand finds the command as the container sees it, with the
// container's PATH: 127 when it is not there, 126 when it is there but
// cannot be executed.
func lookCommand(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	var denied error
	for dir := range strings.SplitSeq(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		var ie *initError
		if errors.As(err, &ie) && ie.code == 126 && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", denied
	}
	return "", &initError{127, fmt.Errorf("%s: executable file not found in $PATH", name)}
}

func checkExecutable(p string) error {
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR):
		return &initError{127, fmt.Errorf("%s: no such file or directory", p)}
	case err != nil:
		return &initError{126, fmt.Errorf("%s: %w", p, err)}
	case st.IsDir() || !st.Mode().IsRegular():
		return &initError{126, fmt.Errorf("%s: permission denied (not an executable file)", p)}
	case unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS) != nil:
		return &initError{126, fmt.Errorf("%s: permission denied", p)}
	}
	return nil
}

func execError(name string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return &initError{127, fmt.Errorf("exec %s: no such file or directory (or its interpreter is missing)", name)}
	default:
		return &initError{126, fmt.Errorf("exec %s: %w", name, err)}
	}
}

// dropPrivileges leaves the calling thread with the container's
// credentials only: a session keyring of its own, bounding = permitted =
// effective = the chosen capabilities, inheritable and ambient empty, the
// configured supplementary groups (none by default, whatever the caller's
// were), the user's gid and uid, and no_new_privs. Every call here is
// per-thread: capset, prctl and the raw set*id system calls (the libc and
// Go wrappers change every thread of the process), so the exec helper can
// drop one thread to the container's credentials and fork from it while
// its other threads keep theirs; the init execs right after, which ends
// its other threads.
//
// It reads no file: after setns into a container's mount namespace every
// path is the container's.
func dropPrivileges(spec *Spec) error {
	// The caller's session keyring (an operator's login session, with
	// whatever keys it holds) stays the caller's.
	if _, _, errno := unix.RawSyscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0); errno != 0 {
		return setupErr("joining a new session keyring: %w", errno)
	}
	caps, err := capability.NewPid2(0)
	if err != nil {
		return setupErr("reading capabilities: %w", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	for _, n := range spec.Capabilities {
		if c, ok := capByName(n); ok {
			caps.Set(capability.EFFECTIVE|capability.PERMITTED|capability.BOUNDS, c)
		}
	}
	// The bounding set first (dropping needs CAP_SETPCAP, still held),
	// then the ids (CAP_SETUID/SETGID), then the final sets.
	if err := caps.Apply(capability.BOUNDS); err != nil {
		return setupErr("dropping capabilities from the bounding set: %w", err)
	}
	groups := make([]int, len(spec.Groups))
	for i, g := range spec.Groups {
		groups[i] = int(g)
	}
	if err := unix.Setgroups(groups); err != nil { // x/sys: the raw, per-thread call
		return setupErr("setting supplementary groups %v: %w", spec.Groups, err)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(spec.GID), uintptr(spec.GID), uintptr(spec.GID)); errno != 0 {
		return setupErr("setting gid %d: %w", spec.GID, errno)
	}
	if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(spec.UID), uintptr(spec.UID), uintptr(spec.UID)); errno != 0 {
		return setupErr("setting uid %d: %w", spec.UID, errno)
	}
	if spec.UID != 0 {
		// Changing to a non-zero uid emptied permitted and effective;
		// inheritable and ambient go too.
		caps.Clear(capability.CAPS)
	}
	if err := caps.Apply(capability.CAPS | capability.AMBS); err != nil {
		return setupErr("setting capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return setupErr("setting no_new_privs: %w", err)
	}
	return nil
}

// unignoreSignals makes the command about to be exec'd start with every
// signal at its default. A signal the launcher's caller ignored (nohup, a
// daemon's SIGHUP) is still ignored here, and execve keeps an ignored
// signal ignored: the command could not even trap it (a shell may not trap
// what it started ignoring). Docker's containers start from its daemon
// with every signal at its default; so do these. The Go runtime leaves
// only SIGHUP and SIGINT ignored when it found them so, and handles every
// other; taking those two as well makes execve reset them all.
func unignoreSignals() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGHUP, syscall.SIGINT)
}
