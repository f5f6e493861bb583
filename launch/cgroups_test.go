package launch

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/containerd/cgroups/v3/cgroup2"
)

// The device lists compile to cgroup v2's eBPF device program: Docker's
// allow list and --privileged's allow-all. Given the short form cgroup1
// takes (no type, nil numbers), cgroup2's builder panicked (found on the
// v2 guest of scripts/vm).
func TestV2DeviceFilterCompiles(t *testing.T) {
	for _, privileged := range []bool{false, true} {
		list := v2Devices(dockerDevices(privileged))
		for _, d := range list {
			if d.Type == "" || d.Major == nil || d.Minor == nil {
				t.Fatalf("privileged %v: entry %+v is not explicit", privileged, d)
			}
		}
		insts, license, err := cgroup2.DeviceFilter(list)
		if err != nil || len(insts) == 0 || license == "" {
			t.Errorf("privileged %v: DeviceFilter: %d instructions, %v", privileged, len(insts), err)
		}
	}
	// The originals are untouched: cgroup1 still gets the short form.
	if d := dockerDevices(false)[0]; d.Type != "" || d.Major != nil {
		t.Errorf("dockerDevices changed: %+v", d)
	}
}

// One device table feeds the device cgroup and the nodes of /dev: the
// cgroup allows exactly Docker's list, and /dev gets the nodes of it that
// are not made another way.
func TestDeviceTable(t *testing.T) {
	num := func(p *int64) string {
		if p == nil {
			return "*"
		}
		return strconv.FormatInt(*p, 10)
	}
	var got []string
	for _, d := range dockerDevices(false) {
		got = append(got, fmt.Sprintf("%v %s %s:%s %s", d.Allow, d.Type, num(d.Major), num(d.Minor), d.Access))
	}
	want := []string{
		"false  *:* rwm", "true c *:* m", "true b *:* m",
		"true c 1:3 rwm", "true c 1:5 rwm", "true c 1:7 rwm", "true c 1:8 rwm", "true c 1:9 rwm",
		"true c 5:0 rwm", "true c 5:1 rwm", "true c 5:2 rwm", "true c 136:* rwm",
	}
	if !slices.Equal(got, want) {
		t.Errorf("dockerDevices(false) =\n%q\nwant\n%q", got, want)
	}
	var nodes []string
	for _, d := range containerDevices {
		if d.node {
			nodes = append(nodes, fmt.Sprintf("%s %d:%d", d.name, d.major, d.minor))
		}
	}
	if want := []string{"null 1:3", "zero 1:5", "full 1:7", "random 1:8", "urandom 1:9", "tty 5:0"}; !slices.Equal(nodes, want) {
		t.Errorf("nodes of /dev = %q, want %q", nodes, want)
	}
}
