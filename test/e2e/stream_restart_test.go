package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A stream keeps every confirmed message through a restart, transient ones
// included, and numbering carries on after it.
func TestStreamSurvivesRestart(t *testing.T) {
	if external() {
		t.Skip("restarts an embedded broker")
	}
	dir := t.TempDir()
	url, stop := startAt(t, dir)
	conn, err := amqp.Dial(url)
	must(t, err)
	ch, err := conn.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("st", true, false, false, false, amqp.Table{"x-queue-type": "stream"})
	must(t, err)
	must(t, ch.Confirm(false))
	ctx := context.Background()
	const n = 300
	for i := 0; i < n; i++ {
		mode := amqp.Persistent
		if i%2 == 1 {
			mode = amqp.Transient
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", "st", false, false,
			amqp.Publishing{DeliveryMode: mode, Body: []byte(fmt.Sprint(i))})
		must(t, err)
		if i == n-1 {
			if ok, err := dc.WaitContext(ctx); !ok || err != nil {
				t.Fatalf("last confirm: %v %v", ok, err)
			}
		}
	}
	conn.Close()
	stop()

	url, _ = startAt(t, dir)
	conn, err = amqp.Dial(url)
	must(t, err)
	defer conn.Close()
	ch, err = conn.Channel()
	must(t, err)
	must(t, ch.Qos(50, 0, false))
	ds, err := ch.Consume("st", "", false, false, false, false, amqp.Table{"x-stream-offset": "first"})
	must(t, err)
	pub, err := conn.Channel()
	must(t, err)
	for i := 0; i <= n; i++ {
		if i == n { // one more, published after the restart
			must(t, pub.Publish("", "st", false, false, amqp.Publishing{Body: []byte(fmt.Sprint(n))}))
		}
		var d amqp.Delivery
		select {
		case d = <-ds:
		case <-time.After(5 * time.Second):
			t.Fatalf("message %d did not arrive", i)
		}
		if string(d.Body) != fmt.Sprint(i) || d.Headers["x-stream-offset"] != int64(i) {
			t.Fatalf("delivery %d: body %q offset %v", i, d.Body, d.Headers["x-stream-offset"])
		}
		must(t, d.Ack(false))
	}
}
