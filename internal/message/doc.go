// Package message defines the broker's protocol-neutral message: what a
// publisher handed over (exchange, routing key, properties, body) plus the few
// property values the broker itself acts on.
//
// Properties are kept in their encoded AMQP 0-9-1 basic-properties form
// (flags followed by the property list), as LavinMQ does: AMQP 0-9-1 is the
// broker's canonical format, so the common path forwards the exact bytes a
// publisher sent without re-encoding them, and other protocol adapters convert
// to and from that form at their edge.
//
// A Message is immutable once published: every queue it is routed to shares
// the same value (and so the same body slice), never a copy.
package message
