package e2e

// Settlement order against prefetch, found by the cross-language checks
// (test/compat): a requeued message is back at its place before the
// consumer gets room for another, and acks in a transaction hold their
// prefetch slot until tx.commit. Plus the queue.declare argument and
// passive-name cases from the same run. Each passes against RabbitMQ 3.10
// (WARREN_E2E_URL) and Warren.

import (
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// mFillConfirmed publishes bodies m0..m(n-1) to q with confirms, so they are all
// in the queue before the test goes on.
func mFillConfirmed(t *testing.T, c *amqp.Connection, q string, n int) {
	t.Helper()
	ch, err := c.Channel()
	must(t, err)
	defer ch.Close()
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	for i := 0; i < n; i++ {
		mPub(t, ch, "", q, fmt.Sprintf("m%d", i))
	}
	for i := 0; i < n; i++ {
		select {
		case cf := <-confirms:
			if !cf.Ack {
				t.Fatalf("publish %d nacked", cf.DeliveryTag)
			}
		case <-mAfter():
			t.Fatal("timed out waiting for confirms")
		}
	}
}

// mTxAcked opens a transactional channel on c that takes m0 from q with
// basic.get and acks it without committing; closes reports the channel's
// close.
func mTxAcked(t *testing.T, c *amqp.Connection, q string) (tx *amqp.Channel, closes chan *amqp.Error) {
	t.Helper()
	tx, err := c.Channel()
	must(t, err)
	closes = tx.NotifyClose(make(chan *amqp.Error, 1))
	must(t, tx.Tx())
	d, ok, err := tx.Get(q, false)
	must(t, err)
	if !ok {
		t.Fatal("basic.get found nothing")
	}
	must(t, d.Ack(false))
	return tx, closes
}

// mRequeued asserts the uncommitted ack was dropped: m0 is back in q,
// marked redelivered.
func mRequeued(t *testing.T, ch *amqp.Channel, q string) {
	t.Helper()
	if got := mGetBody(t, ch, q, true, "m0"); !got.Redelivered {
		t.Fatal("requeued message not marked redelivered")
	}
}

func TestModelRequeueComesBeforeNextMessage(t *testing.T) {
	b := mStart(t)
	for _, tc := range []struct {
		name   string
		settle func(d amqp.Delivery) error
	}{
		{"nack", func(d amqp.Delivery) error { return d.Nack(false, true) }},
		{"reject", func(d amqp.Delivery) error { return d.Reject(true) }},
		// With global (per-channel) qos RabbitMQ 3.10 usually agrees,
		// but its limiter races the requeue (m2 first about 1 run in 5):
		// Warren gives m0 there too, not checked against both.
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ch := b.channel(t)
			q := mQueue(t, b, ch, mName(t, ""), false, false, false, nil).Name
			mFillConfirmed(t, c, q, 4)
			must(t, ch.Qos(2, 0, false))
			ds, err := ch.Consume(q, "", false, false, false, false, nil)
			must(t, err)
			first, second := recv(t, ds), recv(t, ds)
			if string(first.Body) != "m0" || string(second.Body) != "m1" {
				t.Fatalf("first deliveries %q %q, want m0 m1", first.Body, second.Body)
			}
			must(t, tc.settle(first))
			// The slot the requeue freed goes to m0 again, not to m2.
			d := recv(t, ds)
			if string(d.Body) != "m0" || !d.Redelivered {
				t.Fatalf("after %s with requeue got %q redelivered=%v, want m0 redelivered", tc.name, d.Body, d.Redelivered)
			}
			noDelivery(t, ds)
			must(t, d.Ack(false))
			if d := recv(t, ds); string(d.Body) != "m2" || d.Redelivered {
				t.Fatalf("next delivery %q redelivered=%v, want m2 not redelivered", d.Body, d.Redelivered)
			}
		})
	}
}

func TestModelTxAckHoldsPrefetchUntilCommit(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, ""), false, false, false, nil).Name
	mFillConfirmed(t, c, q, 3)
	must(t, ch.Qos(1, 0, false))
	must(t, ch.Tx())
	ds, err := ch.Consume(q, "", false, false, false, false, nil)
	must(t, err)
	d := recv(t, ds)
	must(t, d.Ack(false))
	noDelivery(t, ds) // the ack is not committed: its slot is still taken
	must(t, ch.TxCommit())
	d = recv(t, ds)
	if string(d.Body) != "m1" {
		t.Fatalf("after commit got %q, want m1", d.Body)
	}
	must(t, d.Ack(false))
	must(t, ch.TxRollback())
	noDelivery(t, ds) // rolled back: m1 is unacked again and holds the slot
	// Acked again and committed, the slot frees up for m2.
	must(t, d.Ack(false))
	must(t, ch.TxCommit())
	if d := recv(t, ds); string(d.Body) != "m2" {
		t.Fatalf("after the second commit got %q, want m2", d.Body)
	}
}

func TestModelTxUncommittedAckRequeuedOnChannelClose(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, ""), false, false, false, nil).Name
	mFillConfirmed(t, c, q, 1)
	tx, _ := mTxAcked(t, c, q)
	must(t, tx.Close())
	mRequeued(t, ch, q) // the ack was never committed
}

func TestModelQueueTypeArgument(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	for _, typ := range []string{"classic", "quorum", "stream"} {
		ch, err := c.Channel()
		must(t, err)
		name := mName(t, typ)
		// quorum and stream queues must be durable and not exclusive.
		mQueue(t, b, ch, name, true, false, false, amqp.Table{"x-queue-type": typ})
		must(t, ch.Close())
	}
	for _, tc := range []struct {
		val  any
		text string
	}{
		{"bogus", `PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue '%s' in vhost '/': "unsupported queue type 'bogus'"`},
		{int32(5), `PRECONDITION_FAILED - invalid arg 'x-queue-type' for queue '%s' in vhost '/': {unacceptable_type,signedint}`},
	} {
		ch, err := c.Channel()
		must(t, err)
		name := mName(t, fmt.Sprint(tc.val))
		_, err = ch.QueueDeclare(name, true, false, false, false, amqp.Table{"x-queue-type": tc.val})
		mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(tc.text, name))
		if mQueueExists(t, b, name) {
			t.Fatalf("queue %q declared despite the 406", name)
		}
	}
	mAlive(t, c)
}

func TestModelPassiveDeclareEmptyName(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	mQueue(t, b, ch, mName(t, ""), false, false, false, nil)
	// Unlike get, consume, bind, purge and delete, a passive declare does
	// not stand "" for the channel's last declared queue.
	_, err := ch.QueueDeclarePassive("", false, false, false, false, nil)
	mErr(t, err, amqp.NotFound, mNoQueue(""))
	mAlive(t, c)
}

// A transaction that fails (here: a publish to a missing exchange) closes
// the channel; the acks it held were never applied, so their messages go
// back to the queue.
func TestModelTxFailureRequeuesUncommittedAcks(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, ""), false, false, false, nil).Name
	mFillConfirmed(t, c, q, 1)
	tx, closes := mTxAcked(t, c, q)
	missing := mName(t, "missing")
	_ = tx.Publish(missing, "k", false, false, amqp.Publishing{Body: []byte("x")})
	_ = tx.TxCommit() // the publish already failed: the channel is closing
	mErr(t, mWaitClose(t, closes), amqp.NotFound, mNoExchange(missing))
	mRequeued(t, ch, q)
}

// Warren routes a transaction's publishes at tx.commit (RabbitMQ routes at
// basic.publish and enqueues at commit), so an exchange deleted in between
// fails the commit: the channel closes and the acks it held go back.
func TestModelTxCommitFailureRequeuesUncommittedAcks(t *testing.T) {
	b := mStart(t)
	if b.external() {
		t.Skip("RabbitMQ routes at publish time; the commit succeeds there")
	}
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, ""), false, false, false, nil).Name
	x := mName(t, "x")
	mExchange(t, b, ch, x, "fanout", false, false, false, nil)
	mFillConfirmed(t, c, q, 1)
	tx, closes := mTxAcked(t, c, q)
	must(t, tx.Publish(x, "", false, false, amqp.Publishing{Body: []byte("x")}))
	must(t, ch.ExchangeDelete(x, false, false))
	_ = tx.TxCommit()
	mErr(t, mWaitClose(t, closes), amqp.NotFound, mNoExchange(x))
	mRequeued(t, ch, q)
}
