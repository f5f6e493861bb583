package inspect

import (
	"os"
	"testing"
)

func TestMemTotal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"MemTotal:       24576000 kB\nMemFree: 1 kB\n", 24576000 * 1024, true},
		{"MemFree: 1 kB\nMemTotal: 524288 kB\n", 524288 * 1024, true}, // lxcfs: the limit
		{"MemTotal: 100\n", 100, true},
		{"MemTotal:\n", 0, false},
		{"MemTotal: x kB\n", 0, false},
		{"MemTotal: 99999999999999999999 kB\n", 0, false},
		{"", 0, false},
	} {
		got, ok := memTotal([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("memTotal(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCPUInfoProcessors(t *testing.T) {
	for in, want := range map[string]int{
		"processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n": 2,
		"processor : 0\n":         1,
		"model name: processor\n": 0,
		"":                        0,
	} {
		if got := cpuinfoProcessors([]byte(in)); got != want {
			t.Errorf("cpuinfoProcessors(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzMemTotal(f *testing.F) {
	f.Add([]byte("MemTotal:       24576000 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, ok := memTotal(b); ok && n > 1<<63 {
			t.Fatalf("MemTotal %d", n)
		}
		cpuinfoProcessors(b)
	})
}

// TestViewSelf: nsinspect's own view is the host's: sysinfo's and
// meminfo's totals agree, and the affinity is this process's.
func TestViewSelf(t *testing.T) {
	v, err := NewFS(DefaultProcRoot, DefaultCgroupRoot).View(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if v.SysinfoTotalRAMBytes == nil || v.MeminfoTotalBytes == nil || v.AffinityCPUs == nil || v.CPUInfoProcessors == nil {
		t.Fatalf("view incomplete: %+v", v)
	}
	// sysinfo rounds to pages the same way; MemTotal is in kB
	if d := int64(*v.SysinfoTotalRAMBytes) - int64(*v.MeminfoTotalBytes); d < -4096 || d > 4096 {
		t.Errorf("sysinfo %d vs MemTotal %d", *v.SysinfoTotalRAMBytes, *v.MeminfoTotalBytes)
	}
	if v.MeminfoFrom != "procfs" || *v.AffinityCPUs < 1 || *v.CPUInfoProcessors < *v.AffinityCPUs {
		t.Errorf("view %+v", v)
	}
}
