package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The same queue and exchange names in two vhosts are different objects:
// messages never cross, and deleting one leaves the other.
func TestVHostIsolation(t *testing.T) {
	b := start(t)
	if b.external() {
		t.Skip("creates vhosts on the embedded broker")
	}
	must(t, b.srv.AddVHost("tenant-a"))
	must(t, b.srv.AddVHost("tenant-b"))
	for _, v := range []string{"tenant-a", "tenant-b"} {
		must(t, b.srv.SetPermissions("guest", v, ".*", ".*", ".*"))
	}
	dial := func(v string) *amqp.Channel {
		c, err := amqp.Dial(fmt.Sprintf("amqp://guest:guest@%s/%s", b.addr, v))
		must(t, err)
		t.Cleanup(func() { c.Close() })
		ch, err := c.Channel()
		must(t, err)
		return ch
	}
	a, bb := dial("tenant-a"), dial("tenant-b")
	for _, ch := range []*amqp.Channel{a, bb} {
		must(t, ch.ExchangeDeclare("orders", "fanout", false, false, false, false, nil))
		_, err := ch.QueueDeclare("inbox", false, false, false, false, nil)
		must(t, err)
		must(t, ch.QueueBind("inbox", "", "orders", false, nil))
	}
	must(t, a.PublishWithContext(context.Background(), "orders", "", false, false, amqp.Publishing{Body: []byte("for a")}))
	time.Sleep(50 * time.Millisecond)
	qa, err := a.QueueDeclarePassive("inbox", false, false, false, false, nil)
	must(t, err)
	qb, err := bb.QueueDeclarePassive("inbox", false, false, false, false, nil)
	must(t, err)
	if qa.Messages != 1 || qb.Messages != 0 {
		t.Fatalf("tenant-a inbox %d, tenant-b inbox %d; want 1 and 0", qa.Messages, qb.Messages)
	}
	_, err = a.QueueDelete("inbox", false, false, false)
	must(t, err)
	if _, err := bb.QueueDeclarePassive("inbox", false, false, false, false, nil); err != nil {
		t.Fatalf("deleting tenant-a's queue touched tenant-b's: %v", err)
	}
}

// A user's max-connections limit refuses the next connection with 530.
func TestUserConnectionLimit(t *testing.T) {
	m := startWithMgmt(t)
	if code, body := m.call(t, "PUT", "/api/user-limits/guest/max-connections", "guest", "guest", map[string]any{"value": 1}); code != 204 {
		t.Fatalf("PUT limit: %d %s", code, body)
	}
	c, err := amqp.Dial(m.amqpURL)
	must(t, err)
	defer c.Close()
	_, err = amqp.Dial(m.amqpURL)
	if e, ok := err.(*amqp.Error); !ok || e.Code != amqp.NotAllowed {
		t.Fatalf("second connection: %v, want 530", err)
	}
}
