package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/testbroker"
)

// startAt runs a broker on dataDir until the returned stop is called
// (or the test ends).
func startAt(t *testing.T, dataDir string) (url string, stop func()) {
	t.Helper()
	_, addr, stop := testbroker.Start(t, warren.Config{DataDir: dataDir}, nil)
	return testbroker.URI(addr), stop
}

// durableConfirming connects, declares the durable queue and returns a
// channel in confirm mode.
func durableConfirming(t *testing.T, url, queue string) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	conn, err := amqp.Dial(url)
	must(t, err)
	ch, err := conn.Channel()
	must(t, err)
	_, err = ch.QueueDeclare(queue, true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	return conn, ch
}

// Durable exchanges, queues and bindings survive a restart with their
// exact arguments; transient and exclusive ones do not.
func TestDefinitionsSurviveRestart(t *testing.T) {
	if external() {
		t.Skip("restarts an embedded broker")
	}
	dir := t.TempDir()
	url, stop := startAt(t, dir)
	conn, err := amqp.Dial(url)
	must(t, err)
	ch, err := conn.Channel()
	must(t, err)
	args := amqp.Table{"x-max-length": int32(100), "x-queue-mode": "lazy"}
	must(t, ch.ExchangeDeclare("dx", "topic", true, false, false, false, nil))
	must(t, ch.ExchangeDeclare("tx", "fanout", false, false, false, false, nil))
	_, err = ch.QueueDeclare("dq", true, false, false, false, args)
	must(t, err)
	_, err = ch.QueueDeclare("tq", false, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDeclare("xq", true, false, true, false, nil)
	must(t, err)
	must(t, ch.QueueBind("dq", "a.#", "dx", false, nil))
	must(t, ch.QueueBind("tq", "a.#", "dx", false, nil))
	conn.Close()
	stop()

	url, _ = startAt(t, dir)
	conn, err = amqp.Dial(url)
	must(t, err)
	defer conn.Close()
	ch, err = conn.Channel()
	must(t, err)
	// Redeclaring with the same arguments must be equivalent (types kept).
	_, err = ch.QueueDeclare("dq", true, false, false, false, args)
	must(t, err)
	must(t, ch.ExchangeDeclarePassive("dx", "topic", true, false, false, false, nil))
	for _, name := range []string{"tq", "xq"} {
		c, _ := conn.Channel()
		if _, err := c.QueueDeclarePassive(name, false, false, false, false, nil); amqpCode(err) != amqp.NotFound {
			t.Errorf("queue %s after restart: %v, want 404", name, err)
		}
	}
	c, _ := conn.Channel()
	if err := c.ExchangeDeclarePassive("tx", "fanout", false, false, false, false, nil); amqpCode(err) != amqp.NotFound {
		t.Errorf("transient exchange after restart: %v", err)
	}
	// The durable binding routes.
	must(t, ch.PublishWithContext(context.Background(), "dx", "a.b", false, false, amqp.Publishing{Body: []byte("x")}))
	for i := 0; i < 50; i++ {
		if _, ok, _ := ch.Get("dq", true); ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("durable binding lost")
}

// Confirmed persistent messages on a durable queue survive a restart, in
// order; transient ones and acknowledged ones do not come back.
func TestMessagesSurviveRestart(t *testing.T) {
	if external() {
		t.Skip("restarts an embedded broker")
	}
	dir := t.TempDir()
	url, stop := startAt(t, dir)
	conn, ch := durableConfirming(t, url, "pq")
	ctx := context.Background()
	const n = 500
	for i := 0; i < n; i++ {
		mode := amqp.Persistent
		if i%5 == 4 {
			mode = amqp.Transient
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", "pq", false, false,
			amqp.Publishing{DeliveryMode: mode, Body: []byte(fmt.Sprint(i)), Headers: amqp.Table{"i": int32(i)}})
		must(t, err)
		if i == n-1 {
			if ok, err := dc.WaitContext(ctx); !ok || err != nil {
				t.Fatalf("last confirm: %v %v", ok, err)
			}
		}
	}
	// Ack the first 10.
	for i := 0; i < 10; i++ {
		d, ok, err := ch.Get("pq", false)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		must(t, d.Ack(false))
	}
	must(t, ch.Close()) // acks are processed before close-ok
	conn.Close()
	stop()

	url, _ = startAt(t, dir)
	conn, err := amqp.Dial(url)
	must(t, err)
	defer conn.Close()
	ch, err = conn.Channel()
	must(t, err)
	q, err := ch.QueueDeclarePassive("pq", true, false, false, false, nil)
	must(t, err)
	want := 0
	for i := 10; i < n; i++ {
		if i%5 != 4 {
			want++
		}
	}
	if q.Messages != want {
		t.Fatalf("%d messages after restart, want %d", q.Messages, want)
	}
	next := 10
	for i := 0; i < want; i++ {
		d, ok, err := ch.Get("pq", true)
		if !ok || err != nil {
			t.Fatal(ok, err)
		}
		for next%5 == 4 {
			next++
		}
		if string(d.Body) != fmt.Sprint(next) || d.Headers["i"] != int32(next) || d.DeliveryMode != amqp.Persistent {
			t.Fatalf("got %q %v mode %d, want %d", d.Body, d.Headers, d.DeliveryMode, next)
		}
		next++
	}
}

// --definitions: a RabbitMQ-format file imported at boot.
func TestDefinitionsFileAtBoot(t *testing.T) {
	if external() {
		t.Skip("embedded broker")
	}
	file := filepath.Join(t.TempDir(), "defs.json")
	must(t, os.WriteFile(file, []byte(`{"rabbit_version":"3.10.8","vhosts":[{"name":"/"}],
		"queues":[{"name":"boot-q","vhost":"/","durable":true,"auto_delete":false,"arguments":{"x-max-length":5}}],
		"exchanges":[{"name":"boot-x","vhost":"/","type":"fanout","durable":true,"auto_delete":false,"internal":false,"arguments":{}}],
		"bindings":[{"source":"boot-x","vhost":"/","destination":"boot-q","destination_type":"queue","routing_key":"","arguments":{}}]}`), 0o600))
	srv, err := warren.New(warren.Config{DataDir: t.TempDir(), DefinitionsFile: file})
	must(t, err)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())
	c, err := amqp.Dial(fmt.Sprintf("amqp://guest:guest@%s/", l.Addr()))
	must(t, err)
	defer c.Close()
	ch, _ := c.Channel()
	must(t, ch.PublishWithContext(context.Background(), "boot-x", "", false, false, amqp.Publishing{Body: []byte("hi")}))
	time.Sleep(50 * time.Millisecond)
	q, err := ch.QueueDeclarePassive("boot-q", true, false, false, false, nil)
	must(t, err)
	if q.Messages != 1 {
		t.Fatalf("boot-q has %d messages", q.Messages)
	}
}

// After a clean restart, messages that were delivered before (here: two
// consumed and never acknowledged) come back redelivered, and those never
// delivered come back as first deliveries, as RabbitMQ reports them.
func TestRedeliveredFlagAfterRestart(t *testing.T) {
	if external() {
		t.Skip("restarts an embedded broker")
	}
	dir := t.TempDir()
	url, stop := startAt(t, dir)
	conn, ch := durableConfirming(t, url, "rq")
	ctx := context.Background()
	for i := range 6 {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", "rq", false, false,
			amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(fmt.Sprint(i))})
		must(t, err)
		if ok, err := dc.WaitContext(ctx); !ok || err != nil {
			t.Fatalf("confirm %d: %v %v", i, ok, err)
		}
	}
	for range 2 {
		if _, ok, err := ch.Get("rq", false); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	conn.Close() // the two go back to the queue, unacknowledged
	stop()

	url, _ = startAt(t, dir)
	conn, err := amqp.Dial(url)
	must(t, err)
	defer conn.Close()
	ch, err = conn.Channel()
	must(t, err)
	for i := range 6 {
		d, ok, err := ch.Get("rq", true)
		if !ok || err != nil {
			t.Fatalf("message %d: %v %v", i, ok, err)
		}
		if string(d.Body) != fmt.Sprint(i) {
			t.Fatalf("message %d: body %q", i, d.Body)
		}
		if want := i < 2; d.Redelivered != want {
			t.Errorf("message %d: redelivered %v, want %v", i, d.Redelivered, want)
		}
	}
}
