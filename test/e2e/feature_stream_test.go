package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Stream queues (x-queue-type=stream) over AMQP 0-9-1, and the declare
// rules quorum queues share with them, checked against RabbitMQ 3.10 with
// WARREN_E2E_URL and then against Warren.
//
// A stream is an append-only log: consuming does not remove messages,
// every consumer picks where it starts with the x-stream-offset consumer
// argument and every delivery carries its offset in an x-stream-offset
// header. Messages here are published one at a time, each waiting for its
// confirm, so that RabbitMQ writes each to its own chunk: RabbitMQ starts
// ("last", timestamps) and credits (prefetch) per chunk, and one message a
// chunk keeps those tests exact.

// streamBody is the body of the message published at offset off.
func streamBody(off int) string { return fmt.Sprintf("m%d", off) }

// streamDeclare declares a durable stream (args added to x-queue-type) and
// deletes it at cleanup.
func streamDeclare(t testing.TB, b *broker, ch *amqp.Channel, name string, args amqp.Table) amqp.Queue {
	t.Helper()
	all := amqp.Table{"x-queue-type": "stream"}
	for k, v := range args {
		all[k] = v
	}
	return mQueue(t, b, ch, name, true, false, false, all)
}

// streamPublish publishes streamBody(from) .. streamBody(to-1) to q on a
// channel of its own in confirm mode, waiting for each confirm in turn.
func streamPublish(t testing.TB, c *amqp.Connection, q string, from, to int) {
	t.Helper()
	ch, err := c.Channel()
	must(t, err)
	defer ch.Close()
	must(t, ch.Confirm(false))
	for i := from; i < to; i++ {
		dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", q, false, false,
			amqp.Publishing{Body: []byte(streamBody(i))})
		must(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok, err := dc.WaitContext(ctx)
		cancel()
		if err != nil {
			t.Fatalf("publish %d: waiting for the confirm: %v", i, err)
		}
		if !ok {
			t.Fatalf("publish %d: nacked", i)
		}
	}
}

// streamConsume opens a channel on c with basic.qos(prefetch) and consumes
// q with manual acks, passing offset as x-stream-offset unless it is nil.
func streamConsume(t testing.TB, c *amqp.Connection, q string, prefetch int, offset any) (*amqp.Channel, <-chan amqp.Delivery) {
	t.Helper()
	ch, err := c.Channel()
	must(t, err)
	must(t, ch.Qos(prefetch, 0, false))
	var args amqp.Table
	if offset != nil {
		args = amqp.Table{"x-stream-offset": offset}
	}
	ds, err := ch.Consume(q, "", false, false, false, false, args)
	if err != nil {
		t.Fatalf("basic.consume %q offset %#v: %v", q, offset, err)
	}
	return ch, ds
}

// streamCheck asserts d is the message published at offset off.
func streamCheck(t testing.TB, d amqp.Delivery, off int) {
	t.Helper()
	if string(d.Body) != streamBody(off) {
		t.Fatalf("got %q, want %q", d.Body, streamBody(off))
	}
	// amqp091-go decodes the header's long-long as an int64.
	if got := d.Headers["x-stream-offset"]; got != int64(off) {
		t.Fatalf("%q: x-stream-offset %#v (%T), want int64(%d)", d.Body, got, got, off)
	}
	if d.Redelivered {
		t.Fatalf("%q: redelivered, want a first delivery", d.Body)
	}
}

// streamExpect receives one delivery per offset, in order, and checks
// each; then nothing more may arrive.
func streamExpect(t testing.TB, ds <-chan amqp.Delivery, offs ...int) []amqp.Delivery {
	t.Helper()
	var got []amqp.Delivery
	for _, off := range offs {
		d := recv(t, ds)
		streamCheck(t, d, off)
		got = append(got, d)
	}
	noDelivery(t, ds)
	return got
}

// streamRange returns the offsets from .. to-1.
func streamRange(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// testDeclareProperties checks the queue properties a stream or a quorum
// queue refuses. Both are replicated logs: they must be durable, cannot be
// exclusive and cannot be auto-deleted. With several bad properties
// RabbitMQ names auto-delete first, then exclusive-owner, then non-durable.
func testDeclareProperties(t *testing.T, typ string) {
	b := mStart(t)
	c := b.dial(t)
	for _, tc := range []struct {
		name                      string
		durable, autoDelete, excl bool
		property                  string
	}{
		{"non-durable", false, false, false, "non-durable"},
		{"auto-delete", true, true, false, "auto-delete"},
		{"exclusive", true, false, true, "exclusive-owner"},
		{"exclusive-non-durable", false, false, true, "exclusive-owner"},
		{"auto-delete-non-durable", false, true, false, "auto-delete"},
		{"all", false, true, true, "auto-delete"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := c.Channel()
			must(t, err)
			name := mName(t, "")
			mCleanup(t, b, []string{name}, nil)
			_, err = ch.QueueDeclare(name, tc.durable, tc.autoDelete, tc.excl, false, amqp.Table{"x-queue-type": typ})
			mErr(t, err, amqp.PreconditionFailed,
				fmt.Sprintf("PRECONDITION_FAILED - invalid property '%s' for queue '%s' in vhost '/'", tc.property, name))
			if mQueueExists(t, b, name) {
				t.Fatalf("queue %q declared despite the 406", name)
			}
		})
	}
	mAlive(t, c)
}

func TestStreamDeclareProperties(t *testing.T) { testDeclareProperties(t, "stream") }

func TestStreamDeclareArguments(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	// Retention and segment size are the stream's own arguments.
	for i, args := range []amqp.Table{
		{"x-max-length-bytes": int64(1 << 30)},
		{"x-max-age": "7D"},
		{"x-max-age": "1h"},
		{"x-max-age": "30s"},
		{"x-stream-max-segment-size-bytes": int32(1 << 20)},
		{"x-max-length-bytes": int64(1 << 30), "x-max-age": "7D", "x-stream-max-segment-size-bytes": int32(1 << 20)},
	} {
		ch, err := c.Channel()
		must(t, err)
		streamDeclare(t, b, ch, mName(t, fmt.Sprint("ok", i)), args)
		must(t, ch.Close())
	}
	// The arguments of classic and quorum queues that make no sense for an
	// append-only log are refused, whatever their value.
	for _, tc := range []struct {
		arg string
		val any
	}{
		{"x-max-length", int32(5)},
		{"x-max-priority", int32(5)},
		{"x-message-ttl", int32(1000)},
		{"x-dead-letter-exchange", "dlx"},
		{"x-dead-letter-routing-key", "k"},
		{"x-overflow", "reject-publish"},
		{"x-single-active-consumer", true},
		{"x-expires", int32(60000)},
		{"x-queue-mode", "lazy"},
		{"x-delivery-limit", int32(5)},
	} {
		ch, err := c.Channel()
		must(t, err)
		name := mName(t, tc.arg)
		mCleanup(t, b, []string{name}, nil)
		_, err = ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "stream", tc.arg: tc.val})
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(
			"PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '/' of queue type rabbit_stream_queue", tc.arg, name))
		if mQueueExists(t, b, name) {
			t.Fatalf("stream %q declared despite the 406", name)
		}
	}
	// x-max-age is a string with a unit (Y, M, D, h, m, s), not a number.
	ch, err := c.Channel()
	must(t, err)
	name := mName(t, "int-max-age")
	mCleanup(t, b, []string{name}, nil)
	_, err = ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "stream", "x-max-age": int32(60)})
	e := mErr(t, err, amqp.PreconditionFailed, "")
	if want := fmt.Sprintf("PRECONDITION_FAILED - invalid arg 'x-max-age' for queue '%s' in vhost '/'", name); !strings.HasPrefix(e.Reason, want) {
		t.Fatalf("got reply text\n\t%q\nwant a prefix\n\t%q", e.Reason, want)
	}
	if mQueueExists(t, b, name) {
		t.Fatalf("stream %q declared despite the 406", name)
	}
	mAlive(t, c)
}

func TestStreamRedeclare(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, amqp.Table{"x-max-age": "1h"})
	// The same declaration again is fine.
	streamDeclare(t, b, ch, name, amqp.Table{"x-max-age": "1h"})
	for _, tc := range []struct {
		args amqp.Table
		text string
	}{
		{amqp.Table{"x-max-age": "1h"}, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '%s' in vhost '/': received none but current is the value 'stream' of type 'longstr'"},
		{amqp.Table{"x-queue-type": "classic", "x-max-age": "1h"}, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '%s' in vhost '/': received 'classic' but current is 'stream'"},
		{amqp.Table{"x-queue-type": "stream"}, "PRECONDITION_FAILED - inequivalent arg 'x-max-age' for queue '%s' in vhost '/': received none but current is the value '1h' of type 'longstr'"},
	} {
		ch, err := c.Channel()
		must(t, err)
		_, err = ch.QueueDeclare(name, true, false, false, false, tc.args)
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(tc.text, name))
	}
	if !mQueueExists(t, b, name) {
		t.Fatal("the failed redeclarations deleted the stream")
	}
}

// RabbitMQ 3.10 answers a stream's declare-ok with 0 consumers, even with
// one attached, and with a message count taken from statistics it
// refreshes every few seconds: 0 at first, then a value that lags
// behind. So all that can be said of the message count is that it never
// exceeds what was published.
func TestStreamDeclareOkCounts(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 3)
	_, ds := streamConsume(t, c, name, 10, "first")
	streamExpect(t, ds, 0, 1, 2)
	active, err := ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "stream"})
	must(t, err)
	passive := mInspect(t, c, name)
	for what, q := range map[string]amqp.Queue{"declare-ok": active, "passive declare-ok": passive} {
		if q.Consumers != 0 || q.Messages < 0 || q.Messages > 3 {
			t.Fatalf("%s: %d messages, %d consumers; want at most 3 messages and 0 consumers", what, q.Messages, q.Consumers)
		}
	}
}

// basic.get and queue.purge would need a stream to have a head to take
// from: RabbitMQ refuses both with a connection error.
func TestStreamGetAndPurgeNotImplemented(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, b.dial(t), name, 0, 1)
	for _, tc := range []struct {
		name string
		op   func(*amqp.Channel) error
		text string
	}{
		{"get-no-ack", func(ch *amqp.Channel) error { _, _, err := ch.Get(name, true); return err },
			"NOT_IMPLEMENTED - basic.get not supported by stream queues queue '%s' in vhost '/'"},
		{"get-ack", func(ch *amqp.Channel) error { _, _, err := ch.Get(name, false); return err },
			"NOT_IMPLEMENTED - basic.get not supported by stream queues queue '%s' in vhost '/'"},
		{"purge", func(ch *amqp.Channel) error { _, err := ch.QueuePurge(name, false); return err },
			"NOT_IMPLEMENTED - queue.purge not supported by stream queues queue '%s' in vhost '/'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ch := b.channel(t)
			closes := c.NotifyClose(make(chan *amqp.Error, 1))
			text := fmt.Sprintf(tc.text, name)
			mErr(t, tc.op(ch), amqp.NotImplemented, text)
			mConnClosed(t, c, closes, amqp.NotImplemented, text)
		})
	}
	// The message is still there.
	_, ds := streamConsume(t, b.dial(t), name, 10, "first")
	streamExpect(t, ds, 0)
}

// A stream consumer must acknowledge (acks are its flow control) and must
// have a per-consumer prefetch. Without acknowledgements it is a
// connection error; without the prefetch (none, 0, or only a global one)
// a channel error.
func TestStreamConsumeRequiresAckAndPrefetch(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)

	t.Run("no-ack", func(t *testing.T) {
		c, ch := b.channel(t)
		closes := c.NotifyClose(make(chan *amqp.Error, 1))
		must(t, ch.Qos(10, 0, false))
		_, err := ch.Consume(name, "", true, false, false, false, nil)
		text := fmt.Sprintf("NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues queue '%s' in vhost '/'", name)
		mErr(t, err, amqp.NotImplemented, text)
		mConnClosed(t, c, closes, amqp.NotImplemented, text)
	})

	for _, tc := range []struct {
		name string
		qos  func(*amqp.Channel) error
	}{
		{"no-qos", func(*amqp.Channel) error { return nil }},
		{"qos-0", func(ch *amqp.Channel) error { return ch.Qos(0, 0, false) }},
		{"global-qos", func(ch *amqp.Channel) error { return ch.Qos(10, 0, true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ch := b.channel(t)
			closes := ch.NotifyClose(make(chan *amqp.Error, 1))
			must(t, tc.qos(ch))
			_, err := ch.Consume(name, "", false, false, false, false, nil)
			// The doubled quotes are RabbitMQ's.
			text := fmt.Sprintf("PRECONDITION_FAILED - consumer prefetch count is not set for 'queue '%s' in vhost '/''", name)
			mErr(t, err, amqp.PreconditionFailed, text)
			mErr(t, mWaitClose(t, closes), amqp.PreconditionFailed, text)
			mAlive(t, c)
		})
	}
}

// Where a consumer starts, by its x-stream-offset argument, on a stream
// holding m0..m4 at offsets 0..4.
func TestStreamConsumeOffset(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 5)
	all := streamRange(0, 5)
	for _, tc := range []struct {
		name   string
		offset any
		want   []int
	}{
		{"first", "first", all},
		{"zero", int64(0), all},
		{"int64", int64(2), []int{2, 3, 4}},
		{"int32", int32(3), []int{3, 4}},
		{"last-offset", int64(4), []int{4}},
		// Before the start of the stream is the start of the stream.
		{"negative", int64(-3), all},
		{"negative-int32", int32(-1), all},
		// An interval reaches back from now: everything here is younger
		// than an hour.
		{"interval-1h", "1h", all},
		{"interval-10m", "10m", all},
		// A timestamp starts at the first message published at or after it.
		{"timestamp-past", time.Now().Add(-time.Hour), all},
		{"timestamp-future", time.Now().Add(time.Hour), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, ds := streamConsume(t, c, name, 100, tc.offset)
			defer ch.Close()
			streamExpect(t, ds, tc.want...)
		})
	}
}

// Without x-stream-offset, or with "next", a consumer gets only what is
// published after it attached.
func TestStreamConsumeOffsetNext(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 3)
	_, absent := streamConsume(t, c, name, 10, nil)
	_, next := streamConsume(t, c, name, 10, "next")
	noDelivery(t, absent)
	noDelivery(t, next)
	streamPublish(t, c, name, 3, 5)
	streamExpect(t, absent, 3, 4)
	streamExpect(t, next, 3, 4)
}

// An offset past the end waits for the stream to get there: the messages
// published in between are not delivered.
func TestStreamConsumeOffsetPastEnd(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 3)
	_, ds := streamConsume(t, c, name, 10, int64(5))
	noDelivery(t, ds)
	streamPublish(t, c, name, 3, 7)
	streamExpect(t, ds, 5, 6)
}

// "last" starts at the last chunk, which RabbitMQ and Warren may cut
// differently: what is sure is that it reaches the newest message, in
// order, without going back to the start.
func TestStreamConsumeOffsetLast(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 5)
	_, ds := streamConsume(t, c, name, 10, "last")
	d := recv(t, ds)
	first, ok := d.Headers["x-stream-offset"].(int64)
	if !ok || first < 0 || first > 4 {
		t.Fatalf("first delivery %q at x-stream-offset %#v", d.Body, d.Headers["x-stream-offset"])
	}
	streamCheck(t, d, int(first))
	streamExpect(t, ds, streamRange(int(first)+1, 5)...)
	// It goes on with what is published next.
	streamPublish(t, c, name, 5, 6)
	streamExpect(t, ds, 5)
}

// A timestamp (an AMQP timestamp, in whole seconds) or an interval string
// starts at the messages published at or after that time. Old messages
// are published, then new ones a second and a half later; a timestamp
// and an interval of one second both fall in between.
func TestStreamConsumeOffsetTime(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 2)
	old := time.Now()
	// The next whole second is after the old messages and, after the
	// wait, before the new ones.
	ts := old.Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(old.Add(1500 * time.Millisecond)))
	streamPublish(t, c, name, 2, 4)
	// Now minus one second is about half a second after the old messages.
	_, byInterval := streamConsume(t, c, name, 10, "1s")
	_, byTime := streamConsume(t, c, name, 10, ts)
	streamExpect(t, byInterval, 2, 3)
	streamExpect(t, byTime, 2, 3)
}

// Delivery tags count per channel, across the channel's consumers, as for
// any queue.
func TestStreamDeliveryTags(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 3)
	must(t, ch.Qos(10, 0, false))
	consume := func(tag string) <-chan amqp.Delivery {
		ds, err := ch.Consume(name, tag, false, false, false, false, amqp.Table{"x-stream-offset": "first"})
		must(t, err)
		return ds
	}
	a, z := consume("a"), consume("z")
	var tags []int
	for _, ds := range []<-chan amqp.Delivery{a, z} {
		for off := 0; off < 3; off++ {
			d := recv(t, ds)
			streamCheck(t, d, off)
			tags = append(tags, int(d.DeliveryTag))
		}
		noDelivery(t, ds)
	}
	sort.Ints(tags)
	if fmt.Sprint(tags) != "[1 2 3 4 5 6]" {
		t.Fatalf("delivery tags %v, want 1..6 once each", tags)
	}
	// Another channel counts from 1 again.
	_, other := streamConsume(t, c, name, 10, "first")
	for i, d := range streamExpect(t, other, 0, 1, 2) {
		if d.DeliveryTag != uint64(i+1) {
			t.Fatalf("second channel: delivery %d has tag %d", i, d.DeliveryTag)
		}
	}
}

// Consuming does not remove messages: every consumer gets every message,
// acked or not, and live consumers get what is published while attached.
func TestStreamConsumersShareEverything(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 3)
	_, one := streamConsume(t, c, name, 10, "first")
	_, two := streamConsume(t, c, name, 10, "first")
	for _, d := range streamExpect(t, one, 0, 1, 2) {
		must(t, d.Ack(false))
	}
	streamExpect(t, two, 0, 1, 2)
	streamPublish(t, c, name, 3, 4)
	streamExpect(t, one, 3)
	streamExpect(t, two, 3)
	// A newcomer still finds everything, acked or not.
	_, three := streamConsume(t, c, name, 10, "first")
	streamExpect(t, three, 0, 1, 2, 3)
}

// The prefetch bounds what a stream consumer has unacknowledged; acks let
// more flow. RabbitMQ credits whole chunks and may overshoot the prefetch
// a little, so this only checks that the backlog does not all arrive
// unacknowledged, and does all arrive with acks.
func TestStreamPrefetch(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	const n = 20
	streamPublish(t, c, name, 0, n)
	_, ds := streamConsume(t, c, name, 2, "first")
	var got []amqp.Delivery
	window := time.After(300 * time.Millisecond)
collect:
	for {
		select {
		case d, ok := <-ds:
			if !ok {
				t.Fatal("delivery channel closed")
			}
			got = append(got, d)
		case <-window:
			break collect
		}
	}
	if len(got) < 2 || len(got) >= n {
		t.Fatalf("with basic.qos(2) and no ack, %d of %d messages arrived; want at least 2 and not all", len(got), n)
	}
	for i := 0; i < n; i++ {
		if i >= len(got) {
			got = append(got, recv(t, ds))
		}
		streamCheck(t, got[i], i)
		must(t, got[i].Ack(false))
	}
	noDelivery(t, ds)
}

// A stream cannot take a message back, nor drop one: RabbitMQ 3.10
// answers basic.nack and basic.reject of a stream delivery, with or
// without requeue, with a connection error. The messages stay in the
// stream.
func TestStreamNackAndRejectNotImplemented(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, b.dial(t), name, 0, 2)
	for _, tc := range []struct {
		name string
		do   func(amqp.Delivery) error
	}{
		{"nack-requeue", func(d amqp.Delivery) error { return d.Nack(false, true) }},
		{"nack", func(d amqp.Delivery) error { return d.Nack(false, false) }},
		{"nack-multiple", func(d amqp.Delivery) error { return d.Nack(true, true) }},
		{"reject-requeue", func(d amqp.Delivery) error { return d.Reject(true) }},
		{"reject", func(d amqp.Delivery) error { return d.Reject(false) }},
	} {
		ok := t.Run(tc.name, func(t *testing.T) {
			c := b.dial(t)
			closes := c.NotifyClose(make(chan *amqp.Error, 1))
			_, ds := streamConsume(t, c, name, 10, "first")
			d := recv(t, ds)
			streamCheck(t, d, 0)
			must(t, tc.do(d)) // asynchronous: the error comes as connection.close
			mConnClosed(t, c, closes, amqp.NotImplemented, fmt.Sprintf(
				"NOT_IMPLEMENTED - basic.nack and basic.reject not supported by stream queues queue '%s' in vhost '/'", name))
		})
		if !ok {
			return // the others would fail the same way, each after a 5 s wait
		}
	}
	_, ds := streamConsume(t, b.dial(t), name, 10, "first")
	streamExpect(t, ds, 0, 1)
}

// Deleting a stream cancels its consumers (basic.cancel from the broker:
// amqp091-go closes the Deliveries channel) and its messages go with it:
// a stream declared again under the same name starts empty.
func TestStreamDeleteCancelsConsumer(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	streamPublish(t, c, name, 0, 2)
	cch, ds := streamConsume(t, c, name, 10, "first")
	cancels := cch.NotifyCancel(make(chan string, 1))
	streamExpect(t, ds, 0, 1)
	_, err := ch.QueueDelete(name, false, false, false)
	must(t, err)
	select {
	case d, ok := <-ds:
		if ok {
			t.Fatalf("delivery %q after the delete, want the consumer cancelled", d.Body)
		}
	case <-mAfter():
		t.Fatal("consumer not cancelled after the stream was deleted")
	}
	select {
	case <-cancels:
	case <-mAfter():
		t.Fatal("no basic.cancel after the stream was deleted")
	}
	if mQueueExists(t, b, name) {
		t.Fatal("stream still there after queue.delete")
	}
	// The consumer's channel survives its cancelled consumer.
	must(t, cch.Qos(10, 0, false))
	streamDeclare(t, b, ch, name, nil)
	_, fresh := streamConsume(t, c, name, 10, "first")
	noDelivery(t, fresh)
	streamPublish(t, c, name, 0, 1)
	streamExpect(t, fresh, 0)
}

// Publisher confirms work with a stream: every publish is acked, in order.
func TestStreamPublisherConfirms(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	streamDeclare(t, b, ch, name, nil)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 5))
	for i := 0; i < 5; i++ {
		mPub(t, ch, "", name, streamBody(i))
	}
	for i := 1; i <= 5; i++ {
		select {
		case cf := <-confirms:
			if !cf.Ack || cf.DeliveryTag != uint64(i) {
				t.Fatalf("confirm %d: %+v, want an ack of tag %d", i, cf, i)
			}
		case <-mAfter():
			t.Fatalf("no confirm for publish %d", i)
		}
	}
	_, ds := streamConsume(t, c, name, 10, "first")
	streamExpect(t, ds, streamRange(0, 5)...)
}

// Quorum queues, like streams, must be durable and neither exclusive nor
// auto-delete (same replies, same precedence).
func TestQuorumDeclareProperties(t *testing.T) { testDeclareProperties(t, "quorum") }

// RabbitMQ 3.10's quorum queues have no priorities (they came with 4.0)
// and no lazy mode (they always keep messages on disk): both arguments
// are refused, whatever their value.
func TestQuorumDeclareArguments(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	for _, tc := range []struct {
		arg string
		val any
	}{
		{"x-max-priority", int32(5)},
		{"x-max-priority", int32(0)},
		{"x-queue-mode", "lazy"},
		{"x-queue-mode", "default"},
	} {
		ch, err := c.Channel()
		must(t, err)
		name := mName(t, fmt.Sprint(tc.arg, "-", tc.val))
		mCleanup(t, b, []string{name}, nil)
		_, err = ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": "quorum", tc.arg: tc.val})
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(
			"PRECONDITION_FAILED - invalid arg '%s' for queue '%s' in vhost '/' of queue type rabbit_quorum_queue", tc.arg, name))
		if mQueueExists(t, b, name) {
			t.Fatalf("quorum queue %q declared despite the 406", name)
		}
	}
	mAlive(t, c)
}

// A declare without x-queue-type and one with "classic" mean the same
// queue, whichever came first; other changes of type are refused, worded
// as RabbitMQ words them.
func TestQueueTypeRedeclare(t *testing.T) {
	b := mStart(t)
	c, _ := b.channel(t)
	classic := amqp.Table{"x-queue-type": "classic"}
	quorum := amqp.Table{"x-queue-type": "quorum"}
	for i, tc := range []struct {
		first, second amqp.Table
		text          string // "" = accepted
	}{
		{nil, classic, ""},
		{classic, nil, ""},
		{classic, quorum, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '%s' in vhost '/': received 'quorum' but current is 'classic'"},
		{quorum, classic, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '%s' in vhost '/': received 'classic' but current is 'quorum'"},
		{nil, quorum, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '%s' in vhost '/': received the value 'quorum' of type 'longstr' but current is none"},
		{quorum, nil, "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue '%s' in vhost '/': received none but current is the value 'quorum' of type 'longstr'"},
	} {
		name := mName(t, fmt.Sprint(i))
		mCleanup(t, b, []string{name}, nil)
		ch, err := c.Channel()
		must(t, err)
		_, err = ch.QueueDeclare(name, true, false, false, false, tc.first)
		must(t, err)
		_, err = ch.QueueDeclare(name, true, false, false, false, tc.second)
		if tc.text == "" {
			if err != nil {
				t.Fatalf("%v then %v: %v", tc.first, tc.second, err)
			}
			continue
		}
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(tc.text, name))
	}
}

// A quorum queue refuses consumers on a channel with a global prefetch
// (540, closing the connection), and tells a redelivered message how many
// times it was returned (x-delivery-count) even without a delivery limit.
func TestQuorumGlobalQosAndDeliveryCount(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "")
	mQueue(t, b, ch, name, true, false, false, amqp.Table{"x-queue-type": "quorum"})
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	must(t, ch.Qos(5, 0, true))
	_, err := ch.Consume(name, "", false, false, false, false, nil)
	if err == nil {
		err = mWaitClose(t, closes)
	}
	mErr(t, err, amqp.NotImplemented, fmt.Sprintf("NOT_IMPLEMENTED - queue '%s' in vhost '/' does not support global qos", name))

	c, ch = b.channel(t)
	must(t, ch.Publish("", name, false, false, amqp.Publishing{Body: []byte("x")}))
	var d amqp.Delivery
	for i := 0; i < 50; i++ { // quorum queues in RabbitMQ enqueue asynchronously
		var ok bool
		d, ok, err = ch.Get(name, false)
		must(t, err)
		if ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if d.Body == nil {
		t.Fatal("the message never arrived")
	}
	must(t, d.Nack(false, true))
	for i := 0; i < 50; i++ {
		var ok bool
		d, ok, err = ch.Get(name, false)
		must(t, err)
		if ok {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !d.Redelivered || d.Headers["x-delivery-count"] != int64(1) {
		t.Fatalf("redelivered %v, x-delivery-count %#v; want true, int64(1)", d.Redelivered, d.Headers["x-delivery-count"])
	}
	must(t, d.Ack(false))
	mAlive(t, c)
}
