package launch_test

// Checklist items 8 and 9 (security-notes.md §9): the container's minimal
// /dev, its device cgroup, and -t with /dev/console.

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// minimalDev is what `ls -A /dev` shows in a container without -t.
var minimalDev = []string{
	"core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm",
	"stderr", "stdin", "stdout", "tty", "urandom", "zero",
}

// Checklist 8: /dev holds only Docker's nodes and links, other devices
// cannot be opened even when made with mknod, and the device cgroup is
// the allow list, not "a *:* rwm".
func TestChecklist08MinimalDev(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	if got := strings.Fields(mustRun(t, "run", "--", "ls", "-A", "/dev")); !slices.Equal(got, minimalDev) {
		t.Errorf("ls -A /dev inside: %v, want %v", got, minimalDev)
	}
	nodes := mustRun(t, "run", "--", "stat", "-c", "%n %F %t:%T", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
	want := "/dev/null character special file 1:3\n/dev/zero character special file 1:5\n/dev/full character special file 1:7\n" +
		"/dev/random character special file 1:8\n/dev/urandom character special file 1:9\n/dev/tty character special file 5:0\n"
	if nodes != want {
		t.Errorf("device nodes inside:\n%s\nwant:\n%s", nodes, want)
	}

	// The block device holding the host's / is the one worth stealing.
	var st syscall.Stat_t
	if err := syscall.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	major, minor := unix.Major(st.Dev), unix.Minor(st.Dev)
	script := fmt.Sprintf(`head -c1 /dev/vda >/dev/null 2>&1; echo "vda:$?"
mknod /tmp/x b %d %d 2>/dev/null; head -c1 /tmp/x >/dev/null 2>&1; echo "mknod-read:$?"`, major, minor)
	r := nsi(t, "run", "--", "sh", "-c", script)
	if r.code != 0 || strings.Contains(r.stdout, ":0\n") || strings.Count(r.stdout, "\n") != 2 {
		t.Errorf("reading block devices inside: exit %d, stdout %q; want both reads to fail", r.code, r.stdout)
	}

	// The device cgroup itself, by behaviour on every layout: a tun node
	// (opening it needs no capability) made with mknod on the writable
	// root, which is not nodev, is refused by the allow list (EPERM)
	// and opens under --privileged ("File descriptor in bad state" is tun
	// answering a read before TUNSETIFF).
	tun := "mknod /tun c 10 200 && cat /tun"
	if r := nsi(t, "run", "--", "sh", "-c", tun); !strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("opening a tun node made inside: exit %d, stderr %q; want the device cgroup's EPERM", r.code, r.stderr)
	}
	if r := nsi(t, "run", "--privileged", "--", "sh", "-c", tun); strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("opening a tun node with --privileged: exit %d, stderr %q; want the device opened", r.code, r.stderr)
	}

	if cgroupV2() {
		t.Log("cgroup v2 has no devices.list (the allow list is an eBPF program): checked by behaviour above")
		return
	}
	list := strings.Split(strings.TrimSpace(mustRun(t, "run", "--", "cat", "/sys/fs/cgroup/devices/devices.list")), "\n")
	allow := []string{"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm"}
	slices.Sort(list)
	slices.Sort(allow)
	if !slices.Equal(list, allow) || slices.Contains(list, "a *:* rwm") {
		t.Errorf("devices.list inside: %q, want the allow list %q", list, allow)
	}
}

// pty is a pseudo-terminal the test holds the master of.
type pty struct {
	master *os.File
	slave  *os.File
	out    safeBuffer
}

// openPty allocates a terminal through /dev/ptmx and unlocks its slave.
func openPty(t *testing.T) *pty {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("opening /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("TIOCGPTN: %v", err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("opening the pty slave: %v", err)
	}
	p := &pty{master: os.NewFile(uintptr(fd), "ptmx"), slave: slave}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := p.master.Read(buf)
			p.out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { p.master.Close(); p.slave.Close() })
	return p
}

// expect waits until the terminal output matches re and returns the
// submatches.
func (p *pty) expect(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var m []string
	if !poll(10*time.Second, func() bool { m = rx.FindStringSubmatch(p.out.String()); return m != nil }) {
		t.Fatalf("terminal output never matched %q:\n%s", re, p.out.String())
	}
	return m
}

func (p *pty) send(t *testing.T, s string) {
	t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		t.Fatalf("writing to the terminal: %v", err)
	}
}

// Checklist 9: with -t the container's /dev/console is its terminal (the
// same pts device as `tty`), Ctrl-C interrupts the foreground command
// without ending the shell, and the shell's exit code comes back.
func TestChecklist09TerminalConsole(t *testing.T) {
	requireRoot(t)
	leakCheck(t)
	procLeakCheck(t)
	p := openPty(t)
	name := "tty-" + token(t)
	removeOnCleanup(t, name)
	cmd := exec.Command(bin, "run", "-t", "--name", name, "--", "sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.slave, p.slave, p.slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
			nsiWith(t, nil, nil, "gc")
		}
	})
	runningPid(t, name)
	id := containerID(t, name)

	// The markers are computed by the shell, so the echoed input never
	// matches them.
	p.send(t, "echo C=$(stat -c %t:%T /dev/console) T=$(stat -c %t:%T $(tty)) N=$(tty) D=$(ls -A /dev | tr '\\n' ,) F=$(grep ' /dev/console ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1)\n")
	m := p.expect(t, `C=([0-9a-f]+:[0-9a-f]+) T=([0-9a-f]+:[0-9a-f]+) N=(\S+) D=(\S+) F=(\S*)`)
	if m[1] != m[2] || !strings.HasPrefix(m[1], "88:") || !strings.HasPrefix(m[3], "/dev/pts/") {
		t.Errorf("/dev/console is %s, tty %s is %s; want the same pts device (major 0x88 = 136)", m[1], m[3], m[2])
	}
	if m[5] != "devpts" {
		t.Errorf("/dev/console is mounted from %q, want devpts", m[5])
	}
	if got, want := strings.Split(strings.TrimSuffix(m[4], ","), ","), slices.Sorted(slices.Values(append([]string{"console"}, minimalDev...))); !slices.Equal(got, want) {
		t.Errorf("ls -A /dev with -t: %v, want %v", got, want)
	}

	p.send(t, "sleep 100\n")
	var sleepPid int
	waitFor(t, "sleep 100 in the container", func() bool {
		b, _ := os.ReadFile(containerCgroupDir(id) + "/cgroup.procs")
		for _, f := range strings.Fields(string(b)) {
			pid, _ := strconv.Atoi(f)
			if c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); string(c) == "sleep\x00100\x00" {
				sleepPid = pid
				return true
			}
		}
		return false
	})
	p.send(t, "\x03")
	waitFor(t, "Ctrl-C to end sleep 100", func() bool { return gone(sleepPid) })
	p.send(t, "echo alive-$((40+2))\n")
	p.expect(t, `alive-42`)
	p.send(t, "exit 3\n")
	waitFor(t, "the launcher to exit", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
	code := 0
	if ee, ok := waitErr.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if waitErr != nil {
		t.Fatal(waitErr)
	}
	if code != 3 {
		t.Errorf("run -t -- sh, then exit 3: exit %d, want 3; terminal:\n%s", code, p.out.String())
	}
}
