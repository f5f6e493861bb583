package launch

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ReaperArg is argv[1] of the --init reaper. The init becomes the reaper
// by exec'ing a sealed copy of nsinspect (execveat of the memfd, never a
// path) once it has dropped to the container's credentials: exec ends the
// Go runtime's other threads, which still held the launcher's, so the
// process that stays PID 1 beside the container's processes has nothing
// they lack.
const (
	ReaperArg  = "reaper"
	reaperEnv  = "_NSINSPECT_REAPER=1"
	reaperTTY  = "tty"
	reaperPipe = "pipe"
)

// IsReaper reports whether this process is a container's --init reaper.
func IsReaper() bool {
	return len(os.Args) > 5 && os.Args[1] == ReaperArg && os.Getenv(strings.Split(reaperEnv, "=")[0]) == "1"
}

// execReaper replaces the init by the reaper. Its argv carries the
// command (reaper MODE PATH -- ARGS...), its environment the command's
// plus the marker; the socket stays open for the "started" message.
func execReaper(path string, spec *Spec, env []string, tty bool) error {
	mode := reaperPipe
	if tty {
		mode = reaperTTY
	}
	argv := append([]string{"nsinspect-init", ReaperArg, mode, path, "--"}, spec.Args...)
	// The reaper's own settings go last, after the command's environment,
	// and the reaper takes exactly those off again.
	envv := append(append(append([]string{}, env...), initEnviron[1:]...), reaperEnv)
	if _, err := unix.FcntlInt(fdSock, unix.F_SETFD, 0); err != nil {
		return setupErr("keeping the socket for the reaper: %w", err)
	}
	return setupErr("starting the --init reaper: %w", execveat(fdSelf, argv, envv))
}

// fdSelf is where the launcher puts the sealed copy of nsinspect for
// --init.
const fdSelf = 5

// execveat runs the executable behind fd (execveat with AT_EMPTY_PATH,
// which x/sys/unix has no wrapper for): no path is resolved.
func execveat(fd int, argv, envv []string) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envvp, err := syscall.SlicePtrFromStrings(envv)
	if err != nil {
		return err
	}
	empty := []byte{0}
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(&empty[0])),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envvp[0])), unix.AT_EMPTY_PATH, 0)
	return errno
}

// Reaper is PID 1 with --init: it starts the command in a session of its
// own, forwards every signal it can to it, reaps every child (orphans are
// reparented to it), and exits with the command's status, 128+N if a
// signal N killed it. If the launcher dies, the parent-death signal the
// init set (kept across exec) kills it, and with it the pid namespace.
func Reaper() {
	setName("nsinspect-init")
	unix.CloseOnExec(fdSock) // kept open across the exec for us, not for the command
	mode, path, args := os.Args[2], os.Args[3], os.Args[5:]
	env := os.Environ()
	env = env[:max(0, len(env)-len(initEnviron))] // the reaper's own settings and marker
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	attr := &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{Setsid: true}}
	if mode == reaperTTY {
		attr.Sys.Setctty, attr.Sys.Ctty = true, 0
	}
	// The launcher hears "started" and the socket closes before the
	// command exists: no process of the container ever sees PID 1 hold
	// it. The init checked the command already; should exec still fail,
	// the reason goes to the container's stderr and the code is Docker's.
	send(message{Type: msgStarted})
	unix.Close(fdSock)
	pid, err := syscall.ForkExec(path, args, attr)
	if err != nil {
		ie := execError(args[0], err).(*initError)
		fmt.Fprintln(os.Stderr, "nsinspect: "+ie.Error())
		os.Exit(ie.code)
	}
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
}
