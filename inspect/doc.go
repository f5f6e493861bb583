// Package inspect reads what the kernel says about one process — its
// namespaces, cgroups, capabilities, signal dispositions, mounts and runtime —
// through injectable /proc and cgroup roots, and returns plain facts.
//
// Every value carries the file it came from. The package never prints, never
// judges (that is package report) and never changes the system it reads.
package inspect
