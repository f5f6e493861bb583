package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

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

// joinOrder is the order namespaces are entered. The mount namespace goes
// last: after it, paths resolve in the container. The time namespace is
// left out: the kernel lets only a single-threaded process enter one, and
// nsinspect sets no clock offsets, so its clocks are the host's anyway.
var joinOrder = []struct {
	name string
	flag int
}{
	{"cgroup", unix.CLONE_NEWCGROUP}, {"ipc", unix.CLONE_NEWIPC}, {"uts", unix.CLONE_NEWUTS},
	{"net", unix.CLONE_NEWNET}, {"pid", unix.CLONE_NEWPID}, {"mnt", unix.CLONE_NEWNS},
}

// Exec runs a command in a running container: in all of its namespaces
// and cgroups, with its capabilities and no_new_privs, under its (or the
// given) user. It returns the started process's handle.
//
// Go cannot setns into a mount namespace from a multi-threaded process as a
// whole, but one thread can: the goroutine locks its thread, unshares the
// filesystem attributes it shares with the others (CLONE_FS), enters each
// namespace, and forks from there; the child inherits that thread's
// namespaces. The thread is never used again. The child is a sealed copy
// of nsinspect (CVE-2019-5736: the container can see it in its pid
// namespace) that applies the container's privileges and execs the command.
func Exec(st *State, opt ExecOptions, stdio Stdio) (*Container, error) {
	if !st.Alive() {
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("container %s is not running", st.Name)}
	}
	var nsFiles []*os.File
	defer func() {
		for _, f := range nsFiles {
			f.Close()
		}
	}()
	for _, ns := range joinOrder {
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", st.Pid, ns.name))
		if err != nil {
			return nil, failure(fmt.Errorf("opening the container's %s namespace: %w", ns.name, err))
		}
		nsFiles = append(nsFiles, f)
	}
	// The pid must still be the container's init after the opens.
	if !st.Alive() {
		return nil, &ExitError{Code: 125, Err: fmt.Errorf("container %s stopped", st.Name)}
	}
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
	liveR, liveW, err := os.Pipe()
	if err != nil {
		return nil, failure(err)
	}

	c := &Container{State: st, cg: loadCgroups(st.Cgroups), live: liveW, done: make(chan *os.ProcessState, 1)}
	cmd := &exec.Cmd{
		Path:       "/proc/self/fd/" + strconv.Itoa(int(mem.Fd())),
		Args:       []string{"nsinspect", InitArg},
		Env:        []string{initEnv},
		ExtraFiles: []*os.File{child, liveR},
		Stdout:     stdio.Out,
		Stderr:     stdio.Err,
		// No Pdeathsig here: Go's child checks getppid() against the
		// parent's pid, which inside another pid namespace is 0, and kills
		// itself. The shim sets it, then checks the liveness pipe.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: !opt.TTY},
	}
	if stdio.In != nil && !opt.TTY {
		r, err := c.pipeStdin(cmd, stdio.In)
		if err != nil {
			return nil, failure(err)
		}
		defer r.Close()
	}

	// The shim forks from a thread that has entered the container's
	// namespaces.
	err = <-c.startLocked(cmd, func() error {
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			return fmt.Errorf("unsharing filesystem attributes: %w", err)
		}
		for i, ns := range joinOrder {
			if err := unix.Setns(int(nsFiles[i].Fd()), ns.flag); err != nil {
				return fmt.Errorf("entering the container's %s namespace: %w", ns.name, err)
			}
		}
		return nil
	})
	child.Close()
	liveR.Close()
	if err != nil {
		liveW.Close()
		return nil, failure(err)
	}
	fail := func(err error) (*Container, error) {
		liveW.Close()
		c.proc.Kill()
		<-c.done
		return nil, failure(err)
	}
	if err := c.cg.add(c.proc.Pid); err != nil {
		return fail(err)
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
	b, err := json.Marshal(initConfig{Spec: spec, Exec: true})
	if err != nil {
		return fail(err)
	}
	if err := unix.Sendmsg(int(parent.Fd()), b, nil, nil, 0); err != nil {
		return fail(fmt.Errorf("sending the exec config: %w", err))
	}
	if err := c.readInit(parent); err != nil {
		var ee *ExitError
		if errors.As(err, &ee) {
			liveW.Close()
			<-c.done
			return nil, err
		}
		return fail(err)
	}
	return c, nil
}

// WaitExec waits for an exec'd process and returns its status.
func (c *Container) WaitExec() ExitStatus {
	es := exitStatus(<-c.done)
	for _, f := range []*os.File{c.pty, c.live, c.stdin} {
		if f != nil {
			f.Close()
		}
	}
	return es
}
