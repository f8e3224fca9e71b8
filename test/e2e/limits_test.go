package e2e

import (
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Vhost and user limits set through the management API are enforced over
// AMQP with RabbitMQ's errors.
func TestLimitsThroughManagementAPI(t *testing.T) {
	m := startWithMgmt(t)
	put := func(path string, v int) {
		t.Helper()
		if code, body := m.call(t, "PUT", path, "guest", "guest", map[string]any{"value": v}); code != 204 {
			t.Fatalf("PUT %s: %d %s", path, code, body)
		}
	}
	put("/api/vhost-limits/%2F/max-queues", 1)
	c, err := amqp.Dial(m.amqpURL)
	must(t, err)
	defer c.Close()
	ch, _ := c.Channel()
	_, err = ch.QueueDeclare("one", false, true, false, false, nil)
	must(t, err)
	_, err = ch.QueueDeclare("two", false, true, false, false, nil)
	if e, ok := err.(*amqp.Error); !ok || e.Code != amqp.PreconditionFailed || !strings.Contains(e.Reason, "queue limit in vhost '/' (1) is reached") {
		t.Fatalf("second queue: %v", err)
	}

	put("/api/user-limits/guest/max-channels", 2)
	c2, err := amqp.Dial(m.amqpURL)
	must(t, err)
	defer c2.Close()
	for i := 0; i < 2; i++ {
		if _, err := c2.Channel(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c2.Channel(); err == nil {
		t.Fatal("third channel allowed past max-channels")
	}

	put("/api/vhost-limits/%2F/max-connections", 1)
	// c is still open (c2 was closed by the channel limit breach).
	if c3, err := amqp.Dial(m.amqpURL); err == nil {
		c3.Close()
		t.Fatal("connection allowed past max-connections")
	} else if e, ok := err.(*amqp.Error); !ok || e.Code != amqp.NotAllowed {
		t.Fatalf("got %v", err)
	}
}
