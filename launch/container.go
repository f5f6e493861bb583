package launch

import (
	"encoding/json"
	"errors"
	"fmt"

	"math"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/inspect"
)

// ExitError is a failure with the exit code Docker's contract gives it:
// 125 when nsinspect could not make the container, 126 when the command
// cannot be executed, 127 when it does not exist.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

func failure(err error) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: 125, Err: err}
}

// Container is one container this process launched and waits for, or
// one process it exec'd into a running container.
type Container struct {
	State *State
	cg    *cgroupSet
	proc  *os.Process // the init, or the exec helper
	done  chan *os.ProcessState
	pty   *os.File
	// ptyPeer is a slave end of the terminal this process holds open.
	ptyPeer *os.File
	live    *os.File // write end of the liveness pipe, never written
	relay   *relay
	// cmdPid is the command's pid as the host sees it, once reported: the
	// exec helper's child for exec.
	cmdPid   int
	execDone chan unix.WaitStatus // the exec'd command's end
	// hiddenEtc delivers what the default root hides of the host's /etc,
	// walked from Create on, while the launcher does everything else;
	// filter the compiled seccomp program, made meanwhile too.
	hiddenEtc chan []string
	filter    chan compiled
}

type compiled struct {
	prog []byte
	err  error
}

// compileFilter compiles spec's seccomp profile in the background.
func compileFilter(spec *Spec) chan compiled {
	ch := make(chan compiled, 1)
	go func() {
		p, err := spec.seccompProgram(spec.Capabilities)
		if err != nil {
			err = fmt.Errorf("seccomp profile %s: %w", spec.Seccomp.Profile, err)
		}
		ch <- compiled{p.Bytes(), err}
	}()
	return ch
}

// pauseAt blocks a launcher step named in NSINSPECT_TEST_PAUSE_AT, so a
// test can SIGKILL the launcher there and check that nothing leaks.
func pauseAt(step string) string {
	v := os.Getenv("NSINSPECT_TEST_PAUSE_AT")
	if v == step {
		for {
			time.Sleep(time.Hour)
		}
	}
	return v
}

// Create reserves a name and id and writes the state directory. Nothing
// runs yet; the cgroups are made by Start, while the init starts up.
func Create(spec *Spec) (*Container, error) {
	hidden := make(chan []string, 1)
	if spec.Rootfs == "" {
		go func() { hidden <- unreadableEntries("/etc") }()
	} else {
		hidden <- nil
	}
	GC() // what a killed launcher left behind goes first
	if err := spec.ResolveCapabilities(); err != nil {
		return nil, failure(err)
	}
	filter := compileFilter(spec)
	st, err := newState(spec)
	if err != nil {
		return nil, failure(err)
	}
	return &Container{State: st, hiddenEtc: hidden, filter: filter}, nil
}

// cloneFlags are the namespaces of a new container: all but user, with the
// network shared only for --network host and the pid namespace only for
// --pid host. The time namespace is added when the kernel has one (5.6);
// Go then clones with clone3.
func cloneFlags(spec *Spec) uintptr {
	types := []inspect.NamespaceType{inspect.NSMount, inspect.NSUTS, inspect.NSIPC}
	if spec.PID != "host" {
		types = append(types, inspect.NSPID)
	}
	if spec.Network != "host" {
		types = append(types, inspect.NSNet)
	}
	if _, err := os.Stat("/proc/self/ns/time"); err == nil {
		types = append(types, inspect.NSTime)
	}
	return inspect.CloneFlags(types...)
}

// initEnviron is the environment of the init and the exec shim (never the
// user's command's). One P: the init runs one thing at a time, and every
// extra runtime thread costs context switches and page faults on a short
// start-up. containermaxprocs=0: the Go runtime would otherwise keep the
// launcher's cpu cgroup files open to track their quota — host fds the
// init would hold until it execs.
var initEnviron = []string{initEnv, "GOMAXPROCS=1", "GODEBUG=containermaxprocs=0,updatemaxprocs=0"}

// closeExecFrom3 marks every fd above stdio close-on-exec: fds the caller
// left open (a directory, a socket) must not reach the container's init,
// which runs before it can close them (CVE-2024-21626). Go's own files are close-on-exec already; the
// fds passed on purpose are dup'ed into place by ExtraFiles.
func closeExecFrom3() {
	unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
}

// sealedSelf copies the nsinspect binary into a sealed memfd. The exec
// helper runs from it, so a container process opening its /proc/PID/exe
// finds an immutable copy, never the host's binary (CVE-2019-5736).
func sealedSelf() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return sealedCopy(src, "nsinspect")
}

// Start runs the container's init and returns once the user's command has
// been exec'd (or, with --init, the init binary in front of it). If anything
// fails, the init is gone and the cgroups and state are removed before
// Start returns an *ExitError.
func (c *Container) Start(stdio Stdio) (err error) {
	spec := &c.State.Spec
	defer func() {
		if err != nil {
			c.abort()
			err = failure(err)
		}
	}()

	closeExecFrom3()
	// The --init binary first: a missing or unusable one is the caller's
	// mistake, reported before anything is made.
	var initBin *os.File
	if spec.Init {
		if initBin, spec.InitPath, err = sealedInit(spec.InitPath); err != nil {
			return err
		}
		defer initBin.Close()
	}
	if spec.TTY {
		stdio.In = nil // the terminal carries the input
	}
	if c.relay, err = newRelay(stdio); err != nil {
		return err
	}
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	parent, child := os.NewFile(uintptr(sp[0]), "init-socket"), os.NewFile(uintptr(sp[1]), "init-socket")
	defer parent.Close()
	liveR, liveW, err := os.Pipe()
	if err != nil {
		child.Close()
		return err
	}
	c.live = liveW
	// The init's descriptors: the socket (3), the liveness pipe (4), for
	// --init the sealed init binary (5, fdInit), then the mount trees of
	// --rootfs and the volumes.
	files := []*os.File{child, liveR}
	closeFiles := func() {
		for _, f := range files {
			f.Close()
		}
	}
	defer closeFiles()
	if initBin != nil {
		files = append(files, initBin)
	}
	cfg := initConfig{Spec: *spec, MountDir: c.State.mountDir(), RootfsFd: -1, PauseAt: os.Getenv("NSINSPECT_TEST_PAUSE_AT")}
	if spec.Rootfs != "" {
		tree, err := rootfsTree(spec.Rootfs)
		if err != nil {
			return err
		}
		cfg.RootfsFd = 3 + len(files)
		files = append(files, tree)
	}
	for _, v := range spec.Volumes {
		tree, err := volumeTree(v)
		if err != nil {
			return err
		}
		cfg.VolumeFds = append(cfg.VolumeFds, 3+len(files))
		files = append(files, tree)
	}

	cmd := &exec.Cmd{
		// The host's binary: the init replaces itself (by the command, or
		// with --init by the sealed copy) before anything of the
		// container runs, so no container process ever sees it.
		Path:       "/proc/self/exe",
		Args:       []string{"nsinspect", InitArg},
		Env:        initEnviron,
		ExtraFiles: files,
		Stdin:      c.relay.Files[0],
		Stdout:     c.relay.Files[1],
		Stderr:     c.relay.Files[2],
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: cloneFlags(spec),
			Pdeathsig:  syscall.SIGKILL,
			// A session of its own, so no container process has a
			// controlling terminal it could inject input into (TIOCSTI);
			// a Ctrl-C at the launcher's terminal reaches the launcher,
			// which forwards it as Docker does.
			Setsid: true,
		},
	}

	c.done = make(chan *os.ProcessState, 1)
	started := c.startLocked(cmd, nil)
	// The cgroups are made while the init starts up; it waits for its
	// config, and for "go", before doing anything.
	// They are recorded in state.json with the pid below; should the
	// launcher die before that, gc finds them by the container's id.
	cg, cgErr := createCgroups(c.State.ID, spec.Resources, spec.Privileged)
	if cgErr == nil {
		c.cg = cg
		c.State.Cgroups = cg.paths
	}
	err = <-started
	// The init has its descriptors: ours go, so that the socket reaches
	// end of file when the init execs.
	c.relay.started()
	closeFiles()
	if err != nil {
		return fmt.Errorf("starting the container's init: %w", err)
	}
	if cgErr != nil {
		return cgErr
	}
	pauseAt("after-cgroup")

	// The config first: the init builds the root filesystem (no user code
	// runs) while it is moved into every cgroup. Only then "go": no user
	// code ever runs outside the limits, not even a fork bomb's first fork.
	cfg.Cgroup = c.State.Cgroups.Mode
	cfg.HiddenEtc = <-c.hiddenEtc
	f := <-c.filter
	if f.err != nil {
		return f.err
	}
	cfg.Seccomp = f.prog
	b, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := unix.Sendmsg(int(parent.Fd()), b, nil, nil, 0); err != nil {
		return fmt.Errorf("sending the config to the container's init: %w", err)
	}
	// If placing or releasing the init fails, the init may already have
	// failed on its own (building the root filesystem) and said why: kill
	// it, then read whatever it reported before giving our own error.
	initReport := func(err error) error {
		c.proc.Kill()
		if ierr := c.readInit(parent); ierr != nil {
			return ierr
		}
		return err
	}
	if err := c.cg.add(c.proc.Pid); err != nil {
		return initReport(err)
	}
	// From here ps finds the container by its cgroup: record its init now,
	// so that kill, stop and rm of what ps lists act on it while it is
	// still starting (found on the emulated guests of scripts/vm, where
	// starting takes seconds). exec waits for "running".
	c.State.Pid = c.proc.Pid
	if p, err := procfs.Stat(c.proc.Pid); err == nil {
		c.State.StartTicks = p.StartTicks
	}
	// The init's user namespace, read while the init still waits for
	// "go": once the user's command runs, it can unshare one of its own
	// (unshare -U) before this reads it, and exec would take that one
	// for the container's (exec refuses a PID 1 that left its user
	// namespace).
	c.State.UserNS = userNS(c.proc.Pid)
	if err := c.State.Save(); err != nil {
		return initReport(err)
	}
	// "go" carries pids.max, which the init writes right before exec.
	var goFds []int
	if spec.Resources.PidsLimit != nil {
		pids, err := c.cg.pidsFile()
		if err != nil {
			return initReport(err)
		}
		defer pids.Close()
		goFds = append(goFds, int(pids.Fd()))
	}
	if err := sendMessage(parent, message{Type: msgGo}, goFds...); err != nil {
		return initReport(fmt.Errorf("releasing the container's init: %w", err))
	}
	if err := c.readInit(parent); err != nil {
		// kill and stop act on a container from the moment ps lists it:
		// one killed while it starts has ended by that signal, as under
		// Docker (128+N, nothing to explain), not failed to start.
		if sig, ok := c.killedWhileStarting(); ok {
			return &ExitError{Code: 128 + int(sig)}
		}
		return err
	}
	c.State.Status = StatusRunning
	c.State.Started = time.Now().UTC()
	return c.State.Save()
}

// killedWhileStarting reports the signal that ended the init, when it
// ended by one (it is waited for a second at most); the status stays for
// Wait.
func (c *Container) killedWhileStarting() (syscall.Signal, bool) {
	select {
	case ps := <-c.done:
		c.done <- ps
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal(), true
		}
	case <-time.After(time.Second):
	}
	return 0, false
}

// userNS is the inode of pid's user namespace, recorded at start: exec
// refuses a container whose PID 1 later entered another one.
func userNS(pid int) uint64 {
	var st unix.Stat_t
	if unix.Stat(fmt.Sprintf("/proc/%d/ns/user", pid), &st) != nil {
		return 0
	}
	return st.Ino
}

func sendMessage(sock *os.File, m message, fds ...int) error {
	b, _ := json.Marshal(m)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	return unix.Sendmsg(int(sock.Fd()), b, oob, nil, 0)
}

// readInit reads the init's messages until the socket closes, which
// happens when exec succeeded.
func (c *Container) readInit(sock *os.File) error {
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4))
	var reset error
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, 0)
		if err == unix.EINTR {
			continue
		}
		// An init that failed and exited while our "go" was still unread
		// in its queue resets the connection, and the kernel reports the
		// reset before the messages queued for us (sock_error is checked
		// first, and cleared): its error report is still there to read.
		if err == unix.ECONNRESET && reset == nil {
			reset = err
			continue
		}
		if err != nil {
			return fmt.Errorf("reading from the container's init: %w", err)
		}
		if n == 0 && reset != nil {
			return fmt.Errorf("reading from the container's init: %w", reset)
		}
		if n == 0 {
			return nil
		}
		var m message
		if err := json.Unmarshal(buf[:n], &m); err != nil {
			return fmt.Errorf("bad message from the container's init: %w", err)
		}
		switch m.Type {
		case msgError:
			return &ExitError{Code: m.Code, Err: errors.New(m.Error)}
		case msgPty:
			scms, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil || len(scms) == 0 {
				return errors.New("no terminal received from the container's init")
			}
			fds, err := unix.ParseUnixRights(&scms[0])
			if err != nil || len(fds) == 0 {
				return errors.New("no terminal received from the container's init")
			}
			unix.CloseOnExec(fds[0])
			c.pty = os.NewFile(uintptr(fds[0]), "pty-master")
			// Our own end of the slave, opened through the master (no
			// path): once every process in the container has closed the
			// terminal, a master read can return EIO before what they
			// wrote last was handed over; with a slave of ours open, it
			// never does, and the caller drains the terminal with a
			// deadline instead.
			if peer, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fds[0]), uintptr(unix.TIOCGPTPEER), uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC)); errno == 0 {
				c.ptyPeer = os.NewFile(peer, "pty-peer")
			}
		case msgStarted:
			c.cmdPid = m.Pid
			return nil
		}
	}
}

// Pty is the master side of the container's terminal (-t), or nil.
func (c *Container) Pty() *os.File { return c.pty }

// ClosePty closes the container's terminal, once drained.
func (c *Container) ClosePty() {
	for _, f := range []*os.File{c.pty, c.ptyPeer} {
		if f != nil {
			f.Close()
		}
	}
}

// Signal sends sig to the container's PID 1, or to the exec'd command.
func (c *Container) Signal(sig syscall.Signal) error {
	switch {
	case c.execDone != nil:
		return unix.Kill(c.cmdPid, sig)
	case c.proc == nil:
		return errors.New("not started")
	}
	awaitInitMask(c.State)
	return unix.Kill(c.proc.Pid, sig)
}

// ExitStatus is how a container ended, in Docker's terms.
type ExitStatus struct {
	Code      int
	Signal    syscall.Signal // the signal that killed PID 1, if any
	OOMKilled bool
	Message   string // "killed: out of memory (limit 32MiB)"
}

// Wait blocks until PID 1 exits and returns its status: the command's own
// code, 128+N for a signal N, and 137 with a message when the memory
// cgroup's OOM killer did it (read from the cgroup's counter, not guessed).
func (c *Container) Wait() ExitStatus {
	es := exitStatus(<-c.done)
	// PID 1 is gone, and with it its pid namespace: the pipes reach end of
	// file as soon as the last process in it has been torn down. With
	// --pid host no namespace ends: what the command left running in its
	// cgroups is killed now, as runc does for a container without a pid
	// namespace of its own, so that its output ends with the container.
	if c.State.Spec.PID == "host" && c.cg != nil {
		c.cg.killAll()
	}
	c.relay.wait(time.Second)
	if es.Code == 137 {
		if n, err := c.cg.oomKills(); err == nil && n > 0 {
			es.OOMKilled = true
			limit := "no limit"
			if m := c.State.Spec.Resources.MemoryBytes; m != nil {
				limit = "limit " + humanBytes(*m)
			}
			es.Message = fmt.Sprintf("killed: out of memory (%s)", limit)
		}
	}
	return es
}

// exitStatus turns a wait status into Docker's exit code: the process's
// own, or 128+N when signal N killed it.
func exitStatus(ps *os.ProcessState) ExitStatus {
	ws, _ := ps.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return ExitStatus{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
	}
	return ExitStatus{Code: ws.ExitStatus()}
}

// Finish removes the cgroups (killing anything left in them) and, for
// --rm, the state; otherwise it records the exit in state.json.
func (c *Container) Finish(es ExitStatus) error {
	c.ClosePty()
	if c.live != nil {
		c.live.Close()
	}
	if c.relay != nil {
		c.relay.close()
	}
	var err error
	if c.cg != nil {
		err = c.cg.destroy()
	}
	if c.State.Spec.Remove {
		if rerr := os.RemoveAll(c.State.Dir()); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	c.State.Status = StatusExited
	c.State.Finished = time.Now().UTC()
	c.State.ExitCode = &es.Code
	c.State.ExitMessage = es.Message
	return errors.Join(err, c.State.Save())
}

// abort undoes a failed Start: the init is killed and reaped, the cgroups
// and the state go.
func (c *Container) abort() {
	if c.live != nil {
		c.live.Close()
	}
	if c.relay != nil {
		c.relay.close()
	}
	if c.proc != nil {
		c.proc.Kill()
		<-c.done
	}
	if c.cg != nil {
		c.cg.destroy()
	} else {
		// Killed before the cgroups were recorded: find them by id.
		GC()
	}
	os.RemoveAll(c.State.Dir())
}

func humanBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d%s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f%s", v, units[i])
}

// startLocked starts cmd from a goroutine locked to its OS thread, after
// prepare (if any) ran on that thread, and sends the start's error on the
// returned channel; the process's exit then arrives on c.done. The thread
// is never unlocked, so Go retires it when the process is gone: the
// parent-death signal fires when the thread that forked the child exits,
// not the process (golang/go#27505), and a thread that changed namespaces
// must not run other goroutines.
func (c *Container) startLocked(cmd *exec.Cmd, prepare func() error) <-chan error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if prepare != nil {
			if err := prepare(); err != nil {
				started <- err
				return
			}
		}
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.proc = cmd.Process
		started <- nil
		ps, _ := cmd.Process.Wait()
		c.done <- ps
	}()
	return started
}
