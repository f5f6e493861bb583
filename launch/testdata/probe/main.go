// Command probe is what the launcher's security tests run inside
// containers, playing the hostile process: a static binary, built by the
// tests and copied into a busybox root filesystem.
//
//	probe tiocsti          try TIOCSTI on fds 0-2 and /dev/tty; print what each did
//	probe syscalls [x32]   make the seccomp tests' system calls, through the
//	                       binary's own ABI or x32, and print each one's errno
//	probe spy SECONDS [DIR]
//	                       for SECONDS, look at every other process in the pid
//	                       namespace: its credentials, its root, every fd it holds
//	                       (taken with pidfd_getfd), and whether it can be traced;
//	                       with DIR, make DIR/saw once it has seen a sleep and
//	                       stop early once DIR/stop exists
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe tiocsti | spy SECONDS")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "tiocsti":
		tiocsti()
	case "syscalls":
		abi := ""
		if len(os.Args) > 2 {
			abi = os.Args[2]
		}
		syscalls(abi)
	case "spy":
		d, _ := strconv.Atoi(os.Args[2])
		dir := ""
		if len(os.Args) > 3 {
			dir = os.Args[3]
		}
		spy(time.Duration(d)*time.Second, dir)
	default:
		os.Exit(2)
	}
}

// tiocsti pushes "INJECTED\n" into every terminal within reach, as a
// hostile container would into the operator's shell.
func tiocsti() {
	try := func(what string, fd int) {
		var st unix.Stat_t
		unix.Fstat(fd, &st)
		res := "injected"
		for _, c := range []byte("INJECTED\n") {
			if err := unix.IoctlSetPointerInt(fd, unix.TIOCSTI, int(c)); err != nil {
				res = err.Error()
				break
			}
		}
		fmt.Printf("%s mode=%o dev=%d rdev=%d:%d tiocsti=%s\n", what, st.Mode&unix.S_IFMT, st.Dev, unix.Major(st.Rdev), unix.Minor(st.Rdev), res)
	}
	for fd := 0; fd < 3; fd++ {
		try("fd"+strconv.Itoa(fd), fd)
	}
	if fd, err := unix.Open("/dev/tty", unix.O_RDWR|unix.O_NOCTTY, 0); err != nil {
		fmt.Printf("/dev/tty open=%v\n", err)
	} else {
		try("/dev/tty", fd)
	}
}

// spy reports, as lines starting with FINDING, anything another process
// in the pid namespace holds that the container does not: capabilities
// beyond its own bounding set, a root outside the container, a directory,
// socket, regular file or device from outside the container's mounts.
func spy(d time.Duration, dir string) {
	// ptrace requests come from the thread that attached.
	runtime.LockOSThread()
	own := capsOf("self")["CapBnd"]
	ownDevs := mountDevices()
	var self unix.Stat_t
	unix.Stat("/", &self)
	findings := map[string]bool{}
	find := func(format string, a ...any) { findings["FINDING: "+fmt.Sprintf(format, a...)] = true }
	seen, fds, traced := map[string]bool{}, 0, 0
	me := strconv.Itoa(os.Getpid())
	sawSleep := false
	for end := time.Now().Add(d); time.Now().Before(end); {
		if dir != "" {
			if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
				break
			}
		}
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid := e.Name()
			if pid[0] < '0' || pid[0] > '9' || pid == me {
				continue
			}
			n, _ := strconv.Atoi(pid)
			comm, _ := os.ReadFile("/proc/" + pid + "/comm")
			who := pid + " (" + strings.TrimSpace(string(comm)) + ")"
			seen[who] = true
			if dir != "" && !sawSleep && strings.TrimSpace(string(comm)) == "sleep" {
				sawSleep = true
				os.WriteFile(filepath.Join(dir, "saw"), nil, 0o644)
			}
			// Try to trace it first: a process that can be held stopped
			// can be searched at leisure.
			// Held in a ptrace stop while searched, then let go: a
			// tracer that never waits would keep the tracee's exit from
			// its parent (exec waiting for its command) until it exits.
			held := false
			if err := unix.PtraceSeize(n); err == nil {
				traced++
				if unix.PtraceInterrupt(n) == nil {
					var ws unix.WaitStatus
					_, err := unix.Wait4(n, &ws, unix.WALL, nil)
					held = err == nil && ws.Stopped()
				}
			}
			caps := capsOf(pid)
			for _, k := range []string{"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"} {
				if v, ok := caps[k]; ok && v&^own != 0 {
					find("%s %s %016x beyond the container's bounding set %016x", who, k, v, own)
				}
			}
			var root unix.Stat_t
			if unix.Stat("/proc/"+pid+"/root/", &root) == nil && (root.Dev != self.Dev || root.Ino != self.Ino) {
				find("%s has its root outside the container's (dev %d ino %d)", who, root.Dev, root.Ino)
			}
			pidfd, err := unix.PidfdOpen(n, 0)
			if err == nil {
				list, _ := os.ReadDir("/proc/" + pid + "/fd")
				for _, l := range list {
					target, _ := strconv.Atoi(l.Name())
					fd, err := unix.PidfdGetfd(pidfd, target, 0)
					if err != nil {
						continue
					}
					fds++
					link, _ := os.Readlink("/proc/" + pid + "/fd/" + l.Name())
					var st unix.Stat_t
					unix.Fstat(fd, &st)
					switch st.Mode & unix.S_IFMT {
					case unix.S_IFDIR:
						find("%s fd %d is a directory: %s", who, target, link)
					case unix.S_IFSOCK:
						find("%s fd %d is a socket: %s", who, target, link)
					case unix.S_IFREG, unix.S_IFCHR, unix.S_IFBLK:
						if !ownDevs[st.Dev] && !strings.HasPrefix(link, "anon_inode:") && !strings.HasPrefix(link, "/memfd:") {
							find("%s fd %d is from outside the container's mounts: %s (dev %d:%d)", who, target, link, unix.Major(st.Dev), unix.Minor(st.Dev))
						}
					}
					unix.Close(fd)
				}
				unix.Close(pidfd)
			}
			if held {
				unix.PtraceDetach(n)
			}
		}
	}
	var out []string
	for f := range findings {
		out = append(out, f)
	}
	sort.Strings(out)
	for _, f := range out {
		fmt.Println(f)
	}
	var who []string
	for w := range seen {
		who = append(who, w)
	}
	sort.Strings(who)
	fmt.Printf("SEEN %d processes, %d fds taken, %d traced: %s\n", len(seen), fds, traced, strings.Join(who, ", "))
}

func capsOf(pid string) map[string]uint64 {
	out := map[string]uint64{}
	f, err := os.Open(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":\t")
		if ok && strings.HasPrefix(k, "Cap") {
			n, _ := strconv.ParseUint(v, 16, 64)
			out[k] = n
		}
	}
	return out
}

// mountDevices are the devices of the container's own mounts.
func mountDevices() map[uint64]bool {
	out := map[uint64]bool{}
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		maj, min, _ := strings.Cut(f[2], ":")
		a, _ := strconv.ParseUint(maj, 10, 32)
		b, _ := strconv.ParseUint(min, 10, 32)
		out[unix.Mkdev(uint32(a), uint32(b))] = true
	}
	return out
}
