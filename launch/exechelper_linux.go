package launch

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
)

// The exec helper is a sealed copy of nsinspect that the launcher starts
// on the host for nsinspect exec. It is never in the container's pid
// namespace, so nothing in the container can see or trace it, and it holds
// only what it needs: its stdio (the container process's pipes), the
// socket to the launcher, and what it opens itself.
//
// It moves itself into the container's cgroups; then, on one locked
// thread, it gives that thread a file table and filesystem context of its
// own, enters the container's namespaces from a pidfd (so a reused pid is
// never entered), drops the thread to the container's credentials,
// resolves the command there (with the container's credentials, so a path
// the container controls can only lead to what the container could run
// itself), closes everything but stdio in that thread's file table, and
// forks the command from it with a real fork (forkexec_linux.go). The
// child is born with the container's namespaces, cgroups, credentials,
// no_new_privs and keyring, in a session of its own. The helper reports
// the child's pid and exits; the child is reparented to the launcher, a
// child subreaper, which waits for it.

// execHelper is the body of the exec helper. It returns only on failure.
func execHelper(cfg *initConfig) error {
	t := cfg.Target
	unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	pidfd, err := unix.PidfdOpen(t.Pid, 0)
	if err != nil {
		return setupErr("container %s stopped: %w", cfg.Spec.Name, err)
	}
	if !procfs.ProcessIs(t.Pid, t.StartTicks) {
		return setupErr("container %s stopped", cfg.Spec.Name)
	}
	// setns into a user namespace is impossible from a multi-threaded
	// process, and entering the other namespaces of a PID 1 that moved to
	// a user namespace of its own would put a command beside processes
	// that own those namespaces: refuse.
	if t.UserNS != 0 {
		var st unix.Stat_t
		if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/user", t.Pid), &st); err != nil {
			return setupErr("reading the user namespace of container %s: %w", cfg.Spec.Name, err)
		}
		if st.Ino != t.UserNS {
			return setupErr("container %s: its PID 1 has entered a user namespace of its own (user:[%d], started in user:[%d]); nsinspect exec will not join it (a multi-threaded process cannot setns into a user namespace); restart the container", cfg.Spec.Name, st.Ino, t.UserNS)
		}
	}
	if err := setProcessLimits(&cfg.Spec, "/proc/self/oom_score_adj"); err != nil {
		return err
	}
	capability.LastCap() // read /proc/sys/kernel/cap_last_cap now, on the host, once
	unignoreSignals()    // whoever started the helper, and whatever it left ignored
	if err := loadCgroups(t.Cgroups).add(os.Getpid()); err != nil {
		return setupErr("%w", err)
	}

	done := make(chan error, 1)
	var pid int
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		var err error
		pid, err = forkInto(cfg, pidfd)
		done <- err
	}()
	if err := <-done; err != nil {
		return err
	}
	if err := send(message{Type: msgStarted, Pid: pid}); err != nil {
		return setupErr("reporting to the launcher: %w", err)
	}
	os.Exit(0)
	return nil
}

// forkInto does the locked-thread part of the exec helper and returns the
// command's pid. After CLONE_FILES it uses raw system calls only: the
// thread's file table is its own, and os.File (which registers descriptors
// with the runtime's poller) must not be used on it.
func forkInto(cfg *initConfig, pidfd int) (int, error) {
	spec := &cfg.Spec
	if err := unix.Unshare(unix.CLONE_FS | unix.CLONE_FILES); err != nil {
		return 0, setupErr("unsharing the thread's files and filesystem context: %w", err)
	}
	// The time namespace is not entered: the kernel allows that only to a
	// single-threaded process, and nsinspect sets no clock offsets.
	nsFlags := inspect.CloneFlags(inspect.NSCgroup, inspect.NSIPC, inspect.NSUTS, inspect.NSNet, inspect.NSPID, inspect.NSMount)
	if err := unix.Setns(pidfd, int(nsFlags)); err != nil {
		return 0, setupErr("entering the container's namespaces: %w", err)
	}
	if err := dropPrivileges(spec); err != nil {
		return 0, err
	}
	// From here on this thread has the container's credentials and sees
	// the container's files: every path below is the container's, and
	// resolving it can give the container nothing it does not have.
	env := containerEnv(spec)
	if err := enterWorkdir(spec.Cwd); err != nil {
		return 0, err
	}
	path, err := lookCommand(spec.Args[0], env)
	if err != nil {
		return 0, err
	}
	if spec.TTY {
		master, slave, err := openPty()
		if err != nil {
			return 0, setupErr("allocating a terminal: %w", err)
		}
		if err := send(message{Type: msgPty}, master); err != nil {
			return 0, setupErr("passing the terminal to the launcher: %w", err)
		}
		for i := 0; i < 3; i++ {
			if err := unix.Dup3(slave, i, 0); err != nil {
				return 0, setupErr("%w", err)
			}
		}
	}
	// Only stdio stays in this thread's table, so the child's copy holds
	// nothing else, not even for the instant before exec.
	if err := unix.CloseRange(3, ^uint(0), 0); err != nil {
		return 0, setupErr("closing descriptors: %w", err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return 0, setupErr("%w", err)
	}
	a, err := newForkArgs(path, spec.Args, env, spec.TTY, p[1])
	if err != nil {
		return 0, setupErr("%w", err)
	}
	// The container's filter, on this thread only (the helper's others go
	// on without it): the command is born with it.
	if err := loadFilter(cfg.Seccomp); err != nil {
		return 0, err
	}
	old := blockSignals()
	pid, errno := rawForkExec(a)
	restoreSignals(old)
	runtime.KeepAlive(a)
	unix.Close(p[1])
	if errno != 0 {
		unix.Close(p[0])
		if errno == unix.EAGAIN {
			return 0, setupErr("fork: %w (the container is at its pids limit?)", errno)
		}
		return 0, setupErr("fork: %w", errno)
	}
	var b [4]byte
	n, _ := readFull(p[0], b[:])
	unix.Close(p[0])
	if n == 4 {
		var ws unix.WaitStatus
		unix.Wait4(pid, &ws, 0, nil)
		e := syscall.Errno(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
		return 0, execError(spec.Args[0], e)
	}
	return pid, nil
}

func readFull(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || m == 0 {
			return n, err
		}
		n += m
	}
	return n, nil
}

func newForkArgs(path string, args, env []string, tty bool, errFd int) (*forkArgs, error) {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return nil, err
	}
	argv, err := syscall.SlicePtrFromStrings(args)
	if err != nil {
		return nil, err
	}
	envv, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		return nil, err
	}
	return &forkArgs{path: p, argv: argv, envv: envv, tty: tty, errFd: errFd}, nil
}
