package perf

import (
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// The options parse into amqp091-go's types (the topology is declared
// with it); the data path (internal/perf/amqpc) encodes with Warren's own
// codec. These convert one to the other, once per run.

func wireTable(t amqp.Table) wire.Table {
	if t == nil {
		return nil
	}
	out := make(wire.Table, len(t))
	for k, v := range t {
		out[k] = wireValue(v)
	}
	return out
}

func wireValue(v any) any {
	switch v := v.(type) {
	case amqp.Table:
		return wireTable(v)
	case map[string]any:
		return wireTable(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = wireValue(e)
		}
		return out
	case amqp.Decimal:
		return wire.Decimal{Scale: v.Scale, Value: v.Value}
	}
	return v
}

// wireProperties encodes the message properties template; as amqp091-go
// does, a property is sent when it is not the zero value.
func wireProperties(m amqp.Publishing) []byte {
	var p wire.Properties
	set := func(flag uint16, ok bool) {
		if ok {
			p.Set(flag)
		}
	}
	p.ContentType, p.ContentEncoding = m.ContentType, m.ContentEncoding
	set(wire.FlagContentType, m.ContentType != "")
	set(wire.FlagContentEncoding, m.ContentEncoding != "")
	if len(m.Headers) > 0 {
		p.Headers = wireTable(m.Headers)
		p.Set(wire.FlagHeaders)
	}
	p.DeliveryMode, p.Priority = m.DeliveryMode, m.Priority
	set(wire.FlagDeliveryMode, m.DeliveryMode != 0)
	set(wire.FlagPriority, m.Priority != 0)
	p.CorrelationID, p.ReplyTo, p.Expiration, p.MessageID = m.CorrelationId, m.ReplyTo, m.Expiration, m.MessageId
	set(wire.FlagCorrelationID, m.CorrelationId != "")
	set(wire.FlagReplyTo, m.ReplyTo != "")
	set(wire.FlagExpiration, m.Expiration != "")
	set(wire.FlagMessageID, m.MessageId != "")
	if !m.Timestamp.IsZero() {
		p.Timestamp = uint64(m.Timestamp.Unix())
		p.Set(wire.FlagTimestamp)
	}
	p.Type, p.UserID, p.AppID = m.Type, m.UserId, m.AppId
	set(wire.FlagType, m.Type != "")
	set(wire.FlagUserID, m.UserId != "")
	set(wire.FlagAppID, m.AppId != "")
	return p.Append(nil)
}
