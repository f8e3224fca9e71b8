// Package broker is Warren's protocol-neutral core: virtual hosts, exchanges,
// bindings, queues and consumers. It knows no frames, channels or delivery
// tags; protocol adapters (AMQP 0-9-1 first) translate their wire operations
// into calls on this package.
//
// Concurrency. Each VHost has one RWMutex guarding its exchange and queue maps
// and every binding table; routing a message takes it for reading only. Each
// Queue has its own mutex guarding its messages and consumers. The lock order
// is VHost.mu → Queue.mu → (adapter locks taken inside Sink callbacks). A Sink
// callback runs with the queue lock held and therefore must never block or
// call back into a queue; adapters queue the work and return.
//
// Delivery is pull-by-credit: a queue hands messages to its consumers in
// round-robin order for as long as their Sink accepts them; a Sink that is
// out of credit (prefetch reached, outbound buffer full) refuses, the queue
// marks that consumer blocked and keeps the message, and the adapter calls
// Queue.Resume when credit returns. Delivery work happens on the goroutine
// that caused it (a publisher, an ack, a resume), so an idle queue costs no
// goroutine.
//
// Storage. Queued messages live behind the small messageList seam in
// queue_list.go; the durable store replaces the in-memory list without
// changing the queue's logic.
package broker
