package e2e

// Direct reply-to (the amq.rabbitmq.reply-to pseudo-queue), checked against
// RabbitMQ 3.10 with WARREN_E2E_URL.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

const replyTo = "amq.rabbitmq.reply-to"

// xRPCRequest publishes a request with reply_to amq.rabbitmq.reply-to on
// client to queue q and returns the reply address the server side sees.
func xRPCRequest(t testing.TB, client, server *amqp.Channel, q, body string) string {
	t.Helper()
	mPubMsg(t, client, "", q, false, amqp.Publishing{ReplyTo: replyTo, CorrelationId: body, Body: []byte(body)})
	var d amqp.Delivery
	mEventually(t, "the request arrives", func() bool {
		var ok bool
		var err error
		d, ok, err = server.Get(q, true)
		must(t, err)
		return ok
	})
	if !strings.HasPrefix(d.ReplyTo, replyTo+".") || len(d.ReplyTo) < len(replyTo)+10 {
		t.Fatalf("request reply_to %q, want a generated %s.<token>", d.ReplyTo, replyTo)
	}
	if d.CorrelationId != body || string(d.Body) != body {
		t.Fatalf("request lost its properties or body: %+v", d)
	}
	return d.ReplyTo
}

// The RPC round trip: the reply goes straight to the client's consumer, on
// the default exchange with the reply address as routing key.
func TestExchangeReplyToRoundTrip(t *testing.T) {
	b := mStart(t)
	_, client := b.channel(t)
	_, server := b.channel(t)
	q := mName(t, "rpc")
	mQueue(t, b, server, q, false, false, false, nil)
	replies, err := client.Consume(replyTo, "", true, false, false, false, nil)
	must(t, err)
	addr := xRPCRequest(t, client, server, q, "ping")
	for i := range 3 {
		must(t, server.PublishWithContext(context.Background(), "", addr, false, false,
			amqp.Publishing{CorrelationId: "ping", Body: []byte(fmt.Sprintf("pong-%d", i)), Headers: amqp.Table{"n": int32(i)}}))
	}
	for i := range 3 {
		d := recv(t, replies)
		if string(d.Body) != fmt.Sprintf("pong-%d", i) || d.CorrelationId != "ping" || d.Headers["n"] != int32(i) {
			t.Fatalf("reply %d: %q %+v", i, d.Body, d)
		}
		if d.Exchange != "" || d.RoutingKey != addr || d.Redelivered || d.ConsumerTag == "" {
			t.Fatalf("reply delivered as exchange %q key %q tag %q redelivered %v", d.Exchange, d.RoutingKey, d.ConsumerTag, d.Redelivered)
		}
	}
	// The same channel keeps its address.
	if again := xRPCRequest(t, client, server, q, "again"); again != addr {
		t.Fatalf("second request got %q, first %q", again, addr)
	}
}

// The reply consumer must be no-ack, and there is one per channel.
func TestExchangeReplyToConsumeRules(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.Consume(replyTo, "", false, false, false, false, nil)
	mErr(t, err, amqp.PreconditionFailed, "PRECONDITION_FAILED - reply consumer cannot acknowledge")
	ch, err = c.Channel()
	must(t, err)
	_, err = ch.Consume(replyTo, "first", true, false, false, false, nil)
	must(t, err)
	_, err = ch.Consume(replyTo, "second", true, false, false, false, nil)
	mErr(t, err, amqp.PreconditionFailed, "PRECONDITION_FAILED - reply consumer already set")
	// Each channel has its own.
	ch, err = c.Channel()
	must(t, err)
	_, err = ch.Consume(replyTo, "", true, false, false, false, nil)
	must(t, err)
	mAlive(t, c)
}

// Publishing with reply_to amq.rabbitmq.reply-to needs a reply consumer on
// the publishing channel; other reply_to values are left alone.
func TestExchangeReplyToWithoutConsumer(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	q := mName(t, "q")
	mQueue(t, b, ch, q, false, false, false, nil)
	mPubMsg(t, ch, "", q, false, amqp.Publishing{ReplyTo: replyTo + "-not-quite", Body: []byte("a")})
	d := mGetBody(t, ch, q, true, "a")
	if d.ReplyTo != replyTo+"-not-quite" {
		t.Fatalf("reply_to rewritten to %q", d.ReplyTo)
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	mPubMsg(t, ch, "", q, false, amqp.Publishing{ReplyTo: replyTo, Body: []byte("b")})
	mErr(t, mWaitClose(t, closed), amqp.PreconditionFailed, "PRECONDITION_FAILED - fast reply consumer does not exist")
	// A consumer on another channel does not count.
	ch, err = c.Channel()
	must(t, err)
	_, err = ch.Consume(replyTo, "", true, false, false, false, nil)
	must(t, err)
	other, err := c.Channel()
	must(t, err)
	closed = other.NotifyClose(make(chan *amqp.Error, 1))
	mPubMsg(t, other, "", q, false, amqp.Publishing{ReplyTo: replyTo, Body: []byte("c")})
	mErr(t, mWaitClose(t, closed), amqp.PreconditionFailed, "PRECONDITION_FAILED - fast reply consumer does not exist")
	mAlive(t, c)
}

// Publishing to a reply address counts as unrouted, as RabbitMQ 3.10 does
// (and documents): a mandatory reply is returned even when delivered. A
// stale or unknown address delivers nothing. Confirms ack either way.
func TestExchangeReplyToUnroutedAndStale(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	client, err := c.Channel()
	must(t, err)
	_, server := b.channel(t)
	q := mName(t, "rpc")
	mQueue(t, b, server, q, false, false, false, nil)
	replies, err := client.Consume(replyTo, "rc", true, false, false, false, nil)
	must(t, err)
	addr := xRPCRequest(t, client, server, q, "req")
	must(t, server.Confirm(false))
	confirms := server.NotifyPublish(make(chan amqp.Confirmation, 8))
	rets := xReturns(server)
	xPubMandatory(t, server, "", addr, "live")
	if d := recv(t, replies); string(d.Body) != "live" {
		t.Fatalf("got %q", d.Body)
	}
	xReturned(t, rets, "", addr)
	xPubMandatory(t, server, "", addr+"x", "unknown")
	xReturned(t, rets, "", addr+"x")
	xPubMandatory(t, server, "", replyTo, "bare")
	xReturned(t, rets, "", replyTo)
	// Cancelling the reply consumer makes the address stale.
	must(t, client.Cancel("rc", false))
	xPubMandatory(t, server, "", addr, "after-cancel")
	xReturned(t, rets, "", addr)
	for i := 1; i <= 4; i++ {
		select {
		case c := <-confirms:
			if !c.Ack {
				t.Fatalf("confirm %d nacked", c.DeliveryTag)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("missing confirm")
		}
	}
	// Without its consumer the channel may no longer ask for replies.
	closed := client.NotifyClose(make(chan *amqp.Error, 1))
	mPubMsg(t, client, "", q, false, amqp.Publishing{ReplyTo: replyTo})
	mErr(t, mWaitClose(t, closed), amqp.PreconditionFailed, "PRECONDITION_FAILED - fast reply consumer does not exist")
	// A closed channel's address is stale too.
	client2, err := c.Channel()
	must(t, err)
	_, err = client2.Consume(replyTo, "", true, false, false, false, nil)
	must(t, err)
	addr2 := xRPCRequest(t, client2, server, q, "req2")
	must(t, client2.Close())
	xPubMandatory(t, server, "", addr2, "closed")
	xReturned(t, rets, "", addr2)
}

// queue.declare of the pseudo-queue succeeds (with one consumer); of a
// reply address, while its consumer lives.
func TestExchangeReplyToDeclare(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	qd, err := ch.QueueDeclarePassive(replyTo, false, false, false, false, nil)
	if err != nil && !b.external() && amqpCode(err) == amqp.NotFound {
		t.Skip("Warren needs the queue.declare hook in internal/amqp091/model.go (ch.declareReplyTo)")
	}
	must(t, err)
	if qd.Name != replyTo || qd.Consumers != 1 || qd.Messages != 0 {
		t.Fatalf("declare-ok %+v", qd)
	}
	qd, err = ch.QueueDeclare(replyTo, false, false, false, false, nil)
	must(t, err)
	if qd.Name != replyTo || qd.Consumers != 1 {
		t.Fatalf("declare-ok %+v", qd)
	}
	_, server := b.channel(t)
	q := mName(t, "rpc")
	mQueue(t, b, server, q, false, false, false, nil)
	_, err = ch.Consume(replyTo, "", true, false, false, false, nil)
	must(t, err)
	addr := xRPCRequest(t, ch, server, q, "req")
	qd, err = server.QueueDeclarePassive(addr, false, false, false, false, nil)
	must(t, err)
	if qd.Name != addr || qd.Consumers != 1 {
		t.Fatalf("declare-ok %+v", qd)
	}
	_, err = server.QueueDeclarePassive(addr+"x", false, false, false, false, nil)
	mErr(t, err, amqp.NotFound, mNoQueue(addr+"x"))
}

// A reply address works only within its vhost (Warren: RabbitMQ's
// addresses are channel process ids, checked the same way).
func TestExchangeReplyToOtherVHost(t *testing.T) {
	if external() {
		t.Skip("needs a second vhost on an embedded broker")
	}
	b := start(t)
	must(t, b.srv.AddVHost("replyto-other"))
	must(t, b.srv.SetPermissions("guest", "replyto-other", ".*", ".*", ".*"))
	_, client := b.channel(t)
	_, server := b.channel(t)
	q := mName(t, "rpc")
	mQueue(t, b, server, q, false, false, false, nil)
	replies, err := client.Consume(replyTo, "", true, false, false, false, nil)
	must(t, err)
	addr := xRPCRequest(t, client, server, q, "req")
	oc, err := amqp.DialConfig(b.url, amqp.Config{Vhost: "replyto-other"})
	must(t, err)
	defer oc.Close()
	och, err := oc.Channel()
	must(t, err)
	rets := xReturns(och)
	xPubMandatory(t, och, "", addr, "cross")
	xReturned(t, rets, "", addr)
	noDelivery(t, replies)
}
