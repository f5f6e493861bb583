package launch

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Spec is everything a container is made from. The launcher fills it from
// flags, checks it with Validate before creating anything, and hands it to
// the container's init as JSON.
type Spec struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Cwd      string   `json:"cwd"`
	UID      uint32   `json:"uid"`
	GID      uint32   `json:"gid"`
	Hostname string   `json:"hostname"`

	// Rootfs is the lower layer of the container's overlay root: "" for the
	// host's own /, otherwise a directory that is never written.
	Rootfs   string   `json:"rootfs"`
	ReadOnly bool     `json:"readOnly"`
	Volumes  []Volume `json:"volumes"`
	Network  string   `json:"network"` // none or host
	// PID is "" for a pid namespace of the container's own, or "host" to
	// share the host's (--pid host, as Docker's): the command is then not
	// PID 1 and sees, and can signal, every host process of its uid.
	PID string `json:"pid,omitempty"`

	Privileged bool     `json:"privileged"`
	CapAdd     []string `json:"capAdd"`
	CapDrop    []string `json:"capDrop"`
	// Capabilities is the final set, computed by Resolve; MissingCaps what
	// --privileged asked for but the launcher itself does not hold.
	Capabilities []string `json:"capabilities"`
	MissingCaps  []string `json:"missingCaps,omitempty"`

	// Groups are the supplementary groups (--group-add); none by default,
	// whatever the caller's are.
	Groups []uint32 `json:"groups,omitempty"`
	// OOMScoreAdj is the container's oom_score_adj (0 unless
	// --oom-score-adj), never the caller's.
	OOMScoreAdj int `json:"oomScoreAdj"`
	// Sysctls are --sysctl values for the container's own namespaces.
	Sysctls map[string]string `json:"sysctls,omitempty"`
	// TmpfsSize bounds the writable layer and the fresh directories of the
	// default root together (--tmpfs-size); nil: 1 GiB, or --memory when
	// that is smaller.
	TmpfsSize *int64 `json:"tmpfsSize,omitempty"`
	// Log bounds a detached container's log (--log-opt).
	Log LogOptions `json:"log"`
	// Seccomp is its seccomp profile (--security-opt seccomp=...).
	Seccomp Seccomp `json:"seccomp"`

	Init bool `json:"init"` // a reaping init is PID 1, not the command
	// InitPath is the host's init binary for --init (--init-path), run
	// from a sealed copy; "" looks for docker-init, tini-static or tini.
	// The launcher records the one it used.
	InitPath    string `json:"initPath,omitempty"`
	TTY         bool   `json:"tty"`
	Interactive bool   `json:"interactive"`
	Detach      bool   `json:"detach"`
	Remove      bool   `json:"remove"`

	Resources Resources `json:"resources"`
}

// Volume is a bind mount from the host (-v host:container[:ro]).
type Volume struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly"`
}

// Resources are the cgroup limits; nil means "no limit".
type Resources struct {
	MemoryBytes     *int64  `json:"memoryBytes,omitempty"`
	MemorySwapBytes *int64  `json:"memorySwapBytes,omitempty"` // memory plus swap, Docker's --memory-swap; -1 unlimited
	CPUQuota        *int64  `json:"cpuQuota,omitempty"`        // microseconds per CPUPeriod
	CPUPeriod       uint64  `json:"cpuPeriod,omitempty"`
	CPUShares       *uint64 `json:"cpuShares,omitempty"`
	CpusetCPUs      string  `json:"cpusetCpus,omitempty"`
	PidsLimit       *int64  `json:"pidsLimit,omitempty"`
}

// The limits nsinspect run sets unless told otherwise: a container
// without them can take the host's memory or pids (audit's
// no-memory-limit and no-pids-limit). 2048 pids is Podman's default.
const (
	DefaultMemoryBytes = 1 << 30
	DefaultPidsLimit   = 2048
)

// defaultTmpfsSize is the default bound of the writable layer and the
// fresh directories together: 1 GiB, so one container cannot fill the
// host's memory through tmpfs (tmpfs defaults to half of RAM).
const defaultTmpfsSize = 1 << 30

func (s *Spec) tmpfsSize() int64 {
	if s.TmpfsSize != nil {
		return *s.TmpfsSize
	}
	if m := s.Resources.MemoryBytes; m != nil && *m < defaultTmpfsSize {
		return *m
	}
	return defaultTmpfsSize
}

// ParseBytes understands Docker's memory syntax: a number of bytes with an
// optional unit b, k, m or g (powers of 1024), e.g. 512m, 1g, 1.5g.
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		case 't':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes with an optional unit b, k, m or g (e.g. 512m)", s)
	}
	return int64(v * float64(mult)), nil
}

// ParseCPUs turns --cpus 1.5 into a CFS quota over a 100 ms period.
func ParseCPUs(s string, max int) (quota int64, period uint64, err error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, 0, fmt.Errorf("invalid --cpus %q: want a positive number of CPUs such as 0.5 or 1.5", s)
	}
	if max > 0 && v > float64(max) {
		return 0, 0, fmt.Errorf("invalid --cpus %q: this machine has %d CPUs", s, max)
	}
	period = 100000
	quota = int64(math.Round(v * float64(period)))
	if quota < 1000 { // the kernel's minimum quota is 1 ms
		return 0, 0, fmt.Errorf("invalid --cpus %q: the smallest is 0.01", s)
	}
	return quota, period, nil
}

// ParseCpuset checks a --cpuset-cpus list such as 0-1,3.
func ParseCpuset(s string) (string, error) {
	bad := fmt.Errorf("invalid --cpuset-cpus %q: want a CPU list such as 0-1,3", s)
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return "", bad
		}
		if isRange {
			b, err := strconv.ParseUint(hi, 10, 16)
			if err != nil {
				return "", bad
			}
			if b < a {
				return "", fmt.Errorf("invalid --cpuset-cpus %q: range %s runs backwards", s, part)
			}
		}
	}
	return s, nil
}

// ParseVolume understands -v host:container[:ro|rw].
func ParseVolume(s string) (Volume, error) {
	parts := strings.Split(s, ":")
	bad := fmt.Errorf("invalid --volume %q: want /host/path:/container/path[:ro]", s)
	if len(parts) < 2 || len(parts) > 3 {
		return Volume{}, bad
	}
	v := Volume{Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			v.ReadOnly = true
		case "rw":
		default:
			return Volume{}, fmt.Errorf("invalid --volume %q: mode %q is not ro or rw", s, parts[2])
		}
	}
	if !filepath.IsAbs(v.Source) || !filepath.IsAbs(v.Target) {
		return Volume{}, fmt.Errorf("invalid --volume %q: both paths must be absolute", s)
	}
	v.Source, v.Target = filepath.Clean(v.Source), filepath.Clean(v.Target)
	if v.Target == "/" {
		return Volume{}, fmt.Errorf("invalid --volume %q: cannot mount over the container's /", s)
	}
	return v, nil
}

// ParseUser understands -u uid[:gid] (numeric; "root" is 0).
func ParseUser(s string) (uid, gid uint32, err error) {
	u, g, hasG := strings.Cut(s, ":")
	num := func(x string) (uint32, error) {
		if x == "root" {
			return 0, nil
		}
		n, err := strconv.ParseUint(x, 10, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid --user %q: want a numeric uid[:gid] (names are not looked up)", s)
		}
		return uint32(n), nil
	}
	if uid, err = num(u); err != nil {
		return 0, 0, err
	}
	gid = uid
	if hasG {
		if gid, err = num(g); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

// ValidName reports whether s can name a container (Docker's rule:
// [a-zA-Z0-9][a-zA-Z0-9_.-]*), at most 128 characters.
func ValidName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || (c != '_' && c != '.' && c != '-')) {
			return false
		}
	}
	return true
}

// Validate checks what flags cannot check one by one. It is called before
// anything is created.
func (s *Spec) Validate() error {
	if len(s.Args) == 0 {
		return errors.New("no command given: nsinspect run [flags] -- COMMAND [ARG...]")
	}
	if s.Name != "" && !ValidName(s.Name) {
		return fmt.Errorf("invalid --name %q: use letters, digits, _ . and -, starting with a letter or digit", s.Name)
	}
	if len(s.Hostname) > 64 {
		return fmt.Errorf("invalid --hostname %q: at most 64 characters", s.Hostname)
	}
	if s.Cwd != "" && !filepath.IsAbs(s.Cwd) {
		return fmt.Errorf("invalid --workdir %q: must be an absolute path", s.Cwd)
	}
	switch s.Network {
	case "", "none", "host":
	default:
		return fmt.Errorf("invalid --network %q: want none or host", s.Network)
	}
	switch s.PID {
	case "", "host":
	default:
		return fmt.Errorf("invalid --pid %q: want host (or leave it out for a pid namespace of the container's own)", s.PID)
	}
	r := s.Resources
	if r.MemorySwapBytes != nil && *r.MemorySwapBytes != -1 {
		if r.MemoryBytes == nil {
			return errors.New("--memory-swap needs --memory")
		}
		if *r.MemorySwapBytes < *r.MemoryBytes {
			return fmt.Errorf("--memory-swap must be at least --memory, %s (1GiB unless given; it counts memory plus swap)", humanBytes(*r.MemoryBytes))
		}
	}
	if r.MemoryBytes != nil && *r.MemoryBytes < 6<<20 {
		return fmt.Errorf("invalid --memory %d: the minimum is 6m", *r.MemoryBytes)
	}
	if s.InitPath != "" && !s.Init {
		return errors.New("--init-path needs --init")
	}
	if s.InitPath != "" && !filepath.IsAbs(s.InitPath) {
		return fmt.Errorf("invalid --init-path %q: must be an absolute path", s.InitPath)
	}
	if s.Detach && s.TTY {
		return errors.New("-t with -d is not supported: a detached container has no terminal to attach to")
	}
	for _, v := range s.Volumes {
		switch v.Target {
		case "/proc", "/dev", "/sys":
			return fmt.Errorf("invalid --volume target %s: nsinspect mounts it itself", v.Target)
		}
	}
	for k, v := range s.Sysctls {
		if _, _, err := ParseSysctl(k+"="+v, s.Network == "host"); err != nil {
			return err
		}
	}
	if s.TmpfsSize != nil && *s.TmpfsSize < 1<<20 {
		return fmt.Errorf("invalid --tmpfs-size %d: the minimum is 1m", *s.TmpfsSize)
	}
	if s.OOMScoreAdj < -1000 || s.OOMScoreAdj > 1000 {
		return fmt.Errorf("invalid --oom-score-adj %d: want -1000 to 1000", s.OOMScoreAdj)
	}
	return nil
}
