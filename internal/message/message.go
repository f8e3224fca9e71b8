package message

// Message is one published message. It is shared, read-only, by every queue
// it was routed to; nothing may modify it after Publish.
type Message struct {
	// Exchange and RoutingKey are where the message was published, as
	// delivered to consumers (basic.deliver carries them).
	Exchange   string
	RoutingKey string

	// Props is the encoded AMQP 0-9-1 basic-properties (flags + list).
	Props []byte
	// Body is the message body.
	Body []byte

	// Values decoded from Props that the broker acts on.
	DeliveryMode uint8 // 2 = persistent
	Priority     uint8
	// Expiration is the per-message TTL in milliseconds, or -1 when absent.
	Expiration int64
	// Headers are the decoded application headers (nil when absent), used
	// by the headers exchange and dead-lettering.
	Headers map[string]any
	// UserID is the user-id property, validated against the publisher.
	UserID string
}

// Persistent reports whether the publisher asked for delivery mode 2.
func (m *Message) Persistent() bool { return m.DeliveryMode == 2 }

// Size is the number of bytes the message accounts for in queue byte
// counts (RabbitMQ counts body bytes only).
func (m *Message) Size() int { return len(m.Body) }
