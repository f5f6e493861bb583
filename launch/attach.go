package launch

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Foreground attaches the caller's own terminal and signals to a
// container's process that runs in the foreground (run without -d, exec):
// signals are caught from before the process exists, so none is lost while
// it starts, and passed to it; with a terminal (-t) the host terminal is
// put in raw mode and copied both ways, its size passed on.
type Foreground struct {
	sigs    chan os.Signal
	restore func()
}

// CatchSignals starts catching the signals meant for the container.
// SIGPIPE is caught (and dropped) too: the container's output is copied to
// ours, and when our stdout is a closed pipe the copy must fail with
// EPIPE, close the container's pipe and let the container get its own
// SIGPIPE, not kill the launcher, which would leave the container to the
// parent-death signal.
func CatchSignals() *Foreground {
	f := &Foreground{sigs: make(chan os.Signal, 16), restore: func() {}}
	signal.Notify(f.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGPIPE)
	return f
}

// Attach connects the started process c: its terminal to ours, and the
// caught signals to it (terminal size changes to its terminal).
func (f *Foreground) Attach(c *Container) {
	if pty := c.Pty(); pty != nil {
		if restore, err := MakeRaw(os.Stdin); err == nil {
			f.restore = restore
		}
		CopySize(os.Stdin, pty)
		go io.Copy(pty, os.Stdin)
		go io.Copy(os.Stdout, pty)
	}
	go func() {
		for sig := range f.sigs {
			switch sig {
			case syscall.SIGPIPE:
			case syscall.SIGWINCH:
				if pty := c.Pty(); pty != nil {
					CopySize(os.Stdin, pty)
				}
			default:
				c.Signal(sig.(syscall.Signal))
			}
		}
	}()
}

// Ended copies what the process's terminal still holds after it exited and
// gives the host terminal back its mode.
func (f *Foreground) Ended(c *Container) {
	if pty := c.Pty(); pty != nil {
		pty.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		io.Copy(os.Stdout, pty)
	}
	f.restore()
	f.restore = func() {}
}

// Stop stops catching the signals; a Foreground that was never attached
// is stopped the same way.
func (f *Foreground) Stop() {
	signal.Stop(f.sigs)
	f.restore()
}
