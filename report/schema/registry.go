package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/nsinspect/nsinspect/report"
)

// Output is what one command prints as JSON: a value of the Go type it
// hands to encoding/json, and the words of its schema's title and
// description.
type Output struct {
	Title       string // the command line, "nsinspect pid PID --json"
	Description string
	Value       any
}

// nullNote says what a null in the output means, for every description.
const nullNote = " Every Go pointer, slice and map behind it may be nil, written as null, which in nsinspect means unknown (not read, or not readable) or, for a limit, unlimited (docs/json.md)."

// outputs are the commands' JSON outputs by the name `nsinspect schema`
// takes. A command with a JSON output adds its line here.
var outputs = map[string]Output{
	"pid": {
		Title:       "nsinspect pid PID --json",
		Description: "The document nsinspect pid prints with --json, -o json or --format json (schemaVersion 1)." + nullNote,
		Value:       report.Inspection{},
	},
	// inspect prints a non-nil []*report.Inspection without nil entries:
	// the same JSON as a []report.Inspection.
	"inspect": {
		Title:       "nsinspect inspect NAME|ID|PID...",
		Description: "One array of the documents nsinspect pid --json prints, one per argument in the order given." + nullNote,
		Value:       []report.Inspection{},
	},
	"ps": {
		Title:       "nsinspect ps --json",
		Description: "One array, one object per container, sorted by runtime and name." + nullNote,
		Value:       []report.ContainerRow{},
	},
	"audit": {
		Title:       "nsinspect audit --json",
		Description: "One array of findings, one object per rule a container triggered, grouped by container and worst first (docs/rules.md)." + nullNote,
		Value:       []report.AuditFinding{},
	},
	"stats": {
		Title: "nsinspect stats --json",
		Description: "One line of nsinspect stats --json, which prints NDJSON: one object per container per sample, one per line. " +
			"This schema describes each line, not the stream: validate line by line." + nullNote,
		Value: report.StatsRow{},
	},
}

// ErrUnknown is the error of a name no command's output is registered by.
var ErrUnknown = errors.New("unknown schema")

// Register adds the JSON output of a command, from an init function; it
// panics when the name is taken.
func Register(name string, o Output) {
	if _, taken := outputs[name]; taken {
		panic("schema: " + name + " is registered twice")
	}
	outputs[name] = o
}

// Names lists the registered outputs, sorted.
func Names() []string { return slices.Sorted(maps.Keys(outputs)) }

// For is the schema of the output registered as name, as indented JSON.
func For(name string) ([]byte, error) {
	o, ok := outputs[name]
	if !ok {
		return nil, fmt.Errorf("%w %q: want one of %s", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return Generate(name, o)
}

// Draft is the JSON Schema dialect of every document.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Generate is the JSON Schema document of o's value's type, with the $id
// of name.
func Generate(name string, o Output) ([]byte, error) {
	t := reflect.TypeOf(o.Value)
	if t == nil {
		return nil, fmt.Errorf("schema %s: no value to describe", name)
	}
	r := newReflector()
	root, err := r.schemaOf(t)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	doc := object{
		"$schema":     Draft,
		"$id":         "https://github.com/nsinspect/nsinspect/schema/" + name + ".json",
		"title":       o.Title,
		"description": o.Description,
	}
	// A struct used nowhere else is written at the top, where jq
	// '.properties' finds it, rather than in $defs.
	if ref, ok := root["$ref"].(string); ok {
		if name := strings.TrimPrefix(ref, "#/$defs/"); r.uses[name] == 1 {
			root = r.defs[name]
			delete(r.defs, name)
		}
	}
	maps.Copy(doc, root)
	if len(r.defs) > 0 {
		doc["$defs"] = r.defs
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return append(b, '\n'), nil
}
