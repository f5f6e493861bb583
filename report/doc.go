// Package report turns facts (package inspect/facts, as package inspect
// reads them) into what a user reads: it compares a process with its
// reference (the host), judges it (privileged, against Docker's default
// capabilities, the findings with their evidence), and renders tables,
// JSON, Go templates and plain explanations. It never reads /proc or /sys
// itself, and links neither the reader nor the launcher. What a container
// controls is printed with its control characters escaped (Escape) in
// every form but JSON, which keeps the raw value.
package report
