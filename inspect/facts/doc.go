// Package facts holds what package inspect reads, as plain types: the
// records of a process (namespaces, cgroups, capabilities, signals,
// mounts, runtime), of a container listing and of the launcher's state,
// each with the evidence it came from, and the helpers that only name or
// count what they hold (CapSet.Names, Namespace.Same).
//
// It reads nothing, decides nothing and imports nothing of the module, nor
// golang.org/x/sys/unix: package report, the judge and renderer, uses these
// types without linking the reader (x/sys/unix, gopsutil, mountinfo) or the
// launcher (containerd/cgroups). Package inspect fills them and keeps its
// names for them as aliases. Do not put a reader here (docs/architecture.md).
package facts
