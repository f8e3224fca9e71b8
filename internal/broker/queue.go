package broker

import (
	"sync"
	"sync/atomic"

	"github.com/warrenmq/warren/internal/message"
)

// QueueSpec is a queue.declare request.
type QueueSpec struct {
	Name       string
	Durable    bool
	Exclusive  bool
	AutoDelete bool
	Args       Table
	// Owner identifies the declaring connection; an exclusive queue is
	// usable only by its owner and deleted with it.
	Owner any
}

// Queue holds messages until consumers take them. Identity fields are
// immutable; the rest is guarded by mu.
type Queue struct {
	vhost      *VHost
	name       string
	durable    bool
	exclusive  bool
	autoDelete bool
	args       Table
	owner      any

	mu          sync.Mutex
	ready       messageList
	unacked     int // delivered, awaiting ack
	consumers   []*Consumer
	rr          int // round-robin cursor into consumers
	nextSeq     uint64
	hadConsumer bool // auto-delete applies only after a first consumer
	exclusiveC  bool // a consumer holds basic.consume exclusive
	deleted     bool

	Stats QueueStats
}

// QueueStats are cumulative counters, read without the queue lock.
type QueueStats struct {
	Published   atomic.Uint64
	Delivered   atomic.Uint64
	Acked       atomic.Uint64
	Redelivered atomic.Uint64
}

// Name returns the queue name.
func (q *Queue) Name() string { return q.name }

// DestName implements Destination.
func (q *Queue) DestName() string { return q.name }

// VHost returns the queue's vhost.
func (q *Queue) VHost() *VHost { return q.vhost }

// Durable, Exclusive and AutoDelete report the declare flags.
func (q *Queue) Durable() bool    { return q.durable }
func (q *Queue) Exclusive() bool  { return q.exclusive }
func (q *Queue) AutoDelete() bool { return q.autoDelete }

// Args returns the declare arguments; callers must not modify them.
func (q *Queue) Args() Table { return q.args }

// Owner returns the exclusive owner (nil for shared queues).
func (q *Queue) Owner() any { return q.owner }

// Counts returns ready messages, unacknowledged messages and consumers.
func (q *Queue) Counts() (ready, unacked, consumers int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ready.Len(), q.unacked, len(q.consumers)
}

// ReadyBytes returns the body bytes of ready messages.
func (q *Queue) ReadyBytes() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ready.Bytes()
}

// accessibleBy reports whether owner may use the queue.
func (q *Queue) accessibleBy(owner any) bool {
	return !q.exclusive || q.owner == owner
}

// Publish enqueues a message; false means the queue was deleted meanwhile.
func (q *Queue) Publish(m *message.Message) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return false
	}
	q.nextSeq++
	q.ready.push(entry{seq: q.nextSeq, msg: m})
	q.Stats.Published.Add(1)
	if len(q.consumers) > 0 {
		q.dispatchLocked()
	}
	return true
}

// Delivery is a message handed to a consumer or fetched by basic.get. The
// adapter keeps it until the message is settled with Ack, Requeue or Reject.
type Delivery struct {
	Queue       *Queue
	Msg         *message.Message
	Seq         uint64
	Redelivered bool
}

// dispatchLocked hands ready messages to consumers with credit, in
// round-robin order, until either runs out.
func (q *Queue) dispatchLocked() {
	for q.ready.Len() > 0 {
		c := q.nextConsumerLocked()
		if c == nil {
			return
		}
		e := q.ready.peek()
		d := Delivery{Queue: q, Msg: e.msg, Seq: e.seq, Redelivered: e.redelivered}
		// Mark blocked before offering: a sink that refuses may see credit
		// return on another goroutine before this one could mark it, and
		// that goroutine's Resume must find the flag set.
		c.blocked.Store(true)
		if !c.sink.Deliver(c, d) {
			continue
		}
		c.blocked.Store(false)
		q.ready.pop()
		if !c.noAck {
			q.unacked++
		}
		q.Stats.Delivered.Add(1)
		if e.redelivered {
			q.Stats.Redelivered.Add(1)
		}
	}
}

// nextConsumerLocked returns the next unblocked consumer after the
// round-robin cursor, or nil when all are blocked.
func (q *Queue) nextConsumerLocked() *Consumer {
	n := len(q.consumers)
	for i := 0; i < n; i++ {
		idx := (q.rr + i) % n
		c := q.consumers[idx]
		if !c.blocked.Load() {
			q.rr = (idx + 1) % n
			return c
		}
	}
	return nil
}

// Get removes the next ready message for basic.get. With noAck false the
// message counts as unacknowledged until settled. remaining is the number
// of ready messages left.
func (q *Queue) Get(noAck bool) (d Delivery, ok bool, remaining int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, ok := q.ready.pop()
	if !ok {
		return Delivery{}, false, 0
	}
	if !noAck {
		q.unacked++
	}
	q.Stats.Delivered.Add(1)
	if e.redelivered {
		q.Stats.Redelivered.Add(1)
	}
	return Delivery{Queue: q, Msg: e.msg, Seq: e.seq, Redelivered: e.redelivered}, true, q.ready.Len()
}

// Ack settles delivered messages as consumed.
func (q *Queue) Ack(ds ...Delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	q.unacked -= len(ds)
	q.Stats.Acked.Add(uint64(len(ds)))
}

// Reject settles delivered messages as not consumed and not to be
// requeued: they are dropped (dead-lettering arrives with the DLX feature).
func (q *Queue) Reject(ds ...Delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	q.unacked -= len(ds)
}

// Requeue returns delivered messages to their original positions, marked
// redelivered, and dispatches them again.
func (q *Queue) Requeue(ds ...Delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	for _, d := range ds {
		q.unacked--
		q.ready.requeue(entry{seq: d.Seq, msg: d.Msg, redelivered: true})
	}
	q.dispatchLocked()
}

// Purge drops every ready message; unacknowledged ones are unaffected, as
// in RabbitMQ.
func (q *Queue) Purge() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ready.purge()
}
