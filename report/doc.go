// Package report turns facts from package inspect into what a user reads:
// it compares a process with its reference (the host), derives findings
// with their evidence, and renders tables, JSON, Go templates and plain
// explanations. It never reads /proc or /sys itself. What a container
// controls is printed with its control characters escaped (Escape) in
// every form but JSON, which keeps the raw value.
package report
