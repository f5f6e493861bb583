package schema

import (
	"encoding"
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// object is one JSON Schema object, as it is marshalled.
type object = map[string]any

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

// reflector describes Go types by what encoding/json writes of them. Each
// named struct is described once, in defs, and referred to by $ref
// everywhere it is used: a type used in itself ends there.
type reflector struct {
	defs  map[string]object       // $defs: name → schema
	named map[reflect.Type]string // struct type → its name in defs
	owner map[string]reflect.Type // name in defs → its type, to catch two types of one name
	uses  map[string]int          // name in defs → the $refs to it
}

func newReflector() *reflector {
	return &reflector{defs: map[string]object{}, named: map[reflect.Type]string{}, owner: map[string]reflect.Type{}, uses: map[string]int{}}
}

// schemaOf is the schema of the JSON encoding/json writes for a value of
// type t. Pointers, slices and maps may be nil, which it writes as null.
func (r *reflector) schemaOf(t reflect.Type) (object, error) { return r.describe(t, true) }

// describe is schemaOf; with nilable false, it leaves null out at the top:
// what a field with omitempty writes, since a nil one is not written.
func (r *reflector) describe(t reflect.Type, nilable bool) (object, error) {
	// The order of encoding/json's newTypeEncoder: a nil pointer is null
	// before any method of what it points to is asked.
	if t.Kind() == reflect.Pointer {
		s, err := r.schemaOf(t.Elem())
		return orNull(s, nilable), err
	}
	if m, ok := marshalers[typeName(t)]; ok {
		if m.as != nil {
			return r.schemaOf(m.as)
		}
		return m.schema, nil
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return nil, fmt.Errorf("%s has its own MarshalJSON and no description of what it writes: add one to report/schema/marshalers.go", t)
	}
	if t.Implements(textMarshalerType) {
		return object{"type": "string"}, nil
	}
	if reflect.PointerTo(t).Implements(textMarshalerType) {
		// encoding/json calls a pointer method only on a value it can
		// address, so the same type is written two ways.
		return nil, fmt.Errorf("%s has MarshalText on its pointer only: describe it in report/schema/marshalers.go", t)
	}
	switch t.Kind() {
	case reflect.Bool:
		return object{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return object{"type": "integer"}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return object{"type": "integer", "minimum": 0}, nil
	case reflect.Float32, reflect.Float64:
		return object{"type": "number"}, nil
	case reflect.String:
		return object{"type": "string"}, nil
	case reflect.Slice:
		// A []byte is a base64 string, unless its element type marshals
		// itself (encoding/json's newSliceEncoder).
		if e := t.Elem(); e.Kind() == reflect.Uint8 && !reflect.PointerTo(e).Implements(marshalerType) && !reflect.PointerTo(e).Implements(textMarshalerType) {
			return orNull(object{"type": "string", "contentEncoding": "base64"}, nilable), nil
		}
		items, err := r.schemaOf(t.Elem())
		return orNull(object{"type": "array", "items": items}, nilable), err
	case reflect.Array:
		items, err := r.schemaOf(t.Elem())
		return object{"type": "array", "items": items, "minItems": t.Len(), "maxItems": t.Len()}, err
	case reflect.Map:
		switch k := t.Key(); k.Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		default:
			if !k.Implements(textMarshalerType) {
				return nil, fmt.Errorf("%s: encoding/json cannot write a map with %s keys", t, k)
			}
		}
		values, err := r.schemaOf(t.Elem())
		return orNull(object{"type": "object", "additionalProperties": values}, nilable), err
	case reflect.Struct:
		if t.Name() == "" {
			return r.structSchema(t)
		}
		return r.ref(t)
	case reflect.Interface:
		return nil, fmt.Errorf("%s is an interface: what it holds is known only when it is written", t)
	}
	return nil, fmt.Errorf("%s: encoding/json cannot write a %s", t, t.Kind())
}

// ref is a $ref to the named struct t, described in defs on first use.
func (r *reflector) ref(t reflect.Type) (object, error) {
	name, ok := r.named[t]
	if !ok {
		name = defName(t)
		if other, taken := r.owner[name]; taken {
			return nil, fmt.Errorf("%s and %s would both be $defs/%s", other, t, name)
		}
		r.named[t], r.owner[name] = name, t
		s, err := r.structSchema(t)
		if err != nil {
			return nil, err
		}
		r.defs[name] = s
	}
	r.uses[name]++
	return object{"$ref": "#/$defs/" + name}, nil
}

// structSchema is a JSON object with exactly the members encoding/json
// writes of t: a member the schema lacks fails validation. A member is
// required unless omitempty or omitzero may leave it out, or it comes
// from an embedded pointer, which leaves out all of its fields when nil.
func (r *reflector) structSchema(t reflect.Type) (object, error) {
	props := object{}
	required := []string{}
	for _, f := range jsonFields(t) {
		var s object
		var err error
		switch {
		case f.quoted:
			// ",string": the number, bool or string written inside a string.
			s = orNull(object{"type": "string"}, f.typ.Kind() == reflect.Pointer && !f.omitted())
		default:
			s, err = r.describe(f.typ, !f.omitted())
		}
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", t, f.goName, err)
		}
		props[f.name] = s
		if !f.omitEmpty && !f.omitZero && !f.viaPointer {
			required = append(required, f.name)
		}
	}
	return object{"type": "object", "properties": props, "required": required, "additionalProperties": false}, nil
}

// field is one member of a struct's JSON, found as encoding/json finds it.
type field struct {
	name, goName        string
	index               []int // through embedded structs; its length is the depth
	typ                 reflect.Type
	tagged              bool
	omitEmpty, omitZero bool
	quoted              bool
	viaPointer          bool // promoted through an embedded pointer
}

// omitted says whether a nil value of the field is left out rather than
// written as null: omitempty leaves out every nil pointer, slice and map,
// omitzero every nil one too, unless its type says by IsZero what zero is.
func (f field) omitted() bool {
	switch f.typ.Kind() {
	case reflect.Pointer:
		return f.omitEmpty || f.omitZero
	case reflect.Slice, reflect.Map:
		return f.omitEmpty || (f.omitZero && !f.typ.Implements(isZeroerType))
	}
	return false
}

// jsonFields lists the members encoding/json writes of struct t, in its
// order, by its rules (typeFields in encoding/json): exported fields and
// the fields of embedded structs, breadth first; a "-" tag leaves a field
// out; of several fields with one name the shallowest wins, at equal
// depth the one tagged with the name, and if that leaves more than one,
// none is written.
func jsonFields(t reflect.Type) []field {
	var fields []field
	next := []field{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, outer := range current {
			if visited[outer.typ] {
				continue
			}
			visited[outer.typ] = true
			for i := range outer.typ.NumField() {
				sf := outer.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					// An unexported embedded struct still lends its
					// exported fields.
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validName(name) {
					name = ""
				}
				options := strings.Split(opts, ",")
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				f := field{
					name: name, goName: sf.Name, index: append(slices.Clip(outer.index), i), typ: sf.Type, tagged: name != "",
					omitEmpty: slices.Contains(options, "omitempty"), omitZero: slices.Contains(options, "omitzero"),
					viaPointer: outer.viaPointer,
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					switch ft.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						f.quoted = slices.Contains(options, "string")
					}
					if f.name == "" {
						f.name = sf.Name
					}
					fields = append(fields, f)
					if count[outer.typ] > 1 {
						// The struct is embedded twice at this depth: its
						// fields clash with themselves and are dropped.
						fields = append(fields, f)
					}
					continue
				}
				// An embedded struct without a name: its fields, one level
				// deeper.
				nextCount[ft]++
				if nextCount[ft] == 1 {
					f.typ, f.viaPointer = ft, outer.viaPointer || sf.Type.Kind() == reflect.Pointer
					next = append(next, f)
				}
			}
		}
	}
	// Group by name, shallowest and tagged first, and keep each group's
	// winner.
	slices.SortStableFunc(fields, func(a, b field) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	var out []field
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if g := fields[i:j]; len(g) == 1 || len(g[0].index) < len(g[1].index) || g[0].tagged != g[1].tagged {
			out = append(out, g[0])
		}
		i = j
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return out
}

// validName is encoding/json's isValidTag: a name of letters, digits and
// some punctuation, which encoding/json otherwise ignores.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

// orNull is s, or s or null when nilable.
func orNull(s object, nilable bool) object {
	if !nilable || s == nil || s["type"] == "null" {
		return s
	}
	out := object{}
	for k, v := range s {
		out[k] = v
	}
	switch typ := s["type"].(type) {
	case string:
		out["type"] = []string{typ, "null"}
	case []string:
		if !slices.Contains(typ, "null") {
			out["type"] = append(slices.Clip(typ), "null")
		}
	default:
		// a $ref, which has no type of its own
		return object{"anyOf": []any{s, object{"type": "null"}}}
	}
	return out
}

// typeName is a named type's package path and name, "time.Time"; ""
// for a type without a name.
func typeName(t reflect.Type) string {
	if t.Name() == "" {
		return ""
	}
	return t.PkgPath() + "." + t.Name()
}

// defName is t's name in $defs: its package's name and its own,
// "facts.Namespace", with anything a URI fragment would need escaped (a
// generic type's brackets) made "_".
func defName(t reflect.Type) string {
	return strings.Map(func(c rune) rune {
		if c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c) || c == '.' || c == '_' || c == '-') {
			return c
		}
		return '_'
	}, path.Base(t.PkgPath())+"."+t.Name())
}
