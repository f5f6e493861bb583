// Command nsinspect shows exactly what a container is: the namespaces,
// cgroup limits and usage, capabilities, security settings, PID-1 signal
// behaviour and root filesystem of any process, side by side with the host.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
