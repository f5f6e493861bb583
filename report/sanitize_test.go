package report

import (
	"reflect"
	"testing"
	"time"
)

type kind string

type leaf struct {
	Name string
	Kind kind
}

type tree struct {
	Title   string
	Leaf    *leaf
	Shared  *leaf
	Again   *leaf
	List    []string
	Arr     [2]string
	Map     map[string]leaf
	Any     any
	Num     *uint64
	When    time.Time
	Nil     *leaf
	NilList []string
	Self    *tree
	private bool
}

type withSecret struct {
	Shown  string
	secret *leaf // holds a string: dropped from the copy when it needs escaping
	flag   bool
}

func TestSanitizeEscapesEveryString(t *testing.T) {
	shared := &leaf{Name: "s\x1b", Kind: "k\x07"}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := &tree{
		Title: evil, Leaf: &leaf{Name: "\u202e"}, Shared: shared, Again: shared,
		List: []string{"a\nb", "ok"}, Arr: [2]string{"\x00", "z"},
		Map: map[string]leaf{"k\x1b": {Name: "v\x1b"}}, Any: "i\x9b", Num: u64(7), When: when,
		private: true,
	}
	in.Self = in
	out := sanitize(in)

	if out == in {
		t.Fatal("sanitize returned the original of a value with control characters")
	}
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"Title", out.Title, `evil\x1b]0;PWNED\x07\x1b[2Jx`},
		{"Leaf.Name", out.Leaf.Name, `\u202e`},
		{"named string type", out.Shared.Kind, kind(`k\x07`)},
		{"List", out.List, []string{`a\nb`, "ok"}},
		{"Arr", out.Arr, [2]string{`\x00`, "z"}},
		{"Map", out.Map, map[string]leaf{`k\x1b`: {Name: `v\x1b`}}},
		{"Any", out.Any, `i\x9b`},
		{"Num", *out.Num, uint64(7)},
		{"When (no exported fields: copied as it is)", out.When, when},
		{"Nil", out.Nil, (*leaf)(nil)},
		{"NilList", out.NilList, []string(nil)},
		{"private flag kept", out.private, true},
		{"original untouched", in.Title, evil},
		{"original leaf untouched", shared.Name, "s\x1b"},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.what, tc.got, tc.want)
		}
	}
	if out.Shared != out.Again {
		t.Error("a pointer shared in the original is two copies")
	}
	if out.Self != out {
		t.Error("the cycle does not lead back to the copy")
	}
	if out.Shared == shared || out.Num == in.Num {
		t.Error("the copy shares pointers with the original")
	}
}

func TestSanitizeUnexportedFields(t *testing.T) {
	clean := withSecret{Shown: "a\x1b", secret: &leaf{Name: "fine"}, flag: true}
	if got := sanitize(clean); got.secret != clean.secret || !got.flag || got.Shown != `a\x1b` {
		t.Errorf("clean unexported fields: got %+v, want them kept and Shown escaped", got)
	}
	dirty := withSecret{Shown: "b", secret: &leaf{Name: "raw\x1b"}, flag: true}
	if got := sanitize(dirty); got.secret != nil || got.flag || got.Shown != "b" {
		t.Errorf("unexported field with a control character: got %+v, want every unexported field zero", got)
	}
}

// Nothing to escape: the value itself, not a copy.
func TestSanitizeCleanIsIdentity(t *testing.T) {
	in := &tree{Title: "plain", Leaf: &leaf{Name: "日本語"}, Map: map[string]leaf{`machine-qemu\x2d1.scope`: {}}}
	if got := sanitize(in); got != in {
		t.Error("sanitize copied a value with nothing to escape")
	}
	var nothing any
	if got := sanitize(nothing); got != nil {
		t.Errorf("sanitize(nil) = %v", got)
	}
	row := sampleStatsRows[0]
	if n := testing.AllocsPerRun(50, func() { sanitize(row) }); n > 1 {
		t.Errorf("sanitize of a clean stats row allocates %v times, want at most 1", n)
	}
}
