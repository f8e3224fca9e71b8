package e2e

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// While a resource alarm is raised, a publishing connection is told
// connection.blocked and its publishes stop reaching the queue, while a
// consumer on another connection keeps draining; when it clears, the
// client is told connection.unblocked and the held publishes arrive.
func TestAlarmBlocksPublishers(t *testing.T) {
	b := start(t)
	if b.external() {
		t.Skip("raises an alarm on the embedded broker")
	}
	pubConn, pub := b.channel(t)
	blocked := pubConn.NotifyBlocked(make(chan amqp.Blocking, 4))
	_, sub := b.channel(t)
	q, err := sub.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	must(t, pub.PublishWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Body: []byte("before")}))
	ds, err := sub.Consume(q.Name, "", true, false, false, false, nil)
	must(t, err)
	if d := recv(t, ds); string(d.Body) != "before" {
		t.Fatalf("got %q", d.Body)
	}

	b.srv.RaiseAlarm("test", true)
	must(t, pub.PublishWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Body: []byte("held")}))
	select {
	case bl := <-blocked:
		if !bl.Active || bl.Reason == "" {
			t.Fatalf("blocking %+v", bl)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection.blocked")
	}
	noDelivery(t, ds)

	b.srv.RaiseAlarm("test", false)
	select {
	case bl := <-blocked:
		if bl.Active {
			t.Fatalf("expected unblocked, got %+v", bl)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no connection.unblocked")
	}
	if d := recv(t, ds); string(d.Body) != "held" {
		t.Fatalf("got %q", d.Body)
	}
}
