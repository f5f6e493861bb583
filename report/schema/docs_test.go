package schema

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docs/json.md and the schemas name the same fields, both ways: a field
// the output has but the reference does not explain, or one the reference
// explains but the output lacks, fails.
func TestDocsNameEverySchemaField(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "json.md"))
	if err != nil {
		t.Fatal(err)
	}
	documented := docFields(string(b))
	for _, name := range []string{"pid", "ps", "stats", "audit"} {
		t.Run(name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(must(For(name)), &doc); err != nil {
				t.Fatal(err)
			}
			defined := map[string]bool{}
			schemaFields(doc, doc, "", defined, nil)
			if len(defined) < 10 || len(documented[name]) < 10 {
				t.Fatalf("%d fields in the schema, %d in docs/json.md: is the reference still laid out in sections and tables?", len(defined), len(documented[name]))
			}
			for _, f := range slices.Sorted(maps.Keys(defined)) {
				if !documented[name][f] {
					t.Errorf("%s: .%s is in the schema but not in docs/json.md's tables", name, f)
				}
			}
			for _, f := range slices.Sorted(maps.Keys(documented[name])) {
				if !defined[f] {
					t.Errorf("%s: docs/json.md names .%s, which the schema does not have", name, f)
				}
			}
		})
	}
}

// schemaFields adds the member paths of schema s to out, "cgroup.memory.limitBytes",
// through $refs, array items (paths[].dir is paths.dir) and map values
// (evidence.<field>.file is evidence.file).
func schemaFields(root, s map[string]any, path string, out map[string]bool, seen []string) {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		if slices.Contains(seen, name) {
			return // a type within itself: its fields are already listed
		}
		def, _ := root["$defs"].(map[string]any)[name].(map[string]any)
		schemaFields(root, def, path, out, append(seen, name))
	}
	if alts, ok := s["anyOf"].([]any); ok {
		for _, a := range alts {
			schemaFields(root, a.(map[string]any), path, out, seen)
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			p := strings.TrimPrefix(path+"."+k, ".")
			out[p] = true
			schemaFields(root, v.(map[string]any), p, out, seen)
		}
	}
	for _, kw := range []string{"items", "additionalProperties"} {
		if sub, ok := s[kw].(map[string]any); ok {
			schemaFields(root, sub, path, out, seen)
		}
	}
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	fieldName  = regexp.MustCompile(`^\.?[A-Za-z0-9_.\[\]]+$`)
	braceList  = regexp.MustCompile(`^\[?\{([A-Za-z0-9_\[\], ]+)\}\]?$`)
)

// docFields reads the field paths docs/json.md's tables name, by the
// output its top-level section is about: the first section is pid's
// document, the others name their command ("# `nsinspect ps --json`").
// Below a heading that names a path ("## `.process`", "### `.cgroup.memory`")
// a table's first column names fields relative to it, as `a`, `b`;
// elsewhere as paths (`.pid`, `.[].memory.limitBytes`). A list in braces
// in the same row, `{file, raw}` or `[{inside, outside, length}]`, names
// the members of each element or value of those fields. A path's parents
// count as named.
func docFields(md string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var fields map[string]bool
	prefix, code := "", false
	for line := range strings.Lines(md) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "```"):
			code = !code
		case code:
		case strings.HasPrefix(line, "# "):
			name := "pid"
			if fields != nil {
				name = "(prose)"
				if m := backticked.FindStringSubmatch(line); m != nil {
					name = strings.Fields(strings.TrimPrefix(m[1], "nsinspect "))[0]
				}
			}
			fields = map[string]bool{}
			out[name], prefix = fields, ""
		case strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### "):
			prefix = ""
			if m := backticked.FindStringSubmatch(line); m != nil && strings.HasPrefix(m[1], ".") {
				prefix = m[1]
			}
		case strings.HasPrefix(line, "|") && fields != nil:
			cells := strings.Split(strings.ReplaceAll(line, `\|`, "/"), "|")
			if len(cells) < 3 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") {
				continue
			}
			var members []string
			for _, c := range cells[2:] {
				for _, m := range backticked.FindAllStringSubmatch(c, -1) {
					if l := braceList.FindStringSubmatch(m[1]); l != nil {
						members = append(members, strings.Split(l[1], ",")...)
					}
				}
			}
			for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
				if !fieldName.MatchString(m[1]) {
					continue
				}
				f := fieldPath(prefix, m[1])
				addPath(fields, f)
				for _, sub := range members {
					addPath(fields, fieldPath(f, strings.TrimSpace(sub)))
				}
			}
		}
	}
	return out
}

// fieldPath joins a heading's path and a name as the schema's paths are
// written: no leading dot, no [].
func fieldPath(prefix, name string) string {
	var parts []string
	for _, p := range strings.Split(strings.ReplaceAll(prefix+"."+name, "[]", ""), ".") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// addPath adds path and its parents.
func addPath(fields map[string]bool, path string) {
	for p := path; p != ""; {
		fields[p] = true
		i := strings.LastIndex(p, ".")
		if i < 0 {
			break
		}
		p = p[:i]
	}
}
