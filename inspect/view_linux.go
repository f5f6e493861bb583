package inspect

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// View reads what a program inside pid's container sees when it sizes
// itself (facts.View). Only the process's own files are read, through its
// root with resolution confined to it and under the FS's read deadline
// (the container's /proc/meminfo may be lxcfs's FUSE file, served by a
// daemon that can hang); nothing of the container's is executed.
// sysinfo(2) is not namespaced, so nsinspect's own call returns what the
// container's would. It needs the live proc root: a fixture has no
// affinity or sysinfo to ask.
func (fsys FS) View(pid int) (*View, error) {
	if !fsys.Live() {
		return nil, fmt.Errorf("the view from inside needs the live /proc: %w", ErrUnsupported)
	}
	v := &View{Errors: []SectionError{}}
	fail := func(what string, err error) {
		v.Errors = append(v.Errors, SectionError{Section: what, Err: err.Error()})
	}

	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		fail("sysinfo", err)
	} else {
		total := uint64(si.Totalram) * uint64(si.Unit)
		v.SysinfoTotalRAMBytes = &total
		v.Sources.Add("sysinfoTotalRamBytes", "sysinfo(2)", fmt.Sprintf("totalram %d × mem_unit %d", si.Totalram, si.Unit))
	}

	var set unix.CPUSet
	if err := unix.SchedGetaffinity(pid, &set); err != nil {
		fail("affinity", fmt.Errorf("sched_getaffinity(%d): %w", pid, err))
	} else {
		n := set.Count()
		v.AffinityCPUs = &n
		v.Sources.Add("affinityCpus", fmt.Sprintf("sched_getaffinity(%d)", pid), strconv.Itoa(n)+" CPUs in the mask")
	}

	var lim unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_NPROC, nil, &lim); err != nil {
		fail("nproc", fmt.Errorf("prlimit(%d, RLIMIT_NPROC): %w", pid, err))
	} else {
		if lim.Cur != unix.RLIM_INFINITY {
			c := lim.Cur
			v.NprocSoftLimit = &c
		}
		v.Sources.Add("nprocSoftLimit", fmt.Sprintf("prlimit(%d, RLIMIT_NPROC)", pid), fmt.Sprintf("soft %s", rlim(lim.Cur)))
	}

	root := fsys.pid(pid, "root")
	v.MeminfoFrom, v.CPUInfoFrom = "procfs", "procfs"
	if raw, err := readFile(fsys.pid(pid, "mountinfo")); err == nil {
		if table, err := parseMountinfo(raw); err == nil {
			for _, m := range table.mounts {
				switch m.Mountpoint {
				case "/proc/meminfo":
					v.MeminfoFrom = m.FSType
					v.Sources.Add("meminfoFrom", fsys.pid(pid, "mountinfo"), table.line(m))
				case "/proc/cpuinfo":
					v.CPUInfoFrom = m.FSType
					v.Sources.Add("cpuinfoFrom", fsys.pid(pid, "mountinfo"), table.line(m))
				}
			}
		}
	}
	if v.MeminfoFrom == "procfs" {
		if b, err := fsys.readIn(viewLimit, root, "proc/meminfo"); err != nil {
			fail("meminfo", err)
		} else if total, ok := memTotal(b); ok {
			v.MeminfoTotalBytes = &total
			v.Sources.Add("meminfoTotalBytes", root+"/proc/meminfo", fmt.Sprintf("MemTotal: %d kB", total/1024))
		} else {
			fail("meminfo", fmt.Errorf("%s/proc/meminfo: no MemTotal line", root))
		}
	}
	if v.CPUInfoFrom == "procfs" {
		if b, err := fsys.readIn(viewLimit, root, "proc/cpuinfo"); err != nil {
			fail("cpuinfo", err)
		} else {
			n := cpuinfoProcessors(b)
			v.CPUInfoProcessors = &n
			v.Sources.Add("cpuinfoProcessors", root+"/proc/cpuinfo", fmt.Sprintf("%d processor entries", n))
		}
	}
	return v, nil
}

// viewLimit bounds the container's meminfo and cpuinfo: a FUSE file can
// be any size (cpuinfo of 512 CPUs is about 700 KiB).
const viewLimit = 4 << 20

func rlim(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// memTotal is MemTotal of a meminfo, in bytes ("MemTotal:  24576000 kB").
func memTotal(b []byte) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || n > 1<<53 {
			return 0, false
		}
		if len(f) > 1 && f[1] == "kB" {
			n *= 1024
		}
		return n, true
	}
	return 0, false
}

// cpuinfoProcessors counts the "processor\t: N" lines of a cpuinfo.
func cpuinfoProcessors(b []byte) int {
	n := 0
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if k, _, ok := bytes.Cut(line, []byte(":")); ok && string(bytes.TrimSpace(k)) == "processor" {
			n++
		}
	}
	return n
}
