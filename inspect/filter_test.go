package inspect

import (
	"strings"
	"testing"
	"time"
)

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range []struct {
		terms []string
		want  string
	}{
		{[]string{"name"}, `invalid filter "name": want KEY=VALUE, KEY one of id, name, namespace, pod, runtime, status`},
		{[]string{"name=web", "label=a=b"}, `invalid filter "label=a=b": unknown key "label"; valid keys: id, name, namespace, pod, runtime, status`},
		{[]string{"Name=web"}, `invalid filter "Name=web": unknown key "Name"; valid keys: id, name, namespace, pod, runtime, status`},
		{[]string{"id="}, `invalid filter "id=": empty value`},
		{[]string{"status=up"}, `invalid filter "status=up": status is one of created, restarting, running, removing, paused, exited, dead`},
	} {
		_, err := ParseFilter(tc.terms)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseFilter(%q): %v, want %q", tc.terms, err, tc.want)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	web := Container{ID: "f83b8fa7c0fc84f9", Name: "web", Runtime: Runtime{Name: RuntimeDocker}}
	webdb := Container{ID: "210fd3c88e0ca7ef", Name: "webdb", Runtime: Runtime{Name: RuntimePodman}}
	pay := Container{ID: "f11e4dcae011aaaa", Name: "prod/payments-6b7f9c-kx2lp/payments",
		Runtime: Runtime{Name: RuntimeKubernetes, PodUID: "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c"}}
	pause := Container{ID: "0d7871fc800baaaa", Name: "prod/payments-6b7f9c-kx2lp", Runtime: Runtime{Name: RuntimeKubernetes, PodUID: "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c"}}
	unnamed := Container{ID: "be42b6838156aaaa", Name: "be42b6838156", Runtime: Runtime{Name: RuntimeKubernetes, PodUID: "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"}}
	// A name shaped like a Kubernetes one that is not Kubernetes': its
	// parts are no pod and no namespace.
	slashed := Container{ID: "aaaa000011112222", Name: "prod/payments-6b7f9c-kx2lp/x", Runtime: Runtime{Name: RuntimeContainerd}}
	stopped := Container{ID: "6480f8c926fcaaaa", Name: "demo", Runtime: Runtime{Name: RuntimeNsinspect}}
	type row struct {
		c      Container
		status string
	}
	rows := []row{{web, "running"}, {webdb, "running"}, {pay, "running"}, {pause, "running"}, {unnamed, "running"}, {slashed, "running"}, {stopped, "exited"}}
	for _, tc := range []struct {
		terms []string
		want  string // the names that match, in row order
	}{
		{nil, "web webdb prod/payments-6b7f9c-kx2lp/payments prod/payments-6b7f9c-kx2lp be42b6838156 prod/payments-6b7f9c-kx2lp/x demo"},
		{[]string{"name=web"}, "web webdb"}, // a substring, as docker ps matches names
		{[]string{"name=eb"}, "web webdb"},
		{[]string{"name=webdb"}, "webdb"},
		{[]string{"name=web", "name=demo"}, "web webdb demo"},                                        // one key: any value
		{[]string{"name=web", "runtime=podman"}, "webdb"},                                            // two keys: both
		{[]string{"name=web", "name=demo", "status=exited"}, "demo"},                                 // (web or demo) and exited
		{[]string{"runtime=docker", "runtime=nsinspect"}, "web demo"},                                // exact runtimes
		{[]string{"runtime=dock"}, ""},                                                               // not a substring
		{[]string{"id=f"}, "web prod/payments-6b7f9c-kx2lp/payments"},                                // a prefix
		{[]string{"id=83b8"}, ""},                                                                    // not a substring
		{[]string{"id=f83b8fa7c0fc84f9"}, "web"},                                                     // the whole id
		{[]string{"status=running", "runtime=nsinspect"}, ""},                                        // demo exited
		{[]string{"status=paused"}, ""},                                                              // accepted, never listed
		{[]string{"pod=5f4e3d2c"}, "prod/payments-6b7f9c-kx2lp/payments prod/payments-6b7f9c-kx2lp"}, // uid prefix
		{[]string{"pod=payments-6b7f9c-kx2lp"}, "prod/payments-6b7f9c-kx2lp/payments prod/payments-6b7f9c-kx2lp"},
		{[]string{"pod=payments"}, ""}, // a pod name is exact
		{[]string{"pod=0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d"}, "be42b6838156"},
		{[]string{"namespace=prod"}, "prod/payments-6b7f9c-kx2lp/payments prod/payments-6b7f9c-kx2lp"},
		{[]string{"namespace=prod", "name=payments"}, "prod/payments-6b7f9c-kx2lp/payments prod/payments-6b7f9c-kx2lp"},
		{[]string{"namespace=pro"}, ""},
		{[]string{"namespace=default", "namespace=prod", "pod=nosuch"}, ""},
	} {
		f, err := ParseFilter(tc.terms)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tc.terms, err)
		}
		var got []string
		for _, r := range rows {
			if f.Match(r.c, r.status) {
				got = append(got, r.c.Name)
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("filter %q matches %q, want %q", tc.terms, strings.Join(got, " "), tc.want)
		}
	}
}

func TestFilterHas(t *testing.T) {
	f, err := ParseFilter([]string{"name=a", "status=exited"})
	if err != nil {
		t.Fatal(err)
	}
	if !f.Has("status") || !f.Has("name") || f.Has("id") || (Filter{}).Has("status") {
		t.Errorf("Has: status %v name %v id %v, zero filter status %v; want true true false false", f.Has("status"), f.Has("name"), f.Has("id"), (Filter{}).Has("status"))
	}
}

func TestNewest(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2026, 1, 2, 3, 4, s, 0, time.UTC) }
	type item struct {
		name    string
		started time.Time
	}
	items := []item{{"a", at(30)}, {"b", at(10)}, {"c", time.Time{}}, {"d", at(50)}, {"e", at(10)}, {"f", at(40)}}
	for _, tc := range []struct {
		n    int
		want string
	}{
		{-1, "a b c d e f"},
		{0, ""},
		{1, "d"},
		{2, "d f"},
		{3, "a d f"},   // kept in their order, not the start order
		{4, "a b d f"}, // b and e started together: the first listed wins
		{5, "a b d e f"},
		{6, "a b c d e f"}, // the unknown start is the oldest
		{9, "a b c d e f"},
	} {
		var got []string
		for _, it := range Newest(items, tc.n, func(i item) time.Time { return i.started }) {
			got = append(got, it.name)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("Newest(%d) = %q, want %q", tc.n, strings.Join(got, " "), tc.want)
		}
	}
}
