package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"golang.org/x/crypto/bcrypt"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/inspect/fixture"
	"github.com/nsinspect/nsinspect/report/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden expositions")

// exposition is what one scrape of fsys gives, in the text format, with
// the clock fixed: the scrape takes 0 s and the rates need no second
// reading.
func exposition(t *testing.T, fsys inspect.FS) string {
	t.Helper()
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	src := newSource(fsys, now, "")
	defer src.close()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(metrics.NewCollector(src.read, now))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestGoldenExposition: the node-v1 and node-v2 fixture trees (Docker,
// Kubernetes, Podman, LXC, nspawn and nsinspect containers) as metrics.
func TestGoldenExposition(t *testing.T) {
	for _, node := range []string{"node-v1", "node-v2"} {
		t.Run(node, func(t *testing.T) {
			proc, cg := fixture.Node(t, filepath.Join("..", "..", "testdata", node))
			got := exposition(t, inspect.NewFS(proc, cg))
			golden := filepath.Join("testdata", node+".prom")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("exposition differs from %s (rerun with -update after checking):\n%s", golden, firstDiff(string(want), got))
			}
		})
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want: %s\n  got:  %s", i+1, a, b)
		}
	}
	return ""
}

// TestExpositionValues: the values the golden holds, checked by name, so
// that -update cannot bless a wrong one.
func TestExpositionValues(t *testing.T) {
	proc, cg := fixture.Node(t, filepath.Join("..", "..", "testdata", "node-v2"))
	out := exposition(t, inspect.NewFS(proc, cg))
	for _, want := range []string{
		// a Kubernetes container: namespace, pod and container labels
		`pod="payments-6b7f9c-kx2lp"`,
		`namespace="prod"`,
		`container="payments"`,
		`name="web"`, // a Docker container by its name
		`nsinspect_finding{`,
		`rule="no-memory-limit"`,
		"nsinspect_scrape_duration_seconds 0\n",
		// web's cgroup files: cpu.stat throttled_usec 30000000, memory.stat
		// anon 167391232 and file 94371840, cpu.pressure some total=240000
		webLabels("container_cpu_cfs_throttled_seconds_total") + " 30\n",
		webLabels("container_memory_rss") + " 1.67391232e+08\n",
		webLabels("container_memory_cache") + " 9.437184e+07\n",
		webLabels("container_pressure_cpu_waiting_seconds_total") + " 0.24\n",
		webLabels("container_pressure_cpu_stalled_seconds_total") + " 0.216\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

// promtool check metrics passes every nsinspect_ metric; cAdvisor's own
// names, kept for its dashboards, are told apart (docs/exporter.md lists
// what promtool says of them).
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	proc, cg := fixture.Node(t, filepath.Join("..", "..", "testdata", "node-v2"))
	out := exposition(t, inspect.NewFS(proc, cg))
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(out)
	res, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(res)), "\n") {
		if strings.HasPrefix(line, "nsinspect_") {
			t.Errorf("promtool: %s", line)
		}
	}
	t.Logf("promtool on the cAdvisor names:\n%s", res)
}

// Bad input is one line and exit 2, before anything is served.
func TestBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--web.listen-address", busy.Addr().String()}, "--web.listen-address " + busy.Addr().String() + ": listen tcp " + busy.Addr().String() + ": bind: address already in use"},
		{[]string{"--web.listen-address", "nonsense"}, "--web.listen-address nonsense: listen tcp: address nonsense: missing port in address"},
		{[]string{"--path.procfs", "/nonexistent"}, "--path.procfs /nonexistent is not a procfs: stat /nonexistent/self/stat: no such file or directory"},
		{[]string{"--path.sysfs", "/nonexistent"}, "--path.sysfs /nonexistent has no fs/cgroup: stat /nonexistent/fs/cgroup: no such file or directory"},
		{[]string{"--path.rootfs", "/nonexistent"}, "--path.rootfs /nonexistent is not a directory"},
		{[]string{"--web.telemetry-path", "metrics"}, `invalid --web.telemetry-path "metrics": want an absolute path other than /healthz`},
		{[]string{"--web.config.file", "/nonexistent.yml"}, "--web.config.file /nonexistent.yml: open /nonexistent.yml: no such file or directory"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"extra"}, `unknown command "extra" for "nsinspect-exporter"`},
	} {
		var out, errb bytes.Buffer
		code := Main(tc.args, &out, &errb)
		if code != exitUsage || errb.String() != "nsinspect-exporter: "+tc.want+"\n" {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// The binary on a loopback port: /metrics, /healthz, and a web config
// with basic authentication refuses a scrape without it.
func TestServeLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live exporter test skipped: reading every container needs root; run `go test ./...` as root")
	}
	dir := t.TempDir()
	bin := build(t, dir, ".", "nsinspect-exporter")
	// exporter-toolkit takes bcrypt hashes (htpasswd -nbB)
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "web.yml")
	os.WriteFile(cfg, []byte("basic_auth_users:\n  prom: "+string(hash)+"\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
	}{{"plain", nil}, {"basic auth", []string{"--web.config.file", cfg}}} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			cmd := exec.CommandContext(ctx, bin, append([]string{"--web.listen-address", addr}, tc.args...)...)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cancel(); cmd.Wait() })
			get := func(path, user, pass string) (int, string) {
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
					if user != "" {
						req.SetBasicAuth(user, pass)
					}
					resp, err := http.DefaultClient.Do(req)
					if err == nil {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						return resp.StatusCode, string(b)
					}
					if time.Now().After(deadline) {
						t.Fatalf("GET %s: %v (stderr %s)", path, err, errb.String())
					}
				}
			}
			user, pass := "", ""
			if tc.args != nil {
				if code, _ := get("/metrics", "", ""); code != http.StatusUnauthorized {
					t.Errorf("scrape without credentials: %d, want 401", code)
				}
				if code, _ := get("/metrics", "prom", "wrong"); code != http.StatusUnauthorized {
					t.Errorf("scrape with a wrong password: %d, want 401", code)
				}
				user, pass = "prom", "secret"
			}
			code, body := get("/metrics", user, pass)
			if code != 200 || !strings.Contains(body, "nsinspect_scrape_duration_seconds") || !strings.Contains(body, "nsinspect_containers") {
				t.Errorf("/metrics: %d\n%.500s", code, body)
			}
			if code, body := get("/healthz", user, pass); code != 200 || body != "ok\n" {
				t.Errorf("/healthz: %d %q", code, body)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// webLabels is the series of node-v2's Docker container web.
// webLabels are the Docker container web's: its image is Config.Image of
// its config.v2.json.
func webLabels(metric string) string {
	return metric + `{container="",id="/system.slice/docker-f83b8fa7c0fc84f9d10b69fcaa1013ee4a15e0d57d62df6f0b052edc0337b1c3.scope",image="nginx:1.27",name="web",namespace="",pod="",runtime="docker"}`
}
