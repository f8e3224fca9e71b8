package e2e

import (
	"context"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestPublishConsume(t *testing.T) {
	b := start(t)
	_, ch := b.channel(t)
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	ds, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < 100; i++ {
		must(t, ch.PublishWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Body: []byte{byte(i)}}))
	}
	for i := 0; i < 100; i++ {
		d := recv(t, ds)
		if d.Body[0] != byte(i) {
			t.Fatalf("message %d: got %d", i, d.Body[0])
		}
		must(t, d.Ack(false))
	}
}
