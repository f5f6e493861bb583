package schema

import (
	"reflect"

	"github.com/nsinspect/nsinspect/report"
)

// marshaled is what a type with its own MarshalJSON writes: a schema, or
// the JSON of another type.
type marshaled struct {
	schema object
	as     reflect.Type
}

// marshalers describes every type with a MarshalJSON that a command's
// output can hold, by package path and name (typeName), so that an
// unexported one can be named too. The reflector refuses any other type
// with a MarshalJSON, and TestMarshalersDescribed fails when report or
// inspect declares a MarshalJSON that is not here.
var marshalers = map[string]marshaled{
	// RFC 3339 with nanoseconds (time.Time.MarshalJSON).
	"time.Time": {schema: object{"type": "string", "format": "date-time"}},
	// The names of the set bits in bit order, CAP_<n> for a bit newer
	// than moby/sys/capability; Names never returns nil, so never null.
	"github.com/nsinspect/nsinspect/inspect/facts.CapSet": {schema: names("^CAP_[A-Z0-9_]+$")},
	// The signal names in number order: SIGTERM, SIGRTMIN+3, SIG<n>.
	"github.com/nsinspect/nsinspect/inspect/facts.SigSet": {schema: names("^SIG[A-Z0-9+]+$")},
	// A --format template's view of a ps row: {{json .}} is the row.
	"github.com/nsinspect/nsinspect/report.ContainerView": {as: reflect.TypeFor[report.ContainerRow]()},
	// A limit a template's view could not read: "--" in text, null in JSON.
	"github.com/nsinspect/nsinspect/report.notRead": {schema: object{"type": "null"}},
}

func names(pattern string) object {
	return object{"type": "array", "items": object{"type": "string", "pattern": pattern}}
}
