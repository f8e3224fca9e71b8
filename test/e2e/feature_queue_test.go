package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Queue features (RabbitMQ's TTL, dead-lettering, length limits, priority,
// consumer priorities, single active consumer), checked against RabbitMQ
// with WARREN_E2E_URL and then against Warren.

func TestFeatureMessageTTL(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-message-ttl": int32(100)})
	mPub(t, ch, "", q, "queue-ttl")
	mPubMsg(t, ch, "", q, false, amqp.Publishing{Body: []byte("msg-ttl"), Expiration: "50"})
	mPubMsg(t, ch, "", q, false, amqp.Publishing{Body: []byte("msg-ttl-longer"), Expiration: "60000"})
	// The message's own longer TTL does not beat the queue's: the lower wins.
	time.Sleep(300 * time.Millisecond)
	mGetEmpty(t, ch, q)
}

// A message with a short TTL behind one with a long TTL expires on time,
// and is dead-lettered then, not when it reaches the head.
func TestFeatureTTLBehindHeadDeadLettered(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q, dlq := mName(t, "q"), mName(t, "dlq")
	mQueue(t, b, ch, dlq, false, false, false, nil)
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
	mPubMsg(t, ch, "", q, false, amqp.Publishing{Body: []byte("long"), Expiration: "60000"})
	mPubMsg(t, ch, "", q, false, amqp.Publishing{Body: []byte("short"), Expiration: "50"})
	if b.external() {
		// RabbitMQ expires only at the head: the short one waits behind
		// the long one (Warren does better, checked below).
		return
	}
	mEventually(t, "short message dead-lettered while behind the head", func() bool {
		return mInspect(t, b.dial(t), dlq).Messages == 1
	})
	d := mGetBody(t, ch, dlq, true, "short")
	deaths, _ := d.Headers["x-death"].([]any)
	if len(deaths) != 1 || deaths[0].(amqp.Table)["reason"] != "expired" || deaths[0].(amqp.Table)["original-expiration"] != "50" {
		t.Fatalf("x-death %#v", d.Headers["x-death"])
	}
	if d.Expiration != "" {
		t.Fatalf("dead-lettered message kept expiration %q", d.Expiration)
	}
	mGetBody(t, ch, q, true, "long")
}

// Rejected messages are dead-lettered with RabbitMQ's x-death header,
// merged per (queue, reason) with a count.
func TestFeatureDeadLetterXDeath(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q, dlx, dlq := mName(t, "q"), mName(t, "dlx"), mName(t, "dlq")
	mExchange(t, b, ch, dlx, "fanout", false, false, false, nil)
	mQueue(t, b, ch, dlq, false, false, false, amqp.Table{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": q})
	must(t, ch.QueueBind(dlq, "", dlx, false, nil))
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-dead-letter-exchange": dlx})
	mPubMsg(t, ch, "", q, false, amqp.Publishing{Body: []byte("m"), Headers: amqp.Table{"keep": "me"}})
	for round := 1; round <= 2; round++ {
		mEventually(t, "message back in q", func() bool { return mInspect(t, b.dial(t), q).Messages == 1 })
		d := mGetBody(t, ch, q, false, "m")
		must(t, d.Reject(false))
		mEventually(t, "message dead-lettered", func() bool { return mInspect(t, b.dial(t), dlq).Messages == 1 })
		d = mGetBody(t, ch, dlq, false, "m")
		if d.Headers["keep"] != "me" {
			t.Fatalf("headers lost: %v", d.Headers)
		}
		deaths, _ := d.Headers["x-death"].([]any)
		if len(deaths) != round {
			t.Fatalf("round %d: x-death %#v", round, d.Headers["x-death"])
		}
		first := deaths[0].(amqp.Table)
		if first["queue"] != q || first["reason"] != "rejected" || first["exchange"] != "" || first["count"] != int64(round) {
			t.Fatalf("round %d: newest death %#v", round, first)
		}
		if rk, _ := first["routing-keys"].([]any); len(rk) != 1 || rk[0] != q {
			t.Fatalf("routing-keys %#v", first["routing-keys"])
		}
		if _, ok := first["time"].(time.Time); !ok {
			t.Fatalf("time %#v", first["time"])
		}
		if d.Headers["x-first-death-reason"] != "rejected" || d.Headers["x-first-death-queue"] != q {
			t.Fatalf("x-first-death: %v", d.Headers)
		}
		// The x-last-death-* headers came with RabbitMQ 3.13 (its
		// documentation lists them); 3.10 has none.
		if !b.external() && (d.Headers["x-last-death-reason"] != "rejected" || d.Headers["x-last-death-queue"] != q || d.Headers["x-last-death-exchange"] != "") {
			t.Fatalf("x-last-death: %v", d.Headers)
		}
		// Send it back to q through the second queue's dead-lettering.
		must(t, d.Reject(false))
	}
}

func TestFeatureMaxLengthDropHead(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q, dlq := mName(t, "q"), mName(t, "dlq")
	mQueue(t, b, ch, dlq, false, false, false, nil)
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-max-length": int32(2),
		"x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
	for i := 1; i <= 4; i++ {
		mPub(t, ch, "", q, fmt.Sprint(i))
	}
	mEventually(t, "dead-lettered heads", func() bool { return mInspect(t, b.dial(t), dlq).Messages == 2 })
	if got := mDrain(t, ch, q); fmt.Sprint(got) != "[3 4]" {
		t.Fatalf("queue kept %v", got)
	}
	d := mGetBody(t, ch, dlq, true, "1")
	if r := d.Headers["x-death"].([]any)[0].(amqp.Table)["reason"]; r != "maxlen" {
		t.Fatalf("reason %v", r)
	}
}

func TestFeatureMaxLengthRejectPublish(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-max-length": int32(1), "x-overflow": "reject-publish"})
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 4))
	mPub(t, ch, "", q, "a")
	mPub(t, ch, "", q, "b")
	for i, want := range []bool{true, false} {
		select {
		case c := <-confirms:
			if c.Ack != want {
				t.Fatalf("publish %d: ack=%v, want %v", i+1, c.Ack, want)
			}
		case <-mAfter():
			t.Fatal("no confirm")
		}
	}
	if got := mDrain(t, ch, q); fmt.Sprint(got) != "[a]" {
		t.Fatalf("queue kept %v", got)
	}
}

func TestFeatureMaxLengthBytes(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-max-length-bytes": int32(10)})
	for _, body := range []string{"aaaa", "bbbb", "cccc"} {
		mPub(t, ch, "", q, body)
	}
	mEventually(t, "byte limit", func() bool { return mInspect(t, b.dial(t), q).Messages == 2 })
	if got := mDrain(t, ch, q); fmt.Sprint(got) != "[bbbb cccc]" {
		t.Fatalf("queue kept %v", got)
	}
}

func TestFeatureQueueExpires(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-expires": int32(200)})
	// Checking renews the lease (a passive declare is a use), so wait
	// first, then look once.
	time.Sleep(time.Second)
	if mQueueExists(t, b, q) {
		t.Fatal("unused queue not deleted after x-expires")
	}
}

func TestFeaturePriorityQueue(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-max-priority": int32(5)})
	for i, p := range []uint8{1, 5, 0, 5, 9, 3} {
		mPubMsg(t, ch, "", q, false, amqp.Publishing{Priority: p, Body: []byte(fmt.Sprint(i))})
	}
	mEventually(t, "all queued", func() bool { return mInspect(t, b.dial(t), q).Messages == 6 })
	// Highest first (9 counts as the maximum, 5), FIFO within a priority.
	if got := mDrain(t, ch, q); fmt.Sprint(got) != "[1 3 4 5 0 2]" {
		t.Fatalf("order %v", got)
	}
}

func TestFeatureInvalidQueueArgs(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	for _, tc := range []struct {
		args amqp.Table
		text string
	}{
		{amqp.Table{"x-message-ttl": int32(-1)}, "{value_negative,-1}"},
		{amqp.Table{"x-message-ttl": "x"}, `"expected integer, got longstr"`},
		{amqp.Table{"x-expires": int32(0)}, "{value_zero,0}"},
		{amqp.Table{"x-overflow": "nope"}, "invalid_overflow"},
	} {
		ch, err := c.Channel()
		must(t, err)
		q := mName(t, "q")
		_, err = ch.QueueDeclare(q, false, false, false, false, tc.args)
		e := mErr(t, err, amqp.PreconditionFailed, "")
		want := fmt.Sprintf("PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '/': %s", firstKey(tc.args), q, tc.text)
		if e.Reason != want {
			t.Errorf("got %q\nwant %q", e.Reason, want)
		}
	}
}

func firstKey(t amqp.Table) string {
	for k := range t {
		return k
	}
	return ""
}

func TestFeatureConsumerPriority(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, nil)
	_, lowCh := b.channel(t)
	_, highCh := b.channel(t)
	low, err := lowCh.Consume(q, "low", true, false, false, false, amqp.Table{"x-priority": int32(1)})
	must(t, err)
	high, err := highCh.Consume(q, "high", true, false, false, false, amqp.Table{"x-priority": int32(10)})
	must(t, err)
	for i := 0; i < 5; i++ {
		mPub(t, ch, "", q, fmt.Sprint(i))
	}
	for i := 0; i < 5; i++ {
		recv(t, high)
	}
	noDelivery(t, low)
}

func TestFeatureSingleActiveConsumer(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-single-active-consumer": true})
	_, c1 := b.channel(t)
	_, c2 := b.channel(t)
	d1, err := c1.Consume(q, "first", true, false, false, false, nil)
	must(t, err)
	d2, err := c2.Consume(q, "second", true, false, false, false, nil)
	must(t, err)
	for i := 0; i < 3; i++ {
		mPub(t, ch, "", q, fmt.Sprint(i))
	}
	for i := 0; i < 3; i++ {
		recv(t, d1)
	}
	noDelivery(t, d2)
	must(t, c1.Cancel("first", false))
	mPub(t, ch, "", q, "after")
	if d := recv(t, d2); string(d.Body) != "after" {
		t.Fatalf("got %q", d.Body)
	}
}

// Warren extends x-delivery-limit (a quorum-queue feature in RabbitMQ) to
// every queue: redeliveries carry x-delivery-count and a message requeued
// past the limit is dead-lettered with reason delivery_limit.
func TestFeatureDeliveryLimit(t *testing.T) {
	b := mStart(t)
	if b.external() {
		t.Skip("classic queues in RabbitMQ 3.10 have no delivery limit")
	}
	_, ch := b.channel(t)
	q, dlq := mName(t, "q"), mName(t, "dlq")
	mQueue(t, b, ch, dlq, false, false, false, nil)
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-delivery-limit": int32(2), "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dlq})
	mPub(t, ch, "", q, "m")
	for i := 0; i < 3; i++ {
		d := mGetBody(t, ch, q, false, "m")
		if i > 0 && d.Headers["x-delivery-count"] != int64(i) {
			t.Fatalf("delivery %d: x-delivery-count %v", i, d.Headers["x-delivery-count"])
		}
		must(t, d.Nack(false, true))
	}
	mGetEmpty(t, ch, q)
	d := mGetBody(t, ch, dlq, true, "m")
	if r := d.Headers["x-death"].([]any)[0].(amqp.Table)["reason"]; r != "delivery_limit" {
		t.Fatalf("reason %v", r)
	}
}

// A delivery not acknowledged within the queue's x-consumer-timeout
// closes its channel with 406, and the message goes back to the queue.
func TestFeatureConsumerTimeout(t *testing.T) {
	b := mStart(t)
	if b.external() {
		t.Skip("x-consumer-timeout as a queue argument arrived after RabbitMQ 3.10")
	}
	_, ch := b.channel(t)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-consumer-timeout": int32(300)})
	_, cch := b.channel(t)
	closed := cch.NotifyClose(make(chan *amqp.Error, 1))
	ds, err := cch.Consume(q, "", false, false, false, false, nil)
	must(t, err)
	mPub(t, ch, "", q, "slow")
	recv(t, ds)
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp.PreconditionFailed || !strings.Contains(e.Reason, "delivery acknowledgement on channel") {
			t.Fatalf("close %v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed by the consumer timeout")
	}
	mEventually(t, "message requeued", func() bool { return mInspect(t, b.dial(t), q).Messages == 1 })
}

// Dead-lettering goes through the same routing as a publish: a
// dead-letter exchange of type x-delayed-message holds the message for
// its x-delay before routing it.
func TestFeatureDeadLetterThroughDelayedExchange(t *testing.T) {
	b := mStart(t)
	if b.external() {
		t.Skip("the delayed-message plugin is not installed on the reference broker")
	}
	_, ch := b.channel(t)
	q, dlx, dlq := mName(t, "q"), mName(t, "dlx"), mName(t, "dlq")
	mExchange(t, b, ch, dlx, "x-delayed-message", false, false, false, amqp.Table{"x-delayed-type": "fanout"})
	mQueue(t, b, ch, dlq, false, false, false, nil)
	must(t, ch.QueueBind(dlq, "", dlx, false, nil))
	mQueue(t, b, ch, q, false, false, false, amqp.Table{"x-dead-letter-exchange": dlx})
	mPubMsg(t, ch, "", q, false, amqp.Publishing{Body: []byte("later"), Headers: amqp.Table{"x-delay": int32(300)}})
	d := mGetBody(t, ch, q, false, "later")
	start := time.Now()
	must(t, d.Reject(false))
	mEventually(t, "delayed dead letter arrives", func() bool { return mInspect(t, b.dial(t), dlq).Messages == 1 })
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Fatalf("dead letter arrived after %v, before its 300 ms delay", waited)
	}
}
