package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Errors a reader can classify a failed read into. Sections that fail carry
// one of these (wrapped with the file) so the report can say why a value is
// missing.
var (
	ErrNoProcess   = errors.New("no such process")
	ErrExited      = errors.New("process exited during inspection")
	ErrPIDReused   = errors.New("pid was reused during inspection")
	ErrZombie      = errors.New("unavailable (zombie)")
	ErrPermission  = errors.New("permission denied")
	ErrHidden      = errors.New("hidden by hidepid")
	ErrUnsupported = errors.New("not supported by this kernel")
	// A file a container or another user controls (confined_linux.go) that
	// is a FIFO, device, socket or directory; one over its size bound; a
	// read that did not return within readTimeout.
	ErrNotRegular = errors.New("not a regular file")
	ErrTooLarge   = errors.New("larger than nsinspect reads")
	ErrTimedOut   = errors.New("timed out")
)

// classify maps the errno of a failed /proc read onto the sentinels above.
// ENOENT and ESRCH mean the process is gone (ESRCH when it was reaped while a
// file was open); EACCES and EPERM mean we may not look.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return fmt.Errorf("%w: %w", ErrExited, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w: %w", ErrPermission, err)
	}
	return err
}

// reason is the short form of err used in reports: the sentinel's text when
// there is one, otherwise the error itself.
func reason(err error) string {
	for _, s := range []error{ErrZombie, ErrHidden, ErrPermission, ErrPIDReused, ErrExited, ErrUnsupported, ErrNoProcess} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return err.Error()
}
