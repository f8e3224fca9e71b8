package amqpc_test

import (
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// queueDepth is the number of ready messages in q, read through
// amqp091-go, an independent client.
func queueDepth(t *testing.T, uri, q string) int {
	t.Helper()
	conn, err := amqp.Dial(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	info, err := ch.QueueDeclarePassive(q, false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return info.Messages
}

func waitDepth(t *testing.T, uri, q string, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := queueDepth(t, uri, q)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s holds %d messages, want %d", q, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Publishes in a transaction reach the queue only at tx.commit, which
// sends them first even when they are still buffered.
func TestTxPublish(t *testing.T) {
	uri := brokerURI(t)
	c := dial(t, uri, amqpc.Config{})
	ch := channel(t, c)
	q, err := ch.QueueDeclare(queueName(t), false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.TxSelect(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := ch.Publish("", q, false, nil, []byte("tx")); err != nil {
			t.Fatal(err)
		}
	}
	if err := ch.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // time enough to be routed, were they not in a transaction
	if n := queueDepth(t, uri, q); n != 0 {
		t.Fatalf("%d messages routed before the commit", n)
	}
	if _, err := ch.Publish("", q, false, nil, []byte("tx")); err != nil { // still buffered
		t.Fatal(err)
	}
	if err := ch.TxCommit(); err != nil {
		t.Fatal(err)
	}
	waitDepth(t, uri, q, 4)
}

// Acks committed with TxCommitAsync from the delivery callback take
// effect; the reader swallows their commit-oks, so the channel's next
// synchronous call still gets its own reply, and a synchronous TxCommit
// after pipelined ones gets the last commit-ok.
func TestTxCommitAsyncFromCallback(t *testing.T) {
	uri := brokerURI(t)
	const n, every = 20, 5
	pc := dial(t, uri, amqpc.Config{})
	pch := channel(t, pc)
	q, err := pch.QueueDeclare(queueName(t), false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range n + 2 {
		if _, err := pch.Publish("", q, false, nil, []byte("m")); err != nil {
			t.Fatal(err)
		}
	}
	if err := pch.Flush(); err != nil {
		t.Fatal(err)
	}
	waitDepth(t, uri, q, n+2)

	cc := dial(t, uri, amqpc.Config{})
	cch := channel(t, cc)
	var got atomic.Int64
	var bad atomic.Value
	done := make(chan struct{})
	cch.SetHandlers(amqpc.Handlers{Deliver: func(d *amqpc.Delivery) {
		k := got.Add(1)
		if k > n {
			return // left unacknowledged: the last two are acked below
		}
		if err := cch.Ack(d.Tag, false); err != nil {
			bad.Store(err.Error())
		}
		if k%every == 0 {
			if err := cch.TxCommitAsync(); err != nil {
				bad.Store(err.Error())
			}
		}
		if k == n {
			close(done)
		}
	}})
	if err := cch.TxSelect(); err != nil {
		t.Fatal(err)
	}
	if err := cch.Qos(n, false); err != nil { // the last two wait for the commits to free credit
		t.Fatal(err)
	}
	if err := cch.Consume(q, "c", false, false, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("received %d of %d", got.Load(), n)
	}
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	waitDepth(t, uri, q, 0) // all acked and committed (the last two are unacked, not ready)
	// A synchronous call after the pipelined commits gets its own reply.
	if _, err := cch.QueueDeclare("", false, true, true, nil); err != nil {
		t.Fatalf("a call after pipelined commits: %v", err)
	}
	if err := cch.TxCommit(); err != nil {
		t.Fatalf("a synchronous commit after pipelined ones: %v", err)
	}
	if cch.Err() != nil || cc.Err() != nil {
		t.Fatalf("channel %v, connection %v", cch.Err(), cc.Err())
	}
}
