package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// inspect prints one JSON array holding, per argument, the very document
// pid --json prints; an argument that names nothing is said on stderr,
// the others are printed, and the exit status is 1, as docker inspect's.
func TestInspectPrintsPidDocuments(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	pidDoc := func(ref string) map[string]any {
		t.Helper()
		code, out, errOut := run(t, append(slices.Clone(roots), "pid", ref, "--json")...)
		if code != 0 {
			t.Fatalf("pid %s --json: exit %d, %s", ref, code, errOut)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	for _, tc := range []struct {
		name    string
		args    []string
		docs    []string // the arguments whose documents the array holds
		code    int
		stderr  string
		stdout0 string // the whole output, when it is checked as text
	}{
		{"one", []string{"web"}, []string{"web"}, 0, "", ""},
		{"names, an id prefix and a pid, in order", []string{"api", "f83b8fa7", "5210"}, []string{"api", "f83b8fa7", "5210"}, 0, "", ""},
		{"an unknown one among others", []string{"web", "nosuch", "c1"}, []string{"web", "c1"}, 1, "nsinspect: no such container: nosuch\n", ""},
		{"every one unknown", []string{"nosuch", "99999999", "a b"}, nil, 1,
			"nsinspect: no such container: nosuch\nnsinspect: pid 99999999: no such process\nnsinspect: invalid pid \"a b\": want a positive number, \"self\", or a container name or id\n", "[]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, append(append(slices.Clone(roots), "inspect"), tc.args...)...)
			if code != tc.code || errOut != tc.stderr {
				t.Errorf("inspect %q: exit %d, stderr %q; want %d, %q", tc.args, code, errOut, tc.code, tc.stderr)
			}
			if tc.stdout0 != "" && out != tc.stdout0 {
				t.Errorf("inspect %q printed %q, want %q", tc.args, out, tc.stdout0)
			}
			var docs []map[string]any
			if err := json.Unmarshal([]byte(out), &docs); err != nil {
				t.Fatalf("inspect %q: not a JSON array: %v\n%s", tc.args, err, out)
			}
			if len(docs) != len(tc.docs) {
				t.Fatalf("inspect %q: %d documents, want %d", tc.args, len(docs), len(tc.docs))
			}
			for i, ref := range tc.docs {
				if want := pidDoc(ref); !reflect.DeepEqual(docs[i], want) {
					t.Errorf("inspect %q: document %d is not what pid %s --json prints (pid %v, want %v)", tc.args, i, ref, docs[i]["pid"], want["pid"])
				}
			}
		})
	}
	// No argument is a usage error.
	if code, out, errOut := run(t, append(slices.Clone(roots), "inspect")...); code != exitUsage || out != "" || errOut != "nsinspect: requires at least 1 arg(s), only received 0\n" {
		t.Errorf("inspect without arguments: exit %d, stdout %q, stderr %q; want 2 and a usage error", code, out, errOut)
	}
}

// inspect -f runs a template over each document, as docker inspect -f;
// a bad one is a usage error before anything is read.
func TestInspectFormat(t *testing.T) {
	roots := nodeArgs(t, "node-v2")
	for _, tc := range []struct {
		args         []string
		code         int
		stdout, errs string
	}{
		{[]string{"inspect", "-f", "{{.PID}} {{.Runtime.Name}}", "web", "api"}, 0, "4010 docker\n5010 podman\n", ""},
		{[]string{"inspect", "--format", "json", "web"}, 0, "", ""},
		{[]string{"inspect", "-f", "{{.State.Pid}}", "web"}, 2, "", "nsinspect: unknown field .State in --format; pid fields: .Capabilities .Cgroup .Errors .Findings .Host .InContainer .Isolated .Kernel .Namespaces .PID .Process .Reference .ReferenceProcess .Rootfs .Runtime .SchemaVersion .Security .Shared .Signals .Target .Unreadable\n"},
		{[]string{"inspect", "-f", "table", "web"}, 2, "", "nsinspect: inspect prints JSON or a template, not table\n"},
	} {
		code, out, errOut := run(t, append(slices.Clone(roots), tc.args...)...)
		if code != tc.code || errOut != tc.errs || (tc.stdout != "" && out != tc.stdout) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out, errOut, tc.code, tc.stdout, tc.errs)
		}
		if tc.args[2] == "json" {
			var docs []map[string]any
			if err := json.Unmarshal([]byte(out), &docs); err != nil || len(docs) != 1 {
				t.Errorf("inspect --format json: %v, %d documents", err, len(docs))
			}
		}
	}
}
