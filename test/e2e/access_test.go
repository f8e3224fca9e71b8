package e2e

import (
	"context"
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
)

// startWithUser starts a broker with an extra vhost and a user "app"
// limited by permissions.
func startWithUser(t *testing.T, configure, write, read string) (*broker, string) {
	t.Helper()
	if external() {
		t.Skip("creates users on the embedded broker")
	}
	b := start(t, func(*warren.Config) {})
	must(t, b.srv.AddVHost("tenant"))
	must(t, b.srv.PutUser("app", "secret"))
	must(t, b.srv.SetPermissions("app", "tenant", configure, write, read))
	must(t, b.srv.SetPermissions("guest", "tenant", ".*", ".*", ".*"))
	return b, fmt.Sprintf("amqp://app:secret@%s/tenant", b.addr)
}

func TestAccessVHostRefused(t *testing.T) {
	b, _ := startWithUser(t, ".*", ".*", ".*")
	_, err := amqp.Dial(fmt.Sprintf("amqp://app:secret@%s/", b.addr))
	if e, ok := err.(*amqp.Error); !ok || e.Code != amqp.NotAllowed || e.Reason != "NOT_ALLOWED - access to vhost '/' refused for user 'app'" {
		t.Fatalf("got %v", err)
	}
	_, err = amqp.Dial(fmt.Sprintf("amqp://app:wrong@%s/tenant", b.addr))
	if err == nil {
		t.Fatal("wrong password accepted")
	}
}

// Each operation needs the permission RabbitMQ's access-control table
// names, with RabbitMQ's 403 text.
func TestAccessPermissionsTable(t *testing.T) {
	b, url := startWithUser(t, "^app-.*", "^app-.*", "^app-.*")
	// An administrator prepares objects the user may not configure.
	admin, err := amqp.Dial(fmt.Sprintf("amqp://guest:guest@%s/tenant", b.addr))
	must(t, err)
	defer admin.Close()
	ach, _ := admin.Channel()
	_, err = ach.QueueDeclare("other-q", false, false, false, false, nil)
	must(t, err)
	must(t, ach.ExchangeDeclare("other-x", "direct", false, false, false, false, nil))

	c, err := amqp.Dial(url)
	must(t, err)
	defer c.Close()
	refused := func(what string, op func(ch *amqp.Channel) error, text string) {
		t.Helper()
		ch, err := c.Channel()
		must(t, err)
		err = op(ch)
		if e, ok := err.(*amqp.Error); !ok || e.Code != amqp.AccessRefused || e.Reason != text {
			t.Errorf("%s: got %v, want 403 %q", what, err, text)
		}
	}
	allowed := func(what string, op func(ch *amqp.Channel) error) {
		t.Helper()
		ch, err := c.Channel()
		must(t, err)
		if err := op(ch); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	deny := func(kind, name string) string {
		return fmt.Sprintf("ACCESS_REFUSED - access to %s '%s' in vhost 'tenant' refused for user 'app'", kind, name)
	}
	allowed("declare own queue", func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare("app-q", false, false, false, false, nil)
		return err
	})
	refused("declare queue", func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare("other-q2", false, false, false, false, nil)
		return err
	}, deny("queue", "other-q2"))
	refused("declare exchange", func(ch *amqp.Channel) error {
		return ch.ExchangeDeclare("other-x2", "direct", false, false, false, false, nil)
	}, deny("exchange", "other-x2"))
	refused("consume", func(ch *amqp.Channel) error {
		_, err := ch.Consume("other-q", "", true, false, false, false, nil)
		return err
	}, deny("queue", "other-q"))
	refused("get", func(ch *amqp.Channel) error {
		_, _, err := ch.Get("other-q", true)
		return err
	}, deny("queue", "other-q"))
	refused("purge", func(ch *amqp.Channel) error {
		_, err := ch.QueuePurge("other-q", false)
		return err
	}, deny("queue", "other-q"))
	refused("delete", func(ch *amqp.Channel) error {
		_, err := ch.QueueDelete("other-q", false, false, false)
		return err
	}, deny("queue", "other-q"))
	refused("bind: read on the exchange", func(ch *amqp.Channel) error {
		return ch.QueueBind("app-q", "k", "other-x", false, nil)
	}, deny("exchange", "other-x"))
	refused("publish to the default exchange", func(ch *amqp.Channel) error {
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		ch.PublishWithContext(context.Background(), "", "app-q", false, false, amqp.Publishing{Body: []byte("x")})
		if e := <-closed; e != nil {
			return e
		}
		return nil
	}, deny("exchange", "amq.default"))
	refused("exchange.delete: configure", func(ch *amqp.Channel) error {
		return ch.ExchangeDelete("other-x", false, false)
	}, deny("exchange", "other-x"))
	allowed("declare own exchange", func(ch *amqp.Channel) error {
		return ch.ExchangeDeclare("app-x", "direct", false, false, false, false, nil)
	})
	refused("exchange.bind: write on the destination", func(ch *amqp.Channel) error {
		return ch.ExchangeBind("other-x", "k", "app-x", false, nil)
	}, deny("exchange", "other-x"))
	refused("exchange.bind: read on the source", func(ch *amqp.Channel) error {
		return ch.ExchangeBind("app-x", "k", "other-x", false, nil)
	}, deny("exchange", "other-x"))
	refused("queue.declare with a dead-letter exchange: write on it", func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare("app-dlq", false, false, false, false, amqp.Table{"x-dead-letter-exchange": "other-x"})
		return err
	}, deny("exchange", "other-x"))
	refused("queue.unbind: read on the exchange", func(ch *amqp.Channel) error {
		return ch.QueueUnbind("app-q", "k", "other-x", nil)
	}, deny("exchange", "other-x"))
	refused("exchange.declare with an alternate exchange: write on it", func(ch *amqp.Channel) error {
		return ch.ExchangeDeclare("app-x2", "direct", false, false, false, false, amqp.Table{"alternate-exchange": "other-x"})
	}, deny("exchange", "other-x"))
	refused("queue.bind: write on the queue", func(ch *amqp.Channel) error {
		return ch.QueueBind("other-q", "k", "app-x", false, nil)
	}, deny("queue", "other-q"))
	refused("queue.unbind: write on the queue", func(ch *amqp.Channel) error {
		return ch.QueueUnbind("other-q", "k", "app-x", nil)
	}, deny("queue", "other-q"))
	refused("exchange.unbind: write on the destination", func(ch *amqp.Channel) error {
		return ch.ExchangeUnbind("other-x", "k", "app-x", false, nil)
	}, deny("exchange", "other-x"))
	refused("exchange.unbind: read on the source", func(ch *amqp.Channel) error {
		return ch.ExchangeUnbind("app-x", "k", "other-x", false, nil)
	}, deny("exchange", "other-x"))
	refused("publish: write on the exchange", func(ch *amqp.Channel) error {
		closed := ch.NotifyClose(make(chan *amqp.Error, 1))
		ch.PublishWithContext(context.Background(), "other-x", "k", false, false, amqp.Publishing{Body: []byte("x")})
		if e := <-closed; e != nil {
			return e
		}
		return nil
	}, deny("exchange", "other-x"))
	allowed("passive declares need no permission", func(ch *amqp.Channel) error {
		if _, err := ch.QueueDeclarePassive("other-q", false, false, false, false, nil); err != nil {
			return err
		}
		return ch.ExchangeDeclarePassive("other-x", "direct", false, false, false, false, nil)
	})
	allowed("exchange-to-exchange bind between own exchanges", func(ch *amqp.Channel) error {
		if err := ch.ExchangeDeclare("app-x3", "fanout", false, false, false, false, nil); err != nil {
			return err
		}
		return ch.ExchangeBind("app-x3", "k", "app-x", false, nil)
	})
	allowed("purge and delete own queue", func(ch *amqp.Channel) error {
		if _, err := ch.QueueDeclare("app-tmp", false, false, false, false, nil); err != nil {
			return err
		}
		if _, err := ch.QueuePurge("app-tmp", false); err != nil {
			return err
		}
		_, err := ch.QueueDelete("app-tmp", false, false, false)
		return err
	})
	allowed("bind own queue to own exchange", func(ch *amqp.Channel) error {
		return ch.QueueBind("app-q", "k", "app-x", false, nil)
	})
	allowed("publish to own exchange", func(ch *amqp.Channel) error {
		return ch.PublishWithContext(context.Background(), "app-x", "k", false, false, amqp.Publishing{Body: []byte("x")})
	})
	allowed("get from own queue", func(ch *amqp.Channel) error {
		_, _, err := ch.Get("app-q", true)
		return err
	})
	allowed("consume own queue", func(ch *amqp.Channel) error {
		_, err := ch.Consume("app-q", "", true, false, false, false, nil)
		return err
	})
}

func TestAccessTopicPermissions(t *testing.T) {
	b, url := startWithUser(t, ".*", ".*", ".*")
	must(t, b.srv.SetTopicPermissions("app", "tenant", "amq.topic", "^orders\\.", "^orders\\."))
	c, err := amqp.Dial(url)
	must(t, err)
	defer c.Close()
	ch, _ := c.Channel()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	must(t, ch.QueueBind(q.Name, "orders.#", "amq.topic", false, nil))
	err = ch.QueueBind(q.Name, "billing.#", "amq.topic", false, nil)
	if e, ok := err.(*amqp.Error); !ok || e.Code != amqp.AccessRefused {
		t.Fatalf("bind outside topic permission: %v", err)
	}
	ch, _ = c.Channel()
	must(t, ch.PublishWithContext(context.Background(), "amq.topic", "orders.new", false, false, amqp.Publishing{Body: []byte("ok")}))
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	ch.PublishWithContext(context.Background(), "amq.topic", "billing.new", false, false, amqp.Publishing{Body: []byte("no")})
	if e := <-closed; e == nil || e.Code != amqp.AccessRefused || e.Reason != "ACCESS_REFUSED - write access to topic 'billing.new' in exchange 'amq.topic' in vhost 'tenant' refused for user 'app'" {
		t.Fatalf("publish outside topic permission: %v", e)
	}
}

// AMQPLAIN, the other SASL mechanism RabbitMQ clients use, logs in too.
func TestAccessAMQPLAIN(t *testing.T) {
	b := start(t)
	c, err := amqp.DialConfig(b.url, amqp.Config{SASL: []amqp.Authentication{&amqp.AMQPlainAuth{Username: "guest", Password: "guest"}}})
	must(t, err)
	defer c.Close()
	if _, err := c.Channel(); err != nil {
		t.Fatal(err)
	}
	if _, err := amqp.DialConfig(b.url, amqp.Config{SASL: []amqp.Authentication{&amqp.AMQPlainAuth{Username: "guest", Password: "nope"}}}); err == nil {
		t.Fatal("wrong AMQPLAIN password accepted")
	}
}
