package inspect

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// utsNames enters the UTS namespace behind nsFile on a thread of its own and
// asks uname. setns changes only the calling thread, so the goroutine locks
// its thread and never unlocks it: when the goroutine ends, the Go runtime
// throws the thread away instead of reusing it in the wrong namespace.
func utsNames(nsFile string) (host, domain string, err error) {
	type result struct {
		host, domain string
		err          error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(nsFile)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWUTS); err != nil {
			ch <- result{err: &os.PathError{Op: "setns", Path: nsFile, Err: err}}
			return
		}
		var u unix.Utsname
		if err := unix.Uname(&u); err != nil {
			ch <- result{err: err}
			return
		}
		ch <- result{host: unix.ByteSliceToString(u.Nodename[:]), domain: unix.ByteSliceToString(u.Domainname[:])}
	}()
	r := <-ch
	return r.host, r.domain, r.err
}
