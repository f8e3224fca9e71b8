// Package amqpc is the load tool's own AMQP 0-9-1 client for its data
// path: publishing, consuming, acknowledging and confirming at the rates a
// load generator needs, on the same two cores as the broker it measures.
//
// It exists because a general client spends more CPU per message than a
// fast broker does: amqp091-go writes each publish with its own system
// call, allocates every delivery and hands it through two goroutines. On a
// machine shared with the broker that cost is taken from the broker and
// caps what any broker can be shown to do. This client
//
//   - batches writes: publishes and acks are appended to one buffer per
//     connection, flushed when it fills, when the publisher is about to
//     wait (rate limit, confirm window) and when the reader has no whole
//     frame left to process, i.e. before the connection would block;
//   - handles deliveries, confirms and returns on the connection's reader
//     goroutine through callbacks, without allocating, with the body
//     aliasing the read buffer where it arrived in one frame.
//
// It speaks the protocol as any client does (handshake, tuning,
// heartbeats, channel and connection close in both directions), so it
// works against any AMQP 0-9-1 broker, and the tool still uses amqp091-go
// for the topology and churn, where speed does not matter.
//
// Callbacks run on the reader goroutine and must not call the channel's
// synchronous methods (Qos, QueueDeclare, Consume, Cancel, Close): those
// wait for the reader. Publish, Ack, Nack, TxCommitAsync and Flush are
// fine.
package amqpc
