package e2e

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestMgmtOverviewCounts(t *testing.T) {
	m := startWithMgmt(t)
	o := m.obj(t, "/api/overview")
	for k, want := range map[string]string{"rabbitmq_version": "3.13.7", "management_version": "3.13.7", "product_name": "Warren", "node": "warren@e2e"} {
		if o[k] != want {
			t.Errorf("overview %s = %v, want %q", k, o[k], want)
		}
	}
	q0, x0 := num(t, o, "object_totals.queues"), num(t, o, "object_totals.exchanges")
	if len(o["listeners"].([]any)) != 2 {
		t.Errorf("listeners = %v", o["listeners"])
	}

	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("ov-q", false, false, false, false, nil)
	must(t, err)
	must(t, ch.ExchangeDeclare("ov-x", "fanout", false, false, false, false, nil))
	must(t, ch.Publish("", "ov-q", false, false, amqp.Publishing{Body: []byte("x")}))
	_, err = ch.Consume("ov-q", "ov-c", false, false, false, false, nil)
	must(t, err)

	eventually(t, "overview totals", func() bool {
		o = m.obj(t, "/api/overview")
		return num(t, o, "object_totals.queues") == q0+1 && num(t, o, "object_totals.exchanges") == x0+1 &&
			num(t, o, "object_totals.connections") == 1 && num(t, o, "object_totals.consumers") == 1 &&
			num(t, o, "message_stats.publish") == 1 && num(t, o, "queue_totals.messages_unacknowledged") == 1
	})
	if m.connInfoPublished(t) && num(t, o, "object_totals.channels") != 1 {
		t.Errorf("channels = %d, want 1", num(t, o, "object_totals.channels"))
	}
}

// getMsgs posts to /get and returns the messages.
func getMsgs(t *testing.T, m *mgmtBroker, queue string, body map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	data := m.guest(t, "POST", "/api/queues/%2F/"+queue+"/get", body, http.StatusOK)
	must(t, jsonUnmarshal(data, &out))
	return out
}

func TestMgmtQueueLifecycle(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/queues/%2F/life-q", `{"durable":true,"arguments":{"x-max-length":100}}`, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/%2F/life-q", `{"durable":true,"arguments":{"x-max-length":100}}`, http.StatusNoContent)
	m.guest(t, "PUT", "/api/queues/%2F/life-q", `{"durable":false}`, http.StatusBadRequest)

	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	// amqp091-go sends int32 here while the queue was declared (over
	// HTTP) with a JSON integer: equivalent, as in RabbitMQ.
	_, err = ch.QueueDeclare("life-q", true, false, false, false, amqp.Table{"x-max-length": int32(100)})
	must(t, err)
	for _, body := range []string{"m0", "m1", "m2", "m3", "m4"} {
		must(t, ch.Publish("", "life-q", false, false, amqp.Publishing{Body: []byte(body), ContentType: "text/plain",
			DeliveryMode: amqp.Persistent, Headers: amqp.Table{"h": "v"}}))
	}
	var q map[string]any
	eventually(t, "5 ready messages", func() bool {
		q = m.obj(t, "/api/queues/%2F/life-q")
		return num(t, q, "messages_ready") == 5
	})
	if num(t, q, "arguments.x-max-length") != 100 || q["durable"] != true || q["type"] != "classic" || q["state"] != "running" {
		t.Errorf("queue object: %v", q)
	}
	if num(t, q, "message_stats.publish") != 5 || num(t, q, "message_bytes") != 10 {
		t.Errorf("stats: %v", q["message_stats"])
	}

	// ack_requeue_true: seen, left in place, now redelivered.
	ms := getMsgs(t, m, "life-q", map[string]any{"count": 2, "ackmode": "ack_requeue_true", "encoding": "auto"})
	if len(ms) != 2 || ms[0]["payload"] != "m0" || ms[1]["payload"] != "m1" || ms[0]["redelivered"] != false ||
		num(t, ms[0], "message_count") != 4 || ms[0]["routing_key"] != "life-q" || ms[0]["exchange"] != "" ||
		num(t, ms[0], "payload_bytes") != 2 || ms[0]["payload_encoding"] != "string" {
		t.Fatalf("ack_requeue_true: %v", ms)
	}
	props := ms[0]["properties"].(map[string]any)
	if props["content_type"] != "text/plain" || num(t, props, "delivery_mode") != 2 || props["headers"].(map[string]any)["h"] != "v" {
		t.Errorf("properties: %v", props)
	}
	// ack_requeue_false: consumed.
	ms = getMsgs(t, m, "life-q", map[string]any{"count": 1, "ackmode": "ack_requeue_false", "encoding": "auto"})
	if len(ms) != 1 || ms[0]["payload"] != "m0" || ms[0]["redelivered"] != true {
		t.Fatalf("ack_requeue_false: %v", ms)
	}
	// reject_requeue_true: back again.
	ms = getMsgs(t, m, "life-q", map[string]any{"count": 1, "ackmode": "reject_requeue_true", "encoding": "auto"})
	if len(ms) != 1 || ms[0]["payload"] != "m1" {
		t.Fatalf("reject_requeue_true: %v", ms)
	}
	// reject_requeue_false: dropped.
	ms = getMsgs(t, m, "life-q", map[string]any{"count": 1, "ackmode": "reject_requeue_false", "encoding": "auto"})
	if len(ms) != 1 || ms[0]["payload"] != "m1" {
		t.Fatalf("reject_requeue_false: %v", ms)
	}
	// base64 and truncate.
	ms = getMsgs(t, m, "life-q", map[string]any{"count": 1, "ackmode": "ack_requeue_true", "encoding": "base64"})
	if len(ms) != 1 || ms[0]["payload"] != base64.StdEncoding.EncodeToString([]byte("m2")) || ms[0]["payload_encoding"] != "base64" {
		t.Fatalf("base64: %v", ms)
	}
	ms = getMsgs(t, m, "life-q", map[string]any{"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto", "truncate": 1})
	if ms[0]["payload"] != "m" || num(t, ms[0], "payload_bytes") != 2 {
		t.Fatalf("truncate: %v", ms)
	}
	m.guest(t, "POST", "/api/queues/%2F/life-q/get", map[string]any{"count": 1, "ackmode": "bogus", "encoding": "auto"}, http.StatusBadRequest)
	if q = m.obj(t, "/api/queues/%2F/life-q"); num(t, q, "messages_ready") != 3 {
		t.Fatalf("after gets: %v ready", q["messages_ready"])
	}

	m.guest(t, "DELETE", "/api/queues/%2F/life-q?if-empty=true", nil, http.StatusBadRequest)
	m.guest(t, "DELETE", "/api/queues/%2F/life-q/contents", nil, http.StatusNoContent)
	if q = m.obj(t, "/api/queues/%2F/life-q"); num(t, q, "messages") != 0 {
		t.Fatalf("after purge: %v", q["messages"])
	}
	m.guest(t, "DELETE", "/api/queues/%2F/life-q?if-empty=true", nil, http.StatusNoContent)
	m.guest(t, "GET", "/api/queues/%2F/life-q", nil, http.StatusNotFound)
	m.guest(t, "DELETE", "/api/queues/%2F/life-q", nil, http.StatusNotFound)
	m.guest(t, "PUT", "/api/queues/nope/q", `{}`, http.StatusNotFound)
}

func TestMgmtExchangesBindingsPublish(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/exchanges/%2F/pb-x", `{"type":"topic","durable":true}`, http.StatusCreated)
	m.guest(t, "PUT", "/api/exchanges/%2F/pb-x", `{"type":"topic","durable":true}`, http.StatusNoContent)
	m.guest(t, "PUT", "/api/exchanges/%2F/pb-x", `{"type":"fanout","durable":true}`, http.StatusBadRequest)
	m.guest(t, "PUT", "/api/exchanges/%2F/amq.nope", `{"type":"topic"}`, http.StatusUnauthorized)
	m.guest(t, "PUT", "/api/queues/%2F/pb-q", `{"durable":true}`, http.StatusCreated)
	if x := m.obj(t, "/api/exchanges/%2F/pb-x"); x["type"] != "topic" || x["durable"] != true || x["vhost"] != "/" {
		t.Errorf("exchange: %v", x)
	}
	if d := m.obj(t, "/api/exchanges/%2F/amq.default"); d["name"] != "" || d["type"] != "direct" {
		t.Errorf("default exchange: %v", d)
	}

	code, _ := m.call(t, "POST", "/api/bindings/%2F/e/pb-x/q/pb-q", "guest", "guest", map[string]any{"routing_key": "a.*", "arguments": map[string]any{}})
	if code != http.StatusCreated {
		t.Fatalf("create binding: %d", code)
	}
	bs := m.list(t, "/api/bindings/%2F/e/pb-x/q/pb-q")
	if len(bs) != 1 || bs[0]["routing_key"] != "a.*" || bs[0]["properties_key"] != "a.%2A" || bs[0]["destination_type"] != "queue" {
		t.Fatalf("bindings: %v", bs)
	}
	m.guest(t, "GET", "/api/bindings/%2F/e/pb-x/q/pb-q/"+url.PathEscape("a.%2A"), nil, http.StatusOK)

	// Publish over HTTP: routed or not, and received over AMQP with the
	// properties given.
	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	ds, err := ch.Consume("pb-q", "", true, false, false, false, nil)
	must(t, err)
	routed := func(x, key string) bool {
		var res map[string]bool
		must(t, jsonUnmarshal(m.guest(t, "POST", "/api/exchanges/%2F/"+x+"/publish", map[string]any{
			"routing_key": key, "payload": "hello " + key, "payload_encoding": "string",
			"properties": map[string]any{"delivery_mode": 2, "headers": map[string]any{"k": "v"}, "content_type": "text/plain"},
		}, http.StatusOK), &res))
		return res["routed"]
	}
	if !routed("pb-x", "a.b") || routed("pb-x", "b.c") || !routed("amq.default", "pb-q") {
		t.Fatal("routed flags wrong")
	}
	d := recv(t, ds)
	if string(d.Body) != "hello a.b" || d.ContentType != "text/plain" || d.DeliveryMode != 2 || d.Headers["k"] != "v" || d.RoutingKey != "a.b" {
		t.Errorf("delivery: %+v", d)
	}
	if d = recv(t, ds); string(d.Body) != "hello pb-q" {
		t.Errorf("second delivery %q", d.Body)
	}
	m.guest(t, "POST", "/api/exchanges/%2F/nope/publish", map[string]any{"routing_key": "", "payload": ""}, http.StatusBadRequest) // RabbitMQ: 404 NOT_FOUND from its channel

	// A binding with arguments: its properties_key carries a hash.
	m.guest(t, "POST", "/api/bindings/%2F/e/pb-x/q/pb-q", map[string]any{"routing_key": "k", "arguments": map[string]any{"x-a": 1}}, http.StatusCreated)
	var withArgs string
	for _, b := range m.list(t, "/api/queues/%2F/pb-q/bindings") {
		if b["routing_key"] == "k" {
			withArgs = b["properties_key"].(string)
		}
	}
	if !strings.HasPrefix(withArgs, "k~") {
		t.Fatalf("properties_key with arguments: %q", withArgs)
	}
	if n := len(m.list(t, "/api/queues/%2F/pb-q/bindings")); n != 3 { // default + 2
		t.Errorf("queue bindings: %d", n)
	}
	m.guest(t, "DELETE", "/api/bindings/%2F/e/pb-x/q/pb-q/"+url.PathEscape(withArgs), nil, http.StatusNoContent)
	m.guest(t, "GET", "/api/bindings/%2F/e/pb-x/q/pb-q/"+url.PathEscape(withArgs), nil, http.StatusNotFound)

	// Exchange to exchange.
	m.guest(t, "PUT", "/api/exchanges/%2F/pb-x2", `{"type":"fanout"}`, http.StatusCreated)
	m.guest(t, "POST", "/api/bindings/%2F/e/pb-x/e/pb-x2", map[string]any{"routing_key": "#"}, http.StatusCreated)
	if n := len(m.list(t, "/api/exchanges/%2F/pb-x2/bindings/destination")); n != 1 {
		t.Errorf("destination bindings: %d", n)
	}
	if n := len(m.list(t, "/api/exchanges/%2F/pb-x/bindings/source")); n != 2 {
		t.Errorf("source bindings: %d", n)
	}
	m.guest(t, "POST", "/api/bindings/%2F/e/amq.default/q/pb-q", map[string]any{"routing_key": "x"}, http.StatusUnauthorized)

	m.guest(t, "DELETE", "/api/exchanges/%2F/pb-x?if-unused=true", nil, http.StatusBadRequest)
	m.guest(t, "DELETE", "/api/exchanges/%2F/pb-x", nil, http.StatusNoContent)
	m.guest(t, "GET", "/api/exchanges/%2F/pb-x", nil, http.StatusNotFound)
	if n := len(m.list(t, "/api/queues/%2F/pb-q/bindings")); n != 1 {
		t.Errorf("bindings left after exchange delete: %d", n)
	}
	if a := m.obj(t, "/api/aliveness-test/%2F"); a["status"] != "ok" {
		t.Errorf("aliveness: %v", a)
	}
}
