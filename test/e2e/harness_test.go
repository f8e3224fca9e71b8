package e2e

import (
	"log/slog"
	neturl "net/url"
	"os"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/testbroker"
)

// broker is a Warren started for one test.
type broker struct {
	srv  *warren.Server
	addr string
	url  string
}

// start runs a broker on an ephemeral loopback port for the test's life.
//
// With WARREN_E2E_URL set (for example to a RabbitMQ started by
// scripts/rabbitmq.sh) tests that pass no options run against that broker
// instead: that is how the expectations in this package are checked
// against RabbitMQ's real behaviour. Tests therefore use names unique to
// themselves.
func start(t testing.TB, mutate ...func(*warren.Config)) *broker {
	t.Helper()
	if url := os.Getenv("WARREN_E2E_URL"); url != "" {
		if len(mutate) > 0 {
			t.Skip("needs an embedded broker with custom configuration")
		}
		u, err := neturl.Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		return &broker{addr: u.Host, url: url}
	}
	cfg := warren.Config{DataDir: t.TempDir()}
	if os.Getenv("WARREN_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, addr, _ := testbroker.Start(t, cfg, nil)
	return &broker{srv: srv, addr: addr, url: testbroker.URI(addr)}
}

// external reports whether WARREN_E2E_URL points the tests elsewhere.
func external() bool { return os.Getenv("WARREN_E2E_URL") != "" }

// external reports whether the tests run against a broker outside the
// process (WARREN_E2E_URL), where Warren-only expectations do not apply.
func (b *broker) external() bool { return b.srv == nil }

// dial connects with amqp091-go and closes the connection at cleanup.
func (b *broker) dial(t testing.TB) *amqp.Connection {
	t.Helper()
	c, err := amqp.Dial(b.url)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// channel opens a channel on a fresh connection.
func (b *broker) channel(t testing.TB) (*amqp.Connection, *amqp.Channel) {
	t.Helper()
	c := b.dial(t)
	ch, err := c.Channel()
	if err != nil {
		t.Fatalf("channel: %v", err)
	}
	return c, ch
}

// must fails the test on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// amqpCode returns the reply code of an *amqp.Error, or 0.
func amqpCode(err error) int {
	if e, ok := err.(*amqp.Error); ok {
		return e.Code
	}
	return 0
}

// recv waits for one delivery.
func recv(t testing.TB, ds <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	select {
	case d, ok := <-ds:
		if !ok {
			t.Fatal("delivery channel closed")
		}
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a delivery")
	}
	return amqp.Delivery{}
}

// noDelivery asserts nothing arrives for a short while.
func noDelivery(t testing.TB, ds <-chan amqp.Delivery) {
	t.Helper()
	select {
	case d := <-ds:
		t.Fatalf("unexpected delivery %q", d.Body)
	case <-time.After(100 * time.Millisecond):
	}
}
