package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// containerLock holds the host-wide lock of the tests that start
// containers (flock on /run, as launch's and cmd/nsinspect's): their leak
// checks read every container on the host, and a CPU-rate assertion must
// not share the machine with them.
func containerLock(t *testing.T) {
	f, err := os.Open("/run")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
}

func build(t *testing.T, dir, pkg, name string) string {
	// In the VM guests (scripts/vm) there is no Go: the binaries were
	// built on the host.
	if prebuilt := os.Getenv(map[string]string{"nsinspect": "NSINSPECT_TEST_BIN", "nsinspect-exporter": "NSINSPECT_TEST_EXPORTER"}[name]); prebuilt != "" {
		return prebuilt
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// started runs bin with args until the test ends, then stops it by its
// pid and waits for it.
func started(t *testing.T, bin string, args ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	log, _ := os.Create(filepath.Join(t.TempDir(), filepath.Base(bin)+".log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("%s's log:\n%s", filepath.Base(bin), b)
		}
		log.Close()
	})
}

// query asks Prometheus's HTTP API for an instant vector and returns the
// first sample's value, or false when the result is empty.
func query(t *testing.T, prom, q string) (float64, bool) {
	resp, err := http.Get("http://" + prom + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&r) != nil || r.Status != "success" || len(r.Data.Result) == 0 {
		return 0, false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// eventually polls q until cond holds for its value, for up to a minute.
func eventually(t *testing.T, prom, q string, what string, cond func(float64) bool) float64 {
	t.Helper()
	var last float64
	var seen bool
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if v, ok := query(t, prom, q); ok {
			last, seen = v, true
			if cond(v) {
				return v
			}
		}
	}
	if !seen {
		t.Errorf("%s: %s returned nothing within a minute", what, q)
	} else {
		t.Errorf("%s: %s is %v", what, q, last)
	}
	return last
}

// TestLivePrometheus: a real Prometheus server scrapes the exporter every
// second; its HTTP API must give the limits and rates of containers made
// with known limits.
func TestLivePrometheus(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live Prometheus test skipped: containers and every process's /proc need root")
	}
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not installed (apt-get install prometheus)")
	}
	containerLock(t)
	dir := t.TempDir()
	nsi := build(t, dir, "../nsinspect", "nsinspect")
	exporter := build(t, dir, ".", "nsinspect-exporter")
	b := make([]byte, 4)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	run := func(name string, args ...string) {
		t.Cleanup(func() { exec.Command(nsi, "rm", "-f", name).Run() })
		out, err := exec.Command(nsi, append([]string{"run", "-d", "--name", name}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("nsinspect run %v: %v %s", args, err, out)
		}
	}
	spin, priv, oom := "nsx-spin-"+tag, "nsx-priv-"+tag, "nsx-oom-"+tag
	run(spin, "--memory", "256m", "--cpus", "0.5", "--", "sh", "-c", "trap 'exit 0' TERM; while :; do :; done")
	run(priv, "--privileged", "--", "sleep", "1d")

	exp, prom := freeAddr(t), freeAddr(t)
	started(t, exporter, "--web.listen-address", exp)
	cfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: nsinspect\n    static_configs:\n      - targets: [%q]\n", exp)), 0o644)
	started(t, promBin, "--config.file", cfg, "--storage.tsdb.path", filepath.Join(dir, "data"), "--web.listen-address", prom)

	// The OOM victim: seen by a scrape, then its PID 1 (tail, reading a
	// line without end) is OOM-killed at 32 MiB, and --rm removes the
	// container within milliseconds, long before the next scrape.
	eventually(t, prom, `up{job="nsinspect"}`, "the first scrape", func(v float64) bool { return v == 1 })
	run(oom, "--rm", "--memory", "32m", "--", "sh", "-c", "sleep 3; exec tail /dev/zero")
	eventually(t, prom, fmt.Sprintf(`nsinspect_containers{job="nsinspect"} and on() count(container_processes{name=%q})`, oom), "a scrape that saw the OOM victim", func(v float64) bool { return v >= 1 })

	sel := fmt.Sprintf(`{job="nsinspect",name=%q}`, spin)
	eventually(t, prom, "container_spec_memory_limit_bytes"+sel, "the --memory 256m limit", func(v float64) bool { return v == 268435456 })
	// rate over 10 s of 1 s scrapes: wait until the window is full
	eventually(t, prom, "count_over_time(container_cpu_usage_seconds_total"+sel+"[10s])", "ten scrapes", func(v float64) bool { return v >= 9 })
	eventually(t, prom, "rate(container_cpu_usage_seconds_total"+sel+"[10s])", "the CPU rate of --cpus 0.5 spinning", func(v float64) bool { return v >= 0.4 && v <= 0.6 })
	eventually(t, prom, "rate(container_cpu_cfs_throttled_periods_total"+sel+"[10s])", "the throttled periods' rate", func(v float64) bool { return v > 0 })
	eventually(t, prom, fmt.Sprintf(`count(nsinspect_finding{job="nsinspect",name=%q,severity="critical"})`, priv), "the privileged container's critical findings", func(v float64) bool { return v >= 1 })
	eventually(t, prom, fmt.Sprintf(`nsinspect_container_info{job="nsinspect",name=%q,privileged="true"}`, priv), "the privileged container's info", func(v float64) bool { return v == 1 })
	// gone before any scrape could read its counter, still counted
	eventually(t, prom, fmt.Sprintf(`nsinspect_container_oom_kills_total{job="nsinspect",name=%q}`, oom), "the removed OOM victim's kills", func(v float64) bool { return v >= 1 })
	// Whether a scrape read the victim's own counter after the kill (a
	// race the kernel log makes moot): said, not judged.
	if v, ok := query(t, prom, fmt.Sprintf(`max_over_time(container_oom_events_total{name=%q}[5m])`, oom)); ok && v > 0 {
		t.Logf("a scrape read the victim's own OOM counter (%v) before it was removed", v)
	} else {
		t.Logf("no scrape read the victim's own OOM counter: the kill is known from the kernel log alone")
	}
	if out, _ := exec.Command(nsi, "ps", "-a", "--format", "{{.Name}}").Output(); strings.Contains(string(out), oom) {
		t.Errorf("the OOM victim is still there: %s", out)
	}
	if t.Failed() {
		return
	}
	// No scrape failed as a whole.
	eventually(t, prom, `up{job="nsinspect"}`, "the exporter up", func(v float64) bool { return v == 1 })
	if v, ok := query(t, prom, `sum(scrape_samples_scraped{job="nsinspect"})`); !ok || v == 0 {
		t.Errorf("no samples scraped: %v", v)
	}
}
