package inspect

import (
	"strconv"
	"strings"
	"testing"
)

func TestParseNamespaceLink(t *testing.T) {
	tests := []struct {
		link string
		typ  NamespaceType
		ino  uint64
	}{
		// readlink /proc/self/ns/* on Linux 6.18
		{"cgroup:[4026531835]", NSCgroup, 4026531835},
		{"ipc:[4026531839]", NSIPC, 4026531839},
		{"mnt:[4026531832]", NSMount, 4026531832},
		{"net:[4026531833]", NSNet, 4026531833},
		{"net:[4026531993]", NSNet, 4026531993},
		{"pid:[4026531836]", NSPID, 4026531836},
		{"time:[4026531834]", NSTime, 4026531834},
		{"user:[4026532177]", NSUser, 4026532177},
		{"uts:[4026531838]", NSUTS, 4026531838},
		// pid_for_children links to a pid namespace, so its type reads "pid".
		{"pid:[4026532180]", NSPID, 4026532180},
		{"net:[18446744073709551615]", NSNet, 18446744073709551615},
	}
	for _, tt := range tests {
		typ, ino, err := parseNamespaceLink(tt.link)
		if err != nil || typ != tt.typ || ino != tt.ino {
			t.Errorf("parseNamespaceLink(%q) = %q, %d, %v; want %q, %d", tt.link, typ, ino, err, tt.typ, tt.ino)
		}
	}
	for _, link := range []string{
		"",
		"net",
		"net:4026531993",
		"net:[4026531993",
		"net:[]",
		"net:[-1]",
		"net:[0x10]",
		"net:[18446744073709551616]",
		"net:[4026531993]]",
		"/proc/self/ns/net",
		"4026531993",
	} {
		if typ, ino, err := parseNamespaceLink(link); err == nil {
			t.Errorf("parseNamespaceLink(%q) = %q, %d; want error", link, typ, ino)
		}
	}
}

func FuzzParseNamespaceLink(f *testing.F) {
	for _, s := range []string{"net:[4026531993]", "pid:[4026531836]", "user:[4026532177]", "net:[]", "net"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		typ, ino, err := parseNamespaceLink(link)
		if err != nil {
			if typ != "" || ino != 0 {
				t.Fatalf("parseNamespaceLink(%q) = %q, %d with %v", link, typ, ino, err)
			}
			return
		}
		// The link is exactly type:[inode].
		if strings.Contains(string(typ), ":[") {
			t.Fatalf("type %q still holds the separator", typ)
		}
		if !strings.HasPrefix(link, string(typ)+":[") || !strings.HasSuffix(link, "]") {
			t.Fatalf("parseNamespaceLink(%q) = %q, %d", link, typ, ino)
		}
		if n, err := strconv.ParseUint(link[len(typ)+2:len(link)-1], 10, 64); err != nil || n != ino {
			t.Fatalf("parseNamespaceLink(%q) inode %d", link, ino)
		}
	})
}

// The one namespace table: the flags the launcher clones and joins with,
// and the type each /proc/<pid>/ns entry's link names.
func TestNamespaceKinds(t *testing.T) {
	for _, tt := range []struct {
		types []NamespaceType
		flags uintptr
	}{
		{[]NamespaceType{NSPID, NSMount, NSUTS, NSIPC}, 0x20000000 | 0x00020000 | 0x04000000 | 0x08000000},
		{[]NamespaceType{NSNet}, 0x40000000},
		{[]NamespaceType{NSTime}, 0x00000080},
		{[]NamespaceType{NSTimeForChildren}, 0x00000080},
		{[]NamespaceType{NSCgroup, NSUser}, 0x02000000 | 0x10000000},
		{[]NamespaceType{NSPID, NSPIDForChildren}, 0x20000000},
		{[]NamespaceType{"nope"}, 0},
		{nil, 0},
	} {
		if got := CloneFlags(tt.types...); got != tt.flags {
			t.Errorf("CloneFlags(%q) = %#x, want %#x", tt.types, got, tt.flags)
		}
	}
	for typ, want := range map[NamespaceType]string{
		NSPID: "pid", NSPIDForChildren: "pid", NSTime: "time", NSTimeForChildren: "time", NSMount: "mnt", NSUser: "user",
		"foo_for_children": "foo",
	} {
		if got := linkType(typ); got != want {
			t.Errorf("linkType(%q) = %q, want %q", typ, got, want)
		}
	}
	if len(namespaceKinds) != 10 || nsRank(NSCgroup) != 0 || nsRank(NSUTS) != 9 || nsRank("nope") != 10 {
		t.Errorf("namespaceKinds: %d kinds, ranks cgroup %d uts %d unknown %d", len(namespaceKinds), nsRank(NSCgroup), nsRank(NSUTS), nsRank("nope"))
	}
}
