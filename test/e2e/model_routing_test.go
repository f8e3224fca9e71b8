package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// mBinding binds queue q (a short id) with key and args.
type mBinding struct {
	q    string
	key  string
	args amqp.Table
}

// mRoute is one publish and the queues (short ids) it must reach.
type mRoute struct {
	key     string
	headers amqp.Table
	want    []string
}

// mRouteTable declares an exchange of kind, one queue per id, the
// bindings, publishes every route (body = its index) and checks that each
// queue holds exactly the messages routed to it, once each, in order.
func mRouteTable(t *testing.T, kind string, ids []string, bindings []mBinding, routes []mRoute) {
	t.Helper()
	b := mStart(t)
	_, ch := b.channel(t)
	x := mName(t, "x")
	mExchange(t, b, ch, x, kind, false, false, false, nil)
	queues := map[string]string{}
	for _, id := range ids {
		queues[id] = mQueue(t, b, ch, mName(t, id), false, false, false, nil).Name
	}
	for _, bd := range bindings {
		if err := ch.QueueBind(queues[bd.q], bd.key, x, false, bd.args); err != nil {
			t.Fatalf("bind %s %q %v: %v", bd.q, bd.key, bd.args, err)
		}
	}
	want := map[string][]string{}
	for i, r := range routes {
		body := fmt.Sprint(i)
		mPubMsg(t, ch, x, r.key, false, amqp.Publishing{Headers: r.headers, Body: []byte(body)})
		for _, id := range r.want {
			want[id] = append(want[id], body)
		}
	}
	for _, id := range ids {
		got := mDrain(t, ch, queues[id])
		if !slices.Equal(got, want[id]) {
			var detail string
			for _, m := range got {
				if !slices.Contains(want[id], m) {
					var i int
					fmt.Sscan(m, &i)
					detail += fmt.Sprintf("\n\tunexpected: key %q headers %s", routes[i].key, mTypedTable(routes[i].headers))
				}
			}
			for _, m := range want[id] {
				if !slices.Contains(got, m) {
					var i int
					fmt.Sscan(m, &i)
					detail += fmt.Sprintf("\n\tmissing: key %q headers %s", routes[i].key, mTypedTable(routes[i].headers))
				}
			}
			t.Errorf("queue %s: got routes %v, want %v%s", id, got, want[id], detail)
		}
	}
}

func TestModelRoutingDirect(t *testing.T) {
	mRouteTable(t, "direct", []string{"q1", "q2", "q3"},
		[]mBinding{
			{q: "q1", key: "k1"},
			{q: "q2", key: "k1"}, // same key, two queues
			{q: "q2", key: "k2"}, // two keys, one queue
			{q: "q2", key: "k2"}, // a duplicate binding is one binding
			{q: "q3", key: ""},
			{q: "q3", key: "a.b"},
		},
		[]mRoute{
			{key: "k1", want: []string{"q1", "q2"}},
			{key: "k2", want: []string{"q2"}},
			{key: "K1"}, // case-sensitive
			{key: "k"},
			{key: "k1 "},
			{key: "", want: []string{"q3"}},
			{key: "a.b", want: []string{"q3"}},
			{key: "a.*"},
			{key: "nomatch"},
		})
}

func TestModelRoutingFanout(t *testing.T) {
	mRouteTable(t, "fanout", []string{"q1", "q2", "q3"},
		[]mBinding{
			{q: "q1", key: ""},
			{q: "q2", key: "a"},
			{q: "q2", key: "b"}, // two bindings: still one copy
		},
		[]mRoute{
			{key: "", want: []string{"q1", "q2"}},
			{key: "a", want: []string{"q1", "q2"}},
			{key: "zzz", want: []string{"q1", "q2"}},
		})
}

func TestModelRoutingTopic(t *testing.T) {
	ids := []string{"star", "hash", "a_hash_b", "all", "exact", "star_star", "empty",
		"a_star_b", "hash_b", "lone_star", "star_hash", "hash_hash", "a_dot",
		"hash_star", "star_hash_star", "a_hh_b", "h_a_h"}
	mRouteTable(t, "topic", ids,
		[]mBinding{
			{q: "star", key: "a.*"},
			{q: "hash", key: "a.#"},
			{q: "a_hash_b", key: "a.#.b"},
			{q: "all", key: "#"},
			{q: "exact", key: "a.b"},
			{q: "star_star", key: "*.*"},
			{q: "empty", key: ""},
			{q: "a_star_b", key: "a.*.b"},
			{q: "hash_b", key: "#.b"},
			{q: "lone_star", key: "*"},
			{q: "star_hash", key: "*.#"},
			{q: "hash_hash", key: "#.#"},
			{q: "a_dot", key: "a."},
			{q: "hash_star", key: "#.*"},        // one or more words
			{q: "star_hash_star", key: "*.#.*"}, // two or more words
			{q: "a_hh_b", key: "a.#.#.b"},
			{q: "h_a_h", key: "#.a.#"}, // contains the word a
		},
		[]mRoute{
			{key: "a", want: []string{"hash", "all", "lone_star", "star_hash", "hash_hash", "hash_star", "h_a_h"}},
			{key: "a.b", want: []string{"star", "hash", "a_hash_b", "all", "exact", "star_star", "hash_b", "star_hash", "hash_hash", "hash_star", "star_hash_star", "a_hh_b", "h_a_h"}},
			{key: "a.x.b", want: []string{"hash", "a_hash_b", "all", "a_star_b", "hash_b", "star_hash", "hash_hash", "hash_star", "star_hash_star", "a_hh_b", "h_a_h"}},
			{key: "a.x.y.b", want: []string{"hash", "a_hash_b", "all", "hash_b", "star_hash", "hash_hash", "hash_star", "star_hash_star", "a_hh_b", "h_a_h"}},
			{key: "a.b.c", want: []string{"hash", "all", "star_hash", "hash_hash", "hash_star", "star_hash_star", "h_a_h"}},
			{key: "b", want: []string{"all", "hash_b", "lone_star", "star_hash", "hash_hash", "hash_star"}},
			{key: "x.y", want: []string{"all", "star_star", "star_hash", "hash_hash", "hash_star", "star_hash_star"}},
			{key: "x.a.y", want: []string{"all", "star_hash", "hash_hash", "hash_star", "star_hash_star", "h_a_h"}},
			{key: "a.a.b.b", want: []string{"hash", "a_hash_b", "all", "hash_b", "star_hash", "hash_hash", "hash_star", "star_hash_star", "a_hh_b", "h_a_h"}},
			// Empty words.
			{key: "a..b", want: []string{"hash", "a_hash_b", "all", "a_star_b", "hash_b", "star_hash", "hash_hash", "hash_star", "star_hash_star", "a_hh_b", "h_a_h"}},
			{key: "a.", want: []string{"star", "hash", "all", "star_star", "star_hash", "hash_hash", "a_dot", "hash_star", "star_hash_star", "h_a_h"}},
			{key: ".b", want: []string{"all", "star_star", "hash_b", "star_hash", "hash_hash", "hash_star", "star_hash_star"}},
			{key: ".", want: []string{"all", "star_star", "star_hash", "hash_hash", "hash_star", "star_hash_star"}},
			{key: "", want: []string{"all", "empty", "hash_hash"}},
			// Words are whole: a prefix is not a match.
			{key: "ab", want: []string{"all", "lone_star", "star_hash", "hash_hash", "hash_star"}},
			{key: "A.B", want: []string{"all", "star_star", "star_hash", "hash_hash", "hash_star", "star_hash_star"}},
		})
}

func TestModelRoutingHeaders(t *testing.T) {
	ab := amqp.Table{"a": int32(1), "b": "x"}
	with := func(match string, t amqp.Table) amqp.Table {
		out := amqp.Table{"x-match": match}
		for k, v := range t {
			out[k] = v
		}
		return out
	}
	mRouteTable(t, "headers", []string{"all", "any", "default", "empty_all", "empty_any", "void", "x_all", "x_any"},
		[]mBinding{
			{q: "all", args: with("all", ab)},
			{q: "any", args: with("any", ab)},
			{q: "default", args: amqp.Table{"a": int32(1), "b": "x"}}, // x-match defaults to all
			{q: "empty_all", args: amqp.Table{"x-match": "all"}},
			{q: "empty_any", args: amqp.Table{"x-match": "any"}},
			{q: "void", args: amqp.Table{"x-match": "all", "c": nil}}, // void: the key must be present
			// Binding keys starting with x- are ignored by all / any.
			{q: "x_all", args: amqp.Table{"x-match": "all", "x-foo": "bar", "a": int32(1)}},
			{q: "x_any", args: amqp.Table{"x-match": "any", "x-foo": "bar"}},
		},
		[]mRoute{
			{headers: amqp.Table{"a": int32(1), "b": "x"}, want: []string{"all", "any", "default", "empty_all", "x_all"}},
			{headers: amqp.Table{"a": int32(1), "b": "x", "c": "z"}, want: []string{"all", "any", "default", "empty_all", "void", "x_all"}},
			{headers: amqp.Table{"a": int32(1)}, want: []string{"any", "empty_all", "x_all"}},
			{headers: amqp.Table{"a": int32(2), "b": "x"}, want: []string{"any", "empty_all"}},
			{headers: amqp.Table{"a": "1", "b": "y"}, want: []string{"empty_all"}},
			{headers: amqp.Table{"c": int32(5)}, want: []string{"empty_all", "void"}},
			{headers: amqp.Table{"x-foo": "bar"}, want: []string{"empty_all"}},
			{headers: nil, want: []string{"empty_all"}},
			// The routing key plays no part.
			{key: "a", headers: amqp.Table{"b": "x"}, want: []string{"any", "empty_all"}},
		})
}

// RabbitMQ compares header values with Erlang's ==: numbers are equal
// across integer and float types, a long string equals the same bytes as a
// byte array, but a number never equals a string or a boolean.
func TestModelRoutingHeadersValueTypes(t *testing.T) {
	mRouteTable(t, "headers", []string{"num", "str", "bool"},
		[]mBinding{
			{q: "num", args: amqp.Table{"n": int32(1)}},
			{q: "str", args: amqp.Table{"s": "x"}},
			{q: "bool", args: amqp.Table{"b": true}},
		},
		[]mRoute{
			{headers: amqp.Table{"n": int32(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": int64(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": int16(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": int8(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": byte(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": uint16(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": uint32(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": float64(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": float32(1)}, want: []string{"num"}},
			{headers: amqp.Table{"n": int32(2)}},
			{headers: amqp.Table{"n": float64(1.5)}},
			{headers: amqp.Table{"n": "1"}},
			{headers: amqp.Table{"n": true}},
			{headers: amqp.Table{"n": nil}},
			{headers: amqp.Table{"s": "x"}, want: []string{"str"}},
			{headers: amqp.Table{"s": []byte("x")}, want: []string{"str"}},
			{headers: amqp.Table{"s": "X"}},
			{headers: amqp.Table{"s": "x "}},
			{headers: amqp.Table{"b": true}, want: []string{"bool"}},
			{headers: amqp.Table{"b": false}},
			{headers: amqp.Table{"b": int32(1)}},
		})
}

// all-with-x and any-with-x (RabbitMQ 3.10+) also compare x- headers.
func TestModelRoutingHeadersWithX(t *testing.T) {
	mRouteTable(t, "headers", []string{"all_x", "any_x", "all"},
		[]mBinding{
			{q: "all_x", args: amqp.Table{"x-match": "all-with-x", "x-foo": "bar", "a": int32(1)}},
			{q: "any_x", args: amqp.Table{"x-match": "any-with-x", "x-foo": "bar", "a": int32(1)}},
			{q: "all", args: amqp.Table{"x-match": "all", "x-foo": "bar", "a": int32(1)}},
		},
		[]mRoute{
			{headers: amqp.Table{"x-foo": "bar", "a": int32(1)}, want: []string{"all_x", "any_x", "all"}},
			{headers: amqp.Table{"a": int32(1)}, want: []string{"any_x", "all"}},
			{headers: amqp.Table{"x-foo": "bar"}, want: []string{"any_x"}},
			{headers: amqp.Table{"x-foo": "baz", "a": int32(1)}, want: []string{"any_x", "all"}},
		})
}

func TestModelRoutingHeadersBadMatch(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	err := ch.QueueBind(q.Name, "", "amq.headers", false, amqp.Table{"x-match": "some"})
	// RabbitMQ: PRECONDITION_FAILED - Invalid x-match field value <<"some">>;
	// expected all, any, all-with-x, or any-with-x (Erlang-formatted: only
	// the prefix is checked).
	e := mErr(t, err, amqp.PreconditionFailed, "")
	if !strings.HasPrefix(e.Reason, "PRECONDITION_FAILED - Invalid x-match field value") {
		t.Fatalf("reply text %q", e.Reason)
	}
	mAlive(t, c)
}

func TestModelRoutingDefaultExchange(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	q1 := mQueue(t, b, ch, mName(t, "q1"), false, false, false, nil)
	q2 := mQueue(t, b, ch, mName(t, "q2"), false, false, false, nil)
	mPub(t, ch, "", q1.Name, "to q1")
	mPub(t, ch, "", q2.Name, "to q2")
	mPub(t, ch, "", mName(t, "nobody"), "dropped")
	mGetBody(t, ch, q1.Name, true, "to q1")
	mGetEmpty(t, ch, q1.Name)
	mGetBody(t, ch, q2.Name, true, "to q2")
	mGetEmpty(t, ch, q2.Name)

	// Binding to or unbinding from the default exchange is refused.
	err = ch.QueueBind(q1.Name, "k", "", false, nil)
	mErr(t, err, amqp.AccessRefused, "ACCESS_REFUSED - operation not permitted on the default exchange")
	ch, err = c.Channel()
	must(t, err)
	err = ch.QueueUnbind(q1.Name, q1.Name, "", nil)
	mErr(t, err, amqp.AccessRefused, "ACCESS_REFUSED - operation not permitted on the default exchange")
	mAlive(t, c)
}

// mTypedTable formats a table with the Go type of each value.
func mTypedTable(t amqp.Table) string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s: %T(%v)", k, t[k], t[k]))
	}
	return "{" + strings.Join(out, ", ") + "}"
}
