// Package kubernetes holds the manifests that run nsinspect-exporter on
// every node as a DaemonSet (kubectl apply -k deploy/kubernetes). It has
// no code: its test decodes every manifest strictly into k8s.io/api's and
// the Prometheus Operator's types, so that a misspelt or unknown field
// fails here rather than being dropped by a cluster, and checks the
// security choices the comments in the YAML explain.
package kubernetes
