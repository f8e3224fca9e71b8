package e2e

import (
	"encoding/json"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The overview's message_stats counts publishes once each and the
// publisher confirms sent, as RabbitMQ's does (sampled every 5 s).
func TestMgmtOverviewConfirmStats(t *testing.T) {
	t.Parallel()
	m := startWithMgmt(t)
	c, err := amqp.Dial(m.amqpURL)
	must(t, err)
	defer c.Close()
	ch, _ := c.Channel()
	_, err = ch.QueueDeclare("rates-q", false, true, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 20))
	for i := 0; i < 10; i++ {
		must(t, ch.Publish("", "rates-q", false, false, amqp.Publishing{Body: []byte("x")}))
	}
	must(t, ch.Publish("", "no-such-queue", false, false, amqp.Publishing{Body: []byte("x")}))
	for i := 0; i < 11; i++ {
		<-confirms
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, body := m.call(t, "GET", "/api/overview", "guest", "guest", nil)
		var ov struct {
			Stats map[string]any `json:"message_stats"`
		}
		must(t, json.Unmarshal(body, &ov))
		if ov.Stats["confirm"] == float64(11) {
			if ov.Stats["publish"] != float64(11) || ov.Stats["drop_unroutable"] != float64(1) {
				t.Fatalf("message_stats %v", ov.Stats)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("confirms never counted: %v", ov.Stats)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
