// Package amqp091 is the AMQP 0-9-1 protocol adapter: it runs one client
// connection over a net.Conn, turning frames into calls on the broker core
// and broker events into frames, with RabbitMQ's semantics.
//
// Goroutines. Each connection has exactly two: the reader, which runs
// ServeConn and processes every inbound frame in order (so one channel's
// methods are handled sequentially, as the protocol requires), and the
// writer, which drains the connection's outbound buffer to the socket.
// Queues deliver by appending frames to that buffer from whichever
// goroutine dispatched the message; the writer flushes whenever the buffer
// is non-empty, so frames written while a flush is in flight are batched
// into the next write.
//
// Locks, in order: broker locks (VHost.mu → Queue.mu) → channel.dmu (a
// channel's delivery state: tags, unacked list, consumers) → outbound.mu.
// The reader never holds channel.dmu while calling into a queue.
package amqp091
