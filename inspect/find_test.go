package inspect

import (
	"errors"
	"strings"
	"testing"
)

// PickContainer resolves what pid, stats and the lifecycle commands are
// given, as docker does: an exact id, then a name, then an id prefix of
// four or more characters.
func TestPickContainer(t *testing.T) {
	id := func(c byte) string { return strings.Repeat(string(c), 64) }
	cs := []Container{
		{ID: id('a'), Name: "web", Pid: 10},
		{ID: "ab" + id('1')[2:], Name: "db", Pid: 20},
		{ID: id('c'), Name: "web", Pid: 30},
		{ID: id('d'), Name: "aaaa", Pid: 40},
		{ID: id('e'), Name: "t1", Pid: 50},
	}
	for _, tc := range []struct {
		ref     string
		pid     int
		kind    error
		wantErr string
	}{
		{ref: id('a'), pid: 10},
		{ref: "db", pid: 20},
		{ref: "ab11", pid: 20},
		{ref: "cccc", pid: 30},
		{ref: "aaaa", pid: 40}, // a name beats an id prefix
		{ref: "/t1", pid: 50},  // docker inspect's .Name
		{ref: "web", kind: ErrAmbiguous, wantErr: `"web" names 2 containers: give the id`},
		{ref: "ab", kind: ErrNoContainer, wantErr: "no such container: ab"}, // too short a prefix
		{ref: "ffff", kind: ErrNoContainer, wantErr: "no such container: ffff"},
	} {
		c, err := PickContainer(cs, tc.ref)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, tc.kind) {
				t.Errorf("%s: error %v, want %q (%v)", tc.ref, err, tc.wantErr, tc.kind)
			}
			continue
		}
		if err != nil || c.Pid != tc.pid {
			t.Errorf("%s: pid %d, error %v; want pid %d", tc.ref, c.Pid, err, tc.pid)
		}
	}
}

// ResolvePID on a whole-host fixture: a live PID is that PID, a name or
// id prefix its container's init, what no name can hold is refused.
func TestResolvePID(t *testing.T) {
	proc, cg := nodeRoots(t, "node-v2")
	fsys := NewFS(proc, cg)
	for _, tc := range []struct {
		arg  string
		pid  int
		kind error
	}{
		{arg: "web", pid: 4010},
		{arg: "f83b8fa7", pid: 4010},
		{arg: "4010", pid: 4010},
		{arg: "1", pid: 1},
		{arg: "nosuch", kind: ErrNoContainer},
		{arg: "a b", kind: ErrBadRef},
		{arg: "-3", kind: ErrBadRef},
		{arg: "0", kind: ErrBadRef},
		{arg: "", kind: ErrBadRef},
	} {
		got, err := fsys.ResolvePID(tc.arg)
		if tc.kind != nil {
			if !errors.Is(err, tc.kind) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%q: %+v, %v; want %v", tc.arg, got, err, tc.kind)
			}
			continue
		}
		if err != nil || got.PID != tc.pid || got.Also != nil || got.AlsoMany {
			t.Errorf("%q: %+v, %v; want pid %d and nothing else named", tc.arg, got, err, tc.pid)
		}
	}
}
