package launch

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// openPty allocates a terminal from the container's own devpts instance:
// /dev/ptmx is the container's (a symlink to pts/ptmx), opened after
// pivot_root and checked to be the devpts multiplexer (CVE-2025-52565).
func openPty() (master, slave *os.File, err error) {
	fd, err := unix.Open("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil || sfs.Type != unix.DEVPTS_SUPER_MAGIC {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("/dev/pts/ptmx is not on devpts")
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, nil, fmt.Errorf("unlocking the pty: %w", err)
	}
	// TIOCGPTPEER opens the peer through the master itself, not by a path
	// in /dev/pts that could be raced.
	r, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.TIOCGPTPEER), uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	sfd := int(r)
	if errno != 0 {
		err = errno
		n, err2 := unix.IoctlGetInt(fd, unix.TIOCGPTN)
		if err2 != nil {
			unix.Close(fd)
			return nil, nil, err
		}
		sfd, err = unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != nil {
			unix.Close(fd)
			return nil, nil, err
		}
	}
	unix.CloseOnExec(sfd)
	return os.NewFile(uintptr(fd), "pty-master"), os.NewFile(uintptr(sfd), "pty-slave"), nil
}

// bindConsole makes /dev/console the container's terminal, bound from the
// open slave fd.
func bindConsole(slave *os.File) error {
	f, err := os.OpenFile("/dev/console", os.O_CREATE|os.O_RDONLY|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	return mountFd(int(slave.Fd()), "/dev/console", unix.MS_BIND)
}

// takeTerminal makes tty the controlling terminal of a new session and the
// standard streams of the process about to exec.
func takeTerminal(tty *os.File) error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	fd := int(tty.Fd())
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("setting the controlling terminal: %w", err)
	}
	for i := 0; i < 3; i++ {
		if err := unix.Dup3(fd, i, 0); err != nil {
			return err
		}
	}
	return nil
}
