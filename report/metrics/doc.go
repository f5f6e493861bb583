// Package metrics renders what nsinspect knows of a node's containers as
// Prometheus metrics for nsinspect-exporter: usage under cAdvisor's names
// and labels, so that existing dashboards and alerts work, and posture
// (privilege, namespaces, audit findings) under nsinspect_. It judges
// nothing itself — posture is report's audit — and reads nothing: the
// exporter hands it one Scrape per request. Only the exporter imports it,
// so nsinspect itself never links client_golang.
package metrics
