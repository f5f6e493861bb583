package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// TestUnreadableNamespacesAreUnknown: nsinspect pid 1 as a user who cannot
// read its ns links (and a zombie's released ones) is neither "own
// namespaces" nor "a host process": unknown, in the header, the table, the
// JSON and explain.
func TestUnreadableNamespacesAreUnknown(t *testing.T) {
	for _, tc := range []struct {
		name     string
		readable map[facts.NamespaceType]bool // the rest: inode 0
	}{
		{"nothing readable (pid 1 as nobody)", nil},
		{"zombie: pid and user kept", map[facts.NamespaceType]bool{facts.NSPID: true, facts.NSUser: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dockerContainer(capabilities(0, allCaps))
			p.Runtime = nil // inspect claims none: see process.go
			p.Errors = []facts.SectionError{{Section: "runtime", Err: "not recognised, and its pid and mount namespaces could not be read"}}
			ref := hostReference(allCaps)
			p.Namespaces = nil
			for _, n := range ref.Process.Namespaces {
				n.File = strings.Replace(n.File, "/proc/1/", "/proc/4242/", 1)
				if !tc.readable[n.Type] {
					n.Inode, n.Error = 0, "permission denied"
				}
				p.Namespaces = append(p.Namespaces, n)
			}
			in := Compare(p, ref, nil, nil)
			var tbl bytes.Buffer
			if err := WriteTable(&tbl, in, TableOptions{}); err != nil {
				t.Fatal(err)
			}
			out := tbl.String()
			if !strings.Contains(out, "namespaces unreadable, runtime not recognised") || strings.Contains(out, "own namespaces") || strings.Contains(out, "a host process") {
				t.Errorf("header:\n%s", firstLines(out, 1))
			}
			for _, n := range in.Namespaces {
				if tc.readable[n.Type] {
					continue
				}
				if n.Isolated != nil {
					t.Errorf("%s: isolated = %v, want null", n.Type, *n.Isolated)
				}
				row := rowOf(out, string(n.Type))
				if !strings.HasSuffix(strings.TrimSpace(row), "unreadable") || strings.Contains(row, "isolated") || strings.Contains(row, "shared") {
					t.Errorf("%s row %q, want -- and unreadable", n.Type, row)
				}
			}
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Namespaces []struct {
					Type     string `json:"type"`
					Isolated *bool  `json:"isolated"`
					Inode    uint64 `json:"inode"`
					Error    string `json:"error"`
				} `json:"namespaces"`
				Runtime *facts.Runtime `json:"runtime"`
			}
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			for _, n := range doc.Namespaces {
				if n.Inode == 0 && (n.Isolated != nil || n.Error == "") {
					t.Errorf("JSON %s: isolated %v error %q, want null and why", n.Type, n.Isolated, n.Error)
				}
			}
			if doc.Runtime != nil {
				t.Errorf("JSON runtime = %+v, want null", doc.Runtime)
			}
			ids := findingsOf(in)
			if _, ok := ids["host-process"]; ok {
				t.Errorf("host-process claimed with unreadable namespaces: %v", ids)
			}
			ns := finding(t, in, "namespaces")
			if !strings.Contains(ns.Summary, "unreadable, so neither shared nor own: ipc, mnt, net") ||
				!strings.Contains(ns.Detail, "permission denied") {
				t.Errorf("namespaces finding:\n%s\n%s", ns.Summary, ns.Detail)
			}
			for _, e := range ns.Evidence {
				if strings.Contains(e.Raw, ":[0]") {
					t.Errorf("evidence compares inode 0: %v", e)
				}
			}
		})
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}

// rowOf is the line of the NAMESPACES section that starts with name.
func rowOf(table, name string) string {
	_, sec, _ := strings.Cut(table, "\nNAMESPACES ")
	for l := range strings.SplitSeq(sec, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}

// TestRuntimeSocketThroughDirectory: a socket found inside a bind-mounted
// directory is critical, and names where it lies on the host.
func TestRuntimeSocketThroughDirectory(t *testing.T) {
	p := dockerContainer(capabilities(0, allCaps))
	line := "601 600 0:25 / /var/run rw,nosuid,nodev master:5 - tmpfs tmpfs rw,mode=755"
	p.Rootfs.Notable = []facts.NotableMount{{Kind: "runtime-socket", Mountpoint: "/var/run/docker.sock", Source: "tmpfs", Root: "/", HostPath: "/run/docker.sock", Line: line}}
	f := finding(t, Compare(p, hostReference(allCaps), nil, nil), "runtime-socket")
	if f.Severity != Critical || f.Summary != "A container-runtime socket is reachable at /var/run/docker.sock: the host's /run/docker.sock, through a bind-mounted directory" {
		t.Errorf("%s %q", f.Severity, f.Summary)
	}
	if len(f.Evidence) != 1 || f.Evidence[0].Raw != line {
		t.Errorf("evidence %v, want the bind's line", f.Evidence)
	}
}
