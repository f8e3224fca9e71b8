package e2e

// Shared helpers for the model_*_test.go files: the behaviour model of the
// broker (exchanges, queues, basic, confirms, transactions, connections),
// checked against RabbitMQ with WARREN_E2E_URL and then against Warren.
// Every helper is prefixed with "m" so as not to clash with other files of
// the package.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// mName returns a name unique to the test (and to suffix), usable as a
// queue or exchange name on a broker shared by parallel tests.
func mName(t testing.TB, suffix string) string {
	n := strings.NewReplacer("/", ".", " ", "_", "#", "h", "*", "s").Replace(t.Name())
	if suffix != "" {
		n += "-" + suffix
	}
	return n
}

// mStart starts (or targets) a broker and marks the test parallel: every
// model test uses names unique to itself.
func mStart(t *testing.T) *broker {
	t.Helper()
	t.Parallel()
	return start(t)
}

// mCleanup deletes the named queues and exchanges at cleanup, over a
// fresh connection, ignoring errors (they may already be gone).
func mCleanup(t testing.TB, b *broker, queues, exchanges []string) {
	t.Cleanup(func() {
		c, err := amqp.Dial(b.url)
		if err != nil {
			return
		}
		defer c.Close()
		ch, err := c.Channel()
		for _, q := range queues {
			if err != nil {
				if ch, err = c.Channel(); err != nil {
					return
				}
			}
			_, err = ch.QueueDelete(q, false, false, false)
		}
		for _, x := range exchanges {
			if err != nil {
				if ch, err = c.Channel(); err != nil {
					return
				}
			}
			err = ch.ExchangeDelete(x, false, false)
		}
	})
}

// mQueue declares a queue and deletes it at cleanup.
func mQueue(t testing.TB, b *broker, ch *amqp.Channel, name string, durable, autoDelete, exclusive bool, args amqp.Table) amqp.Queue {
	t.Helper()
	q, err := ch.QueueDeclare(name, durable, autoDelete, exclusive, false, args)
	if err != nil {
		t.Fatalf("queue.declare %q: %v", name, err)
	}
	mCleanup(t, b, []string{q.Name}, nil)
	return q
}

// mExchange declares an exchange and deletes it at cleanup.
func mExchange(t testing.TB, b *broker, ch *amqp.Channel, name, kind string, durable, autoDelete, internal bool, args amqp.Table) {
	t.Helper()
	mCleanup(t, b, nil, []string{name})
	if err := ch.ExchangeDeclare(name, kind, durable, autoDelete, internal, false, args); err != nil {
		t.Fatalf("exchange.declare %q %s: %v", name, kind, err)
	}
}

// mPub publishes body (non-mandatory) and fails the test on a client error.
func mPub(t testing.TB, ch *amqp.Channel, exchange, key, body string) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, false, false, amqp.Publishing{Body: []byte(body)}))
}

// mPubMsg publishes msg with the given flags.
func mPubMsg(t testing.TB, ch *amqp.Channel, exchange, key string, mandatory bool, msg amqp.Publishing) {
	t.Helper()
	must(t, ch.PublishWithContext(context.Background(), exchange, key, mandatory, false, msg))
}

// mGet gets one message that must be there.
func mGet(t testing.TB, ch *amqp.Channel, queue string, autoAck bool) amqp.Delivery {
	t.Helper()
	d, ok, err := ch.Get(queue, autoAck)
	if err != nil {
		t.Fatalf("basic.get %q: %v", queue, err)
	}
	if !ok {
		t.Fatalf("basic.get %q: get-empty, want a message", queue)
	}
	return d
}

// mGetBody gets one message that must be there and have body want.
func mGetBody(t testing.TB, ch *amqp.Channel, queue string, autoAck bool, want string) amqp.Delivery {
	t.Helper()
	d := mGet(t, ch, queue, autoAck)
	if string(d.Body) != want {
		t.Fatalf("basic.get %q: body %q, want %q", queue, d.Body, want)
	}
	return d
}

// mGetEmpty asserts basic.get answers get-empty.
func mGetEmpty(t testing.TB, ch *amqp.Channel, queue string) {
	t.Helper()
	d, ok, err := ch.Get(queue, true)
	if err != nil {
		t.Fatalf("basic.get %q: %v", queue, err)
	}
	if ok {
		t.Fatalf("basic.get %q: got %q, want get-empty", queue, d.Body)
	}
}

// mDrain gets every ready message (auto-ack) and returns the bodies.
func mDrain(t testing.TB, ch *amqp.Channel, queue string) []string {
	t.Helper()
	var out []string
	for {
		d, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatalf("basic.get %q: %v", queue, err)
		}
		if !ok {
			return out
		}
		out = append(out, string(d.Body))
	}
}

// mErr asserts err is an AMQP error with the given code and, unless text is
// empty, exactly that reply text.
func mErr(t testing.TB, err error, code int, text string) *amqp.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %q", code, text)
	}
	var e *amqp.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want an *amqp.Error %d %q", err, err, code, text)
	}
	if e.Code != code {
		t.Fatalf("got code %d (%q), want %d %q", e.Code, e.Reason, code, text)
	}
	if text != "" && e.Reason != text {
		t.Fatalf("got reply text\n\t%q\nwant\n\t%q", e.Reason, text)
	}
	return e
}

// mWaitClose waits for a close notification (channel or connection).
func mWaitClose(t testing.TB, c <-chan *amqp.Error) *amqp.Error {
	t.Helper()
	select {
	case e, ok := <-c:
		if !ok || e == nil {
			t.Fatal("closed without an error, want an exception")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for the close")
	}
	return nil
}

// mAlive asserts the connection still works by opening a channel and
// declaring a server-named queue on it.
func mAlive(t testing.TB, c *amqp.Connection) {
	t.Helper()
	if c.IsClosed() {
		t.Fatal("connection closed, want it open")
	}
	ch, err := c.Channel()
	if err != nil {
		t.Fatalf("connection not usable: %v", err)
	}
	defer ch.Close()
	if _, err := ch.QueueDeclare("", false, true, true, false, nil); err != nil {
		t.Fatalf("connection not usable: %v", err)
	}
}

// mConnClosed asserts the connection gets closed with code and text.
func mConnClosed(t testing.TB, c *amqp.Connection, closes <-chan *amqp.Error, code int, text string) {
	t.Helper()
	e := mWaitClose(t, closes)
	mErr(t, e, code, text)
	if !c.IsClosed() {
		t.Fatal("connection still open after connection.close")
	}
}

// mEventually polls f until it is true (at most 5 s).
func mEventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mQueueExists asks over a fresh connection whether the queue exists.
func mQueueExists(t testing.TB, b *broker, name string) bool {
	t.Helper()
	c, err := amqp.Dial(b.url)
	must(t, err)
	defer c.Close()
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclarePassive(name, false, false, false, false, nil)
	if err == nil {
		return true
	}
	mErr(t, err, amqp.NotFound, fmt.Sprintf("NOT_FOUND - no queue '%s' in vhost '/'", name))
	return false
}

// mExchangeExists asks over a fresh connection whether the exchange exists.
func mExchangeExists(t testing.TB, b *broker, name string) bool {
	t.Helper()
	c, err := amqp.Dial(b.url)
	must(t, err)
	defer c.Close()
	ch, err := c.Channel()
	must(t, err)
	err = ch.ExchangeDeclarePassive(name, "direct", false, false, false, false, nil)
	if err == nil {
		return true
	}
	mErr(t, err, amqp.NotFound, fmt.Sprintf("NOT_FOUND - no exchange '%s' in vhost '/'", name))
	return false
}

// mInspect returns the queue's declare-ok counts through a passive declare
// on a fresh channel of c.
func mInspect(t testing.TB, c *amqp.Connection, name string) amqp.Queue {
	t.Helper()
	ch, err := c.Channel()
	must(t, err)
	defer ch.Close()
	q, err := ch.QueueDeclarePassive(name, false, false, false, false, nil)
	must(t, err)
	return q
}

// Texts of RabbitMQ's common replies.
func mNoQueue(name string) string {
	return fmt.Sprintf("NOT_FOUND - no queue '%s' in vhost '/'", name)
}

func mNoExchange(name string) string {
	return fmt.Sprintf("NOT_FOUND - no exchange '%s' in vhost '/'", name)
}

// mRaw is a minimal raw-frame client, for what amqp091-go cannot express
// (server-generated consumer tags, opening a channel beyond channel_max).
type mRaw struct {
	t  testing.TB
	nc net.Conn
	fr *wire.FrameReader
}

// mRawOpen dials, handshakes with the given channel_max in tune-ok (0
// echoes the server's) and opens the vhost "/".
func mRawOpen(t testing.TB, b *broker, channelMax uint16) (*mRaw, *wire.ConnectionTune) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", b.addr, 5*time.Second)
	must(t, err)
	t.Cleanup(func() { nc.Close() })
	r := &mRaw{t: t, nc: nc, fr: wire.NewFrameReader(nc, 0)}
	r.send(wire.ProtocolHeader[:])
	mRawExpect[*wire.ConnectionStart](r, 0)
	r.method(0, &wire.ConnectionStartOk{
		ClientProperties: wire.Table{"product": "warren-model-raw", "capabilities": wire.Table{"consumer_cancel_notify": true}},
		Mechanism:        "PLAIN",
		Response:         "\x00guest\x00guest",
		Locale:           "en_US",
	})
	tune := mRawExpect[*wire.ConnectionTune](r, 0)
	cm := tune.ChannelMax
	if channelMax != 0 {
		cm = channelMax
	}
	r.method(0, &wire.ConnectionTuneOk{ChannelMax: cm, FrameMax: tune.FrameMax})
	r.method(0, &wire.ConnectionOpen{VirtualHost: "/"})
	mRawExpect[*wire.ConnectionOpenOk](r, 0)
	return r, tune
}

func (r *mRaw) send(p []byte) {
	r.t.Helper()
	_ = r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.nc.Write(p); err != nil {
		r.t.Fatalf("raw write: %v", err)
	}
}

func (r *mRaw) method(ch uint16, m wire.Method) {
	r.t.Helper()
	r.send(wire.AppendMethodFrame(nil, ch, m))
}

// next returns the next method frame, skipping heartbeats and content.
func (r *mRaw) next() (uint16, wire.Method) {
	r.t.Helper()
	for {
		_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := r.fr.ReadFrame()
		if err != nil {
			r.t.Fatalf("raw read: %v", err)
		}
		if f.Type != wire.FrameMethod {
			continue
		}
		m, err := wire.DecodeMethod(f.Payload)
		if err != nil {
			r.t.Fatalf("raw decode: %v", err)
		}
		return f.Channel, m
	}
}

// mRawExpect reads the next method and asserts its type and channel.
func mRawExpect[T wire.Method](r *mRaw, ch uint16) T {
	r.t.Helper()
	gotCh, m := r.next()
	v, ok := m.(T)
	if !ok || gotCh != ch {
		var zero T
		r.t.Fatalf("raw: got ch%d %s %+v, want ch%d %T", gotCh, m.Name(), m, ch, zero)
	}
	return v
}

// mAfter is the longest wait for something that must happen.
func mAfter() <-chan time.Time { return time.After(5 * time.Second) }
