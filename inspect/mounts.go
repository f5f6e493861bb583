package inspect

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/moby/sys/mountinfo"
)

// runtimeSockets are control sockets that hand their holder the host.
var runtimeSockets = []string{
	"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "cri-dockerd.sock",
	"dockershim.sock", "kubelet.sock", "lxd.socket", "incus.socket",
}

// mountTable is a parsed mountinfo that keeps each entry's line as the
// kernel wrote it: evidence quotes that line, optional fields ("shared:1
// master:2") and octal escapes included, never one rebuilt from the parse.
type mountTable struct {
	mounts []*mountinfo.Info
	lines  map[*mountinfo.Info]string
}

// line is the kernel's line of m, or a rebuilt one for an entry that did
// not come from this table.
func (t mountTable) line(m *mountinfo.Info) string {
	if l, ok := t.lines[m]; ok {
		return l
	}
	return mountLine(m)
}

// parseMountinfo wraps moby/sys/mountinfo for a file already read in one
// go. Without a filter it returns one entry per line, in order (a line it
// cannot parse fails the whole file), which pairs entries with lines.
func parseMountinfo(b []byte) (mountTable, error) {
	mounts, err := mountinfo.GetMountsFromReader(bytes.NewReader(b), nil)
	if err != nil {
		return mountTable{}, err
	}
	t := mountTable{mounts: mounts}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(b) > 0 && len(lines) == len(mounts) {
		t.lines = make(map[*mountinfo.Info]string, len(mounts))
		for i, m := range mounts {
			t.lines[m] = lines[i]
		}
	}
	return t, nil
}

func readOnly(m *mountinfo.Info) bool {
	return hasOpt(m.Options, "ro") || hasOpt(m.VFSOptions, "ro")
}

func hasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// mountLine rebuilds a mountinfo line from a parsed entry, for entries
// without their raw line (mountTable.line has it): the fields in the
// kernel's order, optional ones included, with paths unescaped.
func mountLine(m *mountinfo.Info) string {
	opt := ""
	if m.Optional != "" {
		opt = " " + m.Optional
	}
	return fmt.Sprintf("%d %d %d:%d %s %s %s%s - %s %s %s", m.ID, m.Parent, m.Major, m.Minor, m.Root, m.Mountpoint, m.Options, opt, m.FSType, m.Source, m.VFSOptions)
}

// newRootfs finds / in a mount table (the last mount there wins, as the
// kernel stacks them) and the mounts worth flagging. hostRootDevice is the
// major:minor of the host's / ("" if unknown): a mount of that device's
// root directory anywhere else is the host's whole filesystem (-v /:/host).
func newRootfs(table mountTable, file, hostRootDevice string) (*Rootfs, error) {
	mounts := table.mounts
	mountLine := table.line // evidence: the kernel's own lines
	var root *mountinfo.Info
	for _, m := range mounts {
		if m.Mountpoint == "/" {
			root = m
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%s: no mount at /", file)
	}
	r := &Rootfs{
		Mountpoint: "/",
		FSType:     root.FSType,
		Source:     root.Source,
		Root:       root.Root,
		Device:     fmt.Sprintf("%d:%d", root.Major, root.Minor),
		ReadOnly:   readOnly(root),
		MountCount: len(mounts),
		LowerDirs:  []string{},
		Notable:    []NotableMount{},
	}
	r.Sources.Add("fsType", file, mountLine(root))
	if root.FSType == "overlay" {
		r.LowerDirs, r.UpperDir, r.WorkDir = overlayDirs(root.VFSOptions)
	}

	var procRW, procSysRO bool
	var procLine string
	for _, m := range mounts {
		note := func(kind string) {
			r.Notable = append(r.Notable, NotableMount{Kind: kind, Mountpoint: m.Mountpoint, Source: m.Source, Root: m.Root, ReadOnly: readOnly(m), Line: mountLine(m)})
		}
		dev := fmt.Sprintf("%d:%d", m.Major, m.Minor)
		switch {
		case m.Mountpoint != "/" && hostRootDevice != "" && dev == hostRootDevice && m.Root == "/":
			note("host-root")
		case isRuntimeSocket(m.Mountpoint) || isRuntimeSocket(m.Root):
			note("runtime-socket")
		}
		switch {
		case m.Mountpoint == "/proc" && m.FSType == "proc":
			procRW = !readOnly(m)
			procSysRO = false // a later /proc mount hides earlier submounts
			procLine = mountLine(m)
		case m.Mountpoint == "/proc/sys":
			procSysRO = readOnly(m)
			procLine = mountLine(m)
		case m.Mountpoint == "/sys" && m.FSType == "sysfs":
			r.SysWritable = !readOnly(m)
		case m.Mountpoint == "/dev" && m.FSType == "devtmpfs":
			r.HostDevices = true
			note("host-devices")
		}
	}
	r.ProcSysWritable = procRW && !procSysRO
	if procLine != "" {
		r.Sources.Add("procSysWritable", file, procLine)
	}
	return r, nil
}

func isRuntimeSocket(p string) bool {
	base := path.Base(p)
	for _, s := range runtimeSockets {
		if base == s {
			return true
		}
	}
	return false
}

// overlayDirs reads lowerdir, upperdir and workdir from overlay super
// options: "lowerdir=/l1:/l2,upperdir=/u,workdir=/w", or since Linux 6.5 one
// "lowerdir+=/l1" per layer. Layers are separated by unescaped colons; the
// kernel shows commas and other specials in paths as octal escapes.
func overlayDirs(opts string) (lower []string, upper, work string) {
	lower = []string{}
	for o := range strings.SplitSeq(opts, ",") {
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			continue
		}
		switch k {
		case "lowerdir":
			for _, l := range splitUnescaped(v, ':') {
				if l == "" {
					break // "::" starts the data-only layers, not merged: what datadir+ adds
				}
				lower = append(lower, unescapeOctal(l))
			}
		case "lowerdir+":
			lower = append(lower, unescapeOctal(v))
		case "upperdir":
			upper = unescapeOctal(v)
		case "workdir":
			work = unescapeOctal(v)
		}
	}
	return lower, upper, work
}

// splitUnescaped splits s at every sep that no backslash escapes. The kernel
// shows a lowerdir option as it was given with its backslashes octal-escaped,
// so an escaped colon reads "\134:".
func splitUnescaped(s string, sep byte) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == sep:
			cur.WriteByte(sep)
			i++
		case strings.HasPrefix(s[i:], `\134`) && i+4 < len(s) && s[i+4] == sep:
			cur.WriteByte(sep)
			i += 4
		case s[i] == sep:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

// unescapeOctal turns the kernel's \040-style escapes back into bytes.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
