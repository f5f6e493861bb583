package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		output, format string
		json           bool
		spec           FormatSpec
		kind           string
		table          bool
		err            string
	}{
		{"", "", false, PsFormat, "table", false, ""},
		{"table", "", true, PsFormat, "json", false, ""},
		{"json", "", false, PsFormat, "json", false, ""},
		{"wide", "", false, PsFormat, "wide", false, ""},
		{"wide", "", false, PidFormat, "", false, `unknown output "wide": want table or json`},
		{"yaml", "", false, PsFormat, "", false, `unknown output "yaml": want table, wide or json`},
		{"table", "json", false, PsFormat, "json", false, ""},
		{"json", "table", false, PsFormat, "table", false, ""},
		{"", "wide", false, StatsFormat, "wide", false, ""},
		{"", "{{.Name}}", false, PsFormat, "template", false, ""},
		{"", "table {{.Name}}", false, PsFormat, "template", true, ""},
		{"", "{{json .}}", false, PidFormat, "template", false, ""},
		{"", "{{.Name", false, PsFormat, "", false, "bad --format template"},
		{"", "{{.Nope}}", false, PsFormat, "", false, "unknown field .Nope in --format; ps fields: .CPU .CgroupPath"},
		{"", "table {{.Name}}\t{{.Memory.Nope}}", false, PsFormat, "", false, "unknown field .Nope of report.ViewMemory in --format"},
		// Sections nil in a zero document are checked too.
		{"", "{{.Cgroup.Memory.Nope}}", false, PidFormat, "", false, "unknown field .Nope of facts.MemoryCgroup"},
		{"", "{{.Cgroup.Memory.LimitBytes}}", false, PidFormat, "template", false, ""},
		{"", "{{range .Namespaces}}{{.Type}} {{end}}", false, PidFormat, "template", false, ""},
	} {
		f, err := ParseFormat(tc.output, tc.json, tc.format, tc.spec)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("-o %q --format %q: error %v, want one line with %q", tc.output, tc.format, err, tc.err)
			}
		case err != nil:
			t.Errorf("-o %q --format %q: %v", tc.output, tc.format, err)
		case f.Kind != tc.kind || f.Table != tc.table:
			t.Errorf("-o %q --json=%v --format %q: kind %q table %v, want %q %v", tc.output, tc.json, tc.format, f.Kind, f.Table, tc.kind, tc.table)
		}
	}
}

// Templates never print "<nil>": no limit is "unlimited", what is not
// known "--", and {{json}} keeps null. Docker's \t and \n escapes work.
func TestTemplatesShowNil(t *testing.T) {
	mem := uint64(64 << 20)
	rows := []ContainerRow{
		{ID: strings.Repeat("ab", 32), Name: "limited", Memory: RowMemory{LimitBytes: &mem}, Pids: RowPids{Current: u64(3)}},
		{ID: strings.Repeat("cd", 32), Name: "free"},
		{ID: strings.Repeat("ef", 32), Name: "gone", limitsUnread: true},
	}
	for _, tc := range []struct {
		format  string
		noTrunc bool
		want    string
	}{
		{`{{.ID}} {{.Names}} {{.Memory.LimitBytes}} {{.CPU.CPUs}} {{.Pids.Max}} {{.Pids.Current}} {{.ExitCode}}`, false,
			"abababababab limited 67108864 unlimited unlimited 3 --\n" +
				"cdcdcdcdcdcd free unlimited unlimited unlimited -- --\n" +
				"efefefefefef gone -- -- -- -- --\n"},
		{`{{json .Memory}}\t{{.Name}}`, false, "{\"limitBytes\":67108864}\tlimited\n{\"limitBytes\":null}\tfree\n{\"limitBytes\":null}\tgone\n"},
		{`{{.ID}}\n`, true, strings.Repeat("ab", 32) + "\n" + strings.Repeat("cd", 32) + "\n" + strings.Repeat("ef", 32) + "\n"},
		{`table {{.Names}}\t{{.Memory.LimitBytes}}`, false, "NAMES     MEMORY LIMIT\nlimited   67108864\nfree      unlimited\ngone      --\n"},
		{`{{with .Pod}}{{.UID}}{{else}}no pod{{end}}`, false, "no pod\nno pod\nno pod\n"},
	} {
		f, err := ParseFormat("", false, tc.format, PsFormat)
		if err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		var b bytes.Buffer
		if err := WriteRows(&b, f, rows, func(r ContainerRow) any { return r.View(tc.noTrunc) }); err != nil {
			t.Fatalf("%q: %v", tc.format, err)
		}
		if b.String() != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.format, b.String(), tc.want)
		}
		if strings.Contains(b.String(), "<nil>") {
			t.Errorf("%q printed <nil>", tc.format)
		}
	}
}

func TestJSONOfViewIsTheRow(t *testing.T) {
	f, err := ParseFormat("", false, "{{json .}}", PsFormat)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	row := ContainerRow{ID: strings.Repeat("ab", 32), Name: "web"}
	if err := WriteRows(&b, f, []ContainerRow{row}, func(r ContainerRow) any { return r.View(false) }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"id":"`+strings.Repeat("ab", 32)+`"`) || !strings.Contains(b.String(), `"memory":{"limitBytes":null}`) {
		t.Errorf("{{json .}} = %s, want ps --json's row", b.String())
	}
}
