package e2e

import (
	"fmt"
	"strings"
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

// Policies and limits survive a restart.
func TestPoliciesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	m := startWithMgmtAt(t, dir)
	if code, body := m.call(t, "PUT", "/api/policies/%2F/cap", "guest", "guest", map[string]any{
		"pattern": "^capped", "apply-to": "queues", "definition": map[string]any{"max-length": 1}}); code != 201 {
		t.Fatalf("PUT policy: %d %s", code, body)
	}
	if code, _ := m.call(t, "PUT", "/api/vhost-limits/%2F/max-queues", "guest", "guest", map[string]any{"value": 10}); code != 204 {
		t.Fatalf("PUT limit: %d", code)
	}
	if code, body := m.call(t, "PUT", "/api/topic-permissions/%2F/guest", "guest", "guest", map[string]any{
		"exchange": "amq.topic", "write": "^orders\\.", "read": ".*"}); code != 201 && code != 204 {
		t.Fatalf("PUT topic permission: %d %s", code, body)
	}
	m.stop()
	m = startWithMgmtAt(t, dir)
	c, err := amqp.Dial(m.amqpURL)
	must(t, err)
	defer c.Close()
	ch, _ := c.Channel()
	_, err = ch.QueueDeclare("capped-q", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < 3; i++ {
		must(t, ch.Publish("", "capped-q", false, false, amqp.Publishing{Body: []byte("x")}))
	}
	time.Sleep(50 * time.Millisecond)
	if st, _ := ch.QueueDeclarePassive("capped-q", false, false, false, false, nil); st.Messages != 1 {
		t.Errorf("policy after restart: %d messages, want 1", st.Messages)
	}
	if code, body := m.call(t, "GET", "/api/vhost-limits/%2F", "guest", "guest", nil); code != 200 || !strings.Contains(string(body), "max-queues") {
		t.Errorf("limits after restart: %d %s", code, body)
	}
	if code, body := m.call(t, "GET", "/api/topic-permissions", "guest", "guest", nil); code != 200 || !strings.Contains(string(body), "orders") {
		t.Errorf("topic permissions after restart: %d %s", code, body)
	}
	// And they are enforced: a publish outside the write pattern closes
	// the channel.
	pch, _ := c.Channel()
	closed := pch.NotifyClose(make(chan *amqp.Error, 1))
	pch.Publish("amq.topic", "billing.x", false, false, amqp.Publishing{Body: []byte("x")})
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp.AccessRefused {
			t.Errorf("publish outside the restored topic permission: %v", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("restored topic permission not enforced")
	}
}
