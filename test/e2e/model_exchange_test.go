package e2e

import (
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestModelExchangeDeclareKinds(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	for _, kind := range []string{"direct", "fanout", "topic", "headers"} {
		name := mName(t, kind)
		mExchange(t, b, ch, name, kind, false, false, false, nil)
		// An identical redeclare and a passive declare both succeed.
		must(t, ch.ExchangeDeclare(name, kind, false, false, false, false, nil))
		must(t, ch.ExchangeDeclarePassive(name, kind, false, false, false, false, nil))
		// A passive declare does not check the type (even an unknown one)
		// or the flags.
		must(t, ch.ExchangeDeclarePassive(name, "fanout", true, true, false, false, nil))
		must(t, ch.ExchangeDeclarePassive(name, "x-no-such-type", false, false, true, false, nil))
	}
	// Durable too.
	name := mName(t, "durable")
	mExchange(t, b, ch, name, "topic", true, false, false, nil)
	must(t, ch.ExchangeDeclare(name, "topic", true, false, false, false, nil))
}

func TestModelExchangePassiveMissing(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "missing")
	err := ch.ExchangeDeclarePassive(name, "direct", false, false, false, false, nil)
	mErr(t, err, amqp.NotFound, mNoExchange(name))
	if !ch.IsClosed() {
		t.Fatal("channel still open after a 404")
	}
	mAlive(t, c)
}

func TestModelExchangeInequivalent(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	name := mName(t, "x")
	mExchange(t, b, ch, name, "direct", false, false, false, nil)
	cases := []struct {
		arg, kind            string
		durable, autoDelete  bool
		internal             bool
		received, currentVal string
	}{
		{"type", "fanout", false, false, false, "fanout", "direct"},
		{"durable", "direct", true, false, false, "true", "false"},
		{"auto_delete", "direct", false, true, false, "true", "false"},
		{"internal", "direct", false, false, true, "true", "false"},
	}
	for _, tc := range cases {
		ch, err := c.Channel()
		must(t, err)
		err = ch.ExchangeDeclare(name, tc.kind, tc.durable, tc.autoDelete, tc.internal, false, nil)
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(
			"PRECONDITION_FAILED - inequivalent arg '%s' for exchange '%s' in vhost '/': received '%s' but current is '%s'",
			tc.arg, name, tc.received, tc.currentVal))
		if !ch.IsClosed() {
			t.Fatalf("%s: channel still open after a 406", tc.arg)
		}
	}
	mAlive(t, c)
	// The exchange is unchanged.
	ch, err = c.Channel()
	must(t, err)
	must(t, ch.ExchangeDeclare(name, "direct", false, false, false, false, nil))
}

func TestModelExchangeReservedPrefix(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := "amq." + mName(t, "x")
	err := ch.ExchangeDeclare(name, "direct", false, false, false, false, nil)
	mErr(t, err, amqp.AccessRefused, fmt.Sprintf("ACCESS_REFUSED - exchange name '%s' contains reserved prefix 'amq.*'", name))
	mAlive(t, c)
	if mExchangeExists(t, b, name) {
		t.Fatal("refused exchange was created")
	}
}

// The amq. prefix rule applies to creation only: redeclaring an existing
// amq.* exchange with its own attributes is fine, with others a 406.
func TestModelExchangeRedeclarePredeclared(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	must(t, ch.ExchangeDeclare("amq.direct", "direct", true, false, false, false, nil))
	err := ch.ExchangeDeclare("amq.direct", "direct", false, false, false, false, nil)
	mErr(t, err, amqp.PreconditionFailed, "PRECONDITION_FAILED - inequivalent arg 'durable' for exchange 'amq.direct' in vhost '/': received 'false' but current is 'true'")
}

// The default exchange cannot be declared, nor deleted.
func TestModelExchangeDefaultRefused(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	err := ch.ExchangeDeclare("", "direct", true, false, false, false, nil)
	mErr(t, err, amqp.AccessRefused, "ACCESS_REFUSED - operation not permitted on the default exchange")
	ch, err = c.Channel()
	must(t, err)
	err = ch.ExchangeDelete("", false, false)
	mErr(t, err, amqp.AccessRefused, "ACCESS_REFUSED - operation not permitted on the default exchange")
	mAlive(t, c)
}

func TestModelExchangeUnknownType(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	name := mName(t, "x")
	mCleanup(t, b, nil, []string{name})
	err := ch.ExchangeDeclare(name, "x-no-such-type", false, false, false, false, nil)
	mErr(t, err, amqp.CommandInvalid, "COMMAND_INVALID - unknown exchange type 'x-no-such-type'")
	mConnClosed(t, c, closes, amqp.CommandInvalid, "COMMAND_INVALID - unknown exchange type 'x-no-such-type'")
	if mExchangeExists(t, b, name) {
		t.Fatal("exchange of an unknown type was created")
	}
}

// The type is checked before the name: an unknown type is a 503 even for
// a reserved or an existing name.
func TestModelExchangeUnknownTypeFirst(t *testing.T) {
	b := mStart(t)
	for _, name := range []string{"amq." + mName(t, "x"), "amq.direct"} {
		t.Run(name, func(t *testing.T) {
			c, ch := b.channel(t)
			closes := c.NotifyClose(make(chan *amqp.Error, 1))
			err := ch.ExchangeDeclare(name, "x-no-such-type", true, false, false, false, nil)
			mErr(t, err, amqp.CommandInvalid, "COMMAND_INVALID - unknown exchange type 'x-no-such-type'")
			mConnClosed(t, c, closes, amqp.CommandInvalid, "COMMAND_INVALID - unknown exchange type 'x-no-such-type'")
		})
	}
}

func TestModelExchangeDelete(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	x := mName(t, "x")
	mExchange(t, b, ch, x, "direct", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "k", x, false, nil))

	// if-unused on a bound exchange is refused.
	err = ch.ExchangeDelete(x, true, false)
	mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf("PRECONDITION_FAILED - exchange '%s' in vhost '/' in use", x))
	if !mExchangeExists(t, b, x) {
		t.Fatal("exchange deleted despite if-unused")
	}

	// Unbound, if-unused succeeds.
	ch, err = c.Channel()
	must(t, err)
	must(t, ch.QueueUnbind(q.Name, "k", x, nil))
	must(t, ch.ExchangeDelete(x, true, false))
	if mExchangeExists(t, b, x) {
		t.Fatal("exchange still exists after delete")
	}

	// A plain delete of a bound exchange removes its bindings too.
	x2 := mName(t, "x2")
	mExchange(t, b, ch, x2, "fanout", false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "", x2, false, nil))
	must(t, ch.ExchangeDelete(x2, false, false))
	mExchange(t, b, ch, x2, "fanout", false, false, false, nil)
	mPub(t, ch, x2, "", "after")
	mGetEmpty(t, ch, q.Name)

	// Deleting a missing exchange is not an error in RabbitMQ (exchange.delete
	// is idempotent): delete-ok, and the channel stays open.
	missing := mName(t, "missing")
	must(t, ch.ExchangeDelete(missing, false, false))
	must(t, ch.ExchangeDelete(missing, true, false))
	if ch.IsClosed() {
		t.Fatal("channel closed by a delete of a missing exchange")
	}
	mAlive(t, c)
}

func TestModelExchangePredeclared(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	for _, x := range []struct{ name, kind string }{
		{"amq.direct", "direct"}, {"amq.fanout", "fanout"}, {"amq.topic", "topic"},
		{"amq.headers", "headers"}, {"amq.match", "headers"},
	} {
		t.Run(x.name, func(t *testing.T) {
			c := b.dial(t)
			ch, err := c.Channel()
			must(t, err)
			if err := ch.ExchangeDeclarePassive(x.name, x.kind, true, false, false, false, nil); err != nil {
				t.Fatalf("passive: %v", err)
			}
			// Each is durable and of its type: an active redeclare with
			// those attributes is accepted.
			if err := ch.ExchangeDeclare(x.name, x.kind, true, false, false, false, nil); err != nil {
				t.Fatalf("redeclare: %v", err)
			}
		})
	}

	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	key := mName(t, "key")
	must(t, ch.QueueBind(q.Name, key, "amq.direct", false, nil))
	must(t, ch.QueueBind(q.Name, key+".#", "amq.topic", false, nil))
	must(t, ch.QueueBind(q.Name, "", "amq.headers", false, amqp.Table{"x-match": "all", "model-key": key}))
	must(t, ch.QueueBind(q.Name, "", "amq.match", false, amqp.Table{"x-match": "all", "model-key2": key}))
	mPub(t, ch, "amq.direct", key, "direct")
	mPub(t, ch, "amq.topic", key+".a.b", "topic")
	mPubMsg(t, ch, "amq.headers", "", false, amqp.Publishing{Headers: amqp.Table{"model-key": key}, Body: []byte("headers")})
	mPubMsg(t, ch, "amq.match", "", false, amqp.Publishing{Headers: amqp.Table{"model-key2": key}, Body: []byte("match")})
	// The default exchange routes by queue name.
	mPub(t, ch, "", q.Name, "default")
	for _, want := range []string{"direct", "topic", "headers", "match", "default"} {
		mGetBody(t, ch, q.Name, true, want)
	}
	mGetEmpty(t, ch, q.Name)
}

func TestModelExchangeDeletePredeclared(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	for _, x := range []string{"amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"} {
		ch, err := c.Channel()
		must(t, err)
		err = ch.ExchangeDelete(x, false, false)
		mErr(t, err, amqp.AccessRefused, fmt.Sprintf("ACCESS_REFUSED - deletion of system exchange '%s' in vhost '/' not allowed", x))
		if !mExchangeExists(t, b, x) {
			t.Fatalf("%s deleted", x)
		}
	}
	mAlive(t, c)
}

func TestModelExchangeToExchange(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	src, dst := mName(t, "src"), mName(t, "dst")
	mExchange(t, b, ch, src, "direct", false, false, false, nil)
	mExchange(t, b, ch, dst, "fanout", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "", dst, false, nil))
	must(t, ch.ExchangeBind(dst, "k", src, false, nil))

	mPub(t, ch, src, "k", "one")
	mPub(t, ch, src, "other", "dropped")
	mPub(t, ch, dst, "anything", "two")
	if got := mDrain(t, ch, q.Name); fmt.Sprint(got) != "[one two]" {
		t.Fatalf("got %q, want [one two]", got)
	}

	must(t, ch.ExchangeUnbind(dst, "k", src, false, nil))
	mPub(t, ch, src, "k", "after unbind")
	mGetEmpty(t, ch, q.Name)

	// Binding to or from a missing exchange is a 404.
	c2, ch2 := b.channel(t)
	missing := mName(t, "missing")
	err := ch2.ExchangeBind(dst, "k", missing, false, nil)
	mErr(t, err, amqp.NotFound, mNoExchange(missing))
	ch2, err = c2.Channel()
	must(t, err)
	err = ch2.ExchangeBind(missing, "k", src, false, nil)
	mErr(t, err, amqp.NotFound, mNoExchange(missing))
}

func TestModelExchangeCycle(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	e1, e2 := mName(t, "e1"), mName(t, "e2")
	mExchange(t, b, ch, e1, "fanout", false, false, false, nil)
	mExchange(t, b, ch, e2, "fanout", false, false, false, nil)
	must(t, ch.ExchangeBind(e2, "", e1, false, nil))
	must(t, ch.ExchangeBind(e1, "", e2, false, nil))
	q1 := mQueue(t, b, ch, mName(t, "q1"), false, false, false, nil)
	q2 := mQueue(t, b, ch, mName(t, "q2"), false, false, false, nil)
	must(t, ch.QueueBind(q1.Name, "", e1, false, nil))
	must(t, ch.QueueBind(q2.Name, "", e2, false, nil))
	must(t, ch.QueueBind(q2.Name, "", e1, false, nil))

	mPub(t, ch, e1, "", "from e1")
	mPub(t, ch, e2, "", "from e2")
	for _, q := range []string{q1.Name, q2.Name} {
		if got := mDrain(t, ch, q); fmt.Sprint(got) != "[from e1 from e2]" {
			t.Fatalf("%s: got %q, want each message exactly once", q, got)
		}
	}
}

func TestModelExchangeDiamond(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	top, left, right, bottom := mName(t, "top"), mName(t, "left"), mName(t, "right"), mName(t, "bottom")
	mExchange(t, b, ch, top, "fanout", false, false, false, nil)
	mExchange(t, b, ch, left, "topic", false, false, false, nil)
	mExchange(t, b, ch, right, "direct", false, false, false, nil)
	mExchange(t, b, ch, bottom, "fanout", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.ExchangeBind(left, "", top, false, nil))
	must(t, ch.ExchangeBind(right, "", top, false, nil))
	must(t, ch.ExchangeBind(bottom, "#", left, false, nil))
	must(t, ch.ExchangeBind(bottom, "k", right, false, nil))
	must(t, ch.QueueBind(q.Name, "", bottom, false, nil))
	// And directly, by two keys, from the top and the left.
	must(t, ch.QueueBind(q.Name, "", top, false, nil))
	must(t, ch.QueueBind(q.Name, "k", left, false, nil))
	must(t, ch.QueueBind(q.Name, "*", left, false, nil))

	mPub(t, ch, top, "k", "m1")
	mPub(t, ch, top, "other.key", "m2")
	if got := mDrain(t, ch, q.Name); fmt.Sprint(got) != "[m1 m2]" {
		t.Fatalf("got %q, want each message exactly once", got)
	}
}

func TestModelExchangeAutoDelete(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)

	// Never bound: it stays.
	x := mName(t, "x")
	mExchange(t, b, ch, x, "direct", false, true, false, nil)
	if !mExchangeExists(t, b, x) {
		t.Fatal("auto-delete exchange without bindings was deleted")
	}
	// Deleted when its last binding is unbound.
	must(t, ch.QueueBind(q.Name, "a", x, false, nil))
	must(t, ch.QueueBind(q.Name, "b", x, false, nil))
	must(t, ch.QueueUnbind(q.Name, "a", x, nil))
	if !mExchangeExists(t, b, x) {
		t.Fatal("auto-delete exchange deleted while it still has a binding")
	}
	must(t, ch.QueueUnbind(q.Name, "b", x, nil))
	mEventually(t, "the auto-delete exchange is deleted", func() bool { return !mExchangeExists(t, b, x) })

	// Deleted when the queue of its last binding is deleted.
	x2 := mName(t, "x2")
	mExchange(t, b, ch, x2, "fanout", false, true, false, nil)
	q2 := mQueue(t, b, ch, mName(t, "q2"), false, false, false, nil)
	must(t, ch.QueueBind(q2.Name, "", x2, false, nil))
	_, err := ch.QueueDelete(q2.Name, false, false, false)
	must(t, err)
	mEventually(t, "the auto-delete exchange is deleted", func() bool { return !mExchangeExists(t, b, x2) })

	// Deleted when its last exchange-to-exchange binding goes.
	x3, dst := mName(t, "x3"), mName(t, "dst")
	mExchange(t, b, ch, x3, "fanout", false, true, false, nil)
	mExchange(t, b, ch, dst, "fanout", false, false, false, nil)
	must(t, ch.ExchangeBind(dst, "", x3, false, nil))
	must(t, ch.ExchangeUnbind(dst, "", x3, false, nil))
	mEventually(t, "the auto-delete exchange is deleted", func() bool { return !mExchangeExists(t, b, x3) })
}

func TestModelExchangeInternal(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	x, pub := mName(t, "internal"), mName(t, "public")
	mExchange(t, b, ch, x, "fanout", false, false, true, nil)
	mExchange(t, b, ch, pub, "fanout", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "", x, false, nil))
	must(t, ch.ExchangeBind(x, "", pub, false, nil))

	// Reachable through another exchange.
	mPub(t, ch, pub, "", "via public")
	mGetBody(t, ch, q.Name, true, "via public")

	// A direct publish closes the channel (asynchronously: basic.publish has
	// no reply) with 403.
	pch, err := c.Channel()
	must(t, err)
	closes := pch.NotifyClose(make(chan *amqp.Error, 1))
	mPub(t, pch, x, "", "direct")
	e := mWaitClose(t, closes)
	mErr(t, e, amqp.AccessRefused, fmt.Sprintf("ACCESS_REFUSED - cannot publish to internal exchange '%s' in vhost '/'", x))
	mAlive(t, c)
	mGetEmpty(t, ch, q.Name)
}

func TestModelExchangePublishMissing(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	x := mName(t, "missing")
	mPub(t, ch, x, "k", "lost")
	mErr(t, mWaitClose(t, closes), amqp.NotFound, mNoExchange(x))
	mAlive(t, c)
}
