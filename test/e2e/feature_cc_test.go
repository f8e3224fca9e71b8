package e2e

import (
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RabbitMQ's sender-selected distribution: the CC and BCC header arrays
// add routing keys; consumers see CC but never BCC, and the routing key
// delivered is the one published.
func TestFeatureSenderSelectedDistribution(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	q1, q2, q3, q4 := mName(t, "1"), mName(t, "2"), mName(t, "3"), mName(t, "4")
	for _, q := range []string{q1, q2, q3, q4} {
		mQueue(t, b, ch, q, false, false, false, nil)
		must(t, ch.QueueBind(q, "k-"+q, "amq.direct", false, nil))
	}
	must(t, ch.Confirm(false))
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	for _, tc := range []struct{ exchange, key, cc, bcc string }{
		{"", q1, q2, q3},
		{"amq.direct", "k-" + q1, "k-" + q2, "k-" + q3},
	} {
		// A routing key that matches nothing is saved by CC: no return.
		for _, key := range []string{tc.key, "nowhere"} {
			mPubMsg(t, ch, tc.exchange, key, true, amqp.Publishing{Body: []byte("m"), Headers: amqp.Table{
				"CC": []any{tc.cc}, "BCC": []any{tc.bcc}, "h": "v",
			}})
			for _, q := range []string{q1, q2, q3} {
				if q == q1 && key == "nowhere" {
					continue
				}
				d := mGetBody(t, ch, q, true, "m")
				if d.RoutingKey != key {
					t.Fatalf("%s via %q: routing key %q, want %q", q, tc.exchange, d.RoutingKey, key)
				}
				if _, ok := d.Headers["BCC"]; ok {
					t.Fatalf("%s via %q: consumer sees BCC: %v", q, tc.exchange, d.Headers)
				}
				if cc, _ := d.Headers["CC"].([]any); len(cc) != 1 || cc[0] != tc.cc || d.Headers["h"] != "v" {
					t.Fatalf("%s via %q: headers %v", q, tc.exchange, d.Headers)
				}
			}
			mGetEmpty(t, ch, q1)
			mGetEmpty(t, ch, q4)
		}
	}
	select {
	case r := <-returns:
		t.Fatalf("message returned (%d %s) though CC routed it", r.ReplyCode, r.ReplyText)
	default:
	}
}
