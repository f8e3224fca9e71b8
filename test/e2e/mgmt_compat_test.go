package e2e

// Management API behaviours found different from RabbitMQ 3.10 by the
// rabbitmqadmin comparison (test/compat/mgmt), each checked here against
// what RabbitMQ 3.10 answers.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// errorReason returns the "reason" of an error body.
func errorReason(t testing.TB, body []byte) string {
	t.Helper()
	var e struct{ Error, Reason string }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Reason
}

// wantError fails unless the request answers status code with reason.
func (m *mgmtBroker) wantError(t testing.TB, method, path string, body any, code int, reason string) {
	t.Helper()
	got, data := m.call(t, method, path, "guest", "guest", body)
	if got != code || errorReason(t, data) != reason {
		t.Errorf("%s %s: %d %s, want %d with reason %q", method, path, got, data, code, reason)
	}
}

// A binding's properties_key in the URL is accepted escaped once (as
// rabbitmqadmin sends the key: "a.%2A.c" for "a.*.c") and escaped twice
// (the properties_key "a.%2A.c" itself, escaped for the URL).
func TestMgmtCompatBindingPropsQuoting(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/exchanges/%2F/bq-x", map[string]any{"type": "topic"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/%2F/bq-q", nil, http.StatusCreated)
	base := "/api/bindings/%2F/e/bq-x/q/bq-q/"
	bind := func(key string, args map[string]any) {
		m.guest(t, "POST", "/api/bindings/%2F/e/bq-x/q/bq-q", map[string]any{"routing_key": key, "arguments": args}, http.StatusCreated)
	}
	bind("a.*.c", nil)
	for _, props := range []string{"a.%2A.c", "a.%252A.c"} {
		var b map[string]any
		m.get(t, base+props, &b)
		if b["routing_key"] != "a.*.c" || b["properties_key"] != "a.%2A.c" {
			t.Errorf("GET %s: %v", props, b)
		}
	}
	m.guest(t, "DELETE", base+"a.%2A.c", nil, http.StatusNoContent)
	m.guest(t, "GET", base+"a.%2A.c", nil, http.StatusNotFound)
	bind("a.*.c", nil)
	m.guest(t, "DELETE", base+"a.%252A.c", nil, http.StatusNoContent)
	if l := m.list(t, "/api/bindings/%2F/e/bq-x/q/bq-q"); len(l) != 0 {
		t.Fatalf("bindings left: %v", l)
	}

	// With arguments: key part unescaped or not, then "~" and the hash.
	bind("k #1", map[string]any{"x": 1})
	l := m.list(t, "/api/bindings/%2F/e/bq-x/q/bq-q")
	if len(l) != 1 {
		t.Fatalf("bindings: %v", l)
	}
	pk := l[0]["properties_key"].(string)
	key, hash, _ := strings.Cut(pk, "~")
	if key != "k+%231" || hash == "" {
		t.Fatalf("properties_key %q", pk)
	}
	m.guest(t, "GET", base+url.PathEscape("k #1~"+hash), nil, http.StatusOK)
	m.guest(t, "GET", base+url.PathEscape(pk), nil, http.StatusOK)
	m.guest(t, "GET", base+url.PathEscape("k #1~nothash"), nil, http.StatusNotFound)
	m.guest(t, "DELETE", base+url.PathEscape("k #1~"+hash), nil, http.StatusNoContent)
}

// A queue reports its x-queue-type, and the policy and operator policy
// that apply to it with their merged definition; an exchange names its
// policy.
func TestMgmtCompatQueueTypeAndPolicies(t *testing.T) {
	m := startWithMgmt(t)
	for name, typ := range map[string]string{"pt-plain": "", "pt-classic": "classic", "pt-quorum": "quorum", "pt-stream": "stream"} {
		body := map[string]any{"durable": true}
		if typ != "" {
			body["arguments"] = map[string]any{"x-queue-type": typ}
		} else {
			typ = "classic"
		}
		m.guest(t, "PUT", "/api/queues/%2F/"+name, body, http.StatusCreated)
		if q := m.obj(t, "/api/queues/%2F/"+name); q["type"] != typ {
			t.Errorf("%s: type %v, want %s", name, q["type"], typ)
		}
	}
	var sorted []map[string]any
	m.get(t, "/api/queues/%2F?sort=type&columns=name,type", &sorted)
	if len(sorted) != 4 || sorted[3]["type"] != "stream" {
		t.Errorf("sorted by type: %v", sorted)
	}

	m.guest(t, "PUT", "/api/policies/%2F/pol", map[string]any{"pattern": "^pt-c", "priority": 1, "apply-to": "queues",
		"definition": map[string]any{"max-length": 7, "message-ttl": 1000}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/policies/%2F/lower", map[string]any{"pattern": "^pt-c", "priority": 0,
		"definition": map[string]any{"max-length": 1}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/operator-policies/%2F/op", map[string]any{"pattern": "^pt-c", "apply-to": "queues",
		"definition": map[string]any{"max-length": 3, "expires": 600000, "message-ttl": 5000}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/policies/%2F/xpol", map[string]any{"pattern": "^pt-x$", "apply-to": "exchanges",
		"definition": map[string]any{"alternate-exchange": "pt-ae"}}, http.StatusCreated)
	q := m.obj(t, "/api/queues/%2F/pt-classic")
	want := map[string]any{"max-length": 3.0, "message-ttl": 1000.0, "expires": 600000.0}
	if q["policy"] != "pol" || q["operator_policy"] != "op" || !reflect.DeepEqual(q["effective_policy_definition"], want) {
		t.Errorf("policies: %v %v %v, want pol op %v", q["policy"], q["operator_policy"], q["effective_policy_definition"], want)
	}
	q = m.obj(t, "/api/queues/%2F/pt-plain")
	if q["policy"] != nil || q["operator_policy"] != nil || !reflect.DeepEqual(q["effective_policy_definition"], map[string]any{}) {
		t.Errorf("no policy: %v %v %v", q["policy"], q["operator_policy"], q["effective_policy_definition"])
	}

	m.guest(t, "PUT", "/api/exchanges/%2F/pt-x", map[string]any{"type": "direct"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/exchanges/%2F/pt-y", map[string]any{"type": "direct"}, http.StatusCreated)
	if x := m.obj(t, "/api/exchanges/%2F/pt-x"); x["policy"] != "xpol" {
		t.Errorf("exchange policy: %v", x)
	}
	if x := m.obj(t, "/api/exchanges/%2F/pt-y"); x["policy"] != nil {
		t.Errorf("exchange without a policy: %v", x)
	}
	if _, ok := m.obj(t, "/api/exchanges/%2F/pt-y")["policy"]; ok {
		t.Error("exchange without a policy has a policy field (RabbitMQ leaves it out)")
	}
}

// The channel listing shows basic.qos (per consumer and global),
// confirm.select and tx.select.
func TestMgmtCompatChannelFields(t *testing.T) {
	m := startWithMgmt(t)
	c, err := amqp.DialConfig(m.amqpURL, amqp.Config{Properties: amqp.Table{"connection_name": "chf"}})
	must(t, err)
	defer c.Close()
	chs := make([]*amqp.Channel, 4)
	for i := range chs {
		chs[i], err = c.Channel()
		must(t, err)
	}
	must(t, chs[0].Qos(7, 0, false))
	must(t, chs[1].Confirm(false))
	must(t, chs[2].Tx())
	must(t, chs[3].Qos(3, 0, true))

	type row struct {
		prefetch, global float64
		confirm, tx      bool
	}
	want := map[float64]row{1: {7, 0, false, false}, 2: {0, 0, true, false}, 3: {0, 0, false, true}, 4: {0, 3, false, false}}
	check := func(where string, l []map[string]any) {
		t.Helper()
		if len(l) != 4 {
			t.Fatalf("%s: %d channels", where, len(l))
		}
		for _, ch := range l {
			got := row{ch["prefetch_count"].(float64), ch["global_prefetch_count"].(float64), ch["confirm"].(bool), ch["transactional"].(bool)}
			if w := want[ch["number"].(float64)]; got != w {
				t.Errorf("%s: channel %v: %+v, want %+v", where, ch["number"], got, w)
			}
		}
	}
	check("/api/channels", m.list(t, "/api/channels"))
	conn := c.LocalAddr().String() + " -> " + m.amqp
	check("connection channels", m.list(t, "/api/connections/"+url.PathEscape(conn)+"/channels"))
	one := m.obj(t, "/api/channels/"+url.PathEscape(conn+" (1)"))
	if one["prefetch_count"] != 7.0 || one["confirm"] != false {
		t.Errorf("channel 1: %v", one)
	}
}

// Publishing over HTTP fails as RabbitMQ's internal channel does: 400
// with the AMQP reply code and text.
func TestMgmtCompatPublishErrors(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/exchanges/%2F/pe-internal", map[string]any{"type": "fanout", "internal": true}, http.StatusCreated)
	msg := map[string]any{"routing_key": "k", "payload": "x", "payload_encoding": "string", "properties": map[string]any{}}
	m.wantError(t, "POST", "/api/exchanges/%2F/pe-internal/publish", msg, http.StatusBadRequest,
		"403 ACCESS_REFUSED - cannot publish to internal exchange 'pe-internal' in vhost '/'")
	m.wantError(t, "POST", "/api/exchanges/%2F/pe-missing/publish", msg, http.StatusBadRequest,
		"404 NOT_FOUND - no exchange 'pe-missing' in vhost '/'")
	m.wantError(t, "POST", "/api/exchanges/%2F/amq.rabbitmq.trace/publish", msg, http.StatusBadRequest,
		"403 ACCESS_REFUSED - cannot publish to internal exchange 'amq.rabbitmq.trace' in vhost '/'")
	bad := map[string]any{"routing_key": "k", "payload": "x", "payload_encoding": "string", "properties": map[string]any{"expiration": "abc"}}
	m.wantError(t, "POST", "/api/exchanges/%2F/amq.default/publish", bad, http.StatusBadRequest,
		"406 PRECONDITION_FAILED - invalid expiration 'abc': no_integer")
	bad["properties"] = map[string]any{"user_id": "bob"}
	m.wantError(t, "POST", "/api/exchanges/%2F/amq.default/publish", bad, http.StatusBadRequest,
		"406 PRECONDITION_FAILED - user_id property set to 'bob' but authenticated user was 'guest'")

	// Write permission is checked first, as basic.publish does.
	m.guest(t, "PUT", "/api/users/pe-user", map[string]any{"password": "pw", "tags": "management"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/permissions/%2F/pe-user", map[string]any{"configure": ".*", "write": "^nothing$", "read": ".*"}, http.StatusCreated)
	code, body := m.call(t, "POST", "/api/exchanges/%2F/pe-missing/publish", "pe-user", "pw", msg)
	if r := errorReason(t, body); code != http.StatusBadRequest ||
		r != "403 ACCESS_REFUSED - access to exchange 'pe-missing' in vhost '/' refused for user 'pe-user'" {
		t.Errorf("publish without write permission: %d %s", code, body)
	}
}

// A message without properties comes back with "properties": [] (the
// empty Erlang list RabbitMQ renders), one with properties with an object.
func TestMgmtCompatGetEmptyProperties(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/queues/%2F/gp-q", nil, http.StatusCreated)
	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	must(t, ch.Publish("", "gp-q", false, false, amqp.Publishing{Body: []byte("bare")}))
	must(t, ch.Publish("", "gp-q", false, false, amqp.Publishing{Body: []byte("typed"), ContentType: "text/plain"}))
	eventually(t, "2 messages", func() bool { return num(t, m.obj(t, "/api/queues/%2F/gp-q"), "messages") == 2 })
	data := m.guest(t, "POST", "/api/queues/%2F/gp-q/get", map[string]any{"count": 2, "ackmode": "ack_requeue_true", "encoding": "auto"}, http.StatusOK)
	var msgs []map[string]json.RawMessage
	must(t, json.Unmarshal(data, &msgs))
	if len(msgs) != 2 || string(msgs[0]["properties"]) != "[]" || string(msgs[1]["properties"]) != `{"content_type":"text/plain"}` {
		t.Errorf("get: %s", data)
	}
}

// Every vhost, new or restored, has amq.rabbitmq.trace: a durable,
// internal topic exchange that cannot be published to or deleted.
func TestMgmtCompatTraceExchange(t *testing.T) {
	dir := t.TempDir()
	m := startWithMgmtAt(t, dir)
	m.guest(t, "PUT", "/api/vhosts/tv", nil, http.StatusCreated)
	checkTrace := func(vhost string) {
		t.Helper()
		x := m.obj(t, "/api/exchanges/"+url.PathEscape(vhost)+"/amq.rabbitmq.trace")
		if x["type"] != "topic" || x["durable"] != true || x["internal"] != true || x["auto_delete"] != false {
			t.Errorf("%s: %v", vhost, x)
		}
	}
	checkTrace("/")
	checkTrace("tv")
	if n := num(t, m.obj(t, "/api/overview"), "object_totals.exchanges"); n != 14 {
		t.Errorf("object_totals.exchanges = %d, want 7 per vhost", n)
	}

	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	must(t, ch.ExchangeDeclarePassive("amq.rabbitmq.trace", "topic", true, false, true, false, nil))
	must(t, ch.ExchangeDeclare("amq.rabbitmq.trace", "topic", true, false, true, false, nil))
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	must(t, ch.QueueBind(q.Name, "#", "amq.rabbitmq.trace", false, nil)) // how a tracer consumer binds
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	must(t, ch.Publish("amq.rabbitmq.trace", "x", false, false, amqp.Publishing{Body: []byte("x")}))
	if e := <-closed; e == nil || e.Code != amqp.AccessRefused ||
		e.Reason != "ACCESS_REFUSED - cannot publish to internal exchange 'amq.rabbitmq.trace' in vhost '/'" {
		t.Errorf("publish: %v", e)
	}
	ch, err = c.Channel()
	must(t, err)
	err = ch.ExchangeDelete("amq.rabbitmq.trace", false, false)
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.AccessRefused ||
		ae.Reason != "ACCESS_REFUSED - deletion of system exchange 'amq.rabbitmq.trace' in vhost '/' not allowed" {
		t.Errorf("delete: %v", err)
	}
	// Over HTTP as well, like amq.direct (RabbitMQ: 401).
	for _, x := range []string{"amq.direct", "amq.rabbitmq.trace"} {
		m.guest(t, "DELETE", "/api/exchanges/%2F/"+x, nil, http.StatusUnauthorized)
	}

	// Restored vhosts have it too, and definitions never carry it.
	m.stop()
	m = startWithMgmtAt(t, dir)
	checkTrace("/")
	checkTrace("tv")
	if strings.Contains(string(m.guest(t, "GET", "/api/definitions", nil, http.StatusOK)), "amq.rabbitmq.trace") {
		t.Error("amq.rabbitmq.trace exported")
	}
}

// Policy definitions are validated with RabbitMQ 3.10's rules and
// messages (HTML-escaped for policies, as RabbitMQ escapes them).
func TestMgmtCompatPolicyValidation(t *testing.T) {
	m := startWithMgmt(t)
	for _, c := range []struct {
		body   string
		reason string // "" for accepted
	}{
		{`{"pattern":".*","definition":{"max-length":"ten"}}`, "Validation failed\n\n&lt;&lt;\"ten\"&gt;&gt; is not a valid maximum length\n"},
		{`{"pattern":".*","definition":{"no-such-key":1}}`, "Validation failed\n\n[{&lt;&lt;\"no-such-key\"&gt;&gt;,1}] are not recognised policy settings\n"},
		{`{"pattern":".*","definition":{"no-such-key":1,"other":"x"}}`, "Validation failed\n\n[{&lt;&lt;\"no-such-key\"&gt;&gt;,1},{&lt;&lt;\"other\"&gt;&gt;,&lt;&lt;\"x\"&gt;&gt;}] are not recognised policy settings\n"},
		{`{"pattern":".*","definition":{"no-such-key":1,"max-length":-1}}`, "Validation failed\n\n-1 is not a valid maximum length\n"},
		{`{"pattern":".*","definition":{"max-length":1},"apply-to":"nowhere"}`, "Validation failed\n\napply-to 'nowhere' unrecognised; should be 'queues', 'exchanges' or 'all'\n"},
		{`{"pattern":".*","definition":{"max-length":1.5}}`, "Validation failed\n\n1.5 is not a valid maximum length\n"},
		{`{"pattern":".*","definition":{"max-length":1e3}}`, "Validation failed\n\n1.0e3 is not a valid maximum length\n"},
		{`{"pattern":".*","definition":{"max-length-bytes":null}}`, "Validation failed\n\nnull is not a valid maximum length in bytes\n"},
		{`{"pattern":".*","definition":{"message-ttl":"x"}}`, "Validation failed\n\n&lt;&lt;\"x\"&gt;&gt; is not a valid message TTL\n"},
		{`{"pattern":".*","definition":{"expires":0}}`, "Validation failed\n\n0 is not a valid queue expiry\n"},
		{`{"pattern":".*","definition":{"overflow":"bogus"}}`, "Validation failed\n\n&lt;&lt;\"bogus\"&gt;&gt; is not a valid overflow value\n"},
		{`{"pattern":".*","definition":{"dead-letter-exchange":1}}`, "Validation failed\n\n1 is not a valid dead letter exchange name\n"},
		{`{"pattern":".*","definition":{"dead-letter-routing-key":true}}`, "Validation failed\n\ntrue is not a valid dead letter routing key\n"},
		{`{"pattern":".*","definition":{"alternate-exchange":[1,2]}}`, "Validation failed\n\n[1,2] is not a valid alternate exchange name\n"},
		{`{"pattern":".*","definition":{"delivery-limit":{"a":1}}}`, "Validation failed\n\n#{&lt;&lt;\"a\"&gt;&gt; =&gt; 1} is not a valid delivery limit\n"},
		{`{"pattern":".*","definition":{"queue-mode":"bogus"}}`, "Validation failed\n\n&lt;&lt;\"bogus\"&gt;&gt; is not a valid queue-mode value\n"},
		{`{"pattern":".*","definition":{"ha-mode":"bogus"}}`, "Validation failed\n\n&lt;&lt;\"bogus\"&gt;&gt; is not a valid ha-mode value\n"},
		{`{"pattern":".*","definition":{"ha-mode":"exactly"}}`, "Validation failed\n\nha-mode=\"exactly\" takes an integer, none given\n"},
		{`{"pattern":".*","definition":{"ha-params":1}}`, "Validation failed\n\nha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown\n"},
		{`{"pattern":".*","definition":{"federation-upstream-set":"all"}}`, "Validation failed\n\n[{&lt;&lt;\"federation-upstream-set\"&gt;&gt;,&lt;&lt;\"all\"&gt;&gt;}] are not recognised policy settings\n"},
		{`{"pattern":".*","definition":{}}`, "Validation failed\n\nno policy provided\n"},
		{`{"pattern":".*","definition":{"max-length":"x"},"priority":"x"}`, "Validation failed\n\n&lt;&lt;\"x\"&gt;&gt; is not a valid maximum length\npriority should be a number, actually was &lt;&lt;\"x\"&gt;&gt;\n"},
		{`{"definition":{"max-length":1}}`, "[{key_missing,pattern}]"},
		{`{"pattern":".*"}`, "[{key_missing,definition}]"},
		{`{"pattern":"^pv","definition":{"max-length":0,"message-ttl":0,"expires":1,"overflow":"reject-publish-dlx","dead-letter-exchange":"d","dead-letter-routing-key":"k","delivery-limit":0,"alternate-exchange":"ae","queue-mode":"lazy","max-length-bytes":100000000000000000000}}`, ""},
		{`{"pattern":"^pv","definition":{"ha-mode":"exactly","ha-params":2,"ha-sync-mode":"automatic"},"priority":1.5}`, ""},
		{`{"pattern":"^pv","definition":{"consumer-timeout":60000}}`, ""}, // a policy key from RabbitMQ 3.12 on
	} {
		code, data := m.call(t, "PUT", "/api/policies/%2F/pv", "guest", "guest", c.body)
		switch {
		case c.reason == "" && code != http.StatusCreated && code != http.StatusNoContent:
			t.Errorf("%s: %d %s, want accepted", c.body, code, data)
		case c.reason != "" && (code != http.StatusBadRequest || errorReason(t, data) != c.reason):
			t.Errorf("%s: %d %s, want 400 %q", c.body, code, data, c.reason)
		}
	}
	// Operator policies take limits only, and their messages are not
	// escaped.
	m.wantError(t, "PUT", "/api/operator-policies/%2F/op", `{"pattern":".*","definition":{"max-length":"x"}}`, http.StatusBadRequest,
		"Validation failed\n\n<<\"x\">> is not a valid maximum length\n")
	m.wantError(t, "PUT", "/api/operator-policies/%2F/op", `{"pattern":".*","definition":{"overflow":"drop-head"}}`, http.StatusBadRequest,
		"Validation failed\n\n[{<<\"overflow\">>,<<\"drop-head\">>}] are not recognised policy settings\n")
	m.guest(t, "PUT", "/api/operator-policies/%2F/op", `{"pattern":".*","definition":{"max-length":5,"expires":1000,"delivery-limit":3}}`, http.StatusCreated)
}

// Runtime parameters exist only for the components Warren implements
// (vhost-limits, operator_policy); others are refused as RabbitMQ refuses
// components of plugins it does not run.
func TestMgmtCompatParameterComponents(t *testing.T) {
	m := startWithMgmt(t)
	m.wantError(t, "PUT", "/api/parameters/federation-upstream/%2F/up", map[string]any{"value": map[string]any{"uri": "amqp://x"}},
		http.StatusBadRequest, "Validation failed\n\ncomponent federation-upstream not found\n")
	m.wantError(t, "PUT", "/api/parameters/shovel/%2F/s", map[string]any{"value": map[string]any{}},
		http.StatusBadRequest, "Validation failed\n\ncomponent shovel not found\n")
	m.wantError(t, "PUT", "/api/parameters/policy/%2F/p", map[string]any{"value": map[string]any{"pattern": "x", "definition": map[string]any{"max-length": 1}}},
		http.StatusBadRequest, "policies may not be set using this method")
	m.wantError(t, "PUT", "/api/parameters/operator_policy/%2F/op", map[string]any{"value": map[string]any{"pattern": "x", "definition": map[string]any{"max-length": 1}}},
		http.StatusBadRequest, "Validation failed\n\nKey \"priority\" not found in op\n")
	m.guest(t, "PUT", "/api/parameters/operator_policy/%2F/op", map[string]any{"value": map[string]any{"pattern": "x", "definition": map[string]any{"max-length": 1}, "priority": 2}}, http.StatusCreated)
	if p := m.obj(t, "/api/operator-policies/%2F/op"); num(t, p, "priority") != 2 || num(t, p, "definition.max-length") != 1 {
		t.Errorf("operator policy set as a parameter: %v", p)
	}
	m.wantError(t, "PUT", "/api/parameters/vhost-limits/%2F/limits", map[string]any{"value": map[string]any{"max-channels": 5}},
		http.StatusBadRequest, "Validation failed\n\nUnrecognised terms [{<<\"max-channels\">>,5}] in limits\n")
	m.wantError(t, "PUT", "/api/parameters/vhost-limits/%2F/limits", map[string]any{"value": map[string]any{"max-queues": "x"}},
		http.StatusBadRequest, "Validation failed\n\nmax-queues should be a number, actually was <<\"x\">>\n")
	m.guest(t, "PUT", "/api/parameters/vhost-limits/%2F/limits", map[string]any{"value": map[string]any{"max-queues": 3, "max-connections": 4}}, http.StatusCreated)
	if l := m.list(t, "/api/vhost-limits/%2F"); len(l) != 1 || num(t, l[0], "value.max-queues") != 3 || num(t, l[0], "value.max-connections") != 4 {
		t.Errorf("limits set as a parameter: %v", l)
	}
	var comps []string
	for _, p := range m.list(t, "/api/parameters") {
		comps = append(comps, p["component"].(string)+"/"+p["name"].(string))
	}
	sort.Strings(comps)
	if strings.Join(comps, " ") != "operator_policy/op vhost-limits/limits" {
		t.Errorf("parameters: %v", comps)
	}
	m.guest(t, "DELETE", "/api/parameters/federation-upstream/%2F/up", nil, http.StatusNotFound)
	m.guest(t, "DELETE", "/api/parameters/vhost-limits/%2F/limits", nil, http.StatusNoContent)
	if l := m.list(t, "/api/vhost-limits"); len(l) != 0 {
		t.Errorf("limits after deleting the parameter: %v", l)
	}
}

// A vhost's limits are RabbitMQ's runtime parameter vhost-limits/limits:
// listed among the parameters, in RabbitMQ's order (the limit set last
// first), kept with value [] after its last limit is removed, exported
// and restored.
func TestMgmtCompatVHostLimitsParameter(t *testing.T) {
	dir := t.TempDir()
	m := startWithMgmtAt(t, dir)
	m.guest(t, "PUT", "/api/vhosts/lv", nil, http.StatusCreated)
	m.guest(t, "PUT", "/api/vhost-limits/lv/max-connections", map[string]any{"value": 10}, http.StatusNoContent)
	m.guest(t, "PUT", "/api/vhost-limits/lv/max-queues", map[string]any{"value": 20}, http.StatusNoContent)
	raw := func(path string) string {
		t.Helper()
		return strings.TrimSpace(string(m.guest(t, "GET", path, nil, http.StatusOK)))
	}
	if got := raw("/api/vhost-limits"); got != `[{"value":{"max-queues":20,"max-connections":10},"vhost":"lv"}]` {
		t.Errorf("vhost-limits: %s", got)
	}
	if got := raw("/api/parameters/vhost-limits"); got != `[{"component":"vhost-limits","name":"limits","value":{"max-queues":20,"max-connections":10},"vhost":"lv"}]` {
		t.Errorf("parameters: %s", got)
	}
	m.guest(t, "PUT", "/api/vhost-limits/lv/max-connections", map[string]any{"value": 11}, http.StatusNoContent)
	if got := raw("/api/vhost-limits/lv"); got != `[{"value":{"max-connections":11,"max-queues":20},"vhost":"lv"}]` {
		t.Errorf("after setting max-connections again: %s", got)
	}
	m.stop()
	m = startWithMgmtAt(t, dir)
	if got := raw("/api/vhost-limits/lv"); got != `[{"value":{"max-connections":11,"max-queues":20},"vhost":"lv"}]` {
		t.Errorf("after a restart: %s", got)
	}
	m.guest(t, "DELETE", "/api/vhost-limits/lv/max-connections", nil, http.StatusNoContent)
	m.guest(t, "DELETE", "/api/vhost-limits/lv/max-queues", nil, http.StatusNoContent)
	if got := raw("/api/vhost-limits"); got != `[{"value":[],"vhost":"lv"}]` {
		t.Errorf("after removing every limit: %s", got)
	}
	if got := raw("/api/vhost-limits/lv"); got != `[]` {
		t.Errorf("one vhost after removing every limit: %s", got)
	}
	if got := raw("/api/parameters/vhost-limits/lv/limits"); got != `{"component":"vhost-limits","name":"limits","value":[],"vhost":"lv"}` {
		t.Errorf("parameter after removing every limit: %s", got)
	}
	var doc struct{ Parameters []map[string]any }
	m.get(t, "/api/definitions/lv", &doc)
	if len(doc.Parameters) != 1 || doc.Parameters[0]["vhost"] != "lv" || !reflect.DeepEqual(doc.Parameters[0]["value"], []any{}) {
		t.Errorf("exported parameters: %v", doc.Parameters)
	}
	m.stop()
	m = startWithMgmtAt(t, dir)
	if got := raw("/api/vhost-limits"); got != `[{"value":[],"vhost":"lv"}]` {
		t.Errorf("empty limits after a restart: %s", got)
	}
	// An export with the empty parameter imports.
	export := m.guest(t, "GET", "/api/definitions", nil, http.StatusOK)
	dst := startWithMgmt(t)
	dst.guest(t, "POST", "/api/definitions", string(export), http.StatusNoContent)
	if got := strings.TrimSpace(string(dst.guest(t, "GET", "/api/vhost-limits", nil, http.StatusOK))); got != `[{"value":[],"vhost":"lv"}]` {
		t.Errorf("imported: %s", got)
	}
}

// The whole-broker export has RabbitMQ's keys, with topic_permissions and
// global_parameters (internal_cluster_id, stable over restarts) even when
// empty otherwise; a per-vhost export has exactly RabbitMQ 3.10's keys,
// its policies and parameters keeping their vhost.
func TestMgmtCompatDefinitionsExport(t *testing.T) {
	dir := t.TempDir()
	m := startWithMgmtAt(t, dir)
	keys := func(doc map[string]any) string {
		var ks []string
		for k := range doc {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return strings.Join(ks, " ")
	}
	all := m.obj(t, "/api/definitions")
	if got := keys(all); got != "bindings exchanges global_parameters parameters permissions policies product_name product_version queues rabbit_version rabbitmq_version topic_permissions users vhosts" {
		t.Errorf("keys: %s", got)
	}
	if tp, ok := all["topic_permissions"].([]any); !ok || len(tp) != 0 {
		t.Errorf("topic_permissions: %v", all["topic_permissions"])
	}
	clusterID := func(doc map[string]any) string {
		t.Helper()
		gp, _ := doc["global_parameters"].([]any)
		for _, g := range gp {
			if g := g.(map[string]any); g["name"] == "internal_cluster_id" {
				return g["value"].(string)
			}
		}
		t.Fatalf("no internal_cluster_id in %v", doc["global_parameters"])
		return ""
	}
	id := clusterID(all)
	if g := m.obj(t, "/api/global-parameters/internal_cluster_id"); g["value"] != id {
		t.Errorf("global parameter: %v, want %s", g, id)
	}
	m.stop()
	m = startWithMgmtAt(t, dir)
	if again := clusterID(m.obj(t, "/api/definitions")); again != id {
		t.Errorf("internal_cluster_id after a restart: %s, was %s", again, id)
	}

	m.guest(t, "PUT", "/api/vhosts/ev", nil, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/ev/eq", map[string]any{"durable": true}, http.StatusCreated)
	m.guest(t, "PUT", "/api/policies/ev/ep", map[string]any{"pattern": "^e", "definition": map[string]any{"max-length": 3}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/vhost-limits/ev/max-queues", map[string]any{"value": 9}, http.StatusNoContent)
	one := m.obj(t, "/api/definitions/ev")
	if got := keys(one); got != "bindings exchanges parameters policies queues rabbit_version" {
		t.Errorf("per-vhost keys: %s", got)
	}
	pols := one["policies"].([]any)
	params := one["parameters"].([]any)
	queues := one["queues"].([]any)
	if len(pols) != 1 || pols[0].(map[string]any)["vhost"] != "ev" || len(params) != 1 || params[0].(map[string]any)["vhost"] != "ev" {
		t.Errorf("per-vhost policies %v, parameters %v", pols, params)
	}
	if len(queues) != 1 || queues[0].(map[string]any)["vhost"] != nil {
		t.Errorf("per-vhost queues: %v", queues)
	}
}

// Importing a body that is not a JSON object fails with RabbitMQ's
// failed_to_parse_json (other endpoints say not_json).
func TestMgmtCompatImportMalformed(t *testing.T) {
	m := startWithMgmt(t)
	for _, body := range []string{`{"queues": [`, `not json`, `"x"`, `[1]`} {
		m.wantError(t, "POST", "/api/definitions", body, http.StatusBadRequest, "failed_to_parse_json")
		m.wantError(t, "POST", "/api/definitions/%2F", body, http.StatusBadRequest, "failed_to_parse_json")
	}
	m.wantError(t, "PUT", "/api/queues/%2F/q", `{"durable": [`, http.StatusBadRequest, "not_json")
}

// Setting a permission for a missing vhost or user is 400
// vhost_or_user_not_found.
func TestMgmtCompatPermissionMissing(t *testing.T) {
	m := startWithMgmt(t)
	perm := map[string]any{"configure": ".*", "write": ".*", "read": ".*"}
	m.wantError(t, "PUT", "/api/permissions/no-such-vhost/guest", perm, http.StatusBadRequest, "vhost_or_user_not_found")
	m.wantError(t, "PUT", "/api/permissions/%2F/no-such-user", perm, http.StatusBadRequest, "vhost_or_user_not_found")
	tp := map[string]any{"exchange": "amq.topic", "write": ".*", "read": ".*"}
	m.wantError(t, "PUT", "/api/topic-permissions/no-such-vhost/guest", tp, http.StatusBadRequest, "vhost_or_user_not_found")
	m.wantError(t, "PUT", "/api/topic-permissions/%2F/no-such-user", tp, http.StatusBadRequest, "vhost_or_user_not_found")
}

// /api/overview has churn_rates (connections and channels opened and
// closed, queues declared, created and deleted) and
// sample_retention_policies.
func TestMgmtCompatOverviewChurn(t *testing.T) {
	m := startWithMgmt(t)
	churn := func() map[string]int {
		t.Helper()
		o := m.obj(t, "/api/overview")
		cr, ok := o["churn_rates"].(map[string]any)
		if !ok {
			t.Fatalf("churn_rates: %v", o["churn_rates"])
		}
		out := map[string]int{}
		for _, k := range []string{"connection_created", "connection_closed", "channel_created", "channel_closed",
			"queue_declared", "queue_created", "queue_deleted"} {
			out[k] = num(t, cr, k)
			if _, ok := cr[k+"_details"].(map[string]any)["rate"].(float64); !ok {
				t.Errorf("%s_details: %v", k, cr[k+"_details"])
			}
		}
		return out
	}
	before := churn()
	c, err := amqp.Dial(m.amqpURL)
	must(t, err)
	ch, err := c.Channel()
	must(t, err)
	ch2, err := c.Channel()
	must(t, err)
	must(t, ch2.Close())
	_, err = ch.QueueDeclare("churn-q", false, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDeclare("churn-q", false, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDeclarePassive("churn-q", false, false, false, false, nil) // not counted, as in RabbitMQ
	must(t, err)
	_, err = ch.QueueDelete("churn-q", false, false, false)
	must(t, err)
	must(t, c.Close())
	want := map[string]int{"connection_created": 1, "connection_closed": 1, "channel_created": 2, "channel_closed": 2,
		"queue_declared": 2, "queue_created": 1, "queue_deleted": 1}
	eventually(t, "churn counted", func() bool {
		after := churn()
		for k, n := range want {
			if after[k]-before[k] != n {
				return false
			}
		}
		return true
	})
	srp, ok := m.obj(t, "/api/overview")["sample_retention_policies"].(map[string]any)
	if !ok || srp["global"] == nil || srp["basic"] == nil || srp["detailed"] == nil {
		t.Errorf("sample_retention_policies: %v", srp)
	}
}

// Deleting a vhost forgets its policies, operator policies, limits and
// topic permissions for good: a vhost of the same name created after a
// restart starts empty, as in RabbitMQ.
func TestMgmtVHostDeleteForgetsItsParameters(t *testing.T) {
	dir := t.TempDir()
	m := startWithMgmtAt(t, dir)
	m.guest(t, "PUT", "/api/vhosts/gone", nil, http.StatusCreated)
	m.guest(t, "PUT", "/api/policies/gone/p", map[string]any{"pattern": ".*", "definition": map[string]any{"max-length": 1}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/operator-policies/gone/op", map[string]any{"pattern": ".*", "definition": map[string]any{"max-length": 5}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/vhost-limits/gone/max-queues", map[string]any{"value": 3}, http.StatusNoContent)
	m.guest(t, "PUT", "/api/topic-permissions/gone/guest", map[string]any{"exchange": "amq.topic", "write": "^a", "read": ".*"}, http.StatusCreated)
	m.guest(t, "DELETE", "/api/vhosts/gone", nil, http.StatusNoContent)
	m.stop()
	m = startWithMgmtAt(t, dir)
	m.guest(t, "PUT", "/api/vhosts/gone", nil, http.StatusCreated)
	for _, path := range []string{"/api/policies/gone", "/api/operator-policies/gone", "/api/vhost-limits/gone", "/api/vhosts/gone/topic-permissions"} {
		if got := strings.TrimSpace(string(m.guest(t, "GET", path, nil, http.StatusOK))); got != "[]" {
			t.Errorf("%s after delete, restart and re-create: %s", path, got)
		}
	}
}

// Removing a limit that is not set is a 204, as in RabbitMQ; an unknown
// vhost or user stays a 404.
func TestMgmtDeleteUnsetLimit(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "DELETE", "/api/vhost-limits/%2F/max-connections", nil, http.StatusNoContent)
	m.guest(t, "DELETE", "/api/user-limits/guest/max-connections", nil, http.StatusNoContent)
	m.guest(t, "DELETE", "/api/vhost-limits/nosuch/max-connections", nil, http.StatusNotFound)
	m.guest(t, "DELETE", "/api/user-limits/nosuch/max-connections", nil, http.StatusNotFound)
	if got := strings.TrimSpace(string(m.guest(t, "GET", "/api/vhost-limits", nil, http.StatusOK))); got != "[]" {
		t.Errorf("vhost-limits after removing an unset limit: %s", got)
	}
}

// A stream through the management API: its type and retained message
// count, and RabbitMQ's 400s for get and purge, which streams do not do.
func TestMgmtCompatStream(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/queues/%2F/mst", map[string]any{"durable": true, "arguments": map[string]any{"x-queue-type": "stream"}}, http.StatusCreated)
	for i := 0; i < 3; i++ {
		m.guest(t, "POST", "/api/exchanges/%2F/amq.default/publish", map[string]any{
			"properties": map[string]any{}, "routing_key": "mst", "payload": "hi", "payload_encoding": "string"}, http.StatusOK)
	}
	m.wantError(t, "POST", "/api/queues/%2F/mst/get", map[string]any{"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto"},
		http.StatusBadRequest, "540 basic.get not supported by stream queues queue 'mst' in vhost '/'")
	m.wantError(t, "DELETE", "/api/queues/%2F/mst/contents", nil,
		http.StatusBadRequest, "queue.purge not supported by stream queues queue 'mst' in vhost '/'")
	q := m.obj(t, "/api/queues/%2F/mst")
	if q["type"] != "stream" || num(t, q, "messages") != 3 || num(t, q, "messages_ready") != 3 {
		t.Fatalf("stream as listed: type %v, messages %v, ready %v", q["type"], q["messages"], q["messages_ready"])
	}
}

// A policy's max-length-bytes and stream-max-segment-size-bytes set a
// stream's retention: after enough publishes its first offset moves on.
func TestMgmtCompatStreamPolicyRetention(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/policies/%2F/stream-retention", map[string]any{"pattern": "^pst$", "apply-to": "queues",
		"definition": map[string]any{"max-length-bytes": 20000, "stream-max-segment-size-bytes": 4096}}, http.StatusCreated)
	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("pst", true, false, false, false, amqp.Table{"x-queue-type": "stream"})
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 300))
	body := make([]byte, 500)
	for i := 0; i < 200; i++ {
		must(t, ch.Publish("", "pst", false, false, amqp.Publishing{Body: body}))
	}
	for i := 0; i < 200; i++ {
		select {
		case cf := <-confirms:
			if !cf.Ack {
				t.Fatalf("publish %d nacked", i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no confirm for publish %d", i)
		}
	}
	must(t, ch.Qos(10, 0, false))
	ds, err := ch.Consume("pst", "", false, false, false, false, amqp.Table{"x-stream-offset": "first"})
	must(t, err)
	d := recv(t, ds)
	first, _ := d.Headers["x-stream-offset"].(int64)
	if first == 0 {
		t.Fatal("the stream still starts at offset 0: the policy's retention did not apply")
	}
	if n := 200 - first; n*544 > 20000 {
		t.Fatalf("%d messages kept, more than 20,000 bytes", n)
	}
}
