package e2e

// Alternate exchanges (the alternate-exchange exchange argument), checked
// against RabbitMQ 3.10 with WARREN_E2E_URL.

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// xReturns collects basic.return on ch.
func xReturns(ch *amqp.Channel) <-chan amqp.Return {
	return ch.NotifyReturn(make(chan amqp.Return, 16))
}

// xNoReturn asserts nothing is returned for a while; xReturned that the
// next return is for key.
func xNoReturn(t testing.TB, rets <-chan amqp.Return) {
	t.Helper()
	select {
	case r := <-rets:
		t.Fatalf("unexpected basic.return %d %s for %q", r.ReplyCode, r.ReplyText, r.RoutingKey)
	case <-time.After(150 * time.Millisecond):
	}
}

func xReturned(t testing.TB, rets <-chan amqp.Return, exchange, key string) amqp.Return {
	t.Helper()
	select {
	case r := <-rets:
		if r.ReplyCode != amqp.NoRoute || r.ReplyText != "NO_ROUTE" || r.Exchange != exchange || r.RoutingKey != key {
			t.Fatalf("returned %d %q exchange %q key %q, want 312 NO_ROUTE %q %q", r.ReplyCode, r.ReplyText, r.Exchange, r.RoutingKey, exchange, key)
		}
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("no basic.return for %q", key)
	}
	return amqp.Return{}
}

func xPubMandatory(t testing.TB, ch *amqp.Channel, exchange, key, body string) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, true, false, amqp.Publishing{Body: []byte(body)}))
}

// Unroutable messages go to the alternate exchange; routable ones do not;
// a mandatory message the alternate exchange routes is not returned.
func TestExchangeAlternateUnroutable(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, ae := mName(t, "x"), mName(t, "ae")
	q, qae := mName(t, "q"), mName(t, "qae")
	mExchange(t, b, ch, ae, "fanout", false, false, false, nil)
	mExchange(t, b, ch, x, "direct", false, false, false, amqp.Table{"alternate-exchange": ae})
	mQueue(t, b, ch, q, false, false, false, nil)
	mQueue(t, b, ch, qae, false, false, false, nil)
	must(t, ch.QueueBind(q, "k", x, false, nil))
	must(t, ch.QueueBind(qae, "", ae, false, nil))
	rets := xReturns(ch)
	xPubMandatory(t, ch, x, "k", "routed")
	xPubMandatory(t, ch, x, "other", "unroutable")
	xNoReturn(t, rets)
	mGetBody(t, ch, q, true, "routed")
	mGetEmpty(t, ch, q)
	d := mGetBody(t, ch, qae, true, "unroutable")
	// The message keeps the exchange and key it was published with.
	if d.Exchange != x || d.RoutingKey != "other" {
		t.Fatalf("delivered with exchange %q key %q", d.Exchange, d.RoutingKey)
	}
	mGetEmpty(t, ch, qae)
}

// An alternate exchange that does not exist is ignored: the message is
// unroutable, and returned if mandatory; the channel stays open.
func TestExchangeAlternateMissing(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x := mName(t, "x")
	mExchange(t, b, ch, x, "topic", false, false, false, amqp.Table{"alternate-exchange": mName(t, "nope")})
	rets := xReturns(ch)
	xPubMandatory(t, ch, x, "a.b", "lost")
	xReturned(t, rets, x, "a.b")
	mQueue(t, b, ch, mName(t, "alive"), false, false, false, nil)
}

// When the alternate exchange cannot route either, a mandatory message is
// returned with the exchange and key it was published with.
func TestExchangeAlternateAlsoUnroutable(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, ae := mName(t, "x"), mName(t, "ae")
	mExchange(t, b, ch, ae, "direct", false, false, false, nil)
	mExchange(t, b, ch, x, "direct", false, false, false, amqp.Table{"alternate-exchange": ae})
	rets := xReturns(ch)
	xPubMandatory(t, ch, x, "k", "nowhere")
	xReturned(t, rets, x, "k")
}

// Alternate exchanges chain (an alternate's own alternate is used), and a
// cycle of alternates ends: each exchange routes a message once.
func TestExchangeAlternateChainAndCycle(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, a1, a2 := mName(t, "x"), mName(t, "a1"), mName(t, "a2")
	q := mName(t, "q")
	// a2 -> x closes the cycle x -> a1 -> a2 -> x.
	mExchange(t, b, ch, a2, "direct", false, false, false, amqp.Table{"alternate-exchange": x})
	mExchange(t, b, ch, a1, "direct", false, false, false, amqp.Table{"alternate-exchange": a2})
	mExchange(t, b, ch, x, "direct", false, false, false, amqp.Table{"alternate-exchange": a1})
	mQueue(t, b, ch, q, false, false, false, nil)
	rets := xReturns(ch)
	xPubMandatory(t, ch, x, "k", "cycle")
	xReturned(t, rets, x, "k")
	// Now the last alternate in the chain routes "k".
	must(t, ch.QueueBind(q, "k", a2, false, nil))
	xPubMandatory(t, ch, x, "k", "chained")
	xPubMandatory(t, ch, a1, "k", "from-a1")
	xNoReturn(t, rets)
	mGetBody(t, ch, q, true, "chained")
	mGetBody(t, ch, q, true, "from-a1")
	mGetEmpty(t, ch, q)
}

// The alternate exchange is used per exchange, as RabbitMQ's routing does
// it: an exchange whose bindings lead only to another exchange that routes
// nowhere has routed (its alternate is not used), while that other
// exchange's own alternate is.
func TestExchangeAlternateWithExchangeBindings(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, y, aeX, aeY := mName(t, "x"), mName(t, "y"), mName(t, "aex"), mName(t, "aey")
	qx, qy := mName(t, "qx"), mName(t, "qy")
	mExchange(t, b, ch, aeX, "fanout", false, false, false, nil)
	mExchange(t, b, ch, aeY, "fanout", false, false, false, nil)
	mExchange(t, b, ch, y, "direct", false, false, false, nil)
	mExchange(t, b, ch, x, "fanout", false, false, false, amqp.Table{"alternate-exchange": aeX})
	mQueue(t, b, ch, qx, false, false, false, nil)
	mQueue(t, b, ch, qy, false, false, false, nil)
	must(t, ch.QueueBind(qx, "", aeX, false, nil))
	must(t, ch.QueueBind(qy, "", aeY, false, nil))
	must(t, ch.ExchangeBind(y, "", x, false, nil))
	rets := xReturns(ch)
	xPubMandatory(t, ch, x, "k", "one")
	xReturned(t, rets, x, "k")
	mGetEmpty(t, ch, qx)
	// Give y an alternate: redeclaring is not allowed to change it, so
	// rebuild y.
	must(t, ch.ExchangeDelete(y, false, false))
	mExchange(t, b, ch, y, "direct", false, false, false, amqp.Table{"alternate-exchange": aeY})
	must(t, ch.ExchangeBind(y, "", x, false, nil))
	xPubMandatory(t, ch, x, "k", "two")
	xNoReturn(t, rets)
	mGetEmpty(t, ch, qx)
	mGetBody(t, ch, qy, true, "two")
}

// Internal exchanges refuse direct publishes but work as alternate
// exchanges and as destinations of exchange-to-exchange bindings.
func TestExchangeAlternateInternal(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	x, ie, src := mName(t, "x"), mName(t, "internal"), mName(t, "src")
	q := mName(t, "q")
	mExchange(t, b, ch, ie, "fanout", false, false, true, nil)
	mExchange(t, b, ch, x, "direct", false, false, false, amqp.Table{"alternate-exchange": ie})
	mExchange(t, b, ch, src, "fanout", false, false, false, nil)
	mQueue(t, b, ch, q, false, false, false, nil)
	must(t, ch.QueueBind(q, "", ie, false, nil))
	mPub(t, ch, x, "unbound", "via-ae")
	mGetBody(t, ch, q, true, "via-ae")
	must(t, ch.ExchangeBind(ie, "", src, false, nil))
	mPub(t, ch, src, "any", "via-e2e")
	mGetBody(t, ch, q, true, "via-e2e")
	// Publishing to the internal exchange itself is refused.
	ch2, err := c.Channel()
	must(t, err)
	closed := ch2.NotifyClose(make(chan *amqp.Error, 1))
	must(t, ch2.PublishWithContext(context.Background(), ie, "", false, false, amqp.Publishing{Body: []byte("x")}))
	mErr(t, mWaitClose(t, closed), amqp.AccessRefused,
		fmt.Sprintf("ACCESS_REFUSED - cannot publish to internal exchange '%s' in vhost '/'", ie))
}

// Confirms: a message the alternate exchange routes is acked, and so is
// one nothing routes (after its basic.return).
func TestExchangeAlternateConfirms(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, ae, q := mName(t, "x"), mName(t, "ae"), mName(t, "q")
	mExchange(t, b, ch, ae, "direct", false, false, false, nil)
	mExchange(t, b, ch, x, "direct", false, false, false, amqp.Table{"alternate-exchange": ae})
	mQueue(t, b, ch, q, true, false, false, nil)
	must(t, ch.QueueBind(q, "saved", ae, false, nil))
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 4))
	rets := xReturns(ch)
	mPubMsg(t, ch, x, "saved", true, amqp.Publishing{Body: []byte("p"), DeliveryMode: amqp.Persistent})
	mPubMsg(t, ch, x, "lost", true, amqp.Publishing{Body: []byte("l")})
	for i := 1; i <= 2; i++ {
		select {
		case c := <-confirms:
			if !c.Ack || c.DeliveryTag != uint64(i) {
				t.Fatalf("confirm %+v, want ack %d", c, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no confirm")
		}
	}
	xReturned(t, rets, x, "lost")
	mGetBody(t, ch, q, true, "p")
}

// The alternate-exchange argument must be a string (longstr); it is part
// of an exchange's equivalence.
func TestExchangeAlternateArgument(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	for _, tc := range []struct {
		val  any
		kind string
	}{{int32(5), "signedint"}, {amqp.Table{}, "table"}, {[]byte("ae"), "binary"}, {true, "bool"}} {
		ch, err := c.Channel()
		must(t, err)
		x := mName(t, tc.kind)
		mCleanup(t, b, nil, []string{x})
		err = ch.ExchangeDeclare(x, "direct", false, false, false, false, amqp.Table{"alternate-exchange": tc.val})
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(
			"PRECONDITION_FAILED - invalid type '%s' for arg 'alternate-exchange' in exchange '%s' in vhost '/'", tc.kind, x))
	}
	ch, err := c.Channel()
	must(t, err)
	x := mName(t, "x")
	mExchange(t, b, ch, x, "direct", false, false, false, amqp.Table{"alternate-exchange": "a"})
	must(t, ch.ExchangeDeclare(x, "direct", false, false, false, false, amqp.Table{"alternate-exchange": "a"}))
	err = ch.ExchangeDeclare(x, "direct", false, false, false, false, amqp.Table{"alternate-exchange": "b"})
	// RabbitMQ says "received 'b' but current is 'a'" when both values
	// have the same type; Warren's shared equivalence check (args.go)
	// names the types too, so only the code is compared here.
	mErr(t, err, amqp.PreconditionFailed, "")
}
