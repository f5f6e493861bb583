package launch

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseSysctl(t *testing.T) {
	for _, tc := range []struct {
		in          string
		hostNetwork bool
		key, value  string
		err         string
	}{
		{in: "net.ipv4.ip_forward=1", key: "net.ipv4.ip_forward", value: "1"},
		{in: "net.ipv4.ping_group_range=0 2147483647", key: "net.ipv4.ping_group_range", value: "0 2147483647"},
		{in: "kernel.shmmax=68719476736", key: "kernel.shmmax", value: "68719476736"},
		{in: "fs.mqueue.msg_max=20", key: "fs.mqueue.msg_max", value: "20"},
		{in: "kernel.domainname=example", key: "kernel.domainname", value: "example"},
		{in: "net.ipv4.conf.eth-0.forwarding=1", key: "net.ipv4.conf.eth-0.forwarding", value: "1"},
		{in: "net.ipv4.ip_forward=1", hostNetwork: true, err: "--network host"},
		{in: "kernel.hostname=x", err: "use --hostname"},
		{in: "kernel.panic=1", err: "not namespaced"},
		{in: "vm.overcommit_memory=1", err: "not namespaced"},
		{in: "net.ipv4.ip_forward", err: "want KEY=VALUE"},
		{in: "=1", err: "want KEY=VALUE"},
		{in: "net..ip_forward=1", err: "not a sysctl name"},
		{in: "net/ipv4/ip_forward=1", err: "not a sysctl name"},
		{in: "../../kernel/panic=1", err: "not a sysctl name"},
		{in: "net.ipv4.ip_forward=1\nx", err: "newline"},
	} {
		k, v, err := ParseSysctl(tc.in, tc.hostNetwork)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSysctl(%q, host=%v) = %q, %q, %v; want an error saying %q", tc.in, tc.hostNetwork, k, v, err, tc.err)
			}
		case err != nil || k != tc.key || v != tc.value:
			t.Errorf("ParseSysctl(%q) = %q, %q, %v; want %q, %q", tc.in, k, v, err, tc.key, tc.value)
		}
	}
}

// FuzzParseSysctl: whatever is accepted is a dotted name of
// [a-z0-9_-] components that becomes a path below /proc/sys.
func FuzzParseSysctl(f *testing.F) {
	for _, s := range []string{"net.ipv4.ip_forward=1", "kernel.sem=1 2 3 4", "../x=1", "net.=1", "fs.mqueue.x=\n"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, host bool) {
		k, v, err := ParseSysctl(in, host)
		if err != nil {
			return
		}
		if strings.Contains(v, "\n") || strings.Contains(k, "..") || strings.ContainsAny(k, "/=") || strings.HasPrefix(k, ".") {
			t.Fatalf("accepted %q as %q = %q", in, k, v)
		}
		if host && strings.HasPrefix(k, "net.") {
			t.Fatalf("accepted %s with the host's network", k)
		}
	})
}

func TestSysctlsDefaults(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want []string
	}{
		{Spec{}, []string{"net.ipv4.ip_unprivileged_port_start=0", "net.ipv4.ping_group_range=0 2147483647"}},
		{Spec{Network: "host"}, nil},
		{Spec{Sysctls: map[string]string{"net.ipv4.ping_group_range": "1 1", "kernel.sem": "1 2 3 4"}},
			[]string{"net.ipv4.ip_unprivileged_port_start=0", "kernel.sem=1 2 3 4", "net.ipv4.ping_group_range=1 1"}},
	} {
		var got []string
		for _, s := range tc.spec.sysctls() {
			got = append(got, s.key+"="+s.value)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("sysctls of %+v: %q, want %q", tc.spec, got, tc.want)
		}
	}
}

func TestTmpfsSize(t *testing.T) {
	mem := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		spec Spec
		want int64
	}{
		{Spec{}, 1 << 30},
		{Spec{Resources: Resources{MemoryBytes: mem(64 << 20)}}, 64 << 20},
		{Spec{Resources: Resources{MemoryBytes: mem(4 << 30)}}, 1 << 30},
		{Spec{TmpfsSize: mem(100 << 20), Resources: Resources{MemoryBytes: mem(4 << 30)}}, 100 << 20},
		{Spec{TmpfsSize: mem(2 << 30), Resources: Resources{MemoryBytes: mem(64 << 20)}}, 2 << 30},
	} {
		if got := tc.spec.tmpfsSize(); got != tc.want {
			t.Errorf("tmpfsSize of %+v = %d, want %d", tc.spec.Resources, got, tc.want)
		}
	}
}

func TestEtcFiles(t *testing.T) {
	resolv := []byte("search example.com\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.0.0.2\noptions edns0\n")
	hosts := []byte("127.0.0.1 localhost\n10.0.0.5 vm\n")
	s := Spec{ID: "0123456789abcdef", Network: "none"}
	f := s.etcFiles(hosts, resolv)
	if got := string(f["hostname"]); got != "0123456789ab\n" {
		t.Errorf("hostname %q, want the short id", got)
	}
	if got := string(f["hosts"]); got != dockerHosts {
		t.Errorf("hosts %q, want Docker's loopback file", got)
	}
	if got := string(f["resolv.conf"]); got != "search example.com\nnameserver 10.0.0.2\noptions edns0\n" {
		t.Errorf("resolv.conf %q, want the host's without loopback nameservers", got)
	}
	s.Network, s.Hostname = "host", "web"
	f = s.etcFiles(hosts, resolv)
	if string(f["hosts"]) != string(hosts) || string(f["resolv.conf"]) != string(resolv) || string(f["hostname"]) != "web\n" {
		t.Errorf("--network host: %q; want the host's hosts and resolv.conf and hostname web", f)
	}
}

// FuzzWithoutLoopbackNameservers: the result keeps every line but the
// loopback nameservers, in order.
func FuzzWithoutLoopbackNameservers(f *testing.F) {
	f.Add([]byte("nameserver 127.0.0.53\nnameserver 10.0.0.2\n"))
	f.Add([]byte("nameserver fe80::1%eth0\nnameserver ::1\n# comment"))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := withoutLoopbackNameservers(b)
		kept := 0
		for line := range bytes.Lines(b) {
			if !isLoopbackNameserver(string(line)) {
				kept += len(line)
			}
		}
		if len(out) != kept {
			t.Fatalf("kept %d bytes of %q, want the %d of its other lines", len(out), b, kept)
		}
		for line := range bytes.Lines(out) {
			if isLoopbackNameserver(string(line)) {
				t.Fatalf("a loopback nameserver is left: %q", line)
			}
		}
	})
}

func TestParseLogOpt(t *testing.T) {
	o := DefaultLogOptions
	for _, kv := range []string{"max-size=64k", "max-file=5"} {
		if err := o.ParseLogOpt(kv); err != nil {
			t.Fatal(err)
		}
	}
	if o.MaxSize != 64<<10 || o.MaxFiles != 5 {
		t.Errorf("options %+v, want 64 KiB × 5", o)
	}
	for _, bad := range []string{"max-size=1", "max-size=x", "max-file=0", "max-file=1000", "compress=true", "max-size"} {
		if err := o.ParseLogOpt(bad); err == nil || !strings.Contains(err.Error(), "--log-opt") {
			t.Errorf("ParseLogOpt(%q) = %v, want an error naming --log-opt", bad, err)
		}
	}
}

// The rotating log keeps at most MaxFiles files of at most MaxSize bytes,
// cut at line ends, and CopyLogs gives them back oldest first. The lines
// written here are raw, as logs from before the JSON records were: they
// still print as they are.
func TestRotatingLog(t *testing.T) {
	old := StateRoot
	StateRoot = t.TempDir()
	t.Cleanup(func() { StateRoot = old })
	st := &State{ID: strings.Repeat("a", 64)}
	os.MkdirAll(st.Dir(), 0o700)
	l, err := openLog(st.LogFile(), LogOptions{MaxSize: 100, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		line := "line " + strconv.Itoa(i) + "\n"
		if _, err := l.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	l.Write([]byte(strings.Repeat("x", 250) + "\n")) // longer than a file: split
	l.Close()
	names, _ := filepath.Glob(st.LogFile() + "*")
	if len(names) != 3 {
		t.Errorf("log files %v, want 3", names)
	}
	for _, n := range names {
		b, _ := os.ReadFile(n)
		if len(b) > 100 {
			t.Errorf("%s has %d bytes, want at most 100", n, len(b))
		}
	}
	var out strings.Builder
	if err := CopyLogs(st, &out, &out, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), strings.Repeat("x", 250)+"\n") {
		t.Errorf("logs end %q, want the long line whole", out.String()[max(0, out.Len()-40):])
	}
	st.Pid = 0
	done := make(chan error, 1)
	go func() { done <- CopyLogs(st, &strings.Builder{}, &strings.Builder{}, true) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("logs -f of a gone container: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("logs -f of a container that is gone did not return")
	}
}
