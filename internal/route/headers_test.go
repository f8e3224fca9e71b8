package route

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// Stand-ins for the broker's named field-table types.
type (
	testTable   map[string]any
	testArray   []any
	testDecimal struct {
		Scale uint8
		Value int32
	}
)

// Shorthands for the table below.
type m = map[string]any

var t0 = time.Unix(1700000000, 0).UTC()

var headersCases = []struct {
	name          string
	args, headers m
	want          bool
}{
	// x-match and empty bindings.
	{"all, no args, no headers", nil, nil, true},
	{"all, no args", m{}, m{"a": "x"}, true},
	{"explicit all, no args, no headers", m{"x-match": "all"}, nil, true},
	{"any, no args", m{"x-match": "any"}, m{"a": "x"}, false},
	{"any, no args, no headers", m{"x-match": "any"}, nil, false},
	{"all needs headers", m{"a": "x"}, nil, false},
	{"any needs headers", m{"x-match": "any", "a": "x"}, nil, false},
	{"all, all present", m{"a": "x", "b": "y"}, m{"a": "x", "b": "y", "c": "z"}, true},
	{"all, one missing", m{"a": "x", "b": "y"}, m{"a": "x"}, false},
	{"all, one differs", m{"a": "x", "b": "y"}, m{"a": "x", "b": "z"}, false},
	{"any, one present", m{"x-match": "any", "a": "x", "b": "y"}, m{"a": "x"}, true},
	{"any, one equal", m{"x-match": "any", "a": "x", "b": "y"}, m{"a": "q", "b": "y"}, true},
	{"any, none equal", m{"x-match": "any", "a": "x", "b": "y"}, m{"a": "q", "b": "r"}, false},
	{"keys are case-sensitive", m{"a": "x"}, m{"A": "x"}, false},
	{"unknown x-match is all", m{"x-match": "most", "a": 1, "b": 2}, m{"a": 1}, false},
	{"unknown x-match is all, no args", m{"x-match": "most"}, nil, true},
	{"non-string x-match is all", m{"x-match": []byte("any"), "a": 1, "b": 2}, m{"a": 1}, false},
	{"x-match is case-sensitive", m{"x-match": "ANY", "a": 1, "b": 2}, m{"a": 1}, false},

	// Void arguments test presence only.
	{"void, present", m{"a": nil}, m{"a": int64(5)}, true},
	{"void, present as void", m{"a": nil}, m{"a": nil}, true},
	{"void, present as table", m{"a": nil}, m{"a": m{"k": "v"}}, true},
	{"void, absent", m{"a": nil}, m{"b": 1}, false},
	{"void, no headers", m{"a": nil}, nil, false},
	{"any with void", m{"x-match": "any", "a": nil, "b": 1}, m{"a": "z"}, true},
	{"value vs void header", m{"a": "x"}, m{"a": nil}, false},

	// x- arguments.
	{"all ignores x- args", m{"x-foo": "bar"}, nil, true},
	{"all ignores x- args, headers differ", m{"x-foo": "bar", "a": 1}, m{"x-foo": "baz", "a": 1}, true},
	{"any ignores x- args", m{"x-match": "any", "x-foo": "bar"}, m{"x-foo": "bar"}, false},
	{"all-with-x matches x- args", m{"x-match": "all-with-x", "x-foo": "bar"}, m{"x-foo": "bar"}, true},
	{"all-with-x needs x- args", m{"x-match": "all-with-x", "x-foo": "bar"}, nil, false},
	{"all-with-x, x- differs", m{"x-match": "all-with-x", "x-foo": "bar", "a": 1}, m{"x-foo": "baz", "a": 1}, false},
	{"any-with-x on an x- arg", m{"x-match": "any-with-x", "x-foo": "bar", "a": 1}, m{"x-foo": "bar"}, true},
	{"all-with-x skips x-match itself", m{"x-match": "all-with-x"}, nil, true},
	{"any-with-x skips x-match itself", m{"x-match": "any-with-x"}, m{"x-match": "any-with-x"}, false},
	{"all-with-x, void x- arg", m{"x-match": "all-with-x", "x-a": nil}, m{"x-a": 1}, true},
	{"prefix is x- exactly", m{"x_a": 1, "X-b": 2}, m{}, false},

	// Integers compare by value across types.
	{"int8 vs int64", m{"a": int8(1)}, m{"a": int64(1)}, true},
	{"uint16 vs int32", m{"a": uint16(1)}, m{"a": int32(1)}, true},
	{"uint8 vs int8", m{"a": uint8(200)}, m{"a": int8(-56)}, false},
	{"uint32 vs int64", m{"a": uint32(math.MaxUint32)}, m{"a": int64(math.MaxUint32)}, true},
	{"uint64 is a signed long", m{"a": uint64(math.MaxUint64)}, m{"a": int64(-1)}, true},
	{"int vs int16", m{"a": 7}, m{"a": int16(7)}, true},
	{"different integers", m{"a": int64(2)}, m{"a": int64(3)}, false},
	// Integers equal floats of the same value (3.10's ==); floats compare by value.
	{"int vs float (3.10: 1 == 1.0)", m{"a": int32(1)}, m{"a": float64(1)}, true},
	{"int vs other float", m{"a": int32(1)}, m{"a": float64(1.5)}, false},
	{"float vs int", m{"a": float64(1)}, m{"a": int64(1)}, true},
	{"float32 vs float64 exact", m{"a": float32(0.5)}, m{"a": float64(0.5)}, true},
	{"float32 vs float64 inexact", m{"a": float32(0.1)}, m{"a": float64(0.1)}, false},
	{"float64", m{"a": 1.5}, m{"a": 1.5}, true},
	{"NaN", m{"a": math.NaN()}, m{"a": math.NaN()}, false},
	// Strings and byte arrays are both binaries.
	{"string", m{"a": "x"}, m{"a": "x"}, true},
	{"string differs", m{"a": "x"}, m{"a": "y"}, false},
	{"string vs bytes", m{"a": "x"}, m{"a": []byte("x")}, true},
	{"bytes vs string", m{"a": []byte("x")}, m{"a": "x"}, true},
	{"bytes vs bytes", m{"a": []byte("x")}, m{"a": []byte("x")}, true},
	{"empty string vs nil bytes", m{"a": ""}, m{"a": []byte(nil)}, true},
	{"string vs int", m{"a": "1"}, m{"a": int64(1)}, false},
	// Other scalars.
	{"bool", m{"a": true}, m{"a": true}, true},
	{"bool differs", m{"a": true}, m{"a": false}, false},
	{"bool vs int", m{"a": true}, m{"a": int8(1)}, false},
	{"decimal", m{"a": testDecimal{2, 150}}, m{"a": testDecimal{2, 150}}, true},
	{"decimal scale differs", m{"a": testDecimal{1, 15}}, m{"a": testDecimal{2, 150}}, false},
	{"decimal vs int", m{"a": testDecimal{0, 1}}, m{"a": int32(1)}, false},
	{"timestamp", m{"a": t0}, m{"a": t0.Add(500 * time.Millisecond)}, true},
	{"timestamp differs", m{"a": t0}, m{"a": t0.Add(time.Second)}, false},
	{"timestamp vs seconds", m{"a": t0}, m{"a": t0.Unix()}, false},

	// Tables and arrays: element types count, field order does not.
	{"table", m{"a": m{"k": int32(1), "j": "s"}}, m{"a": testTable{"j": "s", "k": int32(1)}}, true},
	{"table, element type differs", m{"a": m{"k": int32(1)}}, m{"a": m{"k": int64(1)}}, false},
	{"table, long vs L", m{"a": m{"k": int64(-1)}}, m{"a": m{"k": uint64(math.MaxUint64)}}, true},
	{"table, string vs bytes", m{"a": m{"k": "s"}}, m{"a": m{"k": []byte("s")}}, false},
	{"table, extra field", m{"a": m{"k": "s"}}, m{"a": m{"k": "s", "j": nil}}, false},
	{"nested table", m{"a": m{"t": testTable{"u": []any{t0}}}}, m{"a": testTable{"t": m{"u": testArray{t0}}}}, true},
	{"array", m{"a": []any{int32(1), "s", nil}}, m{"a": testArray{int32(1), "s", nil}}, true},
	{"array, order matters", m{"a": []any{"x", "y"}}, m{"a": []any{"y", "x"}}, false},
	{"array, element type differs", m{"a": []any{int32(1)}}, m{"a": []any{int64(1)}}, false},
	{"array, float type differs", m{"a": []any{float32(0.5)}}, m{"a": []any{0.5}}, false},
	{"array, length differs", m{"a": []any{1}}, m{"a": []any{1, 1}}, false},
	{"array vs table", m{"a": []any{"x"}}, m{"a": m{"0": "x"}}, false},
	{"empty table vs empty array", m{"a": testTable(nil)}, m{"a": []any{}}, true},
	{"empty array vs empty table", m{"a": testArray(nil)}, m{"a": m{}}, true},
	{"empty array vs empty bytes", m{"a": []any{}}, m{"a": []byte{}}, false},
	{"empty table vs void", m{"a": m{}}, m{"a": nil}, false},
}

func TestHeadersMatch(t *testing.T) {
	for _, c := range headersCases {
		if got := HeadersMatch(c.args, c.headers); got != c.want {
			t.Errorf("%s: HeadersMatch(%v, %v) = %v, want %v", c.name, c.args, c.headers, got, c.want)
		}
		// The compiled bindings of the Headers type must agree.
		h := NewHeaders[int]()
		h.Add(c.args, 1)
		got := len(collect(func(fn func(int)) { h.Match(c.headers, fn) })) == 1
		if got != c.want {
			t.Errorf("%s: Headers.Match = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHeadersAddRemove(t *testing.T) {
	h := NewHeaders[int]()
	steps := []struct {
		op   string
		args m
		dest int
		want bool
	}{
		{"add", m{"a": "x"}, 1, true},
		{"add", m{"a": "x"}, 1, false},
		{"add", m{"a": []byte("x")}, 1, true}, // identity keeps types
		{"add", m{"a": int32(1)}, 1, true},
		{"add", m{"a": int64(1)}, 1, true},
		{"add", m{"a": int64(1)}, 2, true},
		{"add", nil, 3, true},
		{"add", m{}, 3, false}, // nil and empty args are the same binding
		{"add", testTable{"a": "x"}, 2, true},
		{"remove", m{"a": "y"}, 1, false},
		{"remove", m{"a": "x"}, 4, false},
		{"remove", m{"a": int32(1)}, 2, false},
	}
	for _, s := range steps {
		var got bool
		if s.op == "add" {
			got = h.Add(s.args, s.dest)
		} else {
			got = h.Remove(s.args, s.dest)
		}
		if got != s.want {
			t.Fatalf("%s(%v, %d) = %v, want %v", s.op, s.args, s.dest, got, s.want)
		}
	}
	if h.Len() != 7 {
		t.Fatalf("Len = %d, want 7", h.Len())
	}
	match := func(headers m) []int { return sorted(collect(func(fn func(int)) { h.Match(headers, fn) })) }
	// 1 has three bindings that match a: "x" ("x" and []byte("x")), still
	// reported once; 3 binds with no arguments and matches everything.
	if got := match(m{"a": "x"}); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("Match(a=x) = %v, want [1 2 3]", got)
	}
	if got := match(m{"a": int8(1)}); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("Match(a=1) = %v, want [1 2 3]", got)
	}
	if got := match(nil); !slices.Equal(got, []int{3}) {
		t.Fatalf("Match(nil) = %v, want [3]", got)
	}
	if !h.Remove(testTable{"a": "x"}, 1) || !h.Remove(m{"a": []byte("x")}, 1) {
		t.Fatal("Remove failed")
	}
	if got := match(m{"a": "x"}); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("after removes: Match(a=x) = %v, want [2 3]", got)
	}
	for _, r := range []struct {
		args m
		dest int
	}{{m{"a": int32(1)}, 1}, {m{"a": int64(1)}, 1}, {nil, 3}, {m{"a": "x"}, 2}, {m{"a": int64(1)}, 2}} {
		if !h.Remove(r.args, r.dest) {
			t.Fatalf("Remove(%v, %d) failed", r.args, r.dest)
		}
	}
	if h.Len() != 0 || len(h.groups) != 0 || len(h.index) != 0 {
		t.Fatalf("not empty: len %d, groups %d, index %v", h.Len(), len(h.groups), h.index)
	}
}

// Add keeps its own copy of the arguments map.
func TestHeadersAddCopiesArgs(t *testing.T) {
	h := NewHeaders[int]()
	args := m{"a": "x"}
	h.Add(args, 1)
	args["a"] = "y"
	if !h.Remove(m{"a": "x"}, 1) {
		t.Fatal("binding changed with the caller's map")
	}
}

func TestHeadersZeroValue(t *testing.T) {
	var h Headers[int]
	h.Match(nil, func(int) { t.Fatal("matched on empty matcher") })
	if h.Remove(nil, 1) {
		t.Fatal("Remove on empty matcher")
	}
	h.Add(nil, 1)
	if got := collect(func(fn func(int)) { h.Match(nil, fn) }); !slices.Equal(got, []int{1}) {
		t.Fatalf("Match = %v", got)
	}
}

func TestValidateHeadersArgs(t *testing.T) {
	cases := []struct {
		args    m
		wantErr string // substring; "" for no error
	}{
		{nil, ""},
		{m{"a": 1}, ""},
		{m{"x-match": "all"}, ""},
		{m{"x-match": "any"}, ""},
		{m{"x-match": "all-with-x"}, ""},
		{m{"x-match": "any-with-x"}, ""},
		{m{"x-match": "most"}, `Invalid x-match field value <<"most">>`},
		{m{"x-match": "ALL"}, "Invalid x-match field value"},
		{m{"x-match": []byte("any")}, "Invalid x-match field type binary"},
		{m{"x-match": int32(1)}, "Invalid x-match field type signedint (value 1)"},
		{m{"x-match": nil}, "Invalid x-match field type void"},
		{m{"x-match": testTable{}}, "Invalid x-match field type table"},
		{m{"x-match": testDecimal{}}, "Invalid x-match field type route.testDecimal"},
	}
	for _, c := range cases {
		err := ValidateHeadersArgs(c.args)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%v: unexpected error %v", c.args, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%v: error %v, want it to contain %q", c.args, err, c.wantErr)
		}
	}
}
