package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// payload retitles the terminal (OSC 0 ... BEL) and clears it (CSI 2J);
// escaped is how every form but JSON must print it.
const (
	payload = "\x1b]0;PWNED\x07\x1b[2J"
	escaped = `\x1b]0;PWNED\x07\x1b[2J`
)

// hostileInspection is a container that put the payload everywhere it
// can: its comm, command line, hostname, container name, cgroup path, a
// mount point (the host's / mounted there), a layer and an error.
func hostileInspection(t *testing.T) *Inspection {
	t.Helper()
	p := dockerContainer(capabilities(caps(t, facts.DockerDefaultCapabilities...), allCaps))
	p.Info.Comm = "x" + payload
	p.Info.Cmdline = []string{"evil" + payload + "x", "120"}
	host := "h" + payload
	p.Kernel.Hostname = &host
	p.Runtime.ContainerName = "web" + payload
	p.Cgroup.Paths[0].Path = "/docker/" + payload
	p.Rootfs.LowerDirs = []string{"/layers/" + payload}
	p.Rootfs.Notable = []facts.NotableMount{{Kind: "host-root", Mountpoint: "/host" + payload, Source: "/dev/vda1", Root: "/",
		Line: "30 20 254:1 / /host" + payload + " rw - ext4 /dev/vda1 rw"}}
	p.Errors = []facts.SectionError{{Section: "security", Err: "reading /proc/4242/attr/" + payload + ": permission denied"}}
	return Compare(p, hostReference(allCaps), &facts.Host{MemTotalBytes: 8 << 30, CPUs: 2, CgroupMode: facts.CgroupV2}, nil)
}

// safe fails the test if out holds a byte that drives the terminal, and
// checks that the payload shows, escaped, at least want times.
func safe(t *testing.T, form, out string, want int) {
	t.Helper()
	if i := strings.IndexAny(out, "\x1b\x07\u009b"); i >= 0 {
		t.Errorf("%s: control character %q reaches the terminal at byte %d:\n%s", form, out[i], i, out)
	}
	if n := strings.Count(out, escaped); n < want {
		t.Errorf("%s: the escaped payload %s appears %d times, want at least %d:\n%s", form, escaped, n, want, out)
	}
}

func TestHostilePIDReport(t *testing.T) {
	in := hostileInspection(t)

	var table bytes.Buffer
	if err := WriteTable(&table, in, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	// comm in the TARGET line and the command row, the hostname, the
	// cgroup path, a layer, the host-root mount point, the container name
	// (TARGET line and runtime row), the error
	safe(t, "table", table.String(), 9)
	for _, want := range []string{
		"TARGET     pid 4242 (x" + escaped + "): docker container ce7724981083 (web" + escaped + ")",
		"evil" + escaped + "x 120",
		"hostname   h" + escaped,
		"/host" + escaped + "                     HOST ROOT",
		"security: reading /proc/4242/attr/" + escaped + ": permission denied",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}

	// Colour is the one escape sequence nsinspect writes itself.
	var color bytes.Buffer
	if err := WriteTable(&color, in, TableOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if out := color.String(); strings.Contains(out, "\x07") || strings.Contains(out, "\x1b]") || strings.Contains(out, "\x1b[2J") ||
		!strings.Contains(out, "\x1b[31mHOST ROOT\x1b[0m") {
		t.Errorf("coloured table: want the verdict painted and nothing of the payload raw:\n%q", out)
	}

	var explain bytes.Buffer
	if err := WriteExplain(&explain, in, ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	// the runtime and host-root summaries, the kernel-shared detail
	// (hostname), the union-fs detail (layer), the host-root evidence line
	safe(t, "explain", explain.String(), 5)
	for _, want := range []string{
		"[info] runtime: Started by docker, container ce7724981083 (web" + escaped + ")",
		"[critical] host-root-mounted: The host's / is mounted at /host" + escaped,
		"evidence: /proc/4242/mountinfo: 30 20 254:1 / /host" + escaped + " rw - ext4 /dev/vda1 rw",
	} {
		if !strings.Contains(explain.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, explain.String())
		}
	}

	// The format's own tab and newline survive; the values' controls do not.
	tmpl, err := ParseTemplate("{{.Process.Comm}}\t{{index .Process.Cmdline 0}}\n{{.Kernel.Hostname}}|{{.Runtime.ContainerName}}|{{(index .Rootfs.Notable 0).Mountpoint}}|{{json .Process.Comm}}")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteTemplate(&out, tmpl, in); err != nil {
		t.Fatal(err)
	}
	want := "x" + escaped + "\tevil" + escaped + "x\nh" + escaped + "|web" + escaped + "|/host" + escaped + `|"x\\x1b]0;PWNED\\x07\\x1b[2J"` + "\n"
	if out.String() != want {
		t.Errorf("template:\n got %q\nwant %q", out.String(), want)
	}
	safe(t, "template", out.String(), 5)
	if in.Process.Comm != "x"+payload {
		t.Errorf("the template changed the inspection: comm %q", in.Process.Comm)
	}
	// Methods work on the copy; the raw facts behind unexported fields
	// (Target) are not handed out.
	methods, err := ParseTemplate("{{.InContainer}} {{.Isolated}} {{.Target}}")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := WriteTemplate(&out, methods, in); err != nil {
		t.Fatal(err)
	}
	if want := "true [ipc mnt net pid uts] <nil>\n"; out.String() != want {
		t.Errorf("template methods: %q, want %q", out.String(), want)
	}

	// JSON carries the raw values.
	var doc bytes.Buffer
	if err := WriteJSON(&doc, in); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Process struct {
			Comm    string   `json:"comm"`
			Cmdline []string `json:"cmdline"`
		} `json:"process"`
		Kernel  struct{ Hostname string }              `json:"kernel"`
		Runtime struct{ ContainerName string }         `json:"runtime"`
		Rootfs  struct{ Notable []facts.NotableMount } `json:"rootfs"`
	}
	if err := json.Unmarshal(doc.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Process.Comm != "x"+payload || got.Process.Cmdline[0] != "evil"+payload+"x" || got.Kernel.Hostname != "h"+payload ||
		got.Runtime.ContainerName != "web"+payload || got.Rootfs.Notable[0].Mountpoint != "/host"+payload {
		t.Errorf("JSON does not carry the raw values: %+v", got)
	}
	if bytes.ContainsAny(doc.Bytes(), "\x1b\x07") {
		t.Error("JSON holds a raw control byte; encoding/json should have written \\u001b")
	}
}

func TestHostilePsRow(t *testing.T) {
	rows := []ContainerRow{{
		ID: "ab" + payload + "cdef0123456789", Name: "web" + payload, Runtime: "docker", Pid: 4242, Status: "running",
		Namespaces: []string{"pid", "mnt"}, Command: []string{"evil" + payload + "x"}, CgroupPath: "/docker/" + payload,
	}}
	for _, wide := range []bool{false, true} {
		var b bytes.Buffer
		if err := WriteContainers(&b, rows, PsTable{Wide: wide}); err != nil {
			t.Fatal(err)
		}
		n := 2 // name, command
		if wide {
			n = 3 // and the cgroup path
		}
		safe(t, "ps table", b.String(), n)
	}
	var ids bytes.Buffer
	if err := WriteIDs(&ids, rows, false); err != nil {
		t.Fatal(err)
	}
	if want := `ab\x1b]0;PWNED\x07` + "\n"; ids.String() != want {
		t.Errorf("ps -q: %q, want %q (the first 12 bytes, escaped)", ids.String(), want)
	}
	tmpl, err := ParseTemplate("{{.Short}}\t{{.Name}}\t{{join .Command \" \"}}")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteTemplate(&out, tmpl, rows[0]); err != nil {
		t.Fatal(err)
	}
	// Short cuts the escaped id: a template sees only escaped strings.
	if want := `ab\x1b]0;PWN` + "\tweb" + escaped + "\tevil" + escaped + "x\n"; out.String() != want {
		t.Errorf("ps template:\n got %q\nwant %q", out.String(), want)
	}
	var doc bytes.Buffer
	if err := WriteJSON(&doc, rows); err != nil {
		t.Fatal(err)
	}
	var back []ContainerRow
	if err := json.Unmarshal(doc.Bytes(), &back); err != nil || back[0].Name != "web"+payload || back[0].CgroupPath != "/docker/"+payload {
		t.Errorf("ps JSON does not carry the raw values: %v %+v", err, back)
	}
}

func TestHostileStatsRow(t *testing.T) {
	row := sampleStatsRows[0]
	row.Name, row.Runtime = "web"+payload, "docker"+payload
	for _, tc := range []struct {
		format string
		want   int
	}{
		{DefaultStatsFormat, 1},                // the fast path: name
		{WideStatsFormat, 2},                   // and the runtime
		{"table {{.Name | printf \"%s\"}}", 1}, // the template path
		{"{{.Name}}\t{{.Runtime}}", 2},         // one line per row
	} {
		st, err := ParseStatsFormat(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := st.Write(&b, []StatsRow{row}); err != nil {
			t.Fatal(err)
		}
		safe(t, tc.format, b.String(), tc.want)
	}
	var doc bytes.Buffer
	if err := WriteJSONLine(&doc, row); err != nil {
		t.Fatal(err)
	}
	var back StatsRow
	if err := json.Unmarshal(doc.Bytes(), &back); err != nil || back.Name != "web"+payload {
		t.Errorf("stats JSON does not carry the raw name: %v %q", err, back.Name)
	}
}
