package facts

import "time"

// ProcessInfo identifies a process.
type ProcessInfo struct {
	PID        int       `json:"pid"`
	NSpid      []int     `json:"nspid"` // outermost first; the last is its pid in its own namespace
	PPid       int       `json:"ppid"`
	Comm       string    `json:"comm"`
	Cmdline    []string  `json:"cmdline"`
	State      string    `json:"state"`
	UID        uint32    `json:"uid"`
	EUID       uint32    `json:"euid"`
	GID        uint32    `json:"gid"`
	EGID       uint32    `json:"egid"`
	StartTicks uint64    `json:"startTicks"`
	StartTime  time.Time `json:"startTime"`
	Sources    Sources   `json:"evidence,omitempty"`
}

// Process is everything nsinspect knows about one process. A section that
// could not be read is nil and has an entry in Errors.
type Process struct {
	PID          int            `json:"pid"`
	Info         *ProcessInfo   `json:"process"`
	Namespaces   []Namespace    `json:"namespaces"`
	Cgroup       *Cgroup        `json:"cgroup"`
	Kernel       *Kernel        `json:"kernel"`
	Capabilities *Capabilities  `json:"capabilities"`
	Security     *Security      `json:"security"`
	Signals      *Signals       `json:"signals"`
	Rootfs       *Rootfs        `json:"rootfs"`
	Runtime      *Runtime       `json:"runtime"`
	Errors       []SectionError `json:"errors"`
}

// Fail records that section could not be read (or only in part), and why;
// a nil err records nothing.
func (p *Process) Fail(section string, err error) {
	if err != nil {
		p.Errors = append(p.Errors, SectionError{Section: section, Err: err.Error()})
	}
}

// Reference kinds: what the "host" column was read from.
const (
	ReferenceInit    = "init"    // PID 1 of the proc root
	ReferenceSelf    = "self"    // nsinspect itself, when PID 1 cannot be read
	ReferenceProcess = "process" // a process the user chose with --vs
	ReferenceHost    = "host"    // a process in the kernel's initial namespaces, when PID 1 cannot be read and nsinspect is not in them
)

// Reference is the process a target is compared with.
type Reference struct {
	PID    int    `json:"pid"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
	// Partial is set when the reader itself runs inside a pid namespace
	// that is not the host's: processes outside it are invisible.
	Partial string   `json:"partial,omitempty"`
	Process *Process `json:"-"`
}

// Kernel is the kernel a process runs on — always the host's, since
// containers share it — and the names of its UTS namespace.
type Kernel struct {
	Release    string  `json:"release"`
	Version    string  `json:"version"`
	Hostname   *string `json:"hostname"`
	Domainname *string `json:"domainname"`
	Sources    Sources `json:"evidence,omitempty"`
}

// Host holds what the machine has, for the "host" column: what a container
// without limits may use, and what free and nproc show inside it anyway.
type Host struct {
	MemTotalBytes uint64 `json:"memTotalBytes"`
	// SwapTotalBytes is SwapTotal of /proc/meminfo: 0 when the host has
	// no swap, and a cgroup's swap limit then allows nothing to swap.
	SwapTotalBytes *uint64    `json:"swapTotalBytes"`
	CPUs           int        `json:"cpus"`
	CgroupMode     CgroupMode `json:"cgroupMode"`
	Sources        Sources    `json:"evidence,omitempty"`
}
