package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ExecOptions are the per-process settings of nsinspect exec.
type ExecOptions struct {
	Args        []string
	Env         []string
	Cwd         string
	UID, GID    uint32
	User        bool // UID/GID were given; otherwise the container's
	TTY         bool
	Interactive bool
}

// Exec runs a command in a running container: in all of its namespaces
// and cgroups, with its capabilities, no_new_privs, keyring and user, in
// a session of its own, with pipes (or the container's own terminal for
// -t) as its stdio. It returns once the command runs.
//
// The launcher never enters the container itself. It starts the exec
// helper (exechelper_linux.go), a sealed copy of nsinspect on the host,
// which forks the command from a thread already dropped to the
// container's credentials; no process in the container's pid namespace
// ever holds more than the container does. The helper exits at once, and
// the command is reparented to this process, which is made a child
// subreaper for that, and which waits for it.
func Exec(st *State, opt ExecOptions, stdio Stdio) (*Container, error) {
	if !st.Alive() || st.Status != StatusRunning {
		// A starting container's PID 1 is still nsinspect's init, in the
		// middle of building the root: nothing to join yet.
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("container %s is not running", st.Name)}
	}
	// The command gets the container's filter, compiled from its profile
	// and capabilities as at the start.
	filter := compileFilter(&st.Spec)
	if opt.TTY {
		stdio.In = nil // the terminal carries the input
	}
	rel, err := newRelay(stdio)
	if err != nil {
		return nil, failure(err)
	}
	ok := false
	defer func() {
		if !ok {
			rel.close()
		}
	}()
	mem, err := sealedSelf()
	if err != nil {
		return nil, failure(err)
	}
	defer mem.Close()
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, failure(err)
	}
	parent, child := os.NewFile(uintptr(sp[0]), "exec-socket"), os.NewFile(uintptr(sp[1]), "exec-socket")
	defer parent.Close()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		child.Close()
		return nil, failure(fmt.Errorf("becoming a child subreaper: %w", err))
	}

	c := &Container{State: st, cg: loadCgroups(st.Cgroups), relay: rel, done: make(chan *os.ProcessState, 1)}
	cmd := &exec.Cmd{
		// The memfd through the host's /proc: this process has entered no
		// namespace of the container, so the path is the host's.
		Path:       "/proc/self/fd/" + strconv.Itoa(int(mem.Fd())),
		Args:       []string{"nsinspect", InitArg},
		Env:        initEnviron,
		ExtraFiles: []*os.File{child},
		Stdin:      rel.Files[0],
		Stdout:     rel.Files[1],
		Stderr:     rel.Files[2],
		SysProcAttr: &syscall.SysProcAttr{
			Setsid:    true,
			Pdeathsig: syscall.SIGKILL,
		},
	}
	err = <-c.startLocked(cmd, nil)
	child.Close()
	rel.started()
	if err != nil {
		return nil, failure(fmt.Errorf("starting the exec helper: %w", err))
	}
	spec := st.Spec
	spec.Args, spec.TTY, spec.Interactive, spec.Init = opt.Args, opt.TTY, opt.Interactive, false
	if opt.Cwd != "" {
		spec.Cwd = opt.Cwd
	}
	spec.Env = append(append([]string{}, st.Spec.Env...), opt.Env...)
	if opt.User {
		spec.UID, spec.GID = opt.UID, opt.GID
	}
	cfg := initConfig{Spec: spec, Exec: true, RootfsFd: -1, Target: exectarget{
		Pid: st.Pid, StartTicks: st.StartTicks, UserNS: st.UserNS, Cgroups: st.Cgroups,
	}}
	f := <-filter
	if f.err != nil {
		c.proc.Kill()
		<-c.done
		return nil, failure(f.err)
	}
	cfg.Seccomp = f.prog
	b, err := json.Marshal(cfg)
	if err == nil {
		err = unix.Sendmsg(int(parent.Fd()), b, nil, nil, 0)
	}
	if err == nil {
		err = c.readInit(parent)
	}
	if err == nil && c.cmdPid == 0 {
		err = errors.New("the exec helper exited without starting the command")
	}
	if err != nil {
		c.proc.Kill()
		<-c.done
		return nil, failure(err)
	}
	// The helper exits right after reporting; its child is then ours.
	<-c.done
	c.execDone = make(chan unix.WaitStatus, 1)
	go func(pid int) {
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
		c.execDone <- ws
	}(c.cmdPid)
	ok = true
	return c, nil
}

// WaitExec waits for an exec'd command and returns its status. Output its
// background children still write after it exited is given a moment, as
// they may keep the pipes open for as long as they run. The terminal (-t)
// stays open for the caller to drain and close.
func (c *Container) WaitExec() ExitStatus {
	ws := <-c.execDone
	es := ExitStatus{Code: ws.ExitStatus()}
	if ws.Signaled() {
		es = ExitStatus{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
	}
	c.relay.wait(100 * time.Millisecond)
	c.relay.close()
	return es
}
