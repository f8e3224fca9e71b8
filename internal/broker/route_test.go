package broker

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Routing through exchange-to-exchange bindings reaches each queue once,
// however many paths lead to it, and cycles terminate.
func TestRouteDedupAndCycles(t *testing.T) {
	v := testVHost(t)
	mk := func(name, typ string) *Exchange {
		e, err := v.DeclareExchange(ExchangeSpec{Name: name, Type: typ})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e1, e2, e3 := mk("e1", TypeFanout), mk("e2", TypeFanout), mk("e3", TypeTopic)
	qa, _, _ := v.DeclareQueue(QueueSpec{Name: "a"})
	qb, _, _ := v.DeclareQueue(QueueSpec{Name: "b"})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v.Bind(e1, e2, "", nil))
	must(v.Bind(e2, e1, "", nil)) // cycle
	must(v.Bind(e1, e3, "", nil))
	must(v.Bind(e2, qa, "", nil))
	must(v.Bind(e3, qa, "k.#", nil)) // diamond to a
	must(v.Bind(e3, qa, "#", nil))   // two matching patterns to a
	must(v.Bind(e3, qb, "k.*", nil))
	r := NewRouter()
	qs, err := v.Route(r, "e1", "k.x", nil)
	must(err)
	var names []string
	for _, q := range qs {
		names = append(names, q.Name())
	}
	sort.Strings(names)
	if strings.Join(names, ",") != "a,b" {
		t.Fatalf("routed to %v", names)
	}
	// Unbinding one of two same-key bindings that differ in arguments
	// keeps routing for the other.
	must(v.Bind(e3, qb, "z", Table{"x": int32(1)}))
	must(v.Bind(e3, qb, "z", Table{"x": int32(2)}))
	must(v.Unbind(e3, qb, "z", Table{"x": int32(1)}))
	if qs, _ := v.Route(r, "e3", "z", nil); len(qs) != 2 { // a via "#", b via "z"
		t.Fatalf("after partial unbind: %d queues", len(qs))
	}
}

func TestRouteErrors(t *testing.T) {
	v := testVHost(t)
	r := NewRouter()
	if _, err := v.Route(r, "missing", "", nil); err.(*Error).Code != CodeNotFound {
		t.Fatal(err)
	}
	v.DeclareExchange(ExchangeSpec{Name: "int", Type: TypeDirect, Internal: true})
	if _, err := v.Route(r, "int", "", nil); err.(*Error).Code != CodeAccessRefused {
		t.Fatal(err)
	}
}

func BenchmarkRouteTopic(b *testing.B) {
	v := testVHost(b)
	e, _ := v.DeclareExchange(ExchangeSpec{Name: "t", Type: TypeTopic})
	for i := 0; i < 1000; i++ {
		q, _, _ := v.DeclareQueue(QueueSpec{Name: "q" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26%26))})
		v.Bind(e, q, "stock."+string(rune('a'+i%26))+".*", nil)
	}
	r := NewRouter()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v.Route(r, "t", "stock.c.nyse", nil)
	}
}

// senderKeys reads the CC and BCC arrays' string elements, in that order.
func TestSenderKeys(t *testing.T) {
	for _, tc := range []struct {
		h    map[string]any
		want []string
	}{
		{nil, nil},
		{map[string]any{"x": "y"}, nil},
		{map[string]any{"CC": []any{"a", []byte("b")}, "BCC": []any{"c"}}, []string{"a", "b", "c"}},
		{map[string]any{"CC": "not an array", "BCC": []any{int32(1), "d"}}, []string{"d"}},
	} {
		if got := senderKeys(tc.h); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("senderKeys(%v) = %q, want %q", tc.h, got, tc.want)
		}
	}
}
