package broker

import (
	"sync"
	"sync/atomic"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
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
	log         *store.Log // the queue's message log; opened on first use
	logErr      error      // a failure opening or writing the log
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

// Delivery is a message handed to a consumer or fetched by basic.get. The
// adapter keeps it until the message is settled with Ack, Requeue or Reject.
type Delivery struct {
	Queue       *Queue
	Msg         *message.Message
	Seq         uint64
	Redelivered bool
	pos         store.Pos
	stored      bool
}

func (e *entry) delivery(q *Queue) Delivery {
	return Delivery{Queue: q, Msg: e.msg, Seq: e.seq, Redelivered: e.redelivered, pos: e.pos, stored: e.stored}
}

// Publish enqueues a message. A non-nil log means the message was written
// for durability and is safe only once that log has synced (the caller
// confirms after Log.SyncAsync). ok is false if the queue was deleted
// meanwhile. An error means the store failed; the message is not queued.
func (q *Queue) Publish(m *message.Message) (ok bool, log *store.Log, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return false, nil, nil
	}
	durable := m.Persistent() && q.durable && q.vhost.broker.store != nil
	cold := q.vhost.broker.store != nil && (q.ready.ColdLen() > 0 || !q.vhost.broker.hotAllowed(&q.ready, memCharge(m)))
	var pos store.Pos
	stored := false
	if durable || cold {
		if pos, err = q.appendLocked(m); err != nil {
			return false, nil, err
		}
		stored = true
	}
	q.nextSeq++
	if cold {
		q.ready.pushCold(q.nextSeq, coldEntry{pos: pos, meta: uint32(len(m.Body)) & coldSizeMask})
	} else {
		q.ready.pushHot(entry{seq: q.nextSeq, msg: m, pos: pos, stored: stored})
		q.vhost.broker.hotBytes.Add(memCharge(m))
	}
	q.Stats.Published.Add(1)
	if len(q.consumers) > 0 {
		q.dispatchLocked()
	}
	if durable {
		return true, q.log, nil
	}
	return true, nil, nil
}

// dispatchLocked hands ready messages to consumers with credit, in
// round-robin order, until either runs out.
func (q *Queue) dispatchLocked() {
	for q.ready.Len() > 0 {
		c := q.nextConsumerLocked()
		if c == nil {
			return
		}
		e, ok := q.peekLocked()
		if !ok {
			return
		}
		// Mark blocked before offering: a sink that refuses may see credit
		// return on another goroutine before this one could mark it, and
		// that goroutine's Resume must find the flag set.
		c.blocked.Store(true)
		if !c.sink.Deliver(c, e.delivery(q)) {
			continue
		}
		c.blocked.Store(false)
		q.takeLocked(c.noAck)
	}
}

// peekLocked returns the next ready message, loading it from disk when
// its body is not in memory. A message that cannot be read is dropped
// (and logged) so one bad record does not stall the queue.
func (q *Queue) peekLocked() (entry, bool) {
	for {
		switch q.ready.next() {
		case 0:
			return entry{}, false
		case 1, 2:
			return q.ready.peekHot(), true
		case 3:
			if err := q.refillLocked(); err != nil {
				q.vhost.broker.log.Error("queue message unreadable, dropped", "queue", q.name, "vhost", q.vhost.name, "err", err)
			}
		}
	}
}

// refillBytes bounds how much one refill loads from disk.
const refillBytes = 1 << 20

// refillLocked moves the oldest cold messages into memory.
func (q *Queue) refillLocked() error {
	var loaded int64
	for q.ready.ColdLen() > 0 && q.ready.n < 256 && loaded < refillBytes {
		seq, c := q.ready.popCold()
		rec, err := q.log.Read(c.pos)
		if err != nil {
			_ = q.log.Ack(c.pos)
			return err
		}
		m := messageFromRecord(&rec)
		e := entry{seq: seq, msg: m, pos: c.pos, stored: true, redelivered: c.meta&coldRedelivered != 0}
		q.ready.pushHot(e)
		q.vhost.broker.hotBytes.Add(memCharge(m))
		loaded += int64(len(m.Body))
	}
	return nil
}

// takeLocked removes the message peekLocked returned, now delivered.
func (q *Queue) takeLocked(noAck bool) entry {
	e := q.ready.popHot()
	q.vhost.broker.hotBytes.Add(-memCharge(e.msg))
	if noAck {
		q.settleStoredLocked(e.stored, e.pos)
	} else {
		q.unacked++
	}
	q.Stats.Delivered.Add(1)
	if e.redelivered {
		q.Stats.Redelivered.Add(1)
	}
	return e
}

// settleStoredLocked tells the log a stored message is gone for good.
func (q *Queue) settleStoredLocked(stored bool, pos store.Pos) {
	if stored && q.log != nil {
		if err := q.log.Ack(pos); err != nil {
			q.vhost.broker.log.Warn("recording ack failed", "queue", q.name, "err", err)
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
	if _, ok := q.peekLocked(); !ok {
		return Delivery{}, false, 0
	}
	e := q.takeLocked(noAck)
	return e.delivery(q), true, q.ready.Len()
}

// Ack settles delivered messages as consumed.
func (q *Queue) Ack(ds ...Delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	for _, d := range ds {
		q.settleStoredLocked(d.stored, d.pos)
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
	for _, d := range ds {
		q.settleStoredLocked(d.stored, d.pos)
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
		q.ready.requeue(entry{seq: d.Seq, msg: d.Msg, pos: d.pos, stored: d.stored, redelivered: true})
		q.vhost.broker.hotBytes.Add(memCharge(d.Msg))
	}
	q.dispatchLocked()
}

// Purge drops every ready message; unacknowledged ones are unaffected, as
// in RabbitMQ.
func (q *Queue) Purge() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.purgeLocked()
}

func (q *Queue) purgeLocked() int {
	b := q.vhost.broker
	return q.ready.purge(func(e entry) {
		b.hotBytes.Add(-memCharge(e.msg))
		q.settleStoredLocked(e.stored, e.pos)
	}, func(c coldEntry) {
		q.settleStoredLocked(true, c.pos)
	})
}
