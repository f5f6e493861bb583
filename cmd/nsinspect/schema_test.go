package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nsinspect/nsinspect/report"
	"github.com/nsinspect/nsinspect/report/schema"
)

func TestSchemaCommand(t *testing.T) {
	pid, err := schema.For("pid")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"schema", "pid"}, exitOK, string(pid), ""},
		{[]string{"schema", "nope"}, exitUsage, "", `nsinspect: unknown schema "nope": want one of ` + strings.Join(schema.Names(), ", ") + "\n"},
		{[]string{"schema"}, exitUsage, "", "nsinspect: accepts 1 arg(s), received 0\n"},
		{[]string{"schema", "pid", "ps"}, exitUsage, "", "nsinspect: accepts 1 arg(s), received 2\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != tc.code || out != tc.out || errOut != tc.errs {
				t.Errorf("exit %d, stderr %q, %d bytes out; want exit %d, stderr %q, %d bytes", code, errOut, len(out), tc.code, tc.errs, len(tc.out))
			}
		})
	}
	// Completion offers the names.
	_, out, _ := run(t, "__complete", "schema", "")
	for _, name := range schema.Names() {
		if !slices.Contains(strings.Split(out, "\n"), name) {
			t.Errorf("completion of schema lacks %s:\n%s", name, out)
		}
	}
}

// schemaValidator compiles each output's schema once, as draft 2020-12 with
// formats asserted, and counts the documents it validates.
type schemaValidator struct {
	t       *testing.T
	schemas map[string]*jsonschema.Schema
	counts  map[string]int
}

func newSchemaValidator(t *testing.T) *schemaValidator {
	v := &schemaValidator{t: t, schemas: map[string]*jsonschema.Schema{}, counts: map[string]int{}}
	for _, name := range []string{"pid", "inspect", "ps", "stats", "audit"} {
		b, err := schema.For(name)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(name+".json", doc); err != nil {
			t.Fatal(err)
		}
		if v.schemas[name], err = c.Compile(name + ".json"); err != nil {
			t.Fatalf("schema %s: %v", name, err)
		}
	}
	return v
}

// check runs nsinspect with args and validates what it prints against the
// schema of name, each line on its own for stats's NDJSON.
func (v *schemaValidator) check(name string, args ...string) {
	v.t.Helper()
	code, out, errOut := run(v.t, args...)
	// audit exits 1 when a container it listed left before it was read
	// (other tests' containers come and go): what it read is printed.
	if code != exitOK && !(name == "audit" && code == exitRuntime) {
		v.t.Errorf("%q: exit %d: %s", args, code, errOut)
		return
	}
	docs := []string{out}
	if name == "stats" {
		docs = slices.Collect(strings.Lines(out))
	}
	for i, d := range docs {
		v.validate(name, strings.Join(args, " ")+" #"+strconv.Itoa(i), d)
	}
}

func (v *schemaValidator) validate(name, what, doc string) {
	v.t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err == nil {
		err = v.schemas[name].Validate(inst)
	}
	if err != nil {
		v.t.Errorf("%s: output fails the %s schema: %v\n%s", what, name, err, doc)
	}
	v.counts[name]++
}

// What the commands print over the fixture trees the other tests use is
// what their schemas describe.
func TestSchemaMatchesFixtureOutputs(t *testing.T) {
	v := newSchemaValidator(t)
	for _, fx := range fixtures {
		v.check("pid", fixtureArgs(fx.name, fx.pid, "--json")...)
		args := fixtureArgs(fx.name, fx.pid)
		v.check("inspect", append(args[:len(args)-2], "inspect", strconv.Itoa(fx.pid))...)
	}
	for _, node := range []string{"node-v1", "node-v2"} {
		v.check("ps", nodeArgs(t, node, "ps", "--json")...)
		v.check("ps", nodeArgs(t, node, "ps", "--all", "--json")...)
		v.check("stats", nodeArgs(t, node, "stats", "--no-stream", "--json", "--interval", "10ms")...)
		v.check("audit", nodeArgs(t, node, "audit", "--json", "--window", "0")...)
		v.check("audit", nodeArgs(t, node, "audit", "--json", "--window", "10ms")...)
	}
	// Two trees a second apart: the rates are numbers, not null.
	for i, r := range nodeStats(t) {
		var b bytes.Buffer
		if err := report.WriteJSONLine(&b, r); err != nil {
			t.Fatal(err)
		}
		v.validate("stats", "node-v2 sampled twice #"+strconv.Itoa(i), b.String())
	}
	for name, least := range map[string]int{"pid": 7, "inspect": 7, "ps": 4, "stats": 20, "audit": 4} {
		if v.counts[name] < least {
			t.Errorf("validated %d %s documents, want at least %d", v.counts[name], name, least)
		}
	}
	t.Logf("validated %v", v.counts)
}

// And on this host, live.
func TestSchemaMatchesLiveOutputs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live schema test skipped: pid 1 and other users' processes need root; run `go test ./...` as root")
	}
	if _, err := os.Stat(filepath.Join("/proc", "1", "ns")); err != nil {
		t.Skipf("no live /proc: %v", err)
	}
	v := newSchemaValidator(t)
	v.check("pid", "pid", "self", "--json")
	v.check("pid", "pid", "1", "--json")
	v.check("inspect", "inspect", "self", "1")
	v.check("ps", "ps", "--json")
	v.check("ps", "ps", "--all", "--json")
	v.check("stats", "stats", "--no-stream", "--json")
	v.check("audit", "audit", "--json", "--window", "100ms")
	t.Logf("validated %v", v.counts)
}
