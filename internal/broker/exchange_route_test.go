package broker

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
)

func xDeclare(t testing.TB, v *VHost, name, typ string, args Table) *Exchange {
	t.Helper()
	e, err := v.DeclareExchange(ExchangeSpec{Name: name, Type: typ, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func xQueue(t testing.TB, v *VHost, name string) *Queue {
	t.Helper()
	q, _, err := v.DeclareQueue(QueueSpec{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func xBind(t testing.TB, v *VHost, src *Exchange, d Destination, key string, args Table) {
	t.Helper()
	if err := v.Bind(src, d, key, args); err != nil {
		t.Fatal(err)
	}
}

func xRoute(t testing.TB, v *VHost, r *Router, m *message.Message) string {
	t.Helper()
	qs, err := v.RouteMessage(r, m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range qs {
		names = append(names, q.Name())
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// Alternate exchanges: per exchange, only when its own match is empty,
// recursively, cycles ending; missing ones ignored; a policy's alternate
// applies unless the argument names one.
func TestRouteAlternateExchanges(t *testing.T) {
	v := testVHost(t)
	r := NewRouter()
	ae := xDeclare(t, v, "ae", TypeFanout, nil)
	x := xDeclare(t, v, "x", TypeDirect, Table{"alternate-exchange": "ae"})
	y := xDeclare(t, v, "y", TypeDirect, Table{"alternate-exchange": "x"}) // y -> x -> ae
	xDeclare(t, v, "lost", TypeDirect, Table{"alternate-exchange": "missing"})
	qa, qx := xQueue(t, v, "qa"), xQueue(t, v, "qx")
	xBind(t, v, ae, qa, "", nil)
	xBind(t, v, x, qx, "k", nil)
	m := func(ex, key string) *message.Message { return &message.Message{Exchange: ex, RoutingKey: key} }
	for _, tc := range []struct{ ex, key, want string }{
		{"x", "k", "qx"},
		{"x", "other", "qa"},
		{"y", "k", "qx"},     // y's alternate x routes it
		{"y", "other", "qa"}, // and x's alternate in turn
		{"lost", "k", ""},
	} {
		if got := xRoute(t, v, r, m(tc.ex, tc.key)); got != tc.want {
			t.Errorf("%s/%s: routed to %q, want %q", tc.ex, tc.key, got, tc.want)
		}
	}
	// A cycle of alternates with nothing bound ends, unrouted.
	c1 := xDeclare(t, v, "c1", TypeDirect, Table{"alternate-exchange": "c2"})
	xDeclare(t, v, "c2", TypeDirect, Table{"alternate-exchange": "c1"})
	if got := xRoute(t, v, r, m("c1", "k")); got != "" {
		t.Fatalf("cycle routed to %q", got)
	}
	// Policies: used when there is no argument, the argument wins.
	p := xDeclare(t, v, "p", TypeDirect, nil)
	p.SetPolicyAlternate("ae")
	if got := xRoute(t, v, r, m("p", "k")); got != "qa" || p.Alternate() != "ae" {
		t.Fatalf("policy alternate: %q", got)
	}
	c1.SetPolicyAlternate("ae")
	if c1.Alternate() != "c2" {
		t.Fatalf("argument should win over policy, got %q", c1.Alternate())
	}
	p.SetPolicyAlternate("")
	if got := xRoute(t, v, r, m("p", "k")); got != "" {
		t.Fatalf("cleared policy still routes to %q", got)
	}
	// An exchange whose only match is an exchange that routes nowhere has
	// routed: its alternate is not used (and y's alternate, x, has been
	// visited already).
	xBind(t, v, x, y, "e2e", nil)
	if got := xRoute(t, v, r, m("x", "e2e")); got != "" {
		t.Fatalf("e2e: %q", got)
	}
}

// Exchange arguments are checked for new exchanges, as RabbitMQ does.
func TestValidateExchangeArgs(t *testing.T) {
	v := testVHost(t)
	for _, tc := range []struct {
		typ  string
		args Table
		code uint16
		text string
	}{
		{TypeDirect, Table{"alternate-exchange": int32(1)}, 406, "invalid type 'signedint' for arg 'alternate-exchange' in exchange 'e' in vhost '/'"},
		{TypeDirect, Table{"alternate-exchange": []byte("a")}, 406, "invalid type 'binary' for arg 'alternate-exchange' in exchange 'e' in vhost '/'"},
		{TypeDelayed, nil, 406, "Invalid argument, 'x-delayed-type' must bean existing exchnage type"},
		{TypeDelayed, Table{"x-delayed-type": int8(1)}, 406, "Invalid argument, 'x-delayed-type' must bean existing exchnage type"},
		{TypeDelayed, Table{"x-delayed-type": "nope"}, 503, "unknown exchange type 'nope'"},
		{TypeDelayed, Table{"x-delayed-type": TypeDelayed}, 406, "Invalid argument, 'x-delayed-type' cannot be 'x-delayed-message'"},
		{TypeDelayed, Table{"x-delayed-type": TypeConsistentHash, "hash-property": "user_id"}, 406, "Unsupported property: user_id"},
		{TypeConsistentHash, Table{"hash-header": "a", "hash-property": "timestamp"}, 406, "hash-header and hash-property are mutually exclusive"},
		{TypeConsistentHash, Table{"hash-header": int32(1)}, 406, "invalid type 'signedint' for arg 'hash-header'"},
		{TypeConsistentHash, Table{"hash-property": "app_id"}, 406, "Unsupported property: app_id"},
	} {
		_, err := v.DeclareExchange(ExchangeSpec{Name: "e", Type: tc.typ, Args: tc.args})
		be, ok := err.(*Error)
		if !ok || be.Code != tc.code || be.Text != tc.text {
			t.Errorf("%s %v: %v, want %d %s", tc.typ, tc.args, err, tc.code, tc.text)
		}
	}
	for _, args := range []Table{{"x-delayed-type": "topic"}, {"x-delayed-type": []byte("direct"), "alternate-exchange": "a"}} {
		if _, err := v.DeclareExchange(ExchangeSpec{Name: fmt.Sprint(args), Type: TypeDelayed, Args: args}); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	h := xDeclare(t, v, "h", TypeConsistentHash, nil)
	d := xDeclare(t, v, "dh", TypeDelayed, Table{"x-delayed-type": TypeConsistentHash})
	for _, src := range []*Exchange{h, d} {
		for key, text := range map[string]string{
			"abc": `The binding key must be an integer: <<"abc">>`,
			"0":   "The binding key must be greater than 0",
			"-3":  "The binding key must be greater than 0",
			"7":   "",
		} {
			err := ValidateBinding(src, key, nil)
			if (err == nil) != (text == "") || (err != nil && err.(*Error).Text != text) {
				t.Errorf("%s key %q: %v, want %q", src.name, key, err, text)
			}
		}
	}
}

// A consistent-hash exchange sends each message to one queue, chosen by
// the routing key, a header or a property.
func TestRouteConsistentHash(t *testing.T) {
	v := testVHost(t)
	r := NewRouter()
	byKey := xDeclare(t, v, "by-key", TypeConsistentHash, nil)
	byHeader := xDeclare(t, v, "by-header", TypeConsistentHash, Table{"hash-header": "h"})
	byID := xDeclare(t, v, "by-id", TypeConsistentHash, Table{"hash-property": "message_id"})
	for i := range 4 {
		q := xQueue(t, v, fmt.Sprint("q", i))
		for _, e := range []*Exchange{byKey, byHeader, byID} {
			xBind(t, v, e, q, "5", nil)
		}
	}
	props := func(id string) []byte {
		p := wire.Properties{ContentType: "text/plain", Headers: wire.Table{"a": "b"}, CorrelationID: "c", MessageID: id}
		p.Set(wire.FlagContentType | wire.FlagHeaders | wire.FlagCorrelationID | wire.FlagMessageID)
		return p.Append(nil)
	}
	seen := map[string]map[string]bool{}
	for i := range 200 {
		for _, m := range []*message.Message{
			{Exchange: "by-key", RoutingKey: fmt.Sprint("k", i%20)},
			{Exchange: "by-header", RoutingKey: fmt.Sprint(i), Headers: map[string]any{"h": int32(i % 20)}},
			{Exchange: "by-id", RoutingKey: fmt.Sprint(i), Props: props(fmt.Sprint("id", i%20))},
		} {
			got := xRoute(t, v, r, m)
			if strings.Contains(got, ",") || got == "" {
				t.Fatalf("%s routed to %q, want one queue", m.Exchange, got)
			}
			k := fmt.Sprint(m.Exchange, i%20)
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			seen[k][got] = true
		}
	}
	queuesUsed := map[string]map[string]bool{}
	for k, qs := range seen {
		if len(qs) != 1 {
			t.Fatalf("%s went to %v", k, qs)
		}
		ex := strings.TrimRight(k, "0123456789")
		if queuesUsed[ex] == nil {
			queuesUsed[ex] = map[string]bool{}
		}
		for q := range qs {
			queuesUsed[ex][q] = true
		}
	}
	for ex, qs := range queuesUsed {
		if len(qs) < 2 {
			t.Errorf("%s: 20 distinct values all went to %v", ex, qs)
		}
	}
}

// propField finds each property in random property lists exactly where
// Decode does.
func TestPropField(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	str := func() string { return strings.Repeat("x", rnd.IntN(40)) + fmt.Sprint(rnd.IntN(1000)) }
	for range 2000 {
		var p wire.Properties
		all := []uint16{wire.FlagContentType, wire.FlagContentEncoding, wire.FlagHeaders, wire.FlagDeliveryMode,
			wire.FlagPriority, wire.FlagCorrelationID, wire.FlagReplyTo, wire.FlagExpiration, wire.FlagMessageID,
			wire.FlagTimestamp, wire.FlagType, wire.FlagUserID, wire.FlagAppID, wire.FlagClusterID}
		for _, f := range all {
			if rnd.IntN(2) == 0 {
				p.Set(f)
			}
		}
		p.ContentType, p.ContentEncoding, p.CorrelationID, p.ReplyTo = str(), str(), str(), str()
		p.Expiration, p.MessageID, p.Type, p.UserID, p.AppID = str(), str(), str(), str(), str()
		p.Headers = wire.Table{"k": str()}
		p.Timestamp = rnd.Uint64()
		b := p.Append(nil)
		for _, tc := range []struct {
			f    uint16
			want string
		}{{wire.FlagMessageID, p.MessageID}, {wire.FlagCorrelationID, p.CorrelationID}, {wire.FlagTimestamp, string(b8(p.Timestamp))}} {
			got, ok := propField(b, tc.f)
			if ok != p.Has(tc.f) || (ok && string(got) != tc.want) {
				t.Fatalf("flag %x: %q %v, want %q %v", tc.f, got, ok, tc.want, p.Has(tc.f))
			}
		}
	}
	for _, bad := range [][]byte{nil, {0x00}, {0x00, 0x80}, {0x00, 0x80, 5, 'a'}} {
		if _, ok := propField(bad, wire.FlagMessageID); ok {
			t.Fatalf("%v: found a message id", bad)
		}
	}
}

func b8(v uint64) []byte {
	return []byte{byte(v >> 56), byte(v >> 48), byte(v >> 40), byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// Routing through an alternate exchange and through a consistent-hash
// exchange allocates nothing.
func TestRouteExtensionsDoNotAllocate(t *testing.T) {
	v, cases := routeBenchSetup(t)
	r := NewRouter()
	for name, m := range cases {
		if _, err := v.RouteMessage(r, m); err != nil {
			t.Fatal(err)
		}
		if a := testing.AllocsPerRun(200, func() { _, _ = v.RouteMessage(r, m) }); a != 0 {
			t.Errorf("%s: %v allocs per route", name, a)
		}
	}
}

func routeBenchSetup(t testing.TB) (*VHost, map[string]*message.Message) {
	v := testVHost(t)
	ae := xDeclare(t, v, "ae", TypeFanout, nil)
	xDeclare(t, v, "x", TypeDirect, Table{"alternate-exchange": "ae"})
	xBind(t, v, ae, xQueue(t, v, "unrouted"), "", nil)
	h := xDeclare(t, v, "hash", TypeConsistentHash, nil)
	hh := xDeclare(t, v, "hash-header", TypeConsistentHash, Table{"hash-header": "user"})
	for i := range 16 {
		q := xQueue(t, v, fmt.Sprint("shard-", i))
		xBind(t, v, h, q, "10", nil)
		xBind(t, v, hh, q, "10", nil)
	}
	return v, map[string]*message.Message{
		"alternate":   {Exchange: "x", RoutingKey: "nowhere"},
		"hash":        {Exchange: "hash", RoutingKey: "order-12345"},
		"hash-header": {Exchange: "hash-header", RoutingKey: "k", Headers: map[string]any{"user": "alice"}},
	}
}

func BenchmarkRouteAlternate(b *testing.B) {
	v, cases := routeBenchSetup(b)
	r, m := NewRouter(), cases["alternate"]
	b.ReportAllocs()
	for b.Loop() {
		_, _ = v.RouteMessage(r, m)
	}
}

func BenchmarkRouteConsistentHash(b *testing.B) {
	v, cases := routeBenchSetup(b)
	r, m := NewRouter(), cases["hash"]
	b.ReportAllocs()
	for b.Loop() {
		_, _ = v.RouteMessage(r, m)
	}
}

// The plain path (no alternate, no delay, no hashing) for comparison with
// the extensions above: a direct exchange with one binding.
func BenchmarkRouteDirectPlain(b *testing.B) {
	v := testVHost(b)
	e := xDeclare(b, v, "d", TypeDirect, nil)
	xBind(b, v, e, xQueue(b, v, "q"), "k", nil)
	r := NewRouter()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = v.Route(r, "d", "k", nil)
	}
}
