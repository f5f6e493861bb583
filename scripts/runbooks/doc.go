// Package runbooks holds operator runbooks: bash procedures that pipe
// nsinspect's JSON into jq to answer one question each (no limits, OOM,
// CPU throttling, escape surface, a container that will not stop, the
// difference between two containers). The scripts are the product; the
// package exists for its tests, which run every runbook against live
// containers. It has no Go API. See docs/runbooks.
package runbooks
