//go:build warren_panic_hook

package e2e

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091"
)

// A panic while handling one connection's frame closes that connection
// with 541 INTERNAL_ERROR and leaves the broker serving everyone else.
// Run with: go test -tags warren_panic_hook -run TestPanic ./test/e2e/
func TestPanicClosesOnlyItsConnection(t *testing.T) {
	b := start(t)
	bystander, bch := b.channel(t)
	q, err := bch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)

	victim, vch := b.channel(t)
	closed := victim.NotifyClose(make(chan *amqp.Error, 1))
	vch.PublishWithContext(context.Background(), amqp091.PanicExchange, "", false, false, amqp.Publishing{Body: []byte("boom")})
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp.InternalError {
			t.Fatalf("closed with %v, want 541", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("panicking connection not closed")
	}
	if bystander.IsClosed() {
		t.Fatal("another connection was closed by the panic")
	}
	must(t, bch.PublishWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Body: []byte("still here")}))
	ds, err := bch.Consume(q.Name, "", true, false, false, false, nil)
	must(t, err)
	if d := recv(t, ds); string(d.Body) != "still here" {
		t.Fatalf("got %q", d.Body)
	}
	assertHealthy(t, b)
}
