package e2e

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
)

// startAt runs a broker on dataDir until the returned stop is called.
func startAt(t *testing.T, dataDir string) (url string, stop func()) {
	t.Helper()
	srv, err := warren.New(warren.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	t.Cleanup(stop)
	return fmt.Sprintf("amqp://guest:guest@%s/", l.Addr()), stop
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
