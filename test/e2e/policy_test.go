package e2e

import (
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Policies set through the management API apply to matching queues, new
// and existing: max-length and message-ttl, with an argument's lower
// value winning; and a policy's alternate-exchange applies to exchanges.
func TestPoliciesApply(t *testing.T) {
	m := startWithMgmt(t)
	c, err := amqp.Dial(m.amqpURL)
	must(t, err)
	defer c.Close()
	ch, _ := c.Channel()
	_, err = ch.QueueDeclare("pol-existing", false, false, false, false, nil)
	must(t, err)
	if code, body := m.call(t, "PUT", "/api/policies/%2F/limit", "guest", "guest", map[string]any{
		"pattern": "^pol-", "apply-to": "queues", "definition": map[string]any{"max-length": 2}}); code != 201 {
		t.Fatalf("PUT policy: %d %s", code, body)
	}
	_, err = ch.QueueDeclare("pol-new", false, false, false, false, amqp.Table{"x-max-length": int32(1)})
	must(t, err)
	for i := 0; i < 5; i++ {
		for _, q := range []string{"pol-existing", "pol-new"} {
			must(t, ch.Publish("", q, false, false, amqp.Publishing{Body: []byte(fmt.Sprint(i))}))
		}
	}
	time.Sleep(100 * time.Millisecond)
	for q, want := range map[string]int{"pol-existing": 2, "pol-new": 1} {
		st, err := ch.QueueDeclarePassive(q, false, false, false, false, nil)
		must(t, err)
		if st.Messages != want {
			t.Errorf("%s: %d messages, want %d", q, st.Messages, want)
		}
	}
	// Deleting the policy lifts the limit.
	if code, _ := m.call(t, "DELETE", "/api/policies/%2F/limit", "guest", "guest", nil); code != 204 {
		t.Fatalf("DELETE policy: %d", code)
	}
	must(t, ch.Publish("", "pol-existing", false, false, amqp.Publishing{Body: []byte("x")}))
	time.Sleep(50 * time.Millisecond)
	if st, _ := ch.QueueDeclarePassive("pol-existing", false, false, false, false, nil); st.Messages != 3 {
		t.Errorf("after deleting the policy: %d messages, want 3", st.Messages)
	}

	// Alternate exchange by policy.
	must(t, ch.ExchangeDeclare("pol-x", "direct", false, false, false, false, nil))
	must(t, ch.ExchangeDeclare("pol-ae", "fanout", false, false, false, false, nil))
	_, err = ch.QueueDeclare("unrouted", false, false, false, false, nil)
	must(t, err)
	must(t, ch.QueueBind("unrouted", "", "pol-ae", false, nil))
	if code, body := m.call(t, "PUT", "/api/policies/%2F/ae", "guest", "guest", map[string]any{
		"pattern": "^pol-x$", "apply-to": "exchanges", "definition": map[string]any{"alternate-exchange": "pol-ae"}}); code != 201 {
		t.Fatalf("PUT policy: %d %s", code, body)
	}
	must(t, ch.Publish("pol-x", "nowhere", false, false, amqp.Publishing{Body: []byte("lost?")}))
	time.Sleep(50 * time.Millisecond)
	if st, _ := ch.QueueDeclarePassive("unrouted", false, false, false, false, nil); st.Messages != 1 {
		t.Errorf("alternate exchange by policy: %d messages in unrouted, want 1", st.Messages)
	}
}
