package main

import (
	"slices"
	"strings"
	"testing"
)

// ps --filter and -n over the node-v2 fixture, whose containers started
// in this order (oldest first): the payments pod, the web pod, the
// debug-shell pod, be42b6838156, web, api, db, build-01, c1, demo and the
// unshare namespace group.
func TestPsFilterAndLast(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"runtime", []string{"-f", "runtime=podman"}, "a521bfcfd1b2\n210fd3c88e0c\n"},
		{"runtime twice is either", []string{"-f", "runtime=podman", "--filter", "runtime=lxc"}, "b0fc294d6e7d\na521bfcfd1b2\n210fd3c88e0c\n"},
		{"name is a substring", []string{"-f", "name=web"}, "f83b8fa7c0fc\nd984babdc8aa\n8527473bda7e\n"},
		{"two keys are both", []string{"-f", "name=web", "-f", "runtime=kubernetes"}, "d984babdc8aa\n8527473bda7e\n"},
		{"id prefix", []string{"-f", "id=2"}, "2ea9fd0e4ba3\n210fd3c88e0c\n"},
		{"kubernetes namespace", []string{"-f", "namespace=prod"}, "0d7871fc800b\nf11e4dcae011\n"},
		{"pod name", []string{"-f", "pod=debug-shell"}, "2ea9fd0e4ba3\na668b5ae40da\n"},
		{"filter and names", []string{"-f", "runtime=kubernetes", "web", "prod/payments-6b7f9c-kx2lp/payments"}, "f11e4dcae011\n"},
		// A status filter looks at what --all lists, as docker ps's does:
		// here the namespace group too (a fixture has no stopped
		// nsinspect containers: those come from this host's /run).
		{"status implies all", []string{"-f", "status=running", "-f", "runtime=namespaces"}, "29f1e1ab7c21\n"},
		{"status exited", []string{"-f", "status=exited"}, ""},
		{"no match", []string{"-f", "name=nosuch"}, ""},
		// -n: the newest, in the order ps --all lists them; it implies --all.
		{"last 3", []string{"-n", "3"}, "b0fc294d6e7d\n29f1e1ab7c21\n6480f8c926fc\n"},
		{"last 1", []string{"--last", "1"}, "29f1e1ab7c21\n"},
		{"filter then last", []string{"-n", "3", "-f", "runtime=kubernetes"}, "8527473bda7e\n2ea9fd0e4ba3\na668b5ae40da\n"},
		{"last more than there are", []string{"-n", "100", "-f", "runtime=podman"}, "a521bfcfd1b2\n210fd3c88e0c\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append(append(slices.Clone(roots), "ps", "-q"), tc.args...)...)
			if code != 0 || out != tc.want {
				t.Errorf("ps -q %s: exit %d, stdout %q, stderr %q; want 0, %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
			}
		})
	}
}

func TestPsFilterUsageErrors(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-f", "label=a"}, `nsinspect: invalid filter "label=a": unknown key "label"; valid keys: id, name, namespace, pod, runtime, status` + "\n"},
		{[]string{"-f", "name"}, `nsinspect: invalid filter "name": want KEY=VALUE, KEY one of id, name, namespace, pod, runtime, status` + "\n"},
		{[]string{"-f", "status=up"}, `nsinspect: invalid filter "status=up": status is one of created, restarting, running, removing, paused, exited, dead` + "\n"},
		{[]string{"-n", "0"}, "nsinspect: invalid --last 0: want 1 or more\n"},
		{[]string{"-n", "x"}, `nsinspect: invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax` + "\n"},
	} {
		code, out, errOut := run(t, append(append(slices.Clone(roots), "ps"), tc.args...)...)
		if code != exitUsage || out != "" || errOut != tc.want {
			t.Errorf("ps %s: exit %d, stdout %q, stderr %q; want 2, nothing, %q", strings.Join(tc.args, " "), code, out, errOut, tc.want)
		}
	}
}
