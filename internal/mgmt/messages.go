package mgmt

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// propsFromJSON reads RabbitMQ's JSON basic properties.
func propsFromJSON(m map[string]any) (wire.Properties, error) {
	var p wire.Properties
	for k, v := range m {
		var err error
		switch k {
		case "content_type", "content_encoding", "correlation_id", "reply_to", "expiration", "message_id", "type", "user_id", "app_id", "cluster_id":
			s, ok := v.(string)
			if !ok {
				if n, isNum := v.(interface{ String() string }); isNum && k == "expiration" {
					s, ok = n.String(), true
				}
			}
			if !ok {
				return p, fmt.Errorf("property %s must be a string", k)
			}
			setStringProp(&p, k, s)
		case "headers":
			t, terr := tableFromJSON(v)
			if terr != nil {
				return p, fmt.Errorf("headers: %v", terr)
			}
			p.Headers = wire.Table(t)
			p.Set(wire.FlagHeaders)
		case "delivery_mode", "priority", "timestamp":
			var n int64
			n, err = intField(m, k, 0)
			if err != nil {
				return p, err
			}
			switch k {
			case "delivery_mode":
				p.DeliveryMode = uint8(n)
				p.Set(wire.FlagDeliveryMode)
			case "priority":
				p.Priority = uint8(n)
				p.Set(wire.FlagPriority)
			default:
				p.Timestamp = uint64(n)
				p.Set(wire.FlagTimestamp)
			}
		}
	}
	return p, nil
}

func setStringProp(p *wire.Properties, k, s string) {
	switch k {
	case "content_type":
		p.ContentType = s
		p.Set(wire.FlagContentType)
	case "content_encoding":
		p.ContentEncoding = s
		p.Set(wire.FlagContentEncoding)
	case "correlation_id":
		p.CorrelationID = s
		p.Set(wire.FlagCorrelationID)
	case "reply_to":
		p.ReplyTo = s
		p.Set(wire.FlagReplyTo)
	case "expiration":
		p.Expiration = s
		p.Set(wire.FlagExpiration)
	case "message_id":
		p.MessageID = s
		p.Set(wire.FlagMessageID)
	case "type":
		p.Type = s
		p.Set(wire.FlagType)
	case "user_id":
		p.UserID = s
		p.Set(wire.FlagUserID)
	case "app_id":
		p.AppID = s
		p.Set(wire.FlagAppID)
	case "cluster_id":
		p.ClusterID = s
		p.Set(wire.FlagClusterID)
	}
}

// propsJSON renders the properties present on a message.
func propsJSON(encoded []byte) map[string]any {
	out := map[string]any{}
	var p wire.Properties
	if err := p.Decode(encoded); err != nil {
		return out
	}
	strs := []struct {
		flag uint16
		name string
		v    string
	}{
		{wire.FlagContentType, "content_type", p.ContentType}, {wire.FlagContentEncoding, "content_encoding", p.ContentEncoding},
		{wire.FlagCorrelationID, "correlation_id", p.CorrelationID}, {wire.FlagReplyTo, "reply_to", p.ReplyTo},
		{wire.FlagExpiration, "expiration", p.Expiration}, {wire.FlagMessageID, "message_id", p.MessageID},
		{wire.FlagType, "type", p.Type}, {wire.FlagUserID, "user_id", p.UserID},
		{wire.FlagAppID, "app_id", p.AppID}, {wire.FlagClusterID, "cluster_id", p.ClusterID},
	}
	for _, s := range strs {
		if p.Has(s.flag) {
			out[s.name] = s.v
		}
	}
	if p.Has(wire.FlagHeaders) {
		out["headers"] = jsonTable(p.Headers)
	}
	if p.Has(wire.FlagDeliveryMode) {
		out["delivery_mode"] = p.DeliveryMode
	}
	if p.Has(wire.FlagPriority) {
		out["priority"] = p.Priority
	}
	if p.Has(wire.FlagTimestamp) {
		out["timestamp"] = p.Timestamp
	}
	return out
}

// newMessage builds the message basic.publish would have produced.
func newMessage(exchange, key string, props wire.Properties, body []byte) (*message.Message, error) {
	m := &message.Message{Exchange: exchange, RoutingKey: key, Props: props.Append(nil), Body: body,
		Expiration: -1, DeliveryMode: props.DeliveryMode, Priority: props.Priority, UserID: props.UserID}
	if len(props.Headers) > 0 {
		m.Headers = map[string]any(props.Headers)
	}
	if props.Has(wire.FlagExpiration) {
		ttl, err := parseExpiration(props.Expiration)
		if err != nil {
			return nil, err
		}
		m.Expiration = ttl
	}
	return m, nil
}

// parseExpiration reads the expiration property, failing with RabbitMQ's
// reasons (Erlang's string:to_integer results).
func parseExpiration(s string) (int64, error) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	ttl, err := strconv.ParseInt(s[:i], 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("invalid expiration '%s': no_integer", s)
	case i < len(s):
		return 0, fmt.Errorf("invalid expiration '%s': {leftover_string,%q}", s, s[i:])
	case ttl < 0:
		return 0, fmt.Errorf("invalid expiration '%s': {value_negative,%d}", s, ttl)
	}
	return ttl, nil
}

// amqpCodeNames are the reply-code names RabbitMQ prefixes channel errors
// with.
var amqpCodeNames = map[uint16]string{
	broker.CodeAccessRefused: "ACCESS_REFUSED", broker.CodeNotFound: "NOT_FOUND",
	broker.CodeResourceLocked: "RESOURCE_LOCKED", broker.CodePreconditionFailed: "PRECONDITION_FAILED",
	broker.CodeCommandInvalid: "COMMAND_INVALID", broker.CodeNotAllowed: "NOT_ALLOWED",
	broker.CodeNotImplemented: "NOT_IMPLEMENTED", broker.CodeInternalError: "INTERNAL_ERROR",
}

// channelError answers as RabbitMQ's API does when the AMQP channel it
// works on internally (publish) is closed by the broker: 400 bad_request
// with the reply code and text, "404 NOT_FOUND - no exchange ...".
func channelError(w http.ResponseWriter, code uint16, text string) {
	name, ok := amqpCodeNames[code]
	if !ok {
		name = "ERROR"
	}
	badRequest(w, fmt.Sprintf("%d %s - %s", code, name, text))
}

// brokerChannelError is channelError for a broker failure.
func brokerChannelError(w http.ResponseWriter, err error) {
	var be *broker.Error
	if !errors.As(err, &be) {
		writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error())
		return
	}
	channelError(w, be.Code, be.Text)
}

// publishAndSync routes m and waits until it is durable on every queue
// that stored it, as a confirm would.
func publishAndSync(v *broker.VHost, m *message.Message) (int, error) {
	res, err := v.Publish(broker.NewRouter(), m)
	if err != nil {
		return 0, err
	}
	logs := append([]*store.Log(nil), res.Logs...)
	for _, l := range logs {
		done := make(chan error, 1)
		l.SyncAsync(func(err error) { done <- err })
		if err := <-done; err != nil {
			return res.Queues, fmt.Errorf("message store: %v", err)
		}
	}
	return res.Queues, nil
}

func (a *API) publish(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	name := exchangeName(r.PathValue("name"))
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	key, hasKey := body["routing_key"].(string)
	payload, hasPayload := body["payload"].(string)
	if !hasKey || !hasPayload {
		badRequest(w, "key_missing: routing_key and payload are required")
		return
	}
	var data []byte
	switch enc := str(body, "payload_encoding"); enc {
	case "", "string":
		data = []byte(payload)
	case "base64":
		var err error
		if data, err = base64.StdEncoding.DecodeString(payload); err != nil {
			badRequest(w, "payload is not valid base64")
			return
		}
	default:
		badRequest(w, fmt.Sprintf("invalid payload_encoding '%s'", enc))
		return
	}
	pm, _ := body["properties"].(map[string]any)
	props, err := propsFromJSON(pm)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	// From here on RabbitMQ publishes on an internal AMQP channel, whose
	// errors come back as 400 "CODE NAME - text", in basic.publish's order:
	// write permission, the exchange, internal, the topic permission.
	if !a.perms.Check(p.user.Name, vhost, auth.Write, permName(name)) {
		channelError(w, broker.CodeAccessRefused, fmt.Sprintf("access to exchange '%s' in vhost '%s' refused for user '%s'",
			permName(name), vhost, p.user.Name))
		return
	}
	e := v.Exchange(name)
	if e == nil {
		channelError(w, broker.CodeNotFound, fmt.Sprintf("no exchange '%s' in vhost '%s'", permName(name), vhost))
		return
	}
	if e.Internal() {
		channelError(w, broker.CodeAccessRefused, fmt.Sprintf("cannot publish to internal exchange '%s' in vhost '%s'", name, vhost))
		return
	}
	if e.Type() == broker.TypeTopic && !a.perms.CheckTopic(p.user.Name, vhost, name, auth.Write, key) {
		channelError(w, broker.CodeAccessRefused, fmt.Sprintf("access to topic '%s' in exchange '%s' in vhost '%s' refused for user '%s'",
			key, name, vhost, p.user.Name))
		return
	}
	if props.Has(wire.FlagUserID) && props.UserID != p.user.Name && !p.user.HasTag("impersonator") {
		channelError(w, broker.CodePreconditionFailed, fmt.Sprintf("user_id property set to '%s' but authenticated user was '%s'", props.UserID, p.user.Name))
		return
	}
	m, err := newMessage(name, key, props, data)
	if err != nil {
		channelError(w, broker.CodePreconditionFailed, err.Error())
		return
	}
	n, err := publishAndSync(v, m)
	if err != nil {
		brokerChannelError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"routed": n > 0})
}

// getMessages is POST /api/queues/{vhost}/{name}/get: take up to count
// messages, then settle them all per ackmode (so requeueing ones are not
// fetched twice), as RabbitMQ's basic.get loop does.
func (a *API) getMessages(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	count, err := intField(body, "count", -1)
	if err != nil || count < 0 {
		badRequest(w, "count must be a non-negative integer")
		return
	}
	ackmode := str(body, "ackmode")
	if ackmode == "" {
		if rq, err := boolField(body, "requeue"); err == nil && body["requeue"] != nil {
			ackmode = map[bool]string{true: "ack_requeue_true", false: "ack_requeue_false"}[rq]
		}
	}
	switch ackmode {
	case "ack_requeue_true", "ack_requeue_false", "reject_requeue_true", "reject_requeue_false":
	default:
		badRequest(w, fmt.Sprintf("Invalid ackmode '%s'", ackmode))
		return
	}
	enc := str(body, "encoding")
	if enc != "" && enc != "auto" && enc != "base64" {
		badRequest(w, "Unsupported encoding. Please use auto or base64.")
		return
	}
	truncate, err := intField(body, "truncate", -1)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	name := r.PathValue("name")
	q, err := v.QueueFor(name, nil)
	if err != nil {
		brokerError(w, err)
		return
	}
	if !a.checkResource(w, p, vhost, auth.Read, "queue", name) {
		return
	}
	if q.IsStream() { // RabbitMQ's answer, with the AMQP code it wraps
		badRequest(w, fmt.Sprintf("540 basic.get not supported by stream queues queue '%s' in vhost '%s'", name, vhost))
		return
	}
	var ds []broker.Delivery
	out := []map[string]any{}
	for i := int64(0); i < count; i++ {
		d, ok, remaining := q.Get(false)
		if !ok {
			break
		}
		ds = append(ds, d)
		out = append(out, messageJSON(d, remaining, enc, truncate))
	}
	switch ackmode {
	case "ack_requeue_true", "reject_requeue_true":
		q.Requeue(ds...)
	case "ack_requeue_false":
		q.Ack(ds...)
	default:
		q.Reject(ds...)
	}
	writeJSON(w, http.StatusOK, out)
}

func messageJSON(d broker.Delivery, remaining int, enc string, truncate int64) map[string]any {
	body := d.Msg.Body
	if truncate >= 0 && int64(len(body)) > truncate {
		body = body[:truncate]
	}
	payload, penc := string(body), "string"
	if enc == "base64" || !utf8.Valid(body) {
		payload, penc = base64.StdEncoding.EncodeToString(body), "base64"
	}
	// A message without properties has "properties": [], not {}: RabbitMQ
	// renders the empty property list as Erlang's empty list.
	var props any = propsJSON(d.Msg.Props)
	if len(props.(map[string]any)) == 0 {
		props = []any{}
	}
	return map[string]any{
		"payload_bytes": len(d.Msg.Body), "redelivered": d.Redelivered, "exchange": d.Msg.Exchange,
		"routing_key": d.Msg.RoutingKey, "message_count": remaining, "properties": props,
		"payload": payload, "payload_encoding": penc,
	}
}

func (a *API) purgeQueue(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	name := r.PathValue("name")
	q, err := v.QueueFor(name, nil)
	if err != nil {
		brokerError(w, err)
		return
	}
	if !a.checkResource(w, p, vhost, auth.Read, "queue", name) {
		return
	}
	if q.IsStream() {
		badRequest(w, fmt.Sprintf("queue.purge not supported by stream queues queue '%s' in vhost '%s'", name, vhost))
		return
	}
	q.Purge()
	noContent(w)
}

// aliveness declares the queue aliveness-test, publishes to it and gets
// the message back, as RabbitMQ's aliveness test does.
func (a *API) aliveness(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	fail := func(reason string) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "reason": reason})
	}
	q, _, err := v.DeclareQueue(broker.QueueSpec{Name: "aliveness-test"})
	if err != nil {
		fail(err.Error())
		return
	}
	m, _ := newMessage("", q.Name(), wire.Properties{}, []byte("test_message"))
	if _, err := publishAndSync(v, m); err != nil {
		fail(err.Error())
		return
	}
	d, ok, _ := q.Get(true)
	if !ok || string(d.Msg.Body) != "test_message" {
		fail("aliveness test message not received")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}
