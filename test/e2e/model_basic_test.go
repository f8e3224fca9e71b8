package e2e

import (
	"fmt"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// mFill declares a queue on ch holding bodies 1..n.
func mFill(t *testing.T, b *broker, ch *amqp.Channel, suffix string, n int) string {
	t.Helper()
	name := mName(t, suffix)
	mQueue(t, b, ch, name, false, false, false, nil)
	for i := 1; i <= n; i++ {
		mPub(t, ch, "", name, fmt.Sprint(i))
	}
	return name
}

func TestModelBasicQosPerConsumer(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 6)
	must(t, ch.Qos(2, 0, false))
	ds, err := ch.Consume(q, "c1", false, false, false, false, nil)
	must(t, err)
	d1, d2 := recv(t, ds), recv(t, ds)
	if string(d1.Body) != "1" || string(d2.Body) != "2" {
		t.Fatalf("got %q %q, want 1 2", d1.Body, d2.Body)
	}
	noDelivery(t, ds)
	must(t, d1.Ack(false))
	d3 := recv(t, ds)
	if string(d3.Body) != "3" {
		t.Fatalf("got %q, want 3", d3.Body)
	}
	noDelivery(t, ds)
	// A multiple ack frees both slots.
	must(t, d3.Ack(true))
	recv(t, ds)
	recv(t, ds)
	noDelivery(t, ds)

	// Each consumer of the channel gets its own limit.
	ds2, err := ch.Consume(q, "c2", false, false, false, false, nil)
	must(t, err)
	d6 := recv(t, ds2)
	if string(d6.Body) != "6" {
		t.Fatalf("second consumer got %q, want 6", d6.Body)
	}
}

func TestModelBasicQosGlobal(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q1 := mFill(t, b, ch, "q1", 5)
	q2 := mFill(t, b, ch, "q2", 5)
	// RabbitMQ: global=true is one limit shared by all the channel's
	// consumers.
	must(t, ch.Qos(3, 0, true))
	ds1, err := ch.Consume(q1, "c1", false, false, false, false, nil)
	must(t, err)
	ds2, err := ch.Consume(q2, "c2", false, false, false, false, nil)
	must(t, err)
	var got []amqp.Delivery
	for len(got) < 3 {
		select {
		case d := <-ds1:
			got = append(got, d)
		case d := <-ds2:
			got = append(got, d)
		case <-mAfter():
			t.Fatalf("got %d deliveries, want 3", len(got))
		}
	}
	noDelivery(t, ds1)
	noDelivery(t, ds2)
	must(t, got[0].Ack(false))
	select {
	case <-ds1:
	case <-ds2:
	case <-mAfter():
		t.Fatal("no delivery after an ack freed a slot")
	}
	noDelivery(t, ds1)
	noDelivery(t, ds2)
}

func TestModelBasicConsumerTags(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 2)
	ds, err := ch.Consume(q, "my-tag", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < 2; i++ {
		if d := recv(t, ds); d.ConsumerTag != "my-tag" {
			t.Fatalf("delivery consumer tag %q, want my-tag", d.ConsumerTag)
		}
	}

	// An empty tag gets a server-generated amq.ctag- one (amqp091-go always
	// sends its own tag, hence the raw client).
	r, _ := mRawOpen(t, b, 0)
	r.method(1, &wire.ChannelOpen{})
	mRawExpect[*wire.ChannelOpenOk](r, 1)
	r.method(1, &wire.BasicConsume{Queue: q})
	ok1 := mRawExpect[*wire.BasicConsumeOk](r, 1)
	r.method(1, &wire.BasicConsume{Queue: q})
	ok2 := mRawExpect[*wire.BasicConsumeOk](r, 1)
	for _, tag := range []string{ok1.ConsumerTag, ok2.ConsumerTag} {
		if !strings.HasPrefix(tag, "amq.ctag-") || len(tag) <= len("amq.ctag-") {
			t.Fatalf("server-generated tag %q, want amq.ctag-...", tag)
		}
	}
	if ok1.ConsumerTag == ok2.ConsumerTag {
		t.Fatalf("two generated tags are both %q", ok1.ConsumerTag)
	}
	r.method(1, &wire.BasicCancel{ConsumerTag: ok1.ConsumerTag})
	if c := mRawExpect[*wire.BasicCancelOk](r, 1); c.ConsumerTag != ok1.ConsumerTag {
		t.Fatalf("cancel-ok for %q, want %q", c.ConsumerTag, ok1.ConsumerTag)
	}
}

func TestModelBasicDuplicateTag(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	q := mFill(t, b, ch, "q", 0)
	_, err := ch.Consume(q, "dup", false, false, false, false, nil)
	must(t, err)
	_, err = ch.Consume(q, "dup", false, false, false, false, nil)
	mErr(t, err, amqp.NotAllowed, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'")
	mConnClosed(t, c, closes, amqp.NotAllowed, "NOT_ALLOWED - attempt to reuse consumer tag 'dup'")

	// The same tag on another channel is fine.
	c2 := b.dial(t)
	ch1, err := c2.Channel()
	must(t, err)
	ch2, err := c2.Channel()
	must(t, err)
	_, err = ch1.Consume(q, "same", false, false, false, false, nil)
	must(t, err)
	_, err = ch2.Consume(q, "same", false, false, false, false, nil)
	must(t, err)
}

func TestModelBasicExclusiveConsume(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	q := mFill(t, b, ch, "q", 0)
	inUse := fmt.Sprintf("ACCESS_REFUSED - queue '%s' in vhost '/' in exclusive use", q)

	// Exclusive while another consumer exists.
	_, err = ch.Consume(q, "shared", false, false, false, false, nil)
	must(t, err)
	ch2, err := c.Channel()
	must(t, err)
	_, err = ch2.Consume(q, "excl", false, true, false, false, nil)
	mErr(t, err, amqp.AccessRefused, inUse)
	must(t, ch.Cancel("shared", false))

	// Any consumer after an exclusive one.
	ch2, err = c.Channel()
	must(t, err)
	_, err = ch2.Consume(q, "excl", false, true, false, false, nil)
	must(t, err)
	for _, exclusive := range []bool{false, true} {
		ch3, err := c.Channel()
		must(t, err)
		_, err = ch3.Consume(q, "second", false, exclusive, false, false, nil)
		mErr(t, err, amqp.AccessRefused, inUse)
	}
	// Once cancelled, others may consume again.
	must(t, ch2.Cancel("excl", false))
	ch3, err := c.Channel()
	must(t, err)
	_, err = ch3.Consume(q, "after", false, false, false, false, nil)
	must(t, err)
	mAlive(t, c)
}

func TestModelBasicCancelKeepsUnacked(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 3)
	ds, err := ch.Consume(q, "c", false, false, false, false, nil)
	must(t, err)
	var tags []uint64
	for i := 0; i < 3; i++ {
		tags = append(tags, recv(t, ds).DeliveryTag)
	}
	must(t, ch.Cancel("c", false))
	if _, ok := <-ds; ok {
		t.Fatal("delivery after cancel")
	}
	// Still unacked: not ready, not requeued by the cancel.
	if q := mInspect(t, c, q); q.Messages != 0 || q.Consumers != 0 {
		t.Fatalf("after cancel: %d ready %d consumers, want 0 0", q.Messages, q.Consumers)
	}
	mGetEmpty(t, ch, q)
	// And they can still be acked and rejected.
	must(t, ch.Ack(tags[0], false))
	must(t, ch.Reject(tags[1], true))
	d := mGetBody(t, ch, q, true, "2")
	if !d.Redelivered {
		t.Fatal("requeued message not flagged redelivered")
	}
	must(t, ch.Close())
	// Closing the channel requeues the last one.
	ch, err = c.Channel()
	must(t, err)
	d = mGetBody(t, ch, q, true, "3")
	if !d.Redelivered {
		t.Fatal("requeued message not flagged redelivered")
	}
	mGetEmpty(t, ch, q)
}

func TestModelBasicServerCancel(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 0)
	cancels := ch.NotifyCancel(make(chan string, 1))
	ds, err := ch.Consume(q, "doomed", false, false, false, false, nil)
	must(t, err)
	other, err := c.Channel()
	must(t, err)
	_, err = other.QueueDelete(q, false, false, false)
	must(t, err)
	select {
	case tag := <-cancels:
		if tag != "doomed" {
			t.Fatalf("server cancelled %q, want doomed", tag)
		}
	case <-mAfter():
		t.Fatal("no basic.cancel from the server after the queue was deleted")
	}
	select {
	case _, ok := <-ds:
		if ok {
			t.Fatal("delivery after server cancel")
		}
	case <-mAfter():
		t.Fatal("deliveries not closed after server cancel")
	}
	// The channel is still usable.
	mFill(t, b, ch, "q2", 1)
	mGetBody(t, ch, mName(t, "q2"), true, "1")
}

func TestModelBasicGet(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 3)
	for i := 1; i <= 3; i++ {
		d := mGetBody(t, ch, q, false, fmt.Sprint(i))
		if d.MessageCount != uint32(3-i) {
			t.Fatalf("get %d: message count %d, want %d", i, d.MessageCount, 3-i)
		}
		if d.DeliveryTag != uint64(i) || d.Redelivered || d.Exchange != "" || d.RoutingKey != q {
			t.Fatalf("get %d: tag %d redelivered %v exchange %q key %q", i, d.DeliveryTag, d.Redelivered, d.Exchange, d.RoutingKey)
		}
	}
	mGetEmpty(t, ch, q)
	must(t, ch.Ack(3, true))
	mGetEmpty(t, ch, q)
	missing := mName(t, "missing")
	_, _, err := ch.Get(missing, false)
	mErr(t, err, amqp.NotFound, mNoQueue(missing))
	mAlive(t, c)
}

func TestModelBasicAckNackReject(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 8)
	for i := 1; i <= 8; i++ {
		mGet(t, ch, q, false)
	}
	must(t, ch.Ack(2, true))         // acks 1, 2
	must(t, ch.Reject(3, false))     // drops 3
	must(t, ch.Nack(5, true, false)) // drops 4, 5
	must(t, ch.Reject(6, true))      // requeues 6
	must(t, ch.Nack(8, true, true))  // requeues 7, 8
	want := []string{"6", "7", "8"}
	for _, w := range want {
		d := mGetBody(t, ch, q, false, w)
		if !d.Redelivered {
			t.Fatalf("%s: requeued message not flagged redelivered", w)
		}
		must(t, d.Ack(false))
	}
	mGetEmpty(t, ch, q)
	// A message that was never requeued is not redelivered.
	mPub(t, ch, "", q, "fresh")
	if d := mGetBody(t, ch, q, true, "fresh"); d.Redelivered {
		t.Fatal("fresh message flagged redelivered")
	}
}

func TestModelBasicRequeueOrder(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 5)
	for i := 1; i <= 3; i++ {
		mGet(t, ch, q, false)
	}
	// 4 and 5 are ready; 1..3 unacked. Requeue 3 then 1: they go back to
	// their original positions, ahead of 4 and 5.
	must(t, ch.Nack(3, false, true))
	must(t, ch.Nack(1, false, true))
	mPub(t, ch, "", q, "6")
	var got []string
	for _, d := range mDrainDeliveries(t, ch, q) {
		got = append(got, fmt.Sprintf("%s:%v", d.Body, d.Redelivered))
	}
	if want := "[1:true 3:true 4:false 5:false 6:false]"; fmt.Sprint(got) != want {
		t.Fatalf("order after requeue %v, want %s", got, want)
	}
	must(t, ch.Nack(0, true, true)) // requeues all unacked: 2, then the drained ones
	var all []string
	for _, d := range mDrainDeliveries(t, ch, q) {
		all = append(all, string(d.Body))
	}
	if want := "[1 2 3 4 5 6]"; fmt.Sprint(all) != want {
		t.Fatalf("order after requeueing everything %v, want %s", all, want)
	}
}

func TestModelBasicRequeueAllUnacked(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 5)
	for i := 1; i <= 5; i++ {
		mGet(t, ch, q, false)
	}
	// Requeue 4, then 2: they come back in their original order.
	must(t, ch.Nack(4, false, true))
	must(t, ch.Nack(2, false, true))
	d := mGetBody(t, ch, q, false, "2")
	if !d.Redelivered || d.MessageCount != 1 {
		t.Fatalf("redelivered=%v message count %d, want true 1", d.Redelivered, d.MessageCount)
	}
	mGetBody(t, ch, q, false, "4")
	mGetEmpty(t, ch, q)
}

// mDrainDeliveries gets every ready message without acking.
func mDrainDeliveries(t *testing.T, ch *amqp.Channel, q string) []amqp.Delivery {
	t.Helper()
	var out []amqp.Delivery
	for {
		d, ok, err := ch.Get(q, false)
		must(t, err)
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

func TestModelBasicAckUnknownTag(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	for _, tc := range []struct {
		name string
		do   func(ch *amqp.Channel, q string) error
		tag  int
	}{
		{"unknown ack", func(ch *amqp.Channel, q string) error { return ch.Ack(99, false) }, 99},
		{"unknown multiple ack", func(ch *amqp.Channel, q string) error { return ch.Ack(99, true) }, 99},
		{"unknown nack", func(ch *amqp.Channel, q string) error { return ch.Nack(7, false, true) }, 7},
		{"unknown reject", func(ch *amqp.Channel, q string) error { return ch.Reject(5, false) }, 5},
		{"double ack", func(ch *amqp.Channel, q string) error {
			d := mGet(t, ch, q, false)
			must(t, d.Ack(false))
			return d.Ack(false)
		}, 1},
		{"ack after auto-ack get", func(ch *amqp.Channel, q string) error {
			d := mGet(t, ch, q, true)
			return d.Ack(false)
		}, 1},
	} {
		ch, err := c.Channel()
		must(t, err)
		q := mFill(t, b, ch, strings.ReplaceAll(tc.name, " ", "-"), 2)
		closes := ch.NotifyClose(make(chan *amqp.Error, 1))
		must(t, tc.do(ch, q))
		e := mWaitClose(t, closes)
		mErr(t, e, amqp.PreconditionFailed, fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", tc.tag))
	}
	mAlive(t, c)
}

func TestModelBasicRecover(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mFill(t, b, ch, "q", 2)
	ds, err := ch.Consume(q, "c", false, false, false, false, nil)
	must(t, err)
	first := []amqp.Delivery{recv(t, ds), recv(t, ds)}
	for _, d := range first {
		if d.Redelivered {
			t.Fatalf("%q: first delivery flagged redelivered", d.Body)
		}
	}
	must(t, ch.Recover(true))
	for i, want := range []string{"1", "2"} {
		d := recv(t, ds)
		if string(d.Body) != want || !d.Redelivered {
			t.Fatalf("redelivery %d: %q redelivered=%v, want %q true", i, d.Body, d.Redelivered, want)
		}
		if d.DeliveryTag <= first[1].DeliveryTag {
			t.Fatalf("redelivery reused tag %d", d.DeliveryTag)
		}
		must(t, d.Ack(false))
	}
	noDelivery(t, ds)
	// The old tags are gone.
	closes := ch.NotifyClose(make(chan *amqp.Error, 1))
	must(t, ch.Ack(first[0].DeliveryTag, false))
	mErr(t, mWaitClose(t, closes), amqp.PreconditionFailed, fmt.Sprintf("PRECONDITION_FAILED - unknown delivery tag %d", first[0].DeliveryTag))
}
