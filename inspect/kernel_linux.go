package inspect

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

type utsResult struct {
	host, domain string
	err          error
}

// utsNames enters the UTS namespace behind nsFile on a thread of its own and
// asks uname. setns changes only the calling thread, so the goroutine locks
// its thread and never unlocks it: when the goroutine ends, the Go runtime
// throws the thread away instead of reusing it in the wrong namespace.
//
// The main thread is the exception: /proc/self/ns shows the thread-group
// leader's namespaces, so it must never move, and the runtime cannot throw
// it away. A goroutine that finds itself on the main thread holds it (so
// no other goroutine can land there) and does the work on another.
func utsNames(nsFile string) (host, domain string, err error) {
	ch := make(chan utsResult, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			inner := make(chan utsResult, 1)
			go func() {
				runtime.LockOSThread()
				inner <- unameIn(nsFile)
			}()
			r := <-inner
			runtime.UnlockOSThread()
			ch <- r
			return
		}
		ch <- unameIn(nsFile)
	}()
	r := <-ch
	return r.host, r.domain, r.err
}

// unameIn joins the UTS namespace of nsFile on the calling (locked) thread
// and returns its names. The thread is not fit for reuse afterwards.
func unameIn(nsFile string) utsResult {
	f, err := os.Open(nsFile)
	if err != nil {
		return utsResult{err: err}
	}
	defer f.Close()
	if unix.Gettid() == unix.Getpid() {
		return utsResult{err: &os.PathError{Op: "setns", Path: nsFile, Err: unix.EDEADLK}}
	}
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWUTS); err != nil {
		return utsResult{err: &os.PathError{Op: "setns", Path: nsFile, Err: err}}
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return utsResult{err: err}
	}
	return utsResult{host: unix.ByteSliceToString(u.Nodename[:]), domain: unix.ByteSliceToString(u.Domainname[:])}
}
