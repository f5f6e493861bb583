// Package launch starts containers: it creates the cgroups, re-executes the
// nsinspect binary as the container's init in new namespaces, builds a
// union root filesystem, drops privileges and runs the user's command as
// PID 1 (or under the host's docker-init, tini, with --init), then waits, reports the exit
// status Docker's way, and removes everything it made.
//
// It never prints: callers get errors and exit codes. It is Linux only and
// needs root. Use package inspect to look at what it made.
package launch
