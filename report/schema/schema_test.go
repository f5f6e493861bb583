package schema

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/nsinspect/nsinspect/inspect/facts"
	"github.com/nsinspect/nsinspect/report"
)

// compile compiles the schema of name as a validator would, with formats
// asserted (date-time is checked, not only noted). Draft 4 is the default
// for a document without "$schema", so a schema that lost it fails the
// draft check rather than passing as the latest draft.
func compile(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	b, err := For(name)
	if err != nil {
		t.Fatal(err)
	}
	return compileBytes(t, name, b)
}

func compileBytes(t *testing.T, name string, b []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("schema %s is not JSON: %v", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	url := "https://github.com/nsinspect/nsinspect/schema/" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("schema %s does not compile: %v", name, err)
	}
	return sch
}

// validate checks one JSON document (text) against sch.
func validate(sch *jsonschema.Schema, text string) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

func TestSchemasCompileAsDraft2020(t *testing.T) {
	want := map[string]struct{ title, root string }{
		"pid":     {"nsinspect pid PID --json", "object"},
		"inspect": {"nsinspect inspect NAME|ID|PID...", "array"},
		"ps":      {"nsinspect ps --json", "array"},
		"stats":   {"nsinspect stats --json", "object"},
	}
	for name := range want {
		if !slices.Contains(Names(), name) {
			t.Errorf("Names() = %q, without %s", Names(), name)
		}
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			sch := compile(t, name)
			if sch.DraftVersion != 2020 {
				t.Errorf("compiled as draft %d, want 2020", sch.DraftVersion)
			}
			b, _ := For(name)
			var doc map[string]any
			if err := json.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("$schema %v", doc["$schema"])
			}
			if doc["$id"] != "https://github.com/nsinspect/nsinspect/schema/"+name+".json" {
				t.Errorf("$id %v", doc["$id"])
			}
			if doc["title"] != w.title {
				t.Errorf("title %v, want %q", doc["title"], w.title)
			}
			if typ, _ := json.Marshal(doc["type"]); !strings.Contains(string(typ), `"`+w.root+`"`) {
				t.Errorf("type %s, want %s", typ, w.root)
			}
		})
	}
	if d := string(must(For("stats"))); !strings.Contains(d, "NDJSON") || !strings.Contains(d, "line by line") {
		t.Error("the stats schema does not say it describes one NDJSON line")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// The compiler checks a schema against the 2020-12 meta-schema: a broken
// one does not compile, so the test above can fail.
func TestCompilerRejectsABadSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	doc, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "integr"}`))
	if err := c.AddResource("bad.json", doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile("bad.json"); err == nil {
		t.Error(`a schema with "type": "integr" compiled`)
	}
}

func TestForUnknownNameListsTheNames(t *testing.T) {
	_, err := For("audits")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown schema "audits": want one of audit, inspect, pid, ps, stats`) {
		t.Errorf("For(audits): %v", err)
	}
}

type Extra struct {
	Promoted string `json:"promoted"`
	Depth    int    `json:"shadowed"`
}

type Inner struct {
	A int `json:"a"`
}

type clashA struct{ X int }
type clashB struct{ X int }

// sample has a field of each kind encoding/json treats its own way.
type sample struct {
	Int        int     `json:"int"`
	Uint       uint32  `json:"uint"`
	Float      float64 `json:"float"`
	Bool       bool    `json:"bool"`
	Untagged   string
	Ptr        *uint64              `json:"ptr"`
	Slice      []string             `json:"slice"`
	OmitSlice  []string             `json:"omitSlice,omitempty"`
	OmitPtr    *int                 `json:"omitPtr,omitempty"`
	ZeroSlice  []int                `json:"zeroSlice,omitzero"`
	Time       time.Time            `json:"time"`
	Started    time.Time            `json:"started,omitzero"`
	Map        map[string]Inner     `json:"map"`
	IntKeys    map[int]bool         `json:"intKeys"`
	Bytes      []byte               `json:"bytes"`
	Pair       [2]int               `json:"pair"`
	Quoted     int64                `json:"quoted,string"`
	QuotedPtr  *bool                `json:"quotedPtr,string"`
	Skipped    string               `json:"-"`
	Dash       string               `json:"-,"`
	BadTag     int                  `json:"a\"b"` // not a valid name: the Go name
	unexported int                  // left out, as encoding/json does
	Caps       facts.CapSet         `json:"caps"`
	Sigs       *facts.SigSet        `json:"sigs"`
	View       report.ContainerView `json:"view"`
	Self       *sample              `json:"self"`
	Inline     struct {
		B string `json:"b"`
	} `json:"inline"`
	Shadowed string `json:"shadowed"`
	*Extra
	clashA
	clashB
}

func TestReflectFollowsEncodingJSON(t *testing.T) {
	b, err := Generate("sample", Output{Title: "sample", Value: sample{}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Ref  string `json:"$ref"`
		Defs map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
			Additional *bool                      `json:"additionalProperties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	// sample refers to itself (Self): it stays in $defs, the root a $ref.
	s, ok := doc.Defs["schema.sample"]
	if doc.Ref != "#/$defs/schema.sample" || !ok {
		t.Fatalf("root $ref %q, $defs %v", doc.Ref, doc.Defs)
	}
	for _, tc := range []struct{ field, want string }{
		{"int", `{"type":"integer"}`},
		{"uint", `{"minimum":0,"type":"integer"}`},
		{"float", `{"type":"number"}`},
		{"bool", `{"type":"boolean"}`},
		{"Untagged", `{"type":"string"}`},
		{"ptr", `{"minimum":0,"type":["integer","null"]}`},
		{"slice", `{"items":{"type":"string"},"type":["array","null"]}`},
		{"omitSlice", `{"items":{"type":"string"},"type":"array"}`},  // omitempty: a nil one is left out, never null
		{"omitPtr", `{"type":"integer"}`},                            //
		{"zeroSlice", `{"items":{"type":"integer"},"type":"array"}`}, // omitzero leaves out nil
		{"time", `{"format":"date-time","type":"string"}`},           // time.Time's MarshalJSON
		{"started", `{"format":"date-time","type":"string"}`},
		{"map", `{"additionalProperties":{"$ref":"#/$defs/schema.Inner"},"type":["object","null"]}`},
		{"intKeys", `{"additionalProperties":{"type":"boolean"},"type":["object","null"]}`},
		{"bytes", `{"contentEncoding":"base64","type":["string","null"]}`},
		{"pair", `{"items":{"type":"integer"},"maxItems":2,"minItems":2,"type":"array"}`},
		{"quoted", `{"type":"string"}`},
		{"quotedPtr", `{"type":["string","null"]}`},
		{"-", `{"type":"string"}`},
		{"BadTag", `{"type":"integer"}`},
		{"caps", `{"items":{"pattern":"^CAP_[A-Z0-9_]+$","type":"string"},"type":"array"}`},
		{"sigs", `{"items":{"pattern":"^SIG[A-Z0-9+]+$","type":"string"},"type":["array","null"]}`},
		{"view", `{"$ref":"#/$defs/report.ContainerRow"}`}, // ContainerView writes its row
		{"self", `{"anyOf":[{"$ref":"#/$defs/schema.sample"},{"type":"null"}]}`},
		{"inline", `{"additionalProperties":false,"properties":{"b":{"type":"string"}},"required":["b"],"type":"object"}`},
		{"shadowed", `{"type":"string"}`}, // the shallower field wins over Extra's
		{"promoted", `{"type":"string"}`}, // from the embedded *Extra
	} {
		t.Run(tc.field, func(t *testing.T) {
			if got := compact(s.Properties[tc.field]); got != tc.want {
				t.Errorf("%s: got %s, want %s", tc.field, got, tc.want)
			}
		})
	}
	for _, absent := range []string{"Skipped", "unexported", "X", "clashA", "clashB", "Extra", "Depth"} {
		if _, ok := s.Properties[absent]; ok {
			t.Errorf("%s is in the schema; encoding/json leaves it out", absent)
		}
	}
	if len(s.Properties) != 27 {
		t.Errorf("%d properties, want 27", len(s.Properties))
	}
	// Required: all but omitempty, omitzero and what *Extra lends, in
	// the struct's order.
	want := []string{"int", "uint", "float", "bool", "Untagged", "ptr", "slice", "time", "map", "intKeys", "bytes", "pair",
		"quoted", "quotedPtr", "-", "BadTag", "caps", "sigs", "view", "self", "inline", "shadowed"}
	if !slices.Equal(s.Required, want) {
		t.Errorf("required %q,\nwant     %q", s.Required, want)
	}
	if s.Additional == nil || *s.Additional {
		t.Error("additionalProperties is not false")
	}

	// And what encoding/json writes of a sample, empty or full, is valid.
	sch := compileBytes(t, "sample", b)
	one := uint64(1)
	full := sample{Ptr: &one, Slice: []string{"a"}, OmitSlice: []string{"b"}, Map: map[string]Inner{"k": {1}}, Bytes: []byte("x"),
		Started: time.Now(), Caps: facts.NewCapSet(40, "CAP_CHOWN", "CAP_SYS_ADMIN"), Sigs: new(facts.SigSet(1<<14 | 1<<40)),
		Self: &sample{}, Extra: &Extra{Promoted: "p"}, View: report.ContainerView{ID: "short"}}
	for name, v := range map[string]sample{"empty": {}, "full": full} {
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(sch, string(out)); err != nil {
			t.Errorf("encoding/json's %s sample fails its schema: %v\n%s", name, err, out)
		}
	}
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "(missing)"
	}
	return b.String()
}
