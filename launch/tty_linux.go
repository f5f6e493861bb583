package launch

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// openPty allocates a terminal from the container's own devpts instance:
// /dev/ptmx is the container's (a symlink to pts/ptmx), opened after
// pivot_root and checked to be the devpts multiplexer (CVE-2025-52565).
//
// It returns raw descriptors: the exec helper calls it on a thread whose
// file table is its own, where os.File must not be used.
func openPty() (master, slave int, err error) {
	fd, err := unix.Open("/dev/pts/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, -1, err
	}
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil || sfs.Type != unix.DEVPTS_SUPER_MAGIC {
		unix.Close(fd)
		return -1, -1, fmt.Errorf("/dev/pts/ptmx is not on devpts")
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return -1, -1, fmt.Errorf("unlocking the pty: %w", err)
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
			return -1, -1, err
		}
		sfd, err = unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			unix.Close(fd)
			return -1, -1, err
		}
	}
	unix.CloseOnExec(sfd)
	return fd, sfd, nil
}

// bindConsole makes /dev/console the container's terminal, bound from the
// open slave fd.
func bindConsole(slave int) error {
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(root)
	target, err := createIn(root, "/dev/console")
	if err != nil {
		return err
	}
	defer unix.Close(target)
	return bindOnto(slave, target, "/dev/console", 0)
}

// takeTerminal makes tty the standard streams of the process about to
// exec and the controlling terminal of its session (the init leads a
// session of its own from birth). With --init, tini then puts the command
// in a process group of its own and makes that the foreground group.
func takeTerminal(fd int) error {
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
