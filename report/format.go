package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// FormatHelp is the one help text of --format, for every command that
// prints.
const FormatHelp = "table (default), wide, json, 'table TEMPLATE' (a header and aligned columns), or a Go template; \\t is a tab, {{json .}} the row as JSON"

// Format is a parsed -o/--json/--format: the form a command prints in.
type Format struct {
	// Kind is "table", "wide", "json" or "template".
	Kind string
	// Table: a "table TEMPLATE", drawn with a header and aligned columns.
	Table  bool
	tmpl   *template.Template
	header []string
	fields []string // the plain {{.Field}} of each cell of a table template
}

// FormatSpec is what one command's output offers a template.
type FormatSpec struct {
	Command string
	Wide    bool // the command has a wide table
	// Row is a zero value of what the template runs over (a pointer to
	// it is fine), to check a template's fields before anything is read.
	Row any
	// Headers are the column names of fields in a table template, as the
	// command's own table names them; others are the field in capitals.
	Headers map[string]string
	// Extra are forms of the command's own beyond table, wide and json
	// (audit's junit).
	Extra []string
}

// ParseFormat resolves the -o, --json and --format flags of one command.
// A bad template, or one naming a field the command's rows lack, is an
// error naming it before anything is printed.
func ParseFormat(output string, json bool, format string, spec FormatSpec) (Format, error) {
	form := output
	if form == "" {
		form = "table"
	}
	if json {
		form = "json"
	}
	switch {
	case format == "":
	case format == "table", format == "json", format == "wide", slices.Contains(spec.Extra, format):
		form = format
	default:
		return parseTemplateFormat(format, spec)
	}
	switch {
	case form == "table", form == "json", form == "wide" && spec.Wide, slices.Contains(spec.Extra, form):
		return Format{Kind: form}, nil
	}
	forms := []string{"table"}
	if spec.Wide {
		forms = append(forms, "wide")
	}
	forms = append(forms, "json")
	forms = append(forms, spec.Extra...)
	last := len(forms) - 1
	return Format{}, fmt.Errorf("unknown output %q: want %s or %s", form, strings.Join(forms[:last], ", "), forms[last])
}

func parseTemplateFormat(text string, spec FormatSpec) (Format, error) {
	f := Format{Kind: "template"}
	body, table := strings.CutPrefix(text, "table ")
	f.Table = table
	// Docker's escapes: a shell passes \t as two characters.
	body = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(body)
	t, err := ParseTemplate(body)
	if err != nil {
		return Format{}, err
	}
	showNil(t)
	if err := checkFields(t, spec); err != nil {
		return Format{}, err
	}
	f.tmpl = t
	if table {
		for _, cell := range strings.Split(body, "\t") {
			name := strings.TrimSpace(cell)
			field := ""
			if inner, ok := strings.CutPrefix(name, "{{"); ok {
				if inner, ok = strings.CutSuffix(inner, "}}"); ok {
					name = strings.TrimPrefix(strings.TrimSpace(inner), ".")
					// Only a plain {{.Field}} may be drawn without the
					// template (stats' fast path).
					if identRE.MatchString(name) && cell == "{{."+name+"}}" {
						field = name
					}
				}
			}
			f.fields = append(f.fields, field)
			if h, ok := spec.Headers[name]; ok {
				name = h
			} else {
				name = strings.ToUpper(name)
			}
			f.header = append(f.header, name)
		}
	}
	return f, nil
}

var identRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// missingFieldRE is text/template's message for a field the data lacks.
var missingFieldRE = regexp.MustCompile(`can't evaluate field (\w+) in type ([\w.*\[\]]+)`)

// checkFields runs t over the command's zero row: a field the row does not
// have fails there, and is reported with the fields it does have. Other
// failures of a zero row (a nil section) are the data's, not the
// template's, and are left to the real rows.
func checkFields(t *template.Template, spec FormatSpec) error {
	if spec.Row == nil {
		return nil
	}
	err := t.Execute(io.Discard, filled(reflect.TypeOf(spec.Row), 0).Interface())
	var ee template.ExecError
	if err == nil || !errors.As(err, &ee) {
		return nil
	}
	m := missingFieldRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil
	}
	if strings.TrimPrefix(m[2], "*") == typeName(spec.Row) {
		return fmt.Errorf("unknown field .%s in --format; %s fields: %s", m[1], spec.Command, strings.Join(FieldNames(spec.Row), " "))
	}
	return fmt.Errorf("unknown field .%s of %s in --format", m[1], strings.TrimPrefix(m[2], "*"))
}

// filled is a zero value of t whose pointers to structs point to zero
// structs, so that checking a template walks every section a real row can
// have instead of stopping at the first nil one.
func filled(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if depth > 8 {
		return v
	}
	switch t.Kind() {
	case reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct {
			p := reflect.New(t.Elem())
			p.Elem().Set(filled(t.Elem(), depth+1))
			v.Set(p)
		}
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && (f.Type.Kind() == reflect.Pointer || f.Type.Kind() == reflect.Struct) {
				v.Field(i).Set(filled(f.Type, depth+1))
			}
		}
	}
	return v
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

// FieldNames lists what a template can name on v: its exported fields
// (promoted ones included) and its methods that take no argument.
func FieldNames(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	seen := map[string]bool{}
	var out []string
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, "."+n)
		}
	}
	if t.Kind() == reflect.Struct {
		for _, f := range reflect.VisibleFields(t) {
			if f.IsExported() && !f.Anonymous {
				add(f.Name)
			}
		}
	}
	pt := reflect.PointerTo(t)
	for i := 0; i < pt.NumMethod(); i++ {
		if m := pt.Method(i); m.Type.NumIn() == 1 && m.Type.NumOut() >= 1 && m.Name != "MarshalJSON" && m.Name != "String" {
			add(m.Name)
		}
	}
	slices.Sort(out)
	return out
}

// showNil makes every printed value of t go through show, so that a
// template never prints Go's "<nil>": a nil limit prints "unlimited",
// another nil value "--" (unknown), as the tables do. {{json .}} still
// prints null: show only sees what json returned, a string.
func showNil(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walkActions(tt.Tree.Root)
		}
	}
}

func walkActions(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkActions(c)
		}
	case *parse.ActionNode:
		if n.Pipe == nil || len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) == 0 {
			return
		}
		name := lastField(n.Pipe.Cmds[len(n.Pipe.Cmds)-1])
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
			NodeType: parse.NodeCommand, Pos: n.Pos,
			Args: []parse.Node{parse.NewIdentifier("show").SetPos(n.Pos), &parse.StringNode{NodeType: parse.NodeString, Pos: n.Pos, Quoted: strconv.Quote(name), Text: name}},
		})
	case *parse.IfNode:
		walkActions(n.List)
		walkActions(n.ElseList)
	case *parse.RangeNode:
		walkActions(n.List)
		walkActions(n.ElseList)
	case *parse.WithNode:
		walkActions(n.List)
		walkActions(n.ElseList)
	}
}

// lastField is the name of the last field a command evaluates, "" when it
// ends in something else (a function, a literal).
func lastField(c *parse.CommandNode) string {
	if len(c.Args) != 1 {
		return ""
	}
	var idents []string
	switch a := c.Args[0].(type) {
	case *parse.FieldNode:
		idents = a.Ident
	case *parse.ChainNode:
		idents = a.Field
	case *parse.VariableNode:
		idents = a.Ident
	}
	if len(idents) == 0 {
		return ""
	}
	return idents[len(idents)-1]
}

// unlimited is what a template prints for a limit that is not set.
const unlimited = "unlimited"

// limitField tells a limit by its field's name: its nil is "no limit".
var limitField = regexp.MustCompile(`(Limit|Max|Quota|CPUs)`)

// show is what a template prints for one value: a nil pointer, interface
// or map is "unlimited" for a limit and "--" otherwise.
func show(field string, v any) any {
	if v == nil {
		return nilText(field)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map:
		if rv.IsNil() {
			return nilText(field)
		}
	}
	return v
}

func nilText(field string) string {
	if limitField.MatchString(field) {
		return unlimited
	}
	return unknown
}

// WriteRows prints rows in a template format: a table template as a
// header and aligned columns, any other one line per row (or what the
// template makes of it). view turns a row into what the template sees.
//
// Nothing is written when the template fails on any row: the output is
// whole or absent, never a part.
func WriteRows[T any](w io.Writer, f Format, rows []T, view func(T) any) error {
	if !f.Table {
		var b bytes.Buffer
		for _, r := range rows {
			if err := WriteTemplate(&b, f.tmpl, view(r)); err != nil {
				return err
			}
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		var b strings.Builder
		if err := executeTemplate(&b, f.tmpl, view(r)); err != nil {
			return err
		}
		cells = append(cells, strings.Split(b.String(), "\t"))
	}
	return alignRows(w, f.header, cells)
}

// WriteDocument prints one document (pid's) in a template format.
func WriteDocument(w io.Writer, f Format, v any) error {
	return WriteRows(w, f, []any{v}, func(v any) any { return v })
}
