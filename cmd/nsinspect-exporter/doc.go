// Command nsinspect-exporter serves what nsinspect knows of every
// container on a node as Prometheus metrics: usage under cAdvisor's names
// and labels, and posture (privilege, shared namespaces, audit findings)
// under nsinspect_. It is a binary of its own so that nsinspect does not
// link client_golang, whose package init costs every command's start.
//
//	nsinspect-exporter [--web.listen-address :9969] [--web.telemetry-path /metrics]
//	                   [--web.config.file FILE] [--path.procfs /host/proc] [--path.sysfs /host/sys]
package main
