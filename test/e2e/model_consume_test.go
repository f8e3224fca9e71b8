package e2e

import (
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RabbitMQ's per-consumer prefetch (global=false) is fixed when the
// consumer is created: a later basic.qos applies to later consumers only.
func TestModelQosAppliesToNewConsumers(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 8)
	must(t, ch.Qos(1, 0, false))
	ds1, err := ch.Consume(q, "c1", false, false, false, false, nil)
	must(t, err)
	d := recv(t, ds1)
	must(t, ch.Qos(3, 0, false))
	noDelivery(t, ds1)
	must(t, d.Ack(false))
	recv(t, ds1)
	noDelivery(t, ds1)
	// A new consumer gets the new limit.
	ds2, err := ch.Consume(q, "c2", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < 3; i++ {
		recv(t, ds2)
	}
	noDelivery(t, ds2)
}

// A prefetch count of 0 is no limit; auto-ack consumers ignore the limit.
func TestModelQosUnlimited(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q1 := mFill(t, b, ch, "q1", 20)
	q2 := mFill(t, b, ch, "q2", 20)
	must(t, ch.Qos(0, 0, false))
	ds, err := ch.Consume(q1, "unlimited", false, false, false, false, nil)
	must(t, err)
	for i := 1; i <= 20; i++ {
		if d := recv(t, ds); string(d.Body) != fmt.Sprint(i) {
			t.Fatalf("got %q, want %d", d.Body, i)
		}
	}
	must(t, ch.Qos(1, 0, false))
	ds, err = ch.Consume(q2, "autoack", true, false, false, false, nil)
	must(t, err)
	for i := 1; i <= 20; i++ {
		if d := recv(t, ds); string(d.Body) != fmt.Sprint(i) {
			t.Fatalf("got %q, want %d", d.Body, i)
		}
	}
}

func TestModelQosPrefetchSize(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	err := ch.Qos(0, 10, false)
	mErr(t, err, amqp.NotImplemented, "NOT_IMPLEMENTED - prefetch_size!=0 (10)")
	mConnClosed(t, c, closes, amqp.NotImplemented, "NOT_IMPLEMENTED - prefetch_size!=0 (10)")
}

func TestModelRecoverNoRequeue(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 1)
	mGet(t, ch, q, false)
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	err := ch.Recover(false)
	mErr(t, err, amqp.NotImplemented, "NOT_IMPLEMENTED - requeue=false")
	mConnClosed(t, c, closes, amqp.NotImplemented, "NOT_IMPLEMENTED - requeue=false")
	// The connection's unacked message comes back (asynchronously).
	_, ch2 := b.channel(t)
	var d amqp.Delivery
	mEventually(t, "the unacked message is requeued", func() bool {
		var ok bool
		d, ok, err = ch2.Get(q, true)
		must(t, err)
		return ok
	})
	if string(d.Body) != "1" || !d.Redelivered {
		t.Fatalf("got %q redelivered=%v, want 1 true", d.Body, d.Redelivered)
	}
}

// basic.recover also requeues messages taken by basic.get.
func TestModelRecoverGet(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 2)
	mGet(t, ch, q, false)
	mGet(t, ch, q, false)
	must(t, ch.Recover(true))
	for _, want := range []string{"1", "2"} {
		if d := mGetBody(t, ch, q, true, want); !d.Redelivered {
			t.Fatalf("%s: not flagged redelivered", want)
		}
	}
	mGetEmpty(t, ch, q)
}

func TestModelConsumeMisc(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	// Cancelling an unknown consumer tag is answered with cancel-ok.
	must(t, ch.Cancel("never-consumed", false))
	// Consuming from a missing queue is a 404.
	missing := mName(t, "missing")
	_, err = ch.Consume(missing, "c", false, false, false, false, nil)
	mErr(t, err, amqp.NotFound, mNoQueue(missing))
	mAlive(t, c)
}

// Delivery tags are one sequence per channel, shared by basic.get and
// consumers, starting at 1.
func TestModelDeliveryTags(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 4)
	if d := mGet(t, ch, q, false); d.DeliveryTag != 1 {
		t.Fatalf("first tag %d, want 1", d.DeliveryTag)
	}
	ds, err := ch.Consume(q, "c", false, false, false, false, nil)
	must(t, err)
	for tag := uint64(2); tag <= 4; tag++ {
		if d := recv(t, ds); d.DeliveryTag != tag {
			t.Fatalf("consumed tag %d, want %d", d.DeliveryTag, tag)
		}
	}
	must(t, ch.Cancel("c", false))
	mPub(t, ch, "", q, "5")
	if d := mGet(t, ch, q, false); d.DeliveryTag != 5 {
		t.Fatalf("tag %d after the consumer's, want 5", d.DeliveryTag)
	}
	must(t, ch.Ack(5, true))
	// Another channel has its own sequence.
	ch2, err := c.Channel()
	must(t, err)
	mPub(t, ch2, "", q, "6")
	if d := mGet(t, ch2, q, false); d.DeliveryTag != 1 {
		t.Fatalf("tag %d on a new channel, want 1", d.DeliveryTag)
	}
}

// The owner's exclusive queue outlives the channel that declared it.
func TestModelQueueExclusiveSurvivesChannel(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "q")
	mQueue(t, b, ch, name, false, false, true, nil)
	mPub(t, ch, "", name, "kept")
	must(t, ch.Close())
	ch, err := c.Channel()
	must(t, err)
	mGetBody(t, ch, name, true, "kept")
}
