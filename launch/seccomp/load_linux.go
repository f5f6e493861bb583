package seccomp

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Load installs the program on the calling thread only: no TSYNC, so the
// exec helper can filter the one thread it forks the command from while
// its other threads go on unfiltered, and the init filters the thread that
// execs (exec ends the others). no_new_privs must already be set, which
// is what lets a process without CAP_SYS_ADMIN load a filter at all.
func Load(p Program) error {
	if len(p) == 0 {
		return errors.New("empty seccomp program")
	}
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: (*unix.SockFilter)(unsafe.Pointer(&p[0]))}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog)))
	if errno != 0 {
		return fmt.Errorf("loading the seccomp filter: %w", errno)
	}
	return nil
}
