package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"
)

// IsInit reports whether this process is a container's init, re-executed
// by the launcher.
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
// returns: it execs the user's command, or with --init stays as a reaper.
func Init() {
	// Every step below changes this thread's state (cgroup namespace,
	// capabilities, credentials) and must be on the thread that execs.
	runtime.LockOSThread()
	// Exec'd from /proc/self/exe or a memfd, the comm would be "exe" or
	// the fd number; ps inside a --init container should say what it is.
	unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&[]byte("nsinspect-init\x00")[0])), 0, 0, 0)
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
	err = run(&cfg, sock)
	report(sock, err)
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

func run(cfg *initConfig, sock *os.File) error {
	spec := &cfg.Spec
	hostname := spec.Hostname
	if hostname == "" {
		hostname = spec.ID[:12]
	}
	if !cfg.Exec {
		if err := setupContainer(cfg, hostname); err != nil {
			return err
		}
	} else {
		unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
		if launcherGone() {
			os.Exit(125)
		}
	}

	env := containerEnv(spec, hostname)
	os.Clearenv()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	cwd := spec.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return setupErr("creating working directory %s: %w", cwd, err)
	}
	if err := unix.Chdir(cwd); err != nil {
		return setupErr("entering working directory %s: %w", cwd, err)
	}
	// A working directory outside the new root (an inherited fd, a
	// /proc/self/fd/N path) shows as "(unreachable)" or fails: refuse it
	// (CVE-2024-21626).
	if wd, err := unix.Getwd(); err != nil || !filepath.IsAbs(wd) {
		return setupErr("working directory %s is outside the container", cwd)
	}

	path, err := lookCommand(spec.Args[0])
	if err != nil {
		return err
	}

	var stdio *os.File
	if spec.TTY {
		master, slave, err := openPty()
		if err != nil {
			return setupErr("allocating a terminal: %w", err)
		}
		// /dev/console is the terminal, bound via the fd we opened and
		// verified, never through a path the container could swap.
		if !cfg.Exec {
			if err := bindConsole(slave); err != nil {
				return setupErr("binding /dev/console: %w", err)
			}
		}
		if err := send(message{Type: msgPty}, int(master.Fd())); err != nil {
			return setupErr("passing the terminal to the launcher: %w", err)
		}
		master.Close()
		stdio = slave
	}

	if err := dropPrivileges(spec); err != nil {
		return err
	}
	pause(cfg, "before-exec")
	if launcherGone() {
		os.Exit(125)
	}
	// Only stdio (and, with --init, the liveness pipe for the reaper)
	// survive exec.
	// The socket closing on exec is how the launcher learns that exec
	// worked; the liveness pipe stays readable by the --init reaper only.
	unix.CloseRange(fdSock, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	if spec.Init {
		return reaper(path, spec, env, stdio)
	}
	if stdio != nil {
		if err := takeTerminal(stdio); err != nil {
			return setupErr("%w", err)
		}
	}
	err = unix.Exec(path, spec.Args, env)
	return execError(spec.Args[0], err)
}

// setupContainer makes the init's namespaces into a container: cgroup
// namespace, root filesystem, hostname, loopback.
func setupContainer(cfg *initConfig, hostname string) error {
	spec := &cfg.Spec
	// SIGKILL if the launcher's thread dies. Set again here because the
	// clone-time setting does not survive every exec path.
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	if launcherGone() {
		os.Exit(125)
	}
	cgroupMounts, err := setupRootfs(cfg)
	if err != nil {
		return err
	}
	// Wait until the launcher has moved us into the container's cgroups.
	if err := awaitGo(); err != nil {
		return err
	}
	// The cgroup namespace is made now, not at clone time: we are in the
	// container's cgroups, so their directories become the namespace's
	// root, /proc/self/cgroup reads "/", and the cgroupfs mounted below
	// shows the container's own limits.
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return setupErr("creating the cgroup namespace: %w", err)
	}
	if err := setupCgroupfs(cfg.Cgroup, cgroupMounts, spec.Privileged); err != nil {
		return err
	}
	if spec.ReadOnly {
		if err := mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return setupErr("making / read-only: %w", err)
		}
	}
	if err := unix.Sethostname([]byte(hostname)); err != nil {
		return setupErr("setting hostname: %w", err)
	}
	if spec.Network != "host" {
		if err := loopbackUp(); err != nil {
			return setupErr("bringing up lo: %w", err)
		}
	}
	return nil
}

// awaitGo blocks until the launcher says the init is in its cgroups.
func awaitGo() error {
	buf := make([]byte, 4096)
	n, _, _, _, err := unix.Recvmsg(fdSock, buf, nil, 0)
	if err != nil || n == 0 {
		os.Exit(125) // the launcher is gone
	}
	var m message
	if err := json.Unmarshal(buf[:n], &m); err != nil || m.Type != msgGo {
		return setupErr("unexpected message from the launcher")
	}
	return nil
}

// containerEnv is Docker's default environment plus the user's -e values.
func containerEnv(spec *Spec, hostname string) []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOSTNAME=" + hostname,
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

// lookCommand finds the command as the container sees it: 127 when it is
// not there, 126 when it is there but cannot be executed.
func lookCommand(name string) (string, error) {
	if strings.Contains(name, "/") {
		st, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", &initError{127, fmt.Errorf("%s: no such file or directory", name)}
		case err != nil:
			return "", &initError{126, fmt.Errorf("%s: %w", name, err)}
		case st.IsDir() || st.Mode()&0o111 == 0:
			return "", &initError{126, fmt.Errorf("%s: permission denied (not an executable file)", name)}
		}
		return name, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", &initError{127, fmt.Errorf("%s: executable file not found in $PATH", name)}
		}
		return "", &initError{126, fmt.Errorf("%s: %w", name, err)}
	}
	return p, nil
}

func execError(name string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return &initError{127, fmt.Errorf("exec %s: no such file or directory (or its interpreter is missing)", name)}
	default:
		return &initError{126, fmt.Errorf("exec %s: %w", name, err)}
	}
}

// dropPrivileges leaves the command with the container's capabilities
// only: bounding = permitted = effective = the chosen set, inheritable and
// ambient empty, no_new_privs set, then the user's uid and gid (which, for
// a uid other than 0, empties permitted and effective as on any exec).
func dropPrivileges(spec *Spec) error {
	want := map[capability.Cap]bool{}
	for _, n := range spec.Capabilities {
		if c, ok := capByName(n); ok {
			want[c] = true
		}
	}
	caps, err := capability.NewPid2(0)
	if err != nil {
		return setupErr("reading capabilities: %w", err)
	}
	if err := caps.Load(); err != nil {
		return setupErr("reading capabilities: %w", err)
	}
	caps.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	for c := range want {
		caps.Set(capability.CAPS|capability.BOUNDS, c)
	}
	caps.Unset(capability.INHERITABLE, capability.ListKnown()...)
	// The bounding set first (dropping needs CAP_SETPCAP, still held),
	// then the user ids (needs CAP_SETUID/SETGID), then the final sets.
	if err := caps.Apply(capability.BOUNDS); err != nil {
		return setupErr("dropping capabilities from the bounding set: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return setupErr("setting no_new_privs: %w", err)
	}
	if spec.UID != 0 || spec.GID != 0 {
		if err := unix.Setgroups(nil); err != nil {
			return setupErr("clearing supplementary groups: %w", err)
		}
		if err := unix.Setresgid(int(spec.GID), int(spec.GID), int(spec.GID)); err != nil {
			return setupErr("setting gid %d: %w", spec.GID, err)
		}
		if err := unix.Setresuid(int(spec.UID), int(spec.UID), int(spec.UID)); err != nil {
			return setupErr("setting uid %d: %w", spec.UID, err)
		}
		if spec.UID != 0 {
			return nil
		}
	}
	if err := caps.Apply(capability.CAPS | capability.AMBS); err != nil {
		return setupErr("setting capabilities: %w", err)
	}
	return nil
}

// reaper is PID 1 with --init: it starts the command, forwards every
// signal it can to it, reaps every child (orphans are reparented to it),
// and exits with the command's status, 128+N if a signal N killed it.
func reaper(path string, spec *Spec, env []string, tty *os.File) error {
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	attr := &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{Setsid: tty != nil}}
	if tty != nil {
		attr.Files = []uintptr{tty.Fd(), tty.Fd(), tty.Fd()}
		attr.Sys.Setctty, attr.Sys.Ctty = true, 0
	}
	pid, err := syscall.ForkExec(path, spec.Args, attr)
	if err != nil {
		return execError(spec.Args[0], err)
	}
	if tty != nil {
		tty.Close()
	}
	send(message{Type: msgStarted, Pid: pid})
	unix.Close(fdSock)
	// The launcher's death is ours: the kernel then kills the namespace.
	go func() {
		b := make([]byte, 1)
		for {
			if n, err := unix.Read(fdLive, b); n == 0 || (err != nil && err != unix.EINTR) {
				os.Exit(137)
			}
		}
	}()
	for sig := range sigs {
		s := sig.(syscall.Signal)
		if s != syscall.SIGCHLD {
			if s != syscall.SIGURG && s != syscall.SIGPIPE { // the Go runtime's own preemption signal
				unix.Kill(pid, s)
			}
			continue
		}
		for {
			var ws unix.WaitStatus
			wpid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if wpid <= 0 || err != nil {
				break
			}
			if wpid == pid {
				if ws.Signaled() {
					os.Exit(128 + int(ws.Signal()))
				}
				os.Exit(ws.ExitStatus())
			}
		}
	}
	return nil
}
