package route

import (
	"slices"
	"testing"
)

// collect returns what a Match-style call reports, in order.
func collect[D any](match func(fn func(D))) []D {
	var out []D
	match(func(d D) { out = append(out, d) })
	return out
}

func sorted(s []int) []int {
	slices.Sort(s)
	return s
}

func TestDirect(t *testing.T) {
	d := NewDirect[int]()
	steps := []struct {
		op   string // "add" or "remove"
		key  string
		dest int
		want bool
	}{
		{"add", "a", 1, true},
		{"add", "a", 1, false}, // same binding again
		{"add", "a", 2, true},
		{"add", "b", 1, true},
		{"add", "", 3, true}, // the empty key is an ordinary key
		{"remove", "a", 3, false},
		{"remove", "c", 1, false},
	}
	for _, s := range steps {
		var got bool
		if s.op == "add" {
			got = d.Add(s.key, s.dest)
		} else {
			got = d.Remove(s.key, s.dest)
		}
		if got != s.want {
			t.Fatalf("%s(%q, %d) = %v, want %v", s.op, s.key, s.dest, got, s.want)
		}
	}
	matches := []struct {
		key  string
		want []int
	}{
		{"a", []int{1, 2}},
		{"b", []int{1}},
		{"", []int{3}},
		{"c", nil},
		{"A", nil}, // case-sensitive
		{"a.b", nil},
	}
	for _, m := range matches {
		got := sorted(collect(func(fn func(int)) { d.Match(m.key, fn) }))
		if !slices.Equal(got, m.want) {
			t.Errorf("Match(%q) = %v, want %v", m.key, got, m.want)
		}
	}
	if d.Len() != 4 {
		t.Errorf("Len = %d, want 4", d.Len())
	}
	// Removing from the front moves the last destination into its slot.
	if !d.Remove("a", 1) {
		t.Fatal("Remove(a, 1) = false")
	}
	if got := collect(func(fn func(int)) { d.Match("a", fn) }); !slices.Equal(got, []int{2}) {
		t.Errorf("after remove Match(a) = %v", got)
	}
	if !d.Remove("a", 2) || d.Remove("a", 2) {
		t.Fatal("second Remove(a, 2) should fail after the first succeeds")
	}
	if _, ok := d.byKey["a"]; ok {
		t.Error("empty key left in byKey")
	}
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2", d.Len())
	}
}

func TestDirectZeroValue(t *testing.T) {
	var d Direct[string]
	d.Match("x", func(string) { t.Fatal("matched on empty matcher") })
	if d.Remove("x", "q") {
		t.Fatal("Remove on empty matcher")
	}
	if !d.Add("x", "q") {
		t.Fatal("Add on zero value failed")
	}
	if got := collect(func(fn func(string)) { d.Match("x", fn) }); !slices.Equal(got, []string{"q"}) {
		t.Fatalf("Match = %v", got)
	}
}

func TestFanout(t *testing.T) {
	f := NewFanout[int]()
	if !f.Add("k1", 1) || !f.Add("k2", 1) || !f.Add("", 2) || !f.Add("k1", 3) {
		t.Fatal("Add of new bindings failed")
	}
	if f.Add("k2", 1) {
		t.Fatal("Add of existing binding succeeded")
	}
	if f.Len() != 4 {
		t.Fatalf("Len = %d, want 4 (bindings, not destinations)", f.Len())
	}
	for _, key := range []string{"", "anything", "k1"} {
		// Destination 1 has two bindings but is visited once.
		got := sorted(collect(func(fn func(int)) { f.Match(key, fn) }))
		if !slices.Equal(got, []int{1, 2, 3}) {
			t.Errorf("Match(%q) = %v, want [1 2 3]", key, got)
		}
	}
	if f.Remove("k3", 1) || f.Remove("k1", 2) {
		t.Fatal("Remove of absent binding succeeded")
	}
	if !f.Remove("k1", 1) {
		t.Fatal("Remove(k1, 1) failed")
	}
	// 1 is still bound with k2.
	if got := sorted(collect(func(fn func(int)) { f.Match("", fn) })); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("after removing one of two keys: %v", got)
	}
	if !f.Remove("k2", 1) {
		t.Fatal("Remove(k2, 1) failed")
	}
	if got := sorted(collect(func(fn func(int)) { f.Match("", fn) })); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("after removing last key: %v", got)
	}
	if !f.Remove("", 2) || !f.Remove("k1", 3) {
		t.Fatal("Remove failed")
	}
	if f.Len() != 0 || len(f.dests) != 0 || len(f.refs) != 0 {
		t.Errorf("not empty: len %d, dests %v, refs %v", f.Len(), f.dests, f.refs)
	}
}

func TestFanoutZeroValue(t *testing.T) {
	var f Fanout[int]
	f.Match("", func(int) { t.Fatal("matched on empty matcher") })
	if !f.Add("", 7) {
		t.Fatal("Add on zero value failed")
	}
	if got := collect(func(fn func(int)) { f.Match("x", fn) }); !slices.Equal(got, []int{7}) {
		t.Fatalf("Match = %v", got)
	}
}
