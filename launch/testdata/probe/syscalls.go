package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/nsinspect/nsinspect/launch/seccomp"
)

// probeCall is one system call the seccomp tests ask about, with
// arguments that make it harmless if the filter lets it through.
type probeCall struct {
	name, label string
	args        func() [6]uintptr
}

func noArgs() [6]uintptr { return [6]uintptr{} }

var probeCalls = []probeCall{
	{"getpid", "getpid", noArgs},
	{"unshare", "unshare(CLONE_NEWUSER)", func() [6]uintptr { return [6]uintptr{unix.CLONE_NEWUSER} }},
	{"keyctl", "keyctl", func() [6]uintptr {
		return [6]uintptr{unix.KEYCTL_GET_KEYRING_ID, ^uintptr(2) /* KEY_SPEC_SESSION_KEYRING, -3 */, 0}
	}},
	{"add_key", "add_key", func() [6]uintptr {
		typ, desc := []byte("user\x00"), []byte("probe\x00")
		return [6]uintptr{uintptr(unsafe.Pointer(&typ[0])), uintptr(unsafe.Pointer(&desc[0])), uintptr(unsafe.Pointer(&typ[0])), 1, ^uintptr(1) /* KEY_SPEC_PROCESS_KEYRING, -2 */}
	}},
	{"io_uring_setup", "io_uring_setup", func() [6]uintptr { var p [120]byte; return [6]uintptr{1, uintptr(unsafe.Pointer(&p[0]))} }},
	{"userfaultfd", "userfaultfd", func() [6]uintptr { return [6]uintptr{unix.O_CLOEXEC} }},
	{"perf_event_open", "perf_event_open", func() [6]uintptr {
		attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK, Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{}))}
		return [6]uintptr{uintptr(unsafe.Pointer(&attr)), 0, ^uintptr(0), ^uintptr(0), 0}
	}},
	{"personality", "personality(READ_IMPLIES_EXEC)", func() [6]uintptr { return [6]uintptr{0x400000} }}, // READ_IMPLIES_EXEC
	{"socket", "socket(AF_VSOCK)", func() [6]uintptr { return [6]uintptr{unix.AF_VSOCK, unix.SOCK_STREAM, 0} }},
	{"socket", "socket(AF_ALG)", func() [6]uintptr { return [6]uintptr{unix.AF_ALG, unix.SOCK_SEQPACKET, 0} }},
	{"socket", "socket(AF_INET)", func() [6]uintptr { return [6]uintptr{unix.AF_INET, unix.SOCK_DGRAM, 0} }},
	{"clone3", "clone3", noArgs}, // a NULL, zero-size argument: EINVAL if the kernel gets it
	{"kexec_load", "kexec_load", noArgs},
	{"open_by_handle_at", "open_by_handle_at", func() [6]uintptr { return [6]uintptr{^uintptr(0), 0, 0} }},
}

// syscalls makes each probe call through one ABI (the binary's own, or
// x32 from an x86-64 binary) and prints name, first argument and errno.
func syscalls(abi string) {
	arch := map[string]specs.Arch{"amd64": specs.ArchX86_64, "386": specs.ArchX86, "arm64": specs.ArchAARCH64}[runtime.GOARCH]
	if abi == "x32" {
		arch = specs.ArchX32
	}
	for _, c := range probeCalls {
		nr, ok := seccomp.Number(arch, c.name)
		if !ok {
			fmt.Printf("%s unknown\n", c.label)
			continue
		}
		a := c.args()
		r, _, errno := syscall.Syscall6(uintptr(nr), a[0], a[1], a[2], a[3], a[4], a[5])
		if errno == 0 {
			switch c.name {
			case "personality":
				syscall.Syscall(uintptr(nr), 0, 0, 0) // back to the default
			case "getpid", "keyctl", "add_key", "unshare", "kexec_load":
			default:
				syscall.Syscall(uintptr(mustNumber(arch, "close")), r, 0, 0)
			}
		}
		fmt.Printf("%s %s\n", c.label, errnoName(errno))
	}
	above := seccomp.Highest(arch) + 1
	_, _, errno := syscall.Syscall(uintptr(above), 0, 0, 0)
	fmt.Printf("above-the-table %s\n", errnoName(errno))
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range splitLines(string(status)) {
		if len(l) > 8 && l[:8] == "Seccomp:" {
			fmt.Println("status-Seccomp", l[9:])
		}
	}
}

func mustNumber(arch specs.Arch, name string) uint32 {
	nr, _ := seccomp.Number(arch, name)
	return nr
}

func errnoName(e syscall.Errno) string {
	switch e {
	case 0:
		return "OK"
	case unix.EPERM:
		return "EPERM"
	case unix.ENOSYS:
		return "ENOSYS"
	}
	return unix.ErrnoName(e)
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}
