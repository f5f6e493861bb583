package inspect

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nsinspect/nsinspect/inspect/fixture"
)

// /proc/net/dev captured on the machine these tests were written on
// (Linux 6.18): loopback, two idle ifb devices and eth0.
const netDevCaptured = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3345      32    0    0    0     0          0         0     3345      32    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 43173243    3008    0    0    0     0          0         0   388159    3108    0    0    0     0       0          0
`

const netDevHeader = "Inter-|   Receive                                                |  Transmit\n" +
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"

func TestParseNetDev(t *testing.T) {
	for _, tc := range []struct {
		name   string
		text   string
		rx, tx uint64
	}{
		{"captured", netDevCaptured, 43173243, 388159},
		{"loopback only", netDevHeader + "    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0\n", 0, 0},
		{"header only (a network namespace with nothing up)", netDevHeader, 0, 0},
		{"empty", "", 0, 0},
		// The kernel prints "%6s:": longer names touch the first number.
		{"long names", netDevHeader +
			"enp0s31f6:1000000    1000    0    0    0     0          0         0   200000     900    0    0    0     0       0          0\n" +
			"veth1a2b3c4d:     10       1    0    0    0     0          0         0       20       2    0    0    0     0       0          0\n", 1000010, 200020},
		{"counters near 2^64", netDevHeader +
			"  eth0: 18446744073709551615 1 0 0 0 0 0 0 18446744073709551614 1 0 0 0 0 0 0\n", 18446744073709551615, 18446744073709551614},
		{"no trailing newline", netDevHeader + "  eth0: 5 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0", 5, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rx, tx, err := parseNetDev([]byte(tc.text))
			if err != nil {
				t.Fatalf("parseNetDev: %v", err)
			}
			if rx != tc.rx || tx != tc.tx {
				t.Errorf("rx %d tx %d, want %d %d", rx, tx, tc.rx, tc.tx)
			}
		})
	}
}

func TestParseNetDevErrors(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"too few fields", netDevHeader + "  eth0: 1 2 3 4 5 6 7 8\n"},
		{"not a number", netDevHeader + "  eth0: x 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n"},
		{"negative", netDevHeader + "  eth0: -1 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n"},
		{"overflow", netDevHeader + "  eth0: 18446744073709551616 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n"},
		{"truncated read", netDevHeader + "  eth0: 43173243    3008    0    0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rx, tx, err := parseNetDev([]byte(tc.text)); err == nil {
				t.Errorf("no error, got rx %d tx %d", rx, tx)
			}
		})
	}
}

// /proc/stat of the same machine: two CPUs.
const statCaptured = `cpu  143167 0 88651 948411 3149 0 674 4164 0 0
cpu0 69591 0 42699 479004 538 0 88 2061 0 0
cpu1 73576 0 45952 469406 2610 0 586 2102 0 0
intr 5227366 0 9 0 0 0 0 0 0 0 0 0 0 154 0 0 0 0 0 0 0 0 0 0 0
ctxt 8945716
btime 1795132813
processes 34107
procs_running 1
procs_blocked 0
softirq 2006394 0 380064 2 75829 0 0 41 831451 0 719007
`

func TestParseSystemCPU(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want uint64 // nanoseconds
	}{
		// user nice system idle iowait irq softirq; steal (4164) is left out as docker does
		{"captured", statCaptured, (143167 + 88651 + 948411 + 3149 + 674) * 10_000_000},
		{"the cpu line need not be first", "intr 1\ncpu0 1 1 1 1 1 1 1\ncpu  1 2 3 4 5 6 7 8 9 10\n", 28 * 10_000_000},
		{"exactly seven fields (Linux 2.6.11)", "cpu  1 1 1 1 1 1 1\n", 7 * 10_000_000},
		{"zero", "cpu  0 0 0 0 0 0 0 0 0 0\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSystemCPU([]byte(tc.text))
			if err != nil {
				t.Fatalf("parseSystemCPU: %v", err)
			}
			if got != tc.want {
				t.Errorf("parseSystemCPU = %d, want %d", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, text string }{
		{"no cpu line", "cpu0 1 2 3 4 5 6 7\nbtime 1\n"},
		{"four fields (Linux 2.4)", "cpu  1 2 3 4\n"},
		{"not a number", "cpu  1 2 3 x 5 6 7\n"},
		{"empty", ""},
		{"cpu without a space", "cpu\n"},
	} {
		t.Run("error/"+tc.name, func(t *testing.T) {
			if v, err := parseSystemCPU([]byte(tc.text)); err == nil {
				t.Errorf("no error, got %d", v)
			}
		})
	}
}

func TestCountStatCPUs(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "node-v2", "proc", "stat"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		text string
		want int
	}{
		{"captured", statCaptured, 2},
		{"node-v2", string(b), 4},
		{"only the total", "cpu  1 2 3 4 5 6 7\n", 0},
		{"offline cpus leave gaps", "cpu  1 1 1 1 1 1 1\ncpu0 1 1 1 1 1 1 1\ncpu2 1 1 1 1 1 1 1\ncpu17 1 1 1 1 1 1 1\n", 3},
		{"not cpu lines", "cpux 1\ncpufreq 2\ncpu\n", 0},
		{"empty", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := countStatCPUs([]byte(tc.text)); got != tc.want {
				t.Errorf("countStatCPUs = %d, want %d", got, tc.want)
			}
		})
	}
}

// containerNamed scans a whole-host fixture and returns the container named name.
func containerNamed(t *testing.T, fsys FS, name string) Container {
	t.Helper()
	procs, err := fsys.Scan()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range fsys.Containers(procs, ListOptions{}) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %q", name)
	return Container{}
}

func showU64(v *uint64) string {
	if v == nil {
		return "nil"
	}
	return strconv.FormatUint(*v, 10)
}

func showF64(v *float64) string {
	if v == nil {
		return "nil"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// usageFields renders the counters of a reading for comparison.
func usageFields(u Usage) map[string]string {
	return map[string]string{
		"CPUNanos": showU64(u.CPUNanos), "MemUsage": showU64(u.MemUsage), "InactiveFile": showU64(u.InactiveFile),
		"MemLimit": showU64(u.MemLimit), "QuotaCPUs": showF64(u.QuotaCPUs), "Pids": showU64(u.Pids),
		"NetRx": showU64(u.NetRx), "NetTx": showU64(u.NetTx), "BlkRead": showU64(u.BlkRead), "BlkWrite": showU64(u.BlkWrite),
		"Periods": showU64(u.Periods), "Throttled": showU64(u.Throttled), "OOMKills": showU64(u.OOMKills),
		"LimitHits": showU64(u.LimitHits), "CPUPressure": showF64(u.CPUPressure), "MemPressure": showF64(u.MemPressure),
		"MemFull": showF64(u.MemFull), "IOPressure": showF64(u.IOPressure),
	}
}

func TestSamplerWholeHost(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		fixture, name string
		want          map[string]string
	}{
		// testdata/node-v2/README.md: docker "web" at t0
		{"node-v2", "web", map[string]string{
			"CPUNanos": "12000000000", "MemUsage": "262144000", "InactiveFile": "62914560", "MemLimit": "536870912",
			"QuotaCPUs": "1.5", "Pids": "3", "NetRx": "1450000", "NetTx": "240000", "BlkRead": "4000000",
			"BlkWrite": "1000000", "Periods": "50000", "Throttled": "1200", "OOMKills": "0", "LimitHits": "0",
			"CPUPressure": "12.5", "MemPressure": "0", "MemFull": "0", "IOPressure": "0.25",
		}},
		// no memory or CPU limit: nil, not 0
		{"node-v2", "api", map[string]string{
			"CPUNanos": "3000000000", "MemUsage": "104857600", "InactiveFile": "20971520", "MemLimit": "nil",
			"QuotaCPUs": "nil", "Pids": "2", "NetRx": "10000000", "NetTx": "2000000", "BlkRead": "0",
			"BlkWrite": "0", "Periods": "0", "Throttled": "0", "OOMKills": "0", "LimitHits": "0",
			"CPUPressure": "0.8", "MemPressure": "0.1", "MemFull": "0.09", "IOPressure": "0",
		}},
		// the burstable nginx, with an OOM kill behind it
		{"node-v2", "default/web-5d8f7b9c4-abcde/nginx", map[string]string{
			"CPUNanos": "45000000000", "MemUsage": "262144000", "InactiveFile": "10485760", "MemLimit": "268435456",
			"QuotaCPUs": "0.5", "Pids": "3", "NetRx": "880000000", "NetTx": "1230000000", "BlkRead": "3145728",
			"BlkWrite": "0", "Periods": "2000", "Throttled": "300", "OOMKills": "1", "LimitHits": "40",
			"CPUPressure": "22.5", "MemPressure": "4", "MemFull": "3.6", "IOPressure": "0",
		}},
		// cgroup v1: cpuacct.usage, total_inactive_file, failcnt, no PSI
		{"node-v1", "cache", map[string]string{
			"CPUNanos": "123456789000", "MemUsage": "104857600", "InactiveFile": "16777216", "MemLimit": "268435456",
			"QuotaCPUs": "0.5", "Pids": "5", "NetRx": "3456789", "NetTx": "1234567", "BlkRead": "8192000",
			"BlkWrite": "40960000", "Periods": "40000", "Throttled": "1234", "OOMKills": "0", "LimitHits": "17",
			"CPUPressure": "nil", "MemPressure": "nil", "MemFull": "nil", "IOPressure": "nil",
		}},
		{"node-v1", "bf5b8f159b8d", map[string]string{
			"CPUNanos": "1234567", "MemUsage": "397312", "InactiveFile": "0", "MemLimit": "nil",
			"QuotaCPUs": "nil", "Pids": "1", "NetRx": "1024", "NetTx": "512", "BlkRead": "0",
			"BlkWrite": "0", "Periods": "0", "Throttled": "0", "OOMKills": "0", "LimitHits": "0",
			"CPUPressure": "nil", "MemPressure": "nil", "MemFull": "nil", "IOPressure": "nil",
		}},
	} {
		t.Run(tc.fixture+"/"+tc.name, func(t *testing.T) {
			proc, cg := nodeRoots(t, tc.fixture)
			fsys := NewFS(proc, cg)
			c := containerNamed(t, fsys, tc.name)
			s := fsys.NewSampler()
			defer s.Close()
			s.Now = func() time.Time { return now }
			s.Extended = true
			// the host's namespaces: without them no network namespace can
			// be told apart from the host's, and the bytes are unknown
			host, err := fsys.Namespaces(1)
			if err != nil {
				t.Fatal(err)
			}
			s.HostNamespaces = host
			u, err := s.Sample(&c)
			if err != nil {
				t.Fatal(err)
			}
			if !u.Time.Equal(now) {
				t.Errorf("Time %v, want %v", u.Time, now)
			}
			got := usageFields(u)
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s = %s, want %s", k, got[k], want)
				}
			}
			// Without Extended, docker's columns are read and OOM kills,
			// limit hits and PSI are not (throttling comes with usage_usec
			// from cpu.stat on v2, and is not checked here).
			plain := fsys.NewSampler()
			defer plain.Close()
			plain.HostNamespaces = host
			u, err = plain.Sample(&c)
			if err != nil {
				t.Fatal(err)
			}
			got = usageFields(u)
			for k, want := range tc.want {
				switch k {
				case "Periods", "Throttled":
					continue
				case "OOMKills", "LimitHits", "CPUPressure", "MemPressure", "MemFull", "IOPressure":
					want = "nil"
				}
				if got[k] != want {
					t.Errorf("without Extended: %s = %s, want %s", k, got[k], want)
				}
			}
		})
	}
}

func TestSamplerHost(t *testing.T) {
	for _, tc := range []struct {
		fixture string
		nanos   uint64
		cpus    int
	}{
		// 4 CPUs × 8639100 ticks in the first seven fields
		{"node-v2", 4 * 8639100 * 10_000_000, 4},
		// 400 ticks more (steal advanced too, and does not count)
		{"node-v2-t1", (4*8639100 + 400) * 10_000_000, 4},
		// 2 CPUs × 43200000 ticks (5 days)
		{"node-v1", 86400000 * 10_000_000, 2},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			proc, cg := nodeRoots(t, tc.fixture)
			s := NewFS(proc, cg).NewSampler()
			defer s.Close()
			h, err := s.Host()
			if err != nil {
				t.Fatal(err)
			}
			if h.SystemNanos != tc.nanos || h.OnlineCPUs != tc.cpus {
				t.Errorf("Host = %d ns, %d cpus; want %d ns, %d cpus", h.SystemNanos, h.OnlineCPUs, tc.nanos, tc.cpus)
			}
		})
	}
}

// The sampler keeps its files open and rereads them: a value written after
// the first sample shows in the second, and a container whose cgroup and
// init are gone is ErrGone.
func TestSamplerRereadsAndNoticesGone(t *testing.T) {
	proc, _ := nodeRoots(t, "node-v2")
	cg := filepath.Join(t.TempDir(), "cgroup")
	fixture.CopyUnescaped(t, filepath.Join("..", "testdata", "node-v2", "sys", "fs", "cgroup"), cg)
	fsys := NewFS(proc, cg)
	c := containerNamed(t, fsys, "web")
	s := fsys.NewSampler()
	defer s.Close()
	if _, err := s.Sample(&c); err != nil {
		t.Fatal(err)
	}
	current := filepath.Join(cg, strings.TrimPrefix(c.Cgroup, "/"), "memory.current")
	if err := os.WriteFile(current, []byte("123456789\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := s.Sample(&c)
	if err != nil {
		t.Fatal(err)
	}
	if u.MemUsage == nil || *u.MemUsage != 123456789 {
		t.Errorf("second sample MemUsage %s, want 123456789", showU64(u.MemUsage))
	}
	gone := c
	gone.ID, gone.Pid = strings.Repeat("0", 64), 99999
	if _, err := s.Sample(&gone); !errors.Is(err, ErrGone) {
		t.Errorf("sample of a vanished container: %v, want ErrGone", err)
	}
}

// netDevRef is an independent reading of parseNetDev's contract: every
// "name: fields" line but loopback adds field 1 to rx and field 9 to tx.
func netDevRef(b []byte) (rx, tx uint64, ok bool) {
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		if strings.TrimSpace(line[:i]) == "lo" {
			continue
		}
		f := strings.Fields(line[i+1:])
		if len(f) < 9 {
			return 0, 0, false
		}
		r, err1 := strconv.ParseUint(f[0], 10, 64)
		w, err2 := strconv.ParseUint(f[8], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, false
		}
		rx += r
		tx += w
	}
	return rx, tx, true
}

func FuzzParseNetDev(f *testing.F) {
	for _, s := range []string{netDevCaptured, netDevHeader, "", "  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
		"lo: 1 2 3 4 5 6 7 8 9\n", ":::\n", "eth0:1 1 1 1 1 1 1 1 1", "\xff: 1 2 3 4 5 6 7 8 9\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rx, tx, err := parseNetDev(b)
		wrx, wtx, ok := netDevRef(b)
		if (err == nil) != ok {
			t.Fatalf("parseNetDev error %v, reference ok %v", err, ok)
		}
		if err == nil && (rx != wrx || tx != wtx) {
			t.Fatalf("parseNetDev = %d %d, reference %d %d", rx, tx, wrx, wtx)
		}
		if err != nil && (rx != 0 || tx != 0) {
			t.Fatalf("error %v with values %d %d", err, rx, tx)
		}
	})
}

func FuzzParseSystemCPU(f *testing.F) {
	for _, s := range []string{statCaptured, "cpu  1 2 3 4 5 6 7\n", "cpu  1 2 3\n", "", "cpu0 1 2 3 4 5 6 7\n",
		"cpu  18446744073709551615 0 0 0 0 0 0\n", "cpu \n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseSystemCPU(b)
		// reference: the first line beginning "cpu ", the sum of its first
		// seven numbers in USER_HZ ticks, in nanoseconds
		var line string
		found := false
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "cpu ") {
				line, found = l[4:], true
				break
			}
		}
		fields := strings.Fields(line)
		if !found || len(fields) < 7 {
			if err == nil {
				t.Fatalf("no error for %q", b)
			}
			return
		}
		sum := new(big.Int)
		for _, x := range fields[:7] {
			v, perr := strconv.ParseUint(x, 10, 64)
			if perr != nil {
				if err == nil {
					t.Fatalf("no error for field %q", x)
				}
				return
			}
			sum.Add(sum, new(big.Int).SetUint64(v))
		}
		if err != nil {
			t.Fatalf("error %v for %q", err, b)
		}
		// The kernel's counters never come near 2^64 nanoseconds (584 years
		// of CPU time); beyond it the value wraps, as docker's does.
		want := new(big.Int).Mul(sum, big.NewInt(10_000_000))
		want.Mod(want, new(big.Int).Lsh(big.NewInt(1), 64))
		if got != want.Uint64() {
			t.Fatalf("parseSystemCPU = %d, want %d (mod 2^64)", got, want.Uint64())
		}
	})
}

// A counter is read whole whatever its size: one read under
// shortReadComplete, more (growing the buffer) above it.
func TestCounterFileReadsWhole(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 2047, 2048, 4096, 16 << 10, 70000} {
		want := strings.Repeat("x", size)
		path := filepath.Join(dir, strconv.Itoa(size))
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		c := openCounter(path)
		if c == nil {
			t.Fatalf("opening %s", path)
		}
		buf := make([]byte, 16<<10)
		for round := range 2 { // reread from offset 0
			got, err := c.read(&buf)
			if err != nil || string(got) != want {
				t.Errorf("size %d, read %d: got %d bytes, %v", size, round+1, len(got), err)
			}
		}
		syscall.Close(c.fd)
	}
}
