package inspect

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Filter is a parsed set of ps --filter KEY=VALUE terms, with docker ps's
// semantics: terms of one key are alternatives (any of them may match),
// terms of different keys must all match. The zero Filter matches every
// container.
type Filter struct {
	terms map[string][]string
}

// FilterKeys are the keys a Filter knows:
//
//	id         a prefix of the container id
//	name       a substring of the name, as docker ps matches it
//	namespace  the Kubernetes namespace of a pod's container (the first
//	           part of its name, namespace/pod/container)
//	pod        a Kubernetes pod: its uid (or a prefix of it), or its name
//	runtime    the runtime, as ps shows it (docker, kubernetes, nsinspect, ...)
//	status     running, exited or dead (Docker's other states are accepted
//	           and match nothing here)
var FilterKeys = []string{"id", "name", "namespace", "pod", "runtime", "status"}

// FilterStatuses are the values a status term accepts: Docker's, so that a
// filter written for docker ps is not refused, although the containers
// nsinspect lists are only ever running, exited or dead.
var FilterStatuses = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}

// ParseFilter reads --filter terms. A term without "=", with an unknown
// key, with an empty value or with a status Docker does not know is an
// error naming the term and what is accepted.
func ParseFilter(terms []string) (Filter, error) {
	var f Filter
	for _, t := range terms {
		key, value, ok := strings.Cut(t, "=")
		switch {
		case !ok:
			return Filter{}, fmt.Errorf("invalid filter %q: want KEY=VALUE, KEY one of %s", t, strings.Join(FilterKeys, ", "))
		case !slices.Contains(FilterKeys, key):
			return Filter{}, fmt.Errorf("invalid filter %q: unknown key %q; valid keys: %s", t, key, strings.Join(FilterKeys, ", "))
		case value == "":
			return Filter{}, fmt.Errorf("invalid filter %q: empty value", t)
		case key == "status" && !slices.Contains(FilterStatuses, value):
			return Filter{}, fmt.Errorf("invalid filter %q: status is one of %s", t, strings.Join(FilterStatuses, ", "))
		}
		if f.terms == nil {
			f.terms = map[string][]string{}
		}
		f.terms[key] = append(f.terms[key], value)
	}
	return f, nil
}

// Has reports whether the filter has a term of key.
func (f Filter) Has(key string) bool { return len(f.terms[key]) > 0 }

// Match reports whether c, in the given status, passes every key of the
// filter.
func (f Filter) Match(c Container, status string) bool {
	for key, values := range f.terms {
		if !slices.ContainsFunc(values, func(v string) bool { return matchTerm(key, v, c, status) }) {
			return false
		}
	}
	return true
}

func matchTerm(key, v string, c Container, status string) bool {
	switch key {
	case "id":
		return strings.HasPrefix(c.ID, v)
	case "name":
		return strings.Contains(c.Name, v)
	case "runtime":
		return c.Runtime.Name == v
	case "status":
		return status == v
	case "pod":
		_, pod, _ := kubernetesName(c)
		return (c.Runtime.PodUID != "" && strings.HasPrefix(c.Runtime.PodUID, v)) || (pod != "" && pod == v)
	case "namespace":
		ns, _, _ := kubernetesName(c)
		return ns != "" && ns == v
	}
	return false
}

// kubernetesName splits the name a Kubernetes container is listed under,
// namespace/pod/container (a pod's own cgroup: namespace/pod), as
// containerName builds it from kubelet's log links. A container whose
// links were not found is named by its short id and has neither part.
func kubernetesName(c Container) (namespace, pod, container string) {
	if c.Runtime.Name != RuntimeKubernetes {
		return "", "", ""
	}
	parts := strings.Split(c.Name, "/")
	switch len(parts) {
	case 2:
		return parts[0], parts[1], ""
	case 3:
		return parts[0], parts[1], parts[2]
	}
	return "", "", ""
}

// Newest keeps the n items that started last (docker ps -n), in the order
// they came in; n < 0 keeps them all. An item whose start is unknown (the
// zero time) counts as the oldest.
func Newest[T any](items []T, n int, started func(T) time.Time) []T {
	if n < 0 || n >= len(items) {
		return items
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return started(items[b]).Compare(started(items[a])) })
	keep := order[:n]
	slices.Sort(keep)
	out := make([]T, 0, n)
	for _, i := range keep {
		out = append(out, items[i])
	}
	return out
}
