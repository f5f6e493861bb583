// Command nsinspect shows exactly what a container is: the namespaces,
// cgroup limits and usage, capabilities, security settings, PID-1 signal
// behaviour and root filesystem of any process, side by side with the host.
//
// This package is glue: it parses flags, calls package inspect, hands the
// facts to package report and maps errors to exit codes. No logic lives here.
package main
