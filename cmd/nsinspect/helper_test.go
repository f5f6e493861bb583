package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runHelper is the test binary re-executed as a container-like process
// (NSINSPECT_TEST_HELPER=ns-init), started by a live test in new
// namespaces. It joins the test's cgroups, sets its hostname, shrinks its
// capability bounding set and then execs /bin/sh with the test's script,
// so that the shell is PID 1 of its pid namespace with exactly the
// capabilities the test expects.
func runHelper(kind string) {
	if kind == "sleep" {
		// A process whose argv the test chose: sleep argv[1] seconds.
		n, _ := strconv.Atoi(os.Args[len(os.Args)-1])
		time.Sleep(time.Duration(n) * time.Second)
		os.Exit(0)
	}
	if kind != "ns-init" {
		fmt.Fprintf(os.Stderr, "unknown helper %q\n", kind)
		os.Exit(3)
	}
	// The bounding set is per thread: drop it on the thread that execs,
	// or a goroutine moved to another thread in between execs sh with the
	// full set (seen in the VM guests, whose emulated CPUs reschedule
	// threads more often).
	runtime.LockOSThread()
	die := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "helper: %s: %v\n", what, err)
		os.Exit(3)
	}
	// Writing 0 to cgroup.procs moves the writer itself (v1 and v2).
	for _, f := range strings.Fields(os.Getenv("NSINSPECT_TEST_CGROUPS")) {
		if err := os.WriteFile(f, []byte("0"), 0); err != nil {
			die("joining cgroup", err)
		}
	}
	if h := os.Getenv("NSINSPECT_TEST_HOSTNAME"); h != "" {
		if err := unix.Sethostname([]byte(h)); err != nil {
			die("sethostname", err)
		}
	}
	if keep := os.Getenv("NSINSPECT_TEST_KEEP_CAPS"); keep != "" {
		want := map[int]bool{}
		for _, n := range strings.Split(keep, ",") {
			var bit int
			if _, err := fmt.Sscan(n, &bit); err != nil {
				die("parsing cap bit", err)
			}
			want[bit] = true
		}
		// CAP_SETPCAP (8) is what allows dropping; drop it last.
		for bit := 63; bit >= 0; bit-- {
			if bit == unix.CAP_SETPCAP || want[bit] {
				continue
			}
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(bit), 0, 0, 0); err != nil && err != unix.EINVAL {
				die(fmt.Sprintf("dropping cap %d", bit), err)
			}
		}
		if !want[unix.CAP_SETPCAP] {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_SETPCAP, 0, 0, 0); err != nil {
				die("dropping CAP_SETPCAP", err)
			}
		}
	}
	// For root, execve sets permitted = effective = the bounding set.
	err := syscall.Exec("/bin/sh", []string{"sh", "-c", os.Getenv("NSINSPECT_TEST_SCRIPT")}, os.Environ())
	die("exec /bin/sh", err)
}
