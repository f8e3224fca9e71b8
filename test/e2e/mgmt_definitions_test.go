package e2e

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// normalized decodes a definitions document with every list sorted by the
// JSON of its entries, so two exports compare modulo ordering.
func normalized(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	must(t, json.Unmarshal(data, &doc))
	for k, v := range doc {
		l, ok := v.([]any)
		if !ok {
			continue
		}
		sort.Slice(l, func(i, j int) bool {
			a, _ := json.Marshal(l[i])
			b, _ := json.Marshal(l[j])
			return string(a) < string(b)
		})
		doc[k] = l
	}
	return doc
}

func TestMgmtDefinitionsRoundTrip(t *testing.T) {
	src := startWithMgmt(t)
	src.guest(t, "PUT", "/api/vhosts/dv", map[string]any{"description": "defs", "tags": "x,y"}, http.StatusCreated)
	src.guest(t, "PUT", "/api/users/defuser", map[string]any{"password": "defpass", "tags": []string{"management"}}, http.StatusCreated)
	src.guest(t, "PUT", "/api/permissions/dv/defuser", map[string]any{"configure": "^d", "write": ".*", "read": ".*"}, http.StatusCreated)
	src.guest(t, "PUT", "/api/topic-permissions/dv/defuser", map[string]any{"exchange": "dx", "write": "^a", "read": ".*"}, http.StatusCreated)
	src.guest(t, "PUT", "/api/policies/dv/p1", map[string]any{"pattern": "^d", "definition": map[string]any{"max-length": 5}, "priority": 2, "apply-to": "queues"}, http.StatusCreated)
	src.guest(t, "PUT", "/api/operator-policies/dv/op1", map[string]any{"pattern": ".*", "definition": map[string]any{"max-length-bytes": 1000}}, http.StatusCreated)
	src.guest(t, "PUT", "/api/vhost-limits/dv/max-queues", map[string]any{"value": 10}, http.StatusNoContent)
	src.guest(t, "PUT", "/api/user-limits/defuser/max-channels", map[string]any{"value": 3}, http.StatusNoContent)
	src.guest(t, "PUT", "/api/parameters/operator_policy/dv/op2", map[string]any{"value": map[string]any{"pattern": "^x", "definition": map[string]any{"max-length": 9}, "priority": 0}}, http.StatusCreated)
	src.guest(t, "PUT", "/api/global-parameters/g1", map[string]any{"value": "v"}, http.StatusCreated)
	src.guest(t, "PUT", "/api/exchanges/dv/dx", map[string]any{"type": "topic", "durable": true, "arguments": map[string]any{"alternate-exchange": "dalt"}}, http.StatusCreated)
	src.guest(t, "PUT", "/api/exchanges/dv/dalt", map[string]any{"type": "fanout", "durable": true}, http.StatusCreated)
	src.guest(t, "PUT", "/api/queues/dv/dq", map[string]any{"durable": true, "arguments": map[string]any{"x-message-ttl": 60000, "x-queue-mode": "lazy"}}, http.StatusCreated)
	src.guest(t, "PUT", "/api/queues/dv/transient", map[string]any{"durable": false}, http.StatusCreated)
	src.guest(t, "POST", "/api/bindings/dv/e/dx/q/dq", map[string]any{"routing_key": "a.#", "arguments": map[string]any{"k": "v"}}, http.StatusCreated)
	src.guest(t, "POST", "/api/bindings/dv/e/dx/e/dalt", map[string]any{"routing_key": "b"}, http.StatusCreated)
	src.guest(t, "POST", "/api/bindings/dv/e/amq.topic/q/dq", map[string]any{"routing_key": "t"}, http.StatusCreated)

	export := src.guest(t, "GET", "/api/definitions", nil, http.StatusOK)
	doc := normalized(t, export)
	for _, q := range doc["queues"].([]any) {
		if q.(map[string]any)["name"] == "transient" {
			t.Error("transient queue exported")
		}
	}
	if n := len(doc["bindings"].([]any)); n != 3 {
		t.Errorf("exported bindings: %d", n)
	}

	dst := startWithMgmt(t)
	dst.guest(t, "POST", "/api/definitions", string(export), http.StatusNoContent)
	again := dst.guest(t, "GET", "/api/definitions", nil, http.StatusOK)
	if a, b := normalized(t, export), normalized(t, again); !reflect.DeepEqual(a, b) {
		ja, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		t.Fatalf("export → import → export differs:\n%s\n---\n%s", ja, jb)
	}
	// The imported objects are live: the user logs in and routes through
	// the imported bindings.
	c := dst.dialAs(t, "defuser", "defpass", "dv")
	ch, err := c.Channel()
	must(t, err)
	must(t, ch.Publish("dx", "a.b", false, false, amqp.Publishing{Body: []byte("via import")}))
	eventually(t, "routed message", func() bool { return num(t, dst.obj(t, "/api/queues/dv/dq"), "messages") == 1 })

	// Per-vhost export carries no vhost fields on queues, exchanges and
	// bindings (policies and parameters keep theirs, as in RabbitMQ) and
	// imports into another vhost.
	vexp := src.guest(t, "GET", "/api/definitions/dv?download=dv.json", nil, http.StatusOK)
	var vdoc struct{ Queues, Exchanges, Bindings []map[string]any }
	must(t, json.Unmarshal(vexp, &vdoc))
	for k, l := range map[string][]map[string]any{"queues": vdoc.Queues, "exchanges": vdoc.Exchanges, "bindings": vdoc.Bindings} {
		for _, x := range l {
			if _, ok := x["vhost"]; ok {
				t.Errorf("per-vhost export: %s with a vhost: %v", k, x)
			}
		}
	}
	if strings.Contains(string(vexp), `"users"`) {
		t.Errorf("per-vhost export: %s", vexp)
	}
	dst.guest(t, "PUT", "/api/vhosts/dv2", nil, http.StatusCreated)
	dst.guest(t, "POST", "/api/definitions/dv2", string(vexp), http.StatusNoContent)
	if n := len(dst.list(t, "/api/bindings/dv2/e/dx/q/dq")); n != 1 {
		t.Errorf("per-vhost import bindings: %d", n)
	}
	dst.guest(t, "POST", "/api/definitions", `{"queues":[{"name":"q","vhost":"missing","durable":true}]}`, http.StatusBadRequest)
	dst.guest(t, "POST", "/api/definitions", `not json`, http.StatusBadRequest)
}

// rabbitDefinitions is a definitions file in RabbitMQ 3.13's export
// format, written by hand from RabbitMQ's documentation: tags in both the
// list and the older comma-separated form, vhost limits and operator
// policies as runtime parameters, a predeclared exchange (skipped on
// import), typed queue arguments.
const rabbitDefinitions = `{
  "rabbit_version": "3.13.7",
  "rabbitmq_version": "3.13.7",
  "product_name": "RabbitMQ",
  "product_version": "3.13.7",
  "users": [
    {"name": "app", "password_hash": "APP_HASH", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["management"], "limits": {}},
    {"name": "ops", "password_hash": "OPS_HASH", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": "administrator"}
  ],
  "vhosts": [
    {"name": "/", "description": "Default virtual host", "tags": [], "metadata": {"description": "Default virtual host", "tags": []}},
    {"name": "orders", "description": "Order processing", "tags": ["prod"], "default_queue_type": "classic",
     "metadata": {"description": "Order processing", "tags": ["prod"], "default_queue_type": "classic"}}
  ],
  "permissions": [
    {"user": "app", "vhost": "orders", "configure": "^orders\\.", "write": ".*", "read": ".*"},
    {"user": "ops", "vhost": "orders", "configure": ".*", "write": ".*", "read": ".*"}
  ],
  "topic_permissions": [
    {"user": "app", "vhost": "orders", "exchange": "orders.events", "write": "^orders\\.", "read": ".*"}
  ],
  "parameters": [
    {"value": {"max-connections": 100, "max-queues": 50}, "vhost": "orders", "component": "vhost-limits", "name": "limits"},
    {"value": {"pattern": "^orders\\.", "definition": {"max-length": 100000}, "priority": 0, "apply-to": "queues"},
     "vhost": "orders", "component": "operator_policy", "name": "cap"}
  ],
  "global_parameters": [
    {"name": "cluster_name", "value": "rabbit@prod-1"},
    {"name": "internal_cluster_id", "value": "rabbitmq-cluster-id-3d2Jd8NpXc5cZq7OnjFBmA"}
  ],
  "policies": [
    {"vhost": "orders", "name": "ttl", "pattern": "^orders\\.", "apply-to": "queues", "definition": {"message-ttl": 3600000}, "priority": 1}
  ],
  "queues": [
    {"name": "orders.created", "vhost": "orders", "durable": true, "auto_delete": false,
     "arguments": {"x-queue-type": "classic", "x-message-ttl": 60000, "x-dead-letter-exchange": "orders.dlx", "x-max-length": 1000}},
    {"name": "orders.dead", "vhost": "orders", "durable": true, "auto_delete": false, "arguments": {}}
  ],
  "exchanges": [
    {"name": "orders.events", "vhost": "orders", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}},
    {"name": "orders.dlx", "vhost": "orders", "type": "fanout", "durable": true, "auto_delete": false, "internal": false, "arguments": {}},
    {"name": "amq.topic", "vhost": "orders", "type": "topic", "durable": true, "auto_delete": false, "internal": false, "arguments": {}}
  ],
  "bindings": [
    {"source": "orders.events", "vhost": "orders", "destination": "orders.created", "destination_type": "queue", "routing_key": "orders.created.*", "arguments": {}},
    {"source": "orders.dlx", "vhost": "orders", "destination": "orders.dead", "destination_type": "queue", "routing_key": "", "arguments": {}}
  ]
}`

func TestMgmtImportRabbitMQDefinitions(t *testing.T) {
	m := startWithMgmt(t)
	doc := strings.NewReplacer(
		"APP_HASH", rabbitHash([4]byte{0x90, 0x8d, 0xc6, 0x0a}, "app-secret"),
		"OPS_HASH", rabbitHash([4]byte{0x01, 0x02, 0x03, 0x04}, "ops-secret"),
	).Replace(rabbitDefinitions)
	m.guest(t, "POST", "/api/definitions", doc, http.StatusNoContent)

	// The user logs in over AMQP with the password whose hash was
	// imported, and the imported topology routes.
	c := m.dialAs(t, "app", "app-secret", "orders")
	if _, err := m.tryDial("app", "wrong", "orders"); err == nil {
		t.Error("wrong password accepted")
	}
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclarePassive("orders.created", true, false, false, false,
		amqp.Table{"x-message-ttl": int32(60000), "x-dead-letter-exchange": "orders.dlx", "x-max-length": int32(1000)})
	must(t, err)
	must(t, ch.Publish("orders.events", "orders.created.eu", false, false, amqp.Publishing{Body: []byte("order 1")}))
	var got amqp.Delivery
	eventually(t, "imported binding routes", func() bool {
		d, ok, err := ch.Get("orders.created", true)
		must(t, err)
		got = d
		return ok
	})
	if string(got.Body) != "order 1" {
		t.Errorf("got %q", got.Body)
	}

	q := m.obj(t, "/api/queues/orders/orders.created")
	if num(t, q, "arguments.x-message-ttl") != 60000 || q["arguments"].(map[string]any)["x-dead-letter-exchange"] != "orders.dlx" {
		t.Errorf("queue arguments: %v", q["arguments"])
	}
	if u := m.obj(t, "/api/users/ops"); u["tags"].([]any)[0] != "administrator" {
		t.Errorf("ops tags: %v", u["tags"])
	}
	// ops, an administrator from the file, uses the API.
	if code, body := m.call(t, "GET", "/api/whoami", "ops", "ops-secret", nil); code != http.StatusOK {
		t.Errorf("ops whoami: %d %s", code, body)
	}
	if p := m.obj(t, "/api/policies/orders/ttl"); num(t, p, "definition.message-ttl") != 3600000 || p["apply-to"] != "queues" || num(t, p, "priority") != 1 {
		t.Errorf("policy: %v", p)
	}
	if p := m.obj(t, "/api/operator-policies/orders/cap"); num(t, p, "definition.max-length") != 100000 {
		t.Errorf("operator policy: %v", p)
	}
	if l := m.list(t, "/api/vhost-limits/orders"); len(l) != 1 || num(t, l[0], "value.max-connections") != 100 {
		t.Errorf("vhost limits: %v", l)
	}
	if v := m.obj(t, "/api/vhosts/orders"); v["description"] != "Order processing" {
		t.Errorf("vhost: %v", v)
	}
	if o := m.obj(t, "/api/overview"); o["cluster_name"] != "rabbit@prod-1" {
		t.Errorf("cluster_name: %v", o["cluster_name"])
	}
	if tp := m.list(t, "/api/topic-permissions/orders/app"); len(tp) != 1 {
		t.Errorf("topic permissions: %v", tp)
	}
	if n := len(m.list(t, "/api/exchanges/orders")); n != 9 { // 7 predeclared + 2
		t.Errorf("exchanges: %d", n)
	}

	// And back out in the same format: what was imported is exported.
	out := normalized(t, m.guest(t, "GET", "/api/definitions", nil, http.StatusOK))
	in := normalized(t, []byte(doc))
	var perms []any
	for _, p := range out["permissions"].([]any) {
		if p.(map[string]any)["user"] != "guest" {
			perms = append(perms, p)
		}
	}
	out["permissions"] = perms
	for _, k := range []string{"queues", "bindings", "policies", "permissions", "topic_permissions"} {
		if !reflect.DeepEqual(out[k], in[k]) {
			t.Errorf("%s differ:\n%v\n%v", k, out[k], in[k])
		}
	}
}
