package schema

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// goldenDir holds the outputs cmd/nsinspect's golden tests compare with.
var goldenDir = filepath.Join("..", "..", "cmd", "nsinspect", "testdata", "golden")

// The ps goldens hold a placeholder for the wall-clock uptime (a string
// where the output has a number): put a number back.
var uptimePlaceholder = regexp.MustCompile(`"uptimeSeconds": "\(wall clock\)"`)

// goldenDocuments are the JSON documents of the golden files, by the
// schema each is an output of: pid's (<fixture>-<pid>.json), ps's
// (ps-*.json) and the lines of stats's NDJSON (*.ndjson).
func goldenDocuments(t *testing.T) map[string][]string {
	t.Helper()
	docs := map[string][]string{}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden JSON in %s: %v", goldenDir, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		switch {
		case strings.HasSuffix(base, ".ndjson") && strings.HasPrefix(base, "stats-"):
			for line := range strings.Lines(string(b)) {
				docs["stats"] = append(docs["stats"], line)
			}
		case strings.HasPrefix(base, "ps-"):
			docs["ps"] = append(docs["ps"], uptimePlaceholder.ReplaceAllString(string(b), `"uptimeSeconds": 0`))
		case strings.HasSuffix(base, ".json"):
			docs["pid"] = append(docs["pid"], string(b))
		default:
			t.Fatalf("%s: which command's output is it?", f)
		}
	}
	return docs
}

func TestGoldenOutputsValidate(t *testing.T) {
	docs := goldenDocuments(t)
	// The goldens at the time of writing: 7 pid documents, 2 ps arrays, 13
	// stats lines. Fewer means the files moved.
	for name, least := range map[string]int{"pid": 7, "ps": 2, "stats": 13} {
		if len(docs[name]) < least {
			t.Errorf("%d golden %s documents, want at least %d", len(docs[name]), name, least)
		}
	}
	for name, list := range docs {
		sch := compile(t, name)
		for i, d := range list {
			if err := validate(sch, d); err != nil {
				t.Errorf("golden %s document %d fails the schema: %v", name, i, err)
			}
		}
		t.Logf("%s: %d golden documents valid", name, len(list))
	}
}

// A document the schema does not describe fails: a wrong type, an unknown
// member, a missing one, a null where there is none, a bad format.
func TestWrongDocumentsFail(t *testing.T) {
	pid, err := os.ReadFile(filepath.Join(goldenDir, "v1-docker-4242.json"))
	if err != nil {
		t.Fatal(err)
	}
	stats, err := os.ReadFile(filepath.Join(goldenDir, "stats-node-v2.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	ps, err := os.ReadFile(filepath.Join(goldenDir, "ps-node-v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	firstStats, _, _ := strings.Cut(string(stats), "\n")
	psDoc := uptimePlaceholder.ReplaceAllString(string(ps), `"uptimeSeconds": 0`)
	for _, tc := range []struct {
		name, schema, doc string
		change            func(doc any)
		at                string // where the validator says it is wrong
		want              string // in its message; "" for a valid document
	}{
		{"unchanged", "pid", string(pid), func(any) {}, "", ""},
		{"no memory limit is null", "pid", string(pid), set("cgroup.memory.limitBytes", nil), "", ""},
		{"pid as a string", "pid", string(pid), set("pid", "4242"), "/pid", "got string, want integer"},
		{"unknown member", "pid", string(pid), set("bogus", 1.0), "", "additional properties 'bogus' not allowed"},
		{"unknown member deep down", "pid", string(pid), set("cgroup.memory.limitByte", 1.0), "/cgroup/memory", "additional properties 'limitByte' not allowed"},
		{"magic -1 for no limit", "pid", string(pid), set("cgroup.memory.limitBytes", -1.0), "/cgroup/memory/limitBytes", "minimum"},
		{"max for no limit", "pid", string(pid), set("cgroup.pids.max", "max"), "/cgroup/pids/max", "got string, want null or integer"},
		{"no schemaVersion", "pid", string(pid), del("schemaVersion"), "", "missing property 'schemaVersion'"},
		{"null schemaVersion", "pid", string(pid), set("schemaVersion", nil), "/schemaVersion", "got null, want integer"},
		{"a date that is not RFC 3339", "pid", string(pid), set("process.startTime", "yesterday"), "/process/startTime", "date-time"},
		{"a capability by its number", "pid", string(pid), set("capabilities.effective", []any{"0"}), "/capabilities/effective/0", "does not match pattern"},
		{"a namespace with more", "pid", string(pid), setFirst("namespaces", "extra", true), "/namespaces/0", "additional properties 'extra' not allowed"},
		{"stats CPU as words", "stats", firstStats, set("cpuPercent", "high"), "/cpuPercent", "got string, want null or number"},
		{"stats without time", "stats", firstStats, del("time"), "", "missing property 'time'"},
		{"ps limit in words", "ps", psDoc, setFirst("", "memory", map[string]any{"limitBytes": "1g"}), "/0/memory/limitBytes", "got string, want null or integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal([]byte(tc.doc), &doc); err != nil {
				t.Fatal(err)
			}
			tc.change(doc)
			b, _ := json.Marshal(doc)
			err := validate(compile(t, tc.schema), string(b))
			if tc.want == "" {
				if err != nil {
					t.Errorf("valid document fails: %v", err)
				}
				return
			}
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("validated (%v), want a failure at %q", err, tc.at)
			}
			leaves := leafErrors(ve)
			if !slices.ContainsFunc(leaves, func(l string) bool { return strings.HasPrefix(l, tc.at+": ") && strings.Contains(l, tc.want) }) {
				t.Errorf("failures %q, want one at %q saying %q", leaves, tc.at, tc.want)
			}
		})
	}
}

// leafErrors are the innermost failures of e, each "location: message".
func leafErrors(e *jsonschema.ValidationError) []string {
	if len(e.Causes) == 0 {
		loc := ""
		for _, p := range e.InstanceLocation {
			loc += "/" + p
		}
		return []string{loc + ": " + e.Error()}
	}
	var out []string
	for _, c := range e.Causes {
		out = append(out, leafErrors(c)...)
	}
	return out
}

// set returns a change that sets the member at a dotted path.
func set(path string, v any) func(any) {
	return func(doc any) {
		keys := strings.Split(path, ".")
		m := doc.(map[string]any)
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = v
	}
}

// del returns a change that deletes a top-level member.
func del(key string) func(any) {
	return func(doc any) { delete(doc.(map[string]any), key) }
}

// setFirst sets key of the first element of the array at member list
// ("" for the document itself).
func setFirst(list, key string, v any) func(any) {
	return func(doc any) {
		a := doc
		if list != "" {
			a = doc.(map[string]any)[list]
		}
		a.([]any)[0].(map[string]any)[key] = v
	}
}
