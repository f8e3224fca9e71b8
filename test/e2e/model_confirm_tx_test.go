package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

func TestModelConfirmEveryPublish(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	x := mName(t, "x")
	mExchange(t, b, ch, x, "direct", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "routed", x, false, nil))
	must(t, ch.Confirm(false))
	must(t, ch.Confirm(false)) // idempotent
	const n = 2000
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n))
	returns := ch.NotifyReturn(make(chan amqp.Return, n))
	routed, mandatory := 0, 0
	for i := 0; i < n; i++ {
		var key string
		var mand bool
		switch i % 4 {
		case 0:
			key = "routed"
			routed++
		case 1:
			key = "unroutable"
		case 2:
			key, mand = "unroutable", true
			mandatory++
		case 3:
			key = "routed"
			routed++
			mand = true
		}
		must(t, ch.PublishWithContext(context.Background(), x, key, mand, false, amqp.Publishing{Body: []byte(fmt.Sprint(i))}))
	}
	// amqp091-go expands multiple acks into one confirmation per tag, in
	// order: none may be missing or duplicated, and all are acks.
	for tag := uint64(1); tag <= n; tag++ {
		select {
		case c := <-confirms:
			if c.DeliveryTag != tag || !c.Ack {
				t.Fatalf("confirmation %+v, want ack of %d", c, tag)
			}
		case <-mAfter():
			t.Fatalf("timed out waiting for the confirm of %d", tag)
		}
	}
	for i := 0; i < mandatory; i++ {
		select {
		case r := <-returns:
			if r.ReplyCode != amqp.NoRoute {
				t.Fatalf("return %d %q", r.ReplyCode, r.ReplyText)
			}
		case <-mAfter():
			t.Fatalf("got %d returns, want %d", i, mandatory)
		}
	}
	if q := mInspect(t, b.dial(t), q.Name); q.Messages != routed {
		t.Fatalf("queue holds %d messages, want %d", q.Messages, routed)
	}
}

// On the wire: every publish is confirmed exactly once, whether by a
// single or a multiple basic.ack, and an unroutable mandatory message's
// basic.return comes before its basic.ack.
func TestModelConfirmWire(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	r, tune := mRawOpen(t, b, 0)
	r.method(1, &wire.ChannelOpen{})
	mRawExpect[*wire.ChannelOpenOk](r, 1)
	r.method(1, &wire.ConfirmSelect{})
	mRawExpect[*wire.ConfirmSelectOk](r, 1)

	const n = 1000
	var unroutable []uint64 // in publish order
	var buf []byte
	props := []byte{0, 0} // no properties
	for tag := uint64(1); tag <= n; tag++ {
		key, mandatory := q.Name, false
		if tag%10 == 0 {
			key, mandatory = mName(t, "nowhere"), true
			unroutable = append(unroutable, tag)
		}
		body := []byte(fmt.Sprint(tag))
		buf = wire.AppendMethodFrame(buf, 1, &wire.BasicPublish{RoutingKey: key, Mandatory: mandatory})
		buf = wire.AppendHeaderFrame(buf, 1, 60, uint64(len(body)), props)
		buf = wire.AppendBodyFrames(buf, 1, body, tune.FrameMax)
	}
	r.send(buf)

	acked := make([]bool, n+1)
	remaining, returns, multiples := n, 0, 0
	for remaining > 0 {
		ch, m := r.next()
		if ch != 1 {
			t.Fatalf("unexpected ch%d %s %+v", ch, m.Name(), m)
		}
		switch m := m.(type) {
		case *wire.BasicReturn:
			if returns >= len(unroutable) {
				t.Fatalf("unexpected return %+v", m)
			}
			tag := unroutable[returns]
			returns++
			if m.ReplyCode != amqp.NoRoute || m.ReplyText != "NO_ROUTE" {
				t.Fatalf("return %d %q", m.ReplyCode, m.ReplyText)
			}
			if acked[tag] {
				t.Fatalf("basic.return for publish %d after its basic.ack", tag)
			}
		case *wire.BasicAck:
			if m.DeliveryTag == 0 || m.DeliveryTag > n || acked[m.DeliveryTag] {
				t.Fatalf("basic.ack %d (multiple=%v): unknown or already acked", m.DeliveryTag, m.Multiple)
			}
			from := m.DeliveryTag
			if m.Multiple {
				multiples++
				from = 1
			}
			for tag := from; tag <= m.DeliveryTag; tag++ {
				if !acked[tag] {
					acked[tag] = true
					remaining--
				}
			}
		default:
			t.Fatalf("unexpected %s %+v", m.Name(), m)
		}
	}
	if returns != len(unroutable) {
		t.Fatalf("%d returns, want %d", returns, len(unroutable))
	}
	t.Logf("%d publishes confirmed, %d multiple acks", n, multiples)
	if got := mInspect(t, b.dial(t), q.Name).Messages; got != n-len(unroutable) {
		t.Fatalf("queue holds %d messages, want %d", got, n-len(unroutable))
	}
}

func TestModelConfirmDeferred(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.Confirm(false))
	var dcs []*amqp.DeferredConfirmation
	for i := 0; i < 50; i++ {
		key := q.Name
		if i%2 == 1 {
			key = mName(t, "nowhere") // unroutable: acked all the same
		}
		dc, err := ch.PublishWithDeferredConfirm("", key, false, false, amqp.Publishing{Body: []byte("m")})
		must(t, err)
		if dc.DeliveryTag != uint64(i+1) {
			t.Fatalf("deferred confirm tag %d, want %d", dc.DeliveryTag, i+1)
		}
		dcs = append(dcs, dc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, dc := range dcs {
		ok, err := dc.WaitContext(ctx)
		must(t, err)
		if !ok {
			t.Fatalf("publish %d nacked", dc.DeliveryTag)
		}
	}
}

func TestModelConfirmTxExclusive(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	must(t, ch.Tx())
	must(t, ch.Tx()) // idempotent
	mErr(t, ch.Confirm(false), amqp.PreconditionFailed, "PRECONDITION_FAILED - cannot switch from tx to confirm mode")

	ch, err = c.Channel()
	must(t, err)
	must(t, ch.Confirm(false))
	mErr(t, ch.Tx(), amqp.PreconditionFailed, "PRECONDITION_FAILED - cannot switch from confirm to tx mode")
	mAlive(t, c)
}

func TestModelTxPublish(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	obs, err := c.Channel()
	must(t, err)
	must(t, ch.Tx())
	for i := 1; i <= 3; i++ {
		mPub(t, ch, "", q.Name, fmt.Sprint(i))
	}
	// Nothing is routed before the commit.
	mGetEmpty(t, obs, q.Name)
	must(t, ch.TxCommit())
	if got := mDrain(t, obs, q.Name); fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("after commit got %q, want [1 2 3]", got)
	}
	// Rolled back publishes never arrive.
	mPub(t, ch, "", q.Name, "rolled back 1")
	mPub(t, ch, "", q.Name, "rolled back 2")
	must(t, ch.TxRollback())
	mGetEmpty(t, obs, q.Name)
	mPub(t, ch, "", q.Name, "4")
	must(t, ch.TxCommit())
	must(t, ch.TxCommit()) // an empty transaction
	if got := mDrain(t, obs, q.Name); fmt.Sprint(got) != "[4]" {
		t.Fatalf("after rollback and commit got %q, want [4]", got)
	}
	// Closing the channel discards an uncommitted transaction.
	mPub(t, ch, "", q.Name, "never committed")
	must(t, ch.Close())
	mGetEmpty(t, obs, q.Name)
	ch, err = c.Channel()
	must(t, err)
	must(t, ch.Tx())
	// Mandatory unroutable publishes are returned at commit.
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	mPubMsg(t, ch, "", mName(t, "nowhere"), true, amqp.Publishing{Body: []byte("returned")})
	must(t, ch.TxCommit())
	select {
	case r := <-returns:
		if r.ReplyCode != amqp.NoRoute || string(r.Body) != "returned" {
			t.Fatalf("return %d %q", r.ReplyCode, r.Body)
		}
	case <-mAfter():
		t.Fatal("no return for a committed unroutable mandatory publish")
	}
}

func TestModelTxAcks(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	for i := 1; i <= 4; i++ {
		mPub(t, ch, "", q.Name, fmt.Sprint(i))
	}
	tch, err := c.Channel()
	must(t, err)
	must(t, tch.Tx())
	for i := 1; i <= 4; i++ {
		mGetBody(t, tch, q.Name, false, fmt.Sprint(i))
	}
	// Rolled-back acks, nacks and rejects leave the messages unacked.
	must(t, tch.Ack(1, false))
	must(t, tch.Nack(2, false, true))
	must(t, tch.Reject(3, true))
	must(t, tch.TxRollback())
	mGetEmpty(t, ch, q.Name)
	// The tags are still valid: ack 1 for real.
	must(t, tch.Ack(1, false))
	mGetEmpty(t, ch, q.Name) // not applied before commit
	must(t, tch.TxCommit())
	mGetEmpty(t, ch, q.Name)
	// A committed requeue.
	must(t, tch.Reject(2, true))
	must(t, tch.TxCommit())
	mGetBody(t, ch, q.Name, true, "2")
	// Closing the channel requeues what is left (3 and 4), even after a
	// rolled-back ack.
	must(t, tch.Ack(4, true))
	must(t, tch.TxRollback())
	must(t, tch.Close())
	var got []string
	for _, d := range mDrainDeliveries(t, ch, q.Name) {
		if !d.Redelivered {
			t.Fatalf("%q not flagged redelivered", d.Body)
		}
		got = append(got, string(d.Body))
	}
	if fmt.Sprint(got) != "[3 4]" {
		t.Fatalf("after close got %q, want [3 4]", got)
	}
}

func TestModelTxNotTransactional(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	mErr(t, ch.TxCommit(), amqp.PreconditionFailed, "PRECONDITION_FAILED - channel is not transactional")
	ch, err = c.Channel()
	must(t, err)
	mErr(t, ch.TxRollback(), amqp.PreconditionFailed, "PRECONDITION_FAILED - channel is not transactional")
	mAlive(t, c)
}
