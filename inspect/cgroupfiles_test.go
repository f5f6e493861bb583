package inspect

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Real cgroup file text. Unless noted, captured on Linux 6.18 with a hybrid
// hierarchy (v1 controllers plus an empty unified mount).
const (
	docker64 = "3f1c7d5c0b6a4e2f9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e"

	cgroupHybrid = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/86d6b20695ea472b735a3156602e6576
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
`
	// Docker on a v1 host: controllers mounted together share a line.
	cgroupDockerV1 = `12:pids:/docker/` + docker64 + `
11:cpu,cpuacct:/docker/` + docker64 + `
1:name=systemd:/docker/` + docker64 + `
0::/system.slice/containerd.service
`
	cgroupV2 = "0::/system.slice/docker-" + docker64 + ".scope\n"

	memoryStatV1 = `cache 9891840
rss 5472256
rss_huge 0
shmem 8998912
mapped_file 7565312
dirty 32768
writeback 0
workingset_refault_anon 0
workingset_refault_file 272
swap 0
swapcached 0
pgpgin 32249
hierarchical_memory_limit 9223372036854771712
total_rss 5472256
`
	memoryOOMControlV1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"
	cpuStatV1          = "nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n"
	cpuStatV2          = "usage_usec 115640234\nuser_usec 78087098\nsystem_usec 37553135\nnice_usec 0\n"
	pidsEventsV1       = "max 0\n"
	// memory.events of a cgroup v2 that hit its limit (layout of Linux 6.x).
	memoryEventsV2 = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"

	psiCPU    = "some avg10=1.37 avg60=1.31 avg300=1.93 total=19292053\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	psiIO     = "some avg10=0.00 avg60=0.10 avg300=0.28 total=7713637\nfull avg10=0.00 avg60=0.05 avg300=0.21 total=6903624\n"
	psiCPUOld = "some avg10=0.51 avg60=0.22 avg300=0.05 total=3829116\n" // cpu before Linux 5.13: no full line

	// blkio.throttle.io_service_bytes after 4 MiB written and read back with
	// O_DIRECT (the throttle counters need a rule on the device).
	blkioV1 = `254:0 Read 4194304
254:0 Write 4194304
254:0 Sync 12582912
254:0 Async 0
254:0 Discard 4194304
254:0 Total 12582912
Total 12582912
`
	blkioV1Idle = "Total 0\n"
	// io.stat as Documentation/admin-guide/cgroup-v2.rst shows it.
	ioStatV2 = `8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021
`
	// io.stat of the root cgroup with blk-iocost enabled: ioc_pd_stat adds
	// "cost.vrate=%u.%02u" at level 0 and "cost.usage=%llu" everywhere.
	ioStatV2IOCost = "259:0 rbytes=2097152 wbytes=1048576 rios=16 wios=8 dbytes=0 dios=0 cost.vrate=100.00 cost.usage=1234\n"
	// io.stat with io.latency set and blkcg_debug_stats: iolatency_pd_stat
	// prints "depth=max" while the queue depth is unlimited.
	ioStatV2IOLatency = "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0 depth=max avg_lat=1503 win=100\n"
)

func TestParseCgroupFile(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []CgroupLine
	}{
		{"hybrid host", cgroupHybrid, []CgroupLine{
			{9, []string{"name=systemd"}, "/"},
			{8, []string{"pids"}, "/"},
			{7, []string{"blkio"}, "/"},
			{6, []string{"freezer"}, "/"},
			{5, []string{"devices"}, "/"},
			{4, []string{"memory"}, "/process_api/86d6b20695ea472b735a3156602e6576"},
			{3, []string{"cpuset"}, "/"},
			{2, []string{"cpuacct"}, "/"},
			{1, []string{"cpu"}, "/"},
			{0, nil, "/"},
		}},
		{"docker on v1", cgroupDockerV1, []CgroupLine{
			{12, []string{"pids"}, "/docker/" + docker64},
			{11, []string{"cpu", "cpuacct"}, "/docker/" + docker64},
			{1, []string{"name=systemd"}, "/docker/" + docker64},
			{0, nil, "/system.slice/containerd.service"},
		}},
		{"v2 root", "0::/\n", []CgroupLine{{0, nil, "/"}}},
		{"v2 docker scope", cgroupV2, []CgroupLine{{0, nil, "/system.slice/docker-" + docker64 + ".scope"}}},
		{"path with colons", "0::/system.slice/a:b:c.service\n4:memory:/x:y\n", []CgroupLine{
			{0, nil, "/system.slice/a:b:c.service"},
			{4, []string{"memory"}, "/x:y"},
		}},
		// A process outside the reader's cgroup namespace root.
		{"above the cgroup namespace root", "0::/../..\n", []CgroupLine{{0, nil, "/../.."}}},
		{"no trailing newline", "0::/init.scope", []CgroupLine{{0, nil, "/init.scope"}}},
		{"empty lines skipped", "\n0::/\n\n", []CgroupLine{{0, nil, "/"}}},
		{"empty path", "0::\n", []CgroupLine{{0, nil, ""}}},
		{"empty file", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCgroupFile(strings.NewReader(tt.text))
			if err != nil {
				t.Fatalf("parseCgroupFile: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseCgroupFile =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestParseCgroupFileErrors(t *testing.T) {
	for _, text := range []string{
		"garbage\n",
		"0:/\n",
		"x::/\n",
		"-1::/\n",
		"::/\n",
		"0::/\n1:cpu\n",
		"0::/" + strings.Repeat("a", 1<<20) + "\n",
	} {
		got, err := parseCgroupFile(strings.NewReader(text))
		if err == nil {
			t.Errorf("parseCgroupFile(%.40q) = %v, want error", text, got)
		}
	}
}

func FuzzParseCgroupFile(f *testing.F) {
	for _, s := range []string{cgroupHybrid, cgroupDockerV1, cgroupV2, "0::/\n", "0::/../..\n", "0::/a:b\n", "1:cpu\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines, err := parseCgroupFile(strings.NewReader(text))
		if err != nil {
			return
		}
		if len(lines) > strings.Count(text, "\n")+1 {
			t.Fatalf("%d lines from %d newlines", len(lines), strings.Count(text, "\n"))
		}
		for _, l := range lines {
			if l.Hierarchy < 0 || strings.Contains(l.Path, "\n") {
				t.Fatalf("bad line %+v", l)
			}
			if l.Controllers != nil && len(l.Controllers) == 0 {
				t.Fatalf("empty non-nil controllers in %+v", l)
			}
		}
	})
}

func TestParseKeyValues(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]uint64
	}{
		{"memory.stat v1", memoryStatV1, map[string]uint64{
			"cache": 9891840, "rss": 5472256, "rss_huge": 0, "shmem": 8998912,
			"mapped_file": 7565312, "dirty": 32768, "writeback": 0,
			"workingset_refault_anon": 0, "workingset_refault_file": 272,
			"swap": 0, "swapcached": 0, "pgpgin": 32249,
			"hierarchical_memory_limit": 9223372036854771712, "total_rss": 5472256,
		}},
		{"memory.oom_control v1", memoryOOMControlV1, map[string]uint64{"oom_kill_disable": 0, "under_oom": 0, "oom_kill": 0}},
		{"cpu.stat v1", cpuStatV1, map[string]uint64{"nr_periods": 0, "nr_throttled": 0, "throttled_time": 0, "nr_bursts": 0, "burst_time": 0}},
		{"cpu.stat v2", cpuStatV2, map[string]uint64{"usage_usec": 115640234, "user_usec": 78087098, "system_usec": 37553135, "nice_usec": 0}},
		{"pids.events", pidsEventsV1, map[string]uint64{"max": 0}},
		{"memory.events v2", memoryEventsV2, map[string]uint64{"low": 0, "high": 0, "max": 12, "oom": 1, "oom_kill": 1, "oom_group_kill": 0}},
		{"non-numbers skipped", "nr_periods x\nnr_throttled 3\nneg -1\n", map[string]uint64{"nr_throttled": 3}},
		{"blank lines and spaces", "\n  a   1  \n\n", map[string]uint64{"a": 1}},
		{"largest value", "a 18446744073709551615", map[string]uint64{"a": 18446744073709551615}},
		{"empty", "", map[string]uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseKeyValues([]byte(tt.text))
			if err != nil {
				t.Fatalf("parseKeyValues: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseKeyValues =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
	for _, text := range []string{"a 1 2\n", "alone\n", "a 1\nb\n"} {
		if got, err := parseKeyValues([]byte(text)); err == nil {
			t.Errorf("parseKeyValues(%q) = %v, want error", text, got)
		}
	}
}

func FuzzParseKeyValues(f *testing.F) {
	for _, s := range []string{memoryStatV1, memoryOOMControlV1, cpuStatV1, cpuStatV2, pidsEventsV1, memoryEventsV2} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		kv, err := parseKeyValues(b)
		if err != nil {
			return
		}
		for k := range kv {
			if k == "" || !bytes.Contains(b, []byte(k)) {
				t.Fatalf("key %q not in input", k)
			}
		}
	})
}

// keyValue agrees with parseKeyValues on the files the sampler reads.
func TestKeyValue(t *testing.T) {
	for _, file := range []string{memoryStatV1, cpuStatV1, cpuStatV2, memoryEventsV2, memoryOOMControlV1} {
		kv, err := parseKeyValues([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range kv {
			if got, ok := keyValue([]byte(file), k); !ok || got != want {
				t.Errorf("keyValue(%q) = %d %v, want %d", k, got, ok, want)
			}
		}
	}
	for _, tc := range []struct{ file, key string }{
		{"total_inactive_file 5\n", "inactive_file"}, // a suffix is not the key
		{"inactive_file_x 5\n", "inactive_file"},     // nor a prefix
		{"inactive_file\n", "inactive_file"},
		{"inactive_file abc\n", "inactive_file"},
		{"", "inactive_file"},
	} {
		if v, ok := keyValue([]byte(tc.file), tc.key); ok {
			t.Errorf("keyValue(%q, %q) = %d, want not found", tc.file, tc.key, v)
		}
	}
}

func FuzzKeyValue(f *testing.F) {
	for _, s := range []string{memoryStatV1, cpuStatV2, "inactive_file 5", "inactive_file  7\n"} {
		f.Add([]byte(s), "inactive_file")
	}
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		v, ok := keyValue(b, key)
		if !ok {
			return
		}
		if key == "" || !bytes.Contains(b, []byte(key+" ")) {
			t.Fatalf("keyValue(%q, %q) = %d without the key in the input", b, key, v)
		}
	})
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want *uint64 // nil: no limit
	}{
		{"max\n", nil},                  // v2
		{"-1\n", nil},                   // v1 cpu.cfs_quota_us
		{"9223372036854771712\n", nil},  // v1 memory.limit_in_bytes, 4 KiB pages (captured)
		{"9223372036854710272\n", nil},  // the same with 64 KiB pages (arm64, ppc64le)
		{"9223372036854775807\n", nil},  // LONG_MAX itself
		{"18446744073709551615\n", nil}, // above LONG_MAX
		{"9223372036853727231", nil},    // the smallest "unlimited"
		{"9223372036853727230", u64(9223372036853727230)},
		{"536870912\n", u64(536870912)}, // -m 512m
		{"100\n", u64(100)},             // pids.max
		{"0\n", u64(0)},
		{"  4096  ", u64(4096)},
	}
	for _, tt := range tests {
		got, err := parseLimit(tt.in)
		if err != nil {
			t.Errorf("parseLimit(%q): %v", tt.in, err)
			continue
		}
		if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("parseLimit(%q) = %s, want %s", tt.in, fmtLimit(got), fmtLimit(tt.want))
		}
	}
	for _, in := range []string{"", "unlimited", "MAX", "-2", "1.5", "1e9", "18446744073709551616", "max 100000"} {
		if got, err := parseLimit(in); err == nil {
			t.Errorf("parseLimit(%q) = %s, want error", in, fmtLimit(got))
		}
	}
}

func fmtLimit(v *uint64) string {
	if v == nil {
		return "unlimited"
	}
	return strconv.FormatUint(*v, 10)
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"max\n", "-1\n", "9223372036854771712\n", "9223372036854710272\n", "536870912\n", "0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseLimit(s)
		if err != nil {
			if v != nil {
				t.Fatalf("parseLimit(%q) returned a value and %v", s, err)
			}
			return
		}
		if v != nil && *v >= v1Unlimited {
			t.Fatalf("parseLimit(%q) = %d, an unlimited value reported as a limit", s, *v)
		}
	})
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		{"4096\n", 4096},
		{" 12 ", 12},
		{"0", 0},
		{"18446744073709551615\n", 18446744073709551615},
	}
	for _, tt := range tests {
		if got, err := parseUint(tt.in); err != nil || got != tt.want {
			t.Errorf("parseUint(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "max", "-1", "1 2", "18446744073709551616"} {
		if got, err := parseUint(in); err == nil {
			t.Errorf("parseUint(%q) = %d, want error", in, got)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in     string
		quota  *uint64
		period uint64
	}{
		{"max 100000\n", nil, 100000},
		{"50000 100000\n", u64(50000), 100000}, // --cpus 0.5
		{"150000 50000", u64(150000), 50000},
		{"max", nil, 100000}, // period defaults as when only the quota is written
		{"200000", u64(200000), 100000},
		{"max 0", nil, 0},
	}
	for _, tt := range tests {
		q, p, err := parseCPUMax(tt.in)
		if err != nil {
			t.Errorf("parseCPUMax(%q): %v", tt.in, err)
			continue
		}
		if (q == nil) != (tt.quota == nil) || (q != nil && *q != *tt.quota) || p != tt.period {
			t.Errorf("parseCPUMax(%q) = %s %d, want %s %d", tt.in, fmtLimit(q), p, fmtLimit(tt.quota), tt.period)
		}
	}
	for _, in := range []string{"", "\n", "max 100000 1", "50000 x", "x 100000", "-1 100000", "max -1", "1.5 100000"} {
		if q, p, err := parseCPUMax(in); err == nil {
			t.Errorf("parseCPUMax(%q) = %s %d, want error", in, fmtLimit(q), p)
		}
	}
}

func FuzzParseCPUMax(f *testing.F) {
	for _, s := range []string{"max 100000\n", "50000 100000\n", "max", "x 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, p, err := parseCPUMax(s)
		if err != nil {
			if q != nil || p != 0 {
				t.Fatalf("parseCPUMax(%q) returned values with %v", s, err)
			}
			return
		}
		if n := len(strings.Fields(s)); n < 1 || n > 2 {
			t.Fatalf("parseCPUMax(%q) accepted %d fields", s, n)
		}
		if (q == nil) != (strings.Fields(s)[0] == "max") {
			t.Fatalf("parseCPUMax(%q) quota %v", s, q)
		}
	})
}

func TestParsePSI(t *testing.T) {
	tests := []struct {
		name string
		text string
		want *PSI
	}{
		{"cpu with full", psiCPU, &PSI{
			Some: &PSILine{Avg10: 1.37, Avg60: 1.31, Avg300: 1.93, TotalMicros: 19292053},
			Full: &PSILine{},
		}},
		{"io", psiIO, &PSI{
			Some: &PSILine{Avg60: 0.10, Avg300: 0.28, TotalMicros: 7713637},
			Full: &PSILine{Avg60: 0.05, Avg300: 0.21, TotalMicros: 6903624},
		}},
		{"cpu before 5.13", psiCPUOld, &PSI{
			Some: &PSILine{Avg10: 0.51, Avg60: 0.22, Avg300: 0.05, TotalMicros: 3829116},
		}},
		{"unknown keys ignored", "some avg10=1.00 future=abc total=5\n", &PSI{
			Some: &PSILine{Avg10: 1, TotalMicros: 5},
		}},
		{"full before some", "full avg10=0.00 avg60=0.00 avg300=0.00 total=1\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=2", &PSI{
			Some: &PSILine{TotalMicros: 2},
			Full: &PSILine{TotalMicros: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePSI([]byte(tt.text))
			if err != nil {
				t.Fatalf("parsePSI: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parsePSI = some %+v full %+v, want some %+v full %+v", got.Some, got.Full, tt.want.Some, tt.want.Full)
			}
		})
	}
	for _, text := range []string{
		"",
		"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"some avg10 avg60=0.00\n",
		"some avg10=x\n",
		"some avg10=0.00 total=-1\n",
		"other avg10=0.00\n",
	} {
		if got, err := parsePSI([]byte(text)); err == nil {
			t.Errorf("parsePSI(%q) = %+v, want error", text, got)
		}
	}
}

func FuzzParsePSI(f *testing.F) {
	for _, s := range []string{psiCPU, psiIO, psiCPUOld, "some x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePSI(b)
		if err != nil {
			if p != nil {
				t.Fatalf("parsePSI returned %+v with %v", p, err)
			}
			return
		}
		if p.Some == nil {
			t.Fatalf("parsePSI(%q): no error and no some line", b)
		}
	})
}

func TestCountCPUList(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0-3,8,10-11", 7},
		{"0-1\n", 2}, // cpuset.cpus on a 2-CPU VM
		{"5", 1},
		{"0-0", 1},
		{"0-127", 128},
		{"0,2,4,6", 4},
		{"", 0}, // a v1 cpuset not configured yet
		{"\n", 0},
	}
	for _, tt := range tests {
		if got, err := countCPUList(tt.in); err != nil || got != tt.want {
			t.Errorf("countCPUList(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"3-1", "a", "1,,2", ",", "-1", "0-", "-", "0-3-5", "1-a", "0-3,", "0 1"} {
		if got, err := countCPUList(in); err == nil {
			t.Errorf("countCPUList(%q) = %d, want error", in, got)
		}
	}
}

func FuzzCountCPUList(f *testing.F) {
	for _, s := range []string{"0-3,8,10-11", "0-1\n", "", "3-1", "0-127"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := countCPUList(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("countCPUList(%q) = %d", s, n)
		}
		if strings.TrimSpace(s) == "" && n != 0 {
			t.Fatalf("countCPUList(%q) = %d, want 0", s, n)
		}
	})
}

func TestParseIOBytes(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		read, write uint64
	}{
		{"v1 blkio", blkioV1, 4194304, 4194304},
		{"v1 no I/O yet", blkioV1Idle, 0, 0},
		{"v1 two devices", "8:0 Read 100\n8:0 Write 200\n8:0 Total 300\n8:16 Read 1\n8:16 Write 2\n8:16 Total 3\nTotal 303\n", 101, 202},
		{"v2 io.stat", ioStatV2, 1459200 + 90430464, 314773504 + 299008000},
		{"v2 three fields", "8:0 rbytes=1 wbytes=2\n", 1, 2},
		{"v2 root with iocost", ioStatV2IOCost, 2097152, 1048576},
		{"v2 with io.latency debug stats", ioStatV2IOLatency, 4096, 8192},
		{"empty", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := parseIOBytes([]byte(tt.text))
			if err != nil {
				t.Fatalf("parseIOBytes: %v", err)
			}
			if r != tt.read || w != tt.write {
				t.Errorf("parseIOBytes = %d, %d; want %d, %d", r, w, tt.read, tt.write)
			}
		})
	}
	for _, text := range []string{"8:0 Read x\n", "8:0 Write -1\n", "8:0 rbytes=x wbytes=0\n", "8:0 rbytes=1 wbytes=\n"} {
		if r, w, err := parseIOBytes([]byte(text)); err == nil {
			t.Errorf("parseIOBytes(%q) = %d, %d; want error", text, r, w)
		}
	}
}

func FuzzParseIOBytes(f *testing.F) {
	for _, s := range []string{blkioV1, blkioV1Idle, ioStatV2, ioStatV2IOCost, ioStatV2IOLatency} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, w, err := parseIOBytes(b)
		if err != nil {
			return
		}
		if r != 0 && !bytes.Contains(b, []byte("Read")) && !bytes.Contains(b, []byte("rbytes=")) {
			t.Fatalf("read %d from text without reads: %q", r, b)
		}
		if w != 0 && !bytes.Contains(b, []byte("Write")) && !bytes.Contains(b, []byte("wbytes=")) {
			t.Fatalf("write %d from text without writes: %q", w, b)
		}
	})
}
