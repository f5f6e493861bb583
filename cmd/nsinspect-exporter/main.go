package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/spf13/cobra"

	"github.com/nsinspect/nsinspect/inspect"
	"github.com/nsinspect/nsinspect/report/metrics"
)

// defaultPort is 9969, free in the Prometheus exporters' default port
// allocations (docs/exporter.md says how it was chosen).
const defaultAddress = ":9969"

// softMemoryLimit is the Go runtime's soft memory limit (see serve).
const softMemoryLimit = 20 << 20

// Exit codes, as nsinspect's: 1 a failure while serving, 2 a bad flag or
// a listen address that cannot be used.
const (
	exitRuntime = 1
	exitUsage   = 2
)

type usageError struct{ error }

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }

// Main runs the exporter with args and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	cmd := newCommand(stderr)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.Execute()
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "nsinspect-exporter: "+strings.ReplaceAll(err.Error(), "\n", " "))
	var ue usageError
	if errors.As(err, &ue) || strings.Contains(err.Error(), "unknown flag") || strings.Contains(err.Error(), "unknown command") || strings.Contains(err.Error(), "accepts ") ||
		strings.Contains(err.Error(), "invalid argument") || strings.Contains(err.Error(), "flag needs an argument") {
		return exitUsage
	}
	return exitRuntime
}

type flags struct {
	listen, path, webConfig, procfs, sysfs, rootfs, devfs string
}

func newCommand(stderr io.Writer) *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:           "nsinspect-exporter",
		Short:         "Every container's usage and posture as Prometheus metrics",
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ln, fsys, err := f.check()
			if err != nil {
				return err
			}
			return serve(ln, f, fsys, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "web.listen-address", defaultAddress, "address to listen on for metrics")
	fl.StringVar(&f.path, "web.telemetry-path", "/metrics", "path under which to expose metrics")
	fl.StringVar(&f.webConfig, "web.config.file", "", "exporter-toolkit web configuration: TLS and basic authentication (https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md)")
	fl.StringVar(&f.procfs, "path.procfs", inspect.DefaultProcRoot, "procfs mountpoint (the host's, /host/proc, in a DaemonSet)")
	fl.StringVar(&f.sysfs, "path.sysfs", "/sys", "sysfs mountpoint; cgroups are read under its fs/cgroup")
	fl.StringVar(&f.rootfs, "path.rootfs", "/", "where the host's state directories (Docker's containers, kubelet's /var/log/pods and /var/log/containers, runtimes' state under /run) are mounted, /host in a DaemonSet; container names are read there")
	fl.StringVar(&f.devfs, "path.devfs", "/dev", "devfs holding kmsg, the kernel log the OOM kills of removed containers are read from")
	return cmd
}

// check validates the flags and takes the listen address before anything
// is served: a bad one is a usage error, not a log line.
func (f flags) check() (net.Listener, inspect.FS, error) {
	if !strings.HasPrefix(f.path, "/") || f.path == "/healthz" {
		return nil, inspect.FS{}, usageError{fmt.Errorf("invalid --web.telemetry-path %q: want an absolute path other than /healthz", f.path)}
	}
	if _, err := os.Stat(filepath.Join(f.procfs, "self", "stat")); err != nil {
		return nil, inspect.FS{}, usageError{fmt.Errorf("--path.procfs %s is not a procfs: %v", f.procfs, err)}
	}
	cg := filepath.Join(f.sysfs, "fs", "cgroup")
	if _, err := os.Stat(cg); err != nil {
		return nil, inspect.FS{}, usageError{fmt.Errorf("--path.sysfs %s has no fs/cgroup: %v", f.sysfs, err)}
	}
	if st, err := os.Stat(f.rootfs); err != nil || !st.IsDir() {
		return nil, inspect.FS{}, usageError{fmt.Errorf("--path.rootfs %s is not a directory", f.rootfs)}
	}
	if f.webConfig != "" {
		if err := web.Validate(f.webConfig); err != nil {
			return nil, inspect.FS{}, usageError{fmt.Errorf("--web.config.file %s: %v", f.webConfig, err)}
		}
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return nil, inspect.FS{}, usageError{fmt.Errorf("--web.listen-address %s: %v", f.listen, err)}
	}
	return ln, inspect.NewFS(f.procfs, cg).WithStateRoot(f.rootfs), nil
}

func serve(ln net.Listener, f flags, fsys inspect.FS, stderr io.Writer) error {
	// A scrape builds the whole exposition (about 6 KiB a container)
	// and drops it: a soft memory limit makes the collector reclaim it
	// before the heap doubles, which keeps a 200-container node's RSS
	// near its working size. GOMEMLIMIT in the environment still wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	src := newSource(fsys, nil, f.devfs)
	defer src.close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(src.read, nil))
	mux := http.NewServeMux()
	mux.Handle(f.path, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		// A scrape runs the read; two at once would race on the open
		// counters, so they wait their turn.
		MaxRequestsInFlight: 1,
		ErrorHandling:       promhttp.ContinueOnError,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "<html><head><title>nsinspect-exporter</title></head><body><h1>nsinspect-exporter</h1><p><a href=%q>Metrics</a></p></body></html>\n", f.path)
	})
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if src.oomErr != nil {
		logger.Warn("OOM kills of containers removed between scrapes are not counted: the kernel log cannot be read", "err", src.oomErr)
	}
	srv := &http.Server{Handler: mux}
	return web.Serve(ln, srv, &web.FlagConfig{WebListenAddresses: &[]string{f.listen}, WebConfigFile: &f.webConfig}, logger)
}
