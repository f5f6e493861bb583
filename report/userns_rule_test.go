package report

import (
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// TestUserNamespaceSpeaksOfTheProcessUID: docker run --user 1000:1000
// --cap-drop ALL shares the host's user namespace; the text is about uid
// 1000, and says what root inside would be.
func TestUserNamespaceSpeaksOfTheProcessUID(t *testing.T) {
	for _, tc := range []struct {
		name          string
		uid, euid     uint32
		id, summary   string
		detail, share string
	}{
		{"root", 0, 0, "root-without-userns", "No user namespace: uid 0 in the container is uid 0 on the host",
			"Only capabilities, seccomp and the LSM stand between root inside and root outside.", "Shared user: uid 0 inside is uid 0 on the host."},
		{"--user 1000:1000", 1000, 1000, "host-user-namespace",
			"No user namespace: uid 1000 in the container is uid 1000 on the host; root in the container would be root on the host",
			"This process runs as uid 1000, so what it reaches on the host is what that host user may reach.",
			"Shared user: its ids are the host's: uid 1000 inside is uid 1000 on the host, and root inside would be root on the host."},
		{"setuid to 0", 1000, 0, "host-user-namespace",
			"No user namespace: uid 1000 (effective 0) in the container is uid 1000 (effective 0) on the host; root in the container would be root on the host",
			"This process runs as uid 1000 (effective 0)", "Shared user: its ids are the host's: uid 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dockerContainer(capabilities(0, allCaps))
			p.Info.UID, p.Info.EUID = tc.uid, tc.euid
			p.Info.Sources = facts.Sources{"uid": {File: "/proc/4242/status", Raw: "Uid:\t1000\t1000\t1000\t1000"}}
			p.Security.Sources = facts.Sources{"uidMap": {File: "/proc/4242/uid_map", Raw: "0 0 4294967295"}}
			// the user namespace is the host's
			ref := hostReference(allCaps)
			p.Namespaces = append(p.Namespaces, facts.Namespace{Type: facts.NSUser, Inode: 4026531837, File: "/proc/4242/ns/user"})
			ref.Process.Namespaces = append(ref.Process.Namespaces, facts.Namespace{Type: facts.NSUser, Inode: 4026531837, File: "/proc/1/ns/user"})
			in := Compare(p, ref, nil, nil)
			f := finding(t, in, tc.id)
			if f.Summary != tc.summary {
				t.Errorf("summary\n got %q\nwant %q", f.Summary, tc.summary)
			}
			if !strings.Contains(f.Detail, tc.detail) {
				t.Errorf("detail lacks %q:\n%s", tc.detail, f.Detail)
			}
			if tc.uid != 0 && strings.Contains(f.Summary+f.Detail, "uid 0 in the container") {
				t.Errorf("speaks of uid 0 for uid %d: %s", tc.uid, f.Summary)
			}
			if ns := finding(t, in, "namespaces"); !strings.Contains(ns.Detail, tc.share) {
				t.Errorf("namespaces detail lacks %q:\n%s", tc.share, ns.Detail)
			}
			if tc.uid != 0 && (len(f.Evidence) < 2 || f.Evidence[0].File != "/proc/4242/status") {
				t.Errorf("evidence does not cite the uid: %v", f.Evidence)
			}
		})
	}
}
