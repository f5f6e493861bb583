package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nsinspect/nsinspect/inspect/facts"
)

// TestSwapLimitWithoutHostSwap: a swap limit on a host with SwapTotal 0
// is labelled, not shown as if it allowed 512MiB of swap.
func TestSwapLimitWithoutHostSwap(t *testing.T) {
	for _, tc := range []struct {
		name string
		swap *uint64
		want string
	}{
		{"no swap", u64(0), "512MiB (no swap on host)"},
		{"2GiB of swap", u64(2 << 30), "512MiB "},
		{"unknown", nil, "512MiB "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := dockerContainer(capabilities(0, allCaps))
			p.Cgroup.Memory.SwapLimitBytes = u64(512 << 20)
			p.Cgroup.Memory.Sources = facts.Sources{"swapLimitBytes": {File: "/sys/fs/cgroup/x/memory.swap.max", Raw: "536870912"}}
			in := Compare(p, hostReference(allCaps), &facts.Host{MemTotalBytes: 8 << 30, CPUs: 2, SwapTotalBytes: tc.swap}, nil)
			var b bytes.Buffer
			if err := WriteTable(&b, in, TableOptions{}); err != nil {
				t.Fatal(err)
			}
			var row string
			for l := range strings.SplitSeq(b.String(), "\n") {
				if strings.HasPrefix(l, "swap limit") {
					row = l
				}
			}
			if !strings.Contains(row, tc.want) {
				t.Errorf("swap limit row %q lacks %q", row, tc.want)
			}
			if (tc.swap != nil && *tc.swap == 0) != strings.Contains(row, "no swap on host") {
				t.Errorf("swap limit row %q: label wrong for host swap %v", row, tc.swap)
			}
		})
	}
}
