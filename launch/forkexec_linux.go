package launch

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A real fork, for the one process nsinspect creates inside a running
// container's pid namespace (nsinspect exec).
//
// Go's own fork (syscall.ForkExec, os/exec) is a vfork: the child shares
// the parent's memory until it execs. Born into the container's pid
// namespace, such a child is visible to the container from its first
// instruction, and a container process holding CAP_SYS_PTRACE can attach
// to it in that window; through the shared memory it would then run code
// in the parent, whose other threads keep the host's credentials. A real
// fork gives the child a copy instead: what it can reach is the copy, its
// own thread's credentials (the container's, dropped before the fork) and
// its own copy of the forking thread's file table (only its stdio).
//
// The child runs nothing but the raw system calls below: it is a copy of a
// multi-threaded Go process with one thread left, so it must not allocate,
// grow its stack, or touch the runtime. Everything it needs is prepared by
// the caller.

// forkArgs is what the child needs, built before the fork.
type forkArgs struct {
	path       *byte
	argv, envv []*byte
	tty        bool // make fd 0 the controlling terminal of the new session
	errFd      int  // close-on-exec pipe: the child writes its errno here when exec fails
}

// sigDfl is a struct sigaction with SIG_DFL (all zero), for rt_sigaction.
var sigDfl [4]uintptr

// emptySet is an empty signal mask.
var emptySet uint64

// rawForkExec forks the calling thread and execs a.path in the child. The
// caller blocks every signal on its thread first (so the child cannot run
// a Go signal handler before it has reset them) and restores its mask
// afterwards. It returns the child's pid.
//
//go:nosplit
//go:norace
func rawForkExec(a *forkArgs) (int, syscall.Errno) {
	argv0, argv, envv := uintptr(unsafe.Pointer(a.path)), uintptr(unsafe.Pointer(&a.argv[0])), uintptr(unsafe.Pointer(&a.envv[0]))
	tty, errFd := a.tty, uintptr(a.errFd)
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if errno != 0 || pid != 0 {
		return int(pid), errno
	}
	// The child. Signal handlers back to the defaults (they are the Go
	// runtime's, which this copy cannot run), a session of its own (no
	// controlling terminal: no TIOCSTI into anyone's), then the empty mask
	// and exec.
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig != uintptr(syscall.SIGKILL) && sig != uintptr(syscall.SIGSTOP) {
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&sigDfl)), 0, 8, 0, 0)
		}
	}
	if _, _, errno = syscall.RawSyscall(syscall.SYS_SETSID, 0, 0, 0); errno == 0 && tty {
		_, _, errno = syscall.RawSyscall(syscall.SYS_IOCTL, 0, uintptr(syscall.TIOCSCTTY), 0)
	}
	if errno == 0 {
		syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&emptySet)), 0, 8, 0, 0)
		_, _, errno = syscall.RawSyscall(syscall.SYS_EXECVE, argv0, argv, envv)
	}
	e := int32(errno)
	syscall.RawSyscall(syscall.SYS_WRITE, errFd, uintptr(unsafe.Pointer(&e)), 4)
	for {
		syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 127, 0, 0)
	}
}

// blockSignals blocks every signal on the calling thread and returns the
// mask to restore.
func blockSignals() (old uint64) {
	all := ^uint64(0)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	return old
}

func restoreSignals(old uint64) {
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
}
