package launch

import (
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
