package report

import (
	"reflect"
)

// sanitize returns v with every string in it escaped (Escape): struct
// fields, slice and array elements, map keys and values, values behind
// pointers and interfaces, named string types kept as their type. A
// --format template runs over this copy, so the values it prints are
// escaped while the template's own text, tabs and newlines are not — no
// field needs its own rule, and a field added later is covered too.
//
// v itself comes back when it holds nothing to escape, the common case,
// without copying. Otherwise the copy shares nothing with v but values
// without strings. Unexported fields cannot be set one by one through
// reflection: a struct whose unexported fields hold nothing to escape is
// copied whole first (time.Time, a row's private flags), and one whose
// unexported fields do hold such a string starts from zero, so that no
// method can hand a template the raw value.
func sanitize[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	var check sanitizer
	if check.clean(rv) {
		return v
	}
	var s sanitizer
	return s.copy(rv).Interface().(T)
}

type ptrKey struct {
	addr uintptr
	typ  reflect.Type
}

// sanitizer remembers the pointers it has been through, so that shared
// values stay shared in the copy and a cycle ends. Pointers to a string or
// a number cannot be part of a cycle and are not remembered: a stats row
// is two dozen of them, checked every second.
type sanitizer struct {
	seen   map[ptrKey]bool
	copies map[ptrKey]reflect.Value
}

func scalar(k reflect.Kind) bool {
	return k == reflect.String || k == reflect.Bool || (k >= reflect.Int && k <= reflect.Complex128)
}

// clean reports whether v holds no string that Escape would change. It
// reads unexported fields too (reading them through reflection is
// allowed; only setting is not).
func (s *sanitizer) clean(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return firstEscape(v.String(), false) < 0
	case reflect.Pointer:
		if v.IsNil() {
			return true
		}
		if scalar(v.Type().Elem().Kind()) {
			return s.clean(v.Elem())
		}
		k := ptrKey{v.Pointer(), v.Type()}
		if s.seen[k] {
			return true // being checked further up
		}
		if s.seen == nil {
			s.seen = map[ptrKey]bool{}
		}
		s.seen[k] = true
		return s.clean(v.Elem())
	case reflect.Interface:
		return v.IsNil() || s.clean(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if !s.clean(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if !s.clean(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if !s.clean(it.Key()) || !s.clean(it.Value()) {
				return false
			}
		}
	}
	return true
}

// copy returns an escaped deep copy of v, which must not have been read
// through an unexported field.
func (s *sanitizer) copy(v reflect.Value) reflect.Value {
	t := v.Type()
	switch v.Kind() {
	case reflect.String:
		out := reflect.New(t).Elem()
		out.SetString(Escape(v.String()))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		k := ptrKey{v.Pointer(), t}
		if p, ok := s.copies[k]; ok {
			return p
		}
		p := reflect.New(t.Elem())
		if !scalar(t.Elem().Kind()) {
			if s.copies == nil {
				s.copies = map[ptrKey]reflect.Value{}
			}
			s.copies[k] = p
		}
		p.Elem().Set(s.copy(v.Elem()))
		return p
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t).Elem()
		out.Set(s.copy(v.Elem()))
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		keepPrivate := true
		for i := range t.NumField() {
			if !t.Field(i).IsExported() && !new(sanitizer).clean(v.Field(i)) {
				keepPrivate = false
			}
		}
		if keepPrivate {
			out.Set(v)
		}
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				out.Field(i).Set(s.copy(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(s.copy(v.Index(i)))
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := range v.Len() {
			out.Index(i).Set(s.copy(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		// Two keys that escape alike ("\x1b" and an ESC) become one; the
		// keys here are nsinspect's own field names.
		out := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(s.copy(it.Key()), s.copy(it.Value()))
		}
		return out
	}
	return v
}
