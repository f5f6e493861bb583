package inspect

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Overlay super options as /proc/<pid>/mountinfo shows them. The ovl* ones
// were captured on Linux 6.18 from mounts of /tmp/ovl/{"l:1","l 2","l,3",l4}.
const (
	ovlDocker = "rw,lowerdir=/var/lib/docker/overlay2/l/7QSXKB2WS3ZYQHBCR4AJZ6LH7X:/var/lib/docker/overlay2/l/QJ3DZQDCNO2HXIMZJB2P6HEXAJ,upperdir=/var/lib/docker/overlay2/f0c3/diff,workdir=/var/lib/docker/overlay2/f0c3/work,nouserxattr"
	// mount -o 'lowerdir=/tmp/ovl/l\:1:/tmp/ovl/l 2:/tmp/ovl/l4,...': the
	// kernel shows the option as given, its backslash and space octal-escaped.
	ovlLegacyEscaped = `rw,lowerdir=/tmp/ovl/l\134:1:/tmp/ovl/l\0402:/tmp/ovl/l4,upperdir=/tmp/ovl/u,workdir=/tmp/ovl/w,uuid=on`
	// fsconfig(FSCONFIG_SET_STRING, "lowerdir+", ...) once per layer.
	ovlAppend = `rw,lowerdir+=/tmp/ovl/l:1,lowerdir+=/tmp/ovl/l\0402,lowerdir+=/tmp/ovl/l\0543,upperdir=/tmp/ovl/u,workdir=/tmp/ovl/w`
	// the same plus a data-only layer ("datadir+")
	ovlAppendData = `rw,lowerdir+=/tmp/ovl/l:1,lowerdir+=/tmp/ovl/l\0402,lowerdir+=/tmp/ovl/l\0543,datadir+=/tmp/ovl/data,upperdir=/tmp/ovl/u,workdir=/tmp/ovl/w,redirect_dir=on,metacopy=on`
	// mount -o 'lowerdir=/tmp/ovl/l4::/tmp/ovl/data,...': "::" starts the
	// data-only layers.
	ovlLegacyData = "ro,lowerdir=/tmp/ovl/l4::/tmp/ovl/data,redirect_dir=on,metacopy=on"
)

func TestOverlayDirs(t *testing.T) {
	tests := []struct {
		name        string
		opts        string
		lower       []string
		upper, work string
	}{
		{"docker overlay2", ovlDocker,
			[]string{"/var/lib/docker/overlay2/l/7QSXKB2WS3ZYQHBCR4AJZ6LH7X", "/var/lib/docker/overlay2/l/QJ3DZQDCNO2HXIMZJB2P6HEXAJ"},
			"/var/lib/docker/overlay2/f0c3/diff", "/var/lib/docker/overlay2/f0c3/work"},
		{"legacy lowerdir with escaped colon and space", ovlLegacyEscaped,
			[]string{"/tmp/ovl/l:1", "/tmp/ovl/l 2", "/tmp/ovl/l4"}, "/tmp/ovl/u", "/tmp/ovl/w"},
		{"lowerdir+ per layer", ovlAppend,
			[]string{"/tmp/ovl/l:1", "/tmp/ovl/l 2", "/tmp/ovl/l,3"}, "/tmp/ovl/u", "/tmp/ovl/w"},
		{"datadir+ is not a merged layer", ovlAppendData,
			[]string{"/tmp/ovl/l:1", "/tmp/ovl/l 2", "/tmp/ovl/l,3"}, "/tmp/ovl/u", "/tmp/ovl/w"},
		{"legacy data-only layers after ::", ovlLegacyData,
			[]string{"/tmp/ovl/l4"}, "", ""},
		{"colon escaped with a bare backslash", `lowerdir=/a\:b:/c`,
			[]string{"/a:b", "/c"}, "", ""},
		// Linux 6.5 and 6.6 re-escaped each layer, colons included.
		{"colon octal-escaped", `lowerdir=/a\072b:/c\134d`,
			[]string{"/a:b", `/c\d`}, "", ""},
		{"docker's relative short links", "rw,lowerdir=l/ABC:l/DEF,upperdir=f0c3/diff,workdir=f0c3/work",
			[]string{"l/ABC", "l/DEF"}, "f0c3/diff", "f0c3/work"},
		{"comma in upperdir", `lowerdir=/l,upperdir=/u\054v,workdir=/w\011x`,
			[]string{"/l"}, "/u,v", "/w\tx"},
		{"no lowerdir", "rw,relatime", []string{}, "", ""},
		{"empty", "", []string{}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lower, upper, work := overlayDirs(tt.opts)
			if !reflect.DeepEqual(lower, tt.lower) || upper != tt.upper || work != tt.work {
				t.Errorf("overlayDirs =\n%q %q %q\nwant\n%q %q %q", lower, upper, work, tt.lower, tt.upper, tt.work)
			}
		})
	}
}

func FuzzOverlayDirs(f *testing.F) {
	for _, s := range []string{ovlDocker, ovlLegacyEscaped, ovlAppend, ovlAppendData, ovlLegacyData, `lowerdir=/a\:b:/c\`, `lowerdir=\0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, opts string) {
		lower, upper, work := overlayDirs(opts)
		if lower == nil {
			t.Fatal("nil lower dirs")
		}
		if !strings.Contains(opts, "lowerdir") && len(lower) > 0 {
			t.Fatalf("lower dirs %q without a lowerdir option", lower)
		}
		if upper != "" && !strings.Contains(opts, "upperdir=") || work != "" && !strings.Contains(opts, "workdir=") {
			t.Fatalf("upper %q work %q from %q", upper, work, opts)
		}
	})
}

func TestUnescapeOctal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/plain/path", "/plain/path"},
		{`/a\040b`, "/a b"},
		{`\011tab`, "\ttab"},
		{`nl\012`, "nl\n"},
		{`\134`, `\`},
		{`\0543`, ",3"},  // three digits only
		{`\0401`, " 1"},  // a digit after the escape stays
		{`\04`, `\04`},   // too short
		{`a\`, `a\`},     // trailing backslash
		{`\999`, `\999`}, // not octal
		{`\400`, `\400`}, // above 255
		{`\x20`, `\x20`}, // not the kernel's form
		{`\\040`, `\ `},  // a backslash, then an escape
		{"\\", "\\"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := unescapeOctal(tt.in); got != tt.want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitUnescaped(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a:b:c", []string{"a", "b", "c"}},
		{`a\:b:c`, []string{"a:b", "c"}},
		{`a\134:b:c`, []string{"a:b", "c"}},
		{"a", []string{"a"}},
		{"a:", []string{"a", ""}},
		{":", []string{"", ""}},
		{"a::b", []string{"a", "", "b"}},
		{`a\`, []string{`a\`}},
		{`a\134`, []string{`a\134`}},
		{`a\040b:c`, []string{`a\040b`, "c"}}, // other escapes are left for unescapeOctal
		{"", []string{""}},
	}
	for _, tt := range tests {
		if got := splitUnescaped(tt.in, ':'); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitUnescaped(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func readMountinfoFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mountinfo", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// findLine is the line of text whose mount point (field 5) is mp.
func findLine(t *testing.T, text, mp string) string {
	t.Helper()
	for line := range strings.SplitSeq(text, "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == mp {
			return line
		}
	}
	t.Fatalf("no mount at %s", mp)
	return ""
}

func TestNewRootfs(t *testing.T) {
	// testdata/mountinfo/docker.txt is written after the mountinfo of
	// `docker run -v /:/host -v /var/run/docker.sock:/var/run/docker.sock
	// alpine` (the host's / is 254:1, its /run the tmpfs 0:25), and
	// privileged.txt after `docker run --privileged -v /dev:/dev`; this VM
	// runs no Docker daemon to capture them from.
	docker := readMountinfoFixture(t, "docker.txt")
	privileged := readMountinfoFixture(t, "privileged.txt")
	const upper = "/var/lib/docker/overlay2/f0c3d9e5a1b27c4e8d6f0a9b3c2e1d7f5a4b6c8e9d0f1a2b3c4d5e6f7a8b9c0d"

	t.Run("docker", func(t *testing.T) {
		r := mustRootfs(t, docker, "254:1")
		want := Rootfs{
			Mountpoint: "/", FSType: "overlay", Source: "overlay", Root: "/", Device: "0:52",
			LowerDirs: []string{
				"/var/lib/docker/overlay2/l/7QSXKB2WS3ZYQHBCR4AJZ6LH7X",
				"/var/lib/docker/overlay2/l/QJ3DZQDCNO2HXIMZJB2P6HEXAJ",
			},
			UpperDir: upper + "/diff", WorkDir: upper + "/work",
			MountCount: 27,
			Notable: []NotableMount{
				{Kind: "host-root", Mountpoint: "/host", Source: "/dev/vda1", Root: "/", Line: findLine(t, docker, "/host")},
				{Kind: "runtime-socket", Mountpoint: "/run/docker.sock", Source: "tmpfs", Root: "/docker.sock", Line: findLine(t, docker, "/run/docker.sock")},
			},
		}
		compareRootfs(t, r, &want)
	})

	t.Run("privileged with the host's /dev", func(t *testing.T) {
		r := mustRootfs(t, privileged, "254:1")
		// the kernel's line, optional field master:2 included
		devLine := "706 700 0:6 / /dev rw,nosuid,relatime master:2 - devtmpfs udev rw,size=12334524k,nr_inodes=3083631,mode=755,inode64"
		want := Rootfs{
			Mountpoint: "/", FSType: "overlay", Source: "overlay", Root: "/", Device: "0:70",
			LowerDirs: []string{"/var/lib/docker/overlay2/l/7QSXKB2WS3ZYQHBCR4AJZ6LH7X"},
			UpperDir:  upper + "/diff", WorkDir: upper + "/work",
			MountCount:      8,
			ProcSysWritable: true, SysWritable: true, HostDevices: true,
			Notable: []NotableMount{{Kind: "host-devices", Mountpoint: "/dev", Source: "udev", Root: "/", Line: devLine}},
		}
		compareRootfs(t, r, &want)
	})

	t.Run("host root device unknown", func(t *testing.T) {
		r := mustRootfs(t, docker, "")
		if len(r.Notable) != 1 || r.Notable[0].Kind != "runtime-socket" {
			t.Errorf("Notable = %+v, want only the runtime socket", r.Notable)
		}
	})

	t.Run("another device is not the host root", func(t *testing.T) {
		r := mustRootfs(t, docker, "8:1")
		if len(r.Notable) != 1 || r.Notable[0].Kind != "runtime-socket" {
			t.Errorf("Notable = %+v, want only the runtime socket", r.Notable)
		}
	})
}

func mustRootfs(t *testing.T, text, hostRootDevice string) *Rootfs {
	t.Helper()
	mounts, err := parseMountinfo([]byte(text))
	if err != nil {
		t.Fatalf("parseMountinfo: %v", err)
	}
	r, err := newRootfs(mounts, "/proc/42/mountinfo", hostRootDevice)
	if err != nil {
		t.Fatalf("newRootfs: %v", err)
	}
	return r
}

func compareRootfs(t *testing.T, got, want *Rootfs) {
	t.Helper()
	g := *got
	g.Sources = nil
	if !reflect.DeepEqual(&g, want) {
		t.Errorf("newRootfs =\n%+v\nwant\n%+v", &g, want)
	}
	if ev := got.Sources["fsType"]; ev.File != "/proc/42/mountinfo" || !strings.Contains(ev.Raw, " / / ") {
		t.Errorf("fsType evidence = %+v", ev)
	}
}

func TestNewRootfsMounts(t *testing.T) {
	const (
		root    = "100 1 0:40 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n"
		procRW  = "101 100 0:41 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
		procRO  = "101 100 0:41 / /proc ro,nosuid,nodev,noexec,relatime - proc proc rw\n"
		sysRO   = "102 101 0:41 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw\n"
		sysRW   = "102 101 0:41 /sys /proc/sys rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
		proc2   = "103 100 0:42 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
		sysfsRW = "104 100 0:43 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw\n"
		sysfsRO = "104 100 0:43 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n"
	)
	tests := []struct {
		name                                 string
		text                                 string
		procSysWritable, sysWritable, rootRO bool
		notable                              []string // kind:mountpoint
	}{
		{"/proc rw without /proc/sys", root + procRW, true, false, false, nil},
		{"/proc rw, /proc/sys ro", root + procRW + sysRO, false, false, false, nil},
		{"/proc rw, /proc/sys rw", root + procRW + sysRW, true, false, false, nil},
		{"/proc ro", root + procRO, false, false, false, nil},
		{"a later /proc hides the ro /proc/sys", root + procRW + sysRO + proc2, true, false, false, nil},
		{"no /proc at all", root, false, false, false, nil},
		{"sysfs rw", root + sysfsRW, false, true, false, nil},
		{"sysfs ro", root + sysfsRO, false, false, false, nil},
		{"read-only root", "100 1 0:40 / / ro,relatime - overlay overlay rw,lowerdir=/l\n", false, false, true, nil},
		{"read-only super block", "100 1 0:40 / / rw,relatime - ext4 /dev/vda1 ro\n", false, false, true, nil},
		{"host root bind of a subdirectory is not the host root",
			root + "105 100 254:1 /home /home rw,relatime - ext4 /dev/vda1 rw\n", false, false, false, nil},
		{"host root bind read-only",
			root + "105 100 254:1 / /rootfs ro,relatime - ext4 /dev/vda1 rw\n", false, false, false, []string{"host-root:/rootfs"}},
		{"socket bound under another name",
			root + "106 100 0:25 /docker.sock /tmp/d.sock rw - tmpfs tmpfs rw\n", false, false, false, []string{"runtime-socket:/tmp/d.sock"}},
		{"containerd socket",
			root + "106 100 0:25 /containerd/containerd.sock /run/containerd/containerd.sock rw - tmpfs tmpfs rw\n", false, false, false, []string{"runtime-socket:/run/containerd/containerd.sock"}},
		{"a directory named like a socket's parent is not one",
			root + "106 100 0:25 /docker /var/run/docker rw - tmpfs tmpfs rw\n", false, false, false, nil},
		{"devtmpfs elsewhere than /dev",
			root + "107 100 0:6 / /host/dev rw - devtmpfs udev rw\n", false, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRootfs(t, tt.text, "254:1")
			var notable []string
			for _, n := range r.Notable {
				notable = append(notable, n.Kind+":"+n.Mountpoint)
			}
			if r.ProcSysWritable != tt.procSysWritable || r.SysWritable != tt.sysWritable || r.ReadOnly != tt.rootRO || !reflect.DeepEqual(notable, tt.notable) {
				t.Errorf("ProcSysWritable %v SysWritable %v ReadOnly %v Notable %q; want %v %v %v %q",
					r.ProcSysWritable, r.SysWritable, r.ReadOnly, notable, tt.procSysWritable, tt.sysWritable, tt.rootRO, tt.notable)
			}
		})
	}
}

func TestNewRootfsRoot(t *testing.T) {
	// A chroot-like second mount at / stacks on the first: the last one wins.
	text := "20 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n" +
		"30 20 0:40 / / rw,relatime - overlay overlay rw,lowerdir=/l1:/l2\n"
	r := mustRootfs(t, text, "254:1")
	if r.FSType != "overlay" || r.Device != "0:40" || !reflect.DeepEqual(r.LowerDirs, []string{"/l1", "/l2"}) || r.MountCount != 2 {
		t.Errorf("newRootfs = %+v, want the overlay at 0:40", r)
	}
	// The host's own / (same device, root "/") at / is not a notable mount.
	if len(r.Notable) != 0 {
		t.Errorf("Notable = %+v, want none", r.Notable)
	}

	// Not an overlay: no layers, but a non-nil list.
	r = mustRootfs(t, "20 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n", "254:1")
	if r.LowerDirs == nil || len(r.LowerDirs) != 0 || r.Notable == nil {
		t.Errorf("LowerDirs %#v Notable %#v, want empty non-nil lists", r.LowerDirs, r.Notable)
	}

	mounts, err := parseMountinfo([]byte("21 1 0:21 / /proc rw - proc proc rw\n"))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := newRootfs(mounts, "/proc/42/mountinfo", ""); err == nil || !strings.Contains(err.Error(), "no mount at /") {
		t.Errorf("newRootfs without / = %+v, %v; want an error", r, err)
	}
}

// TestMountEvidenceIsTheKernelsLine: every line of every mountinfo the
// fixtures hold, and this process's live one, comes back byte for byte as
// evidence: optional fields (shared:N master:N propagate_from:N
// unbindable) and octal escapes kept, nothing rebuilt.
func TestMountEvidenceIsTheKernelsLine(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*/proc/*/mountinfo")
	files = append(files, "/proc/self/mountinfo")
	extra := "36 35 98:0 /mnt\\0401 /mnt\\040two\\040 rw,noatime shared:7 master:1 propagate_from:2 - ext3 /dev/root\\040x rw,errors=continue\n" +
		"37 36 0:5 / / ro unbindable - overlay overlay rw,lowerdir=/a\\054b\n"
	tables := map[string][]byte{"escapes": []byte(extra)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tables[f] = b
	}
	optional := 0
	for name, b := range tables {
		table, err := parseMountinfo(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		if len(table.mounts) != len(lines) {
			t.Fatalf("%s: %d mounts for %d lines", name, len(table.mounts), len(lines))
		}
		for i, m := range table.mounts {
			if got := table.line(m); got != lines[i] {
				t.Errorf("%s: evidence\n got %q\nwant %q", name, got, lines[i])
			}
			if m.Optional != "" {
				optional++
			}
		}
	}
	if optional == 0 {
		t.Fatal("no line with optional fields was checked")
	}
}

// FuzzParseMountinfo: whatever the file holds, parsing never panics, and
// evidence is always one of its own lines.
func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"))
	f.Add([]byte("1 0 0:1 / / rw - overlay overlay rw\n\n2 1 0:2 / /proc rw - proc proc rw\n"))
	f.Add([]byte("1 0 0:1 /a\\040 /b\\134 rw shared:1 - x y z\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		table, err := parseMountinfo(b)
		if err != nil {
			return
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(string(b), "\n") {
			lines[l] = true
		}
		for _, m := range table.mounts {
			if l, ok := table.lines[m]; ok && !lines[l] {
				t.Fatalf("evidence %q is not a line of the input", l)
			}
		}
	})
}
