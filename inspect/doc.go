// Package inspect reads what the kernel says about one process — its
// namespaces, cgroups, capabilities, signal dispositions, mounts and runtime —
// through injectable /proc and cgroup roots, and returns plain facts (the
// types of package inspect/facts, by their names here).
//
// Every value carries the file it came from. The package never prints, never
// judges (that is package report) and never changes the system it reads.
// The launcher uses its parsers too: /proc/<pid>/stat, the namespace table,
// the launcher's own state.
package inspect
