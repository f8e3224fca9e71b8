package broker

import (
	"sync"
	"sync/atomic"
	"time"

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
	typ        string // x-queue-type; TypeClassic when absent

	cfg queueConfig // arguments + policies; guarded by mu
	// Mirrors of cfg fields that adapters read without the lock.
	deliveryLimit, consumerTO atomic.Int64

	mu          sync.Mutex
	log         *store.Log    // the queue's message log; opened on first use
	logErr      error         // a failure opening or writing the log
	levels      []messageList // one per priority level, highest last
	unacked     int           // delivered, awaiting ack
	consumers   []*Consumer   // sorted by priority, highest first; stable
	rr          int           // round-robin cursor into consumers
	hadConsumer bool          // auto-delete applies only after a first consumer
	exclusiveC  bool          // a consumer holds basic.consume exclusive
	deleted     bool
	expiries    expiryHeap // per-message TTLs that may fire behind the head
	timer       *time.Timer
	timerAt     int64        // unix ms the timer is set for; 0 none
	lastUsed    int64        // unix ms of the last use, for x-expires
	dead        []deadLetter // collected under mu, published after unlock
	stream      *streamState // non-nil for x-queue-type=stream (stream.go)

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
	return q.readyLenLocked(), q.unacked, len(q.consumers)
}

// ReadyBytes returns the body bytes of ready messages.
func (q *Queue) ReadyBytes() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.readyBytesLocked()
}

// readyLenLocked is the number of ready messages; for a stream, the
// number it retains.
func (q *Queue) readyLenLocked() int {
	if q.stream != nil {
		return len(q.stream.idx)
	}
	n := 0
	for i := range q.levels {
		n += q.levels[i].Len()
	}
	return n
}

func (q *Queue) readyBytesLocked() int64 {
	if q.stream != nil {
		return q.stream.bytes
	}
	var n int64
	for i := range q.levels {
		n += q.levels[i].Bytes()
	}
	return n
}

// accessibleBy reports whether owner may use the queue.
func (q *Queue) accessibleBy(owner any) bool {
	return !q.exclusive || q.owner == owner
}

// level returns the list for a message priority (RabbitMQ caps priorities
// above the queue's maximum to the maximum).
func (q *Queue) level(prio uint8) int {
	if int(prio) >= len(q.levels) {
		return len(q.levels) - 1
	}
	return int(prio)
}

func nowMs(b *Broker) int64 { return b.now().UnixMilli() }

// lazyNow reads the clock at most once, and only if asked: most messages
// have no TTL, and on some machines reading the clock costs more than
// dispatching a message.
type lazyNow struct {
	b *Broker
	v int64
}

func (n *lazyNow) get() int64 {
	if n.v == 0 {
		n.v = nowMs(n.b)
	}
	return n.v
}

// expiryOf is when a message published now stops being deliverable: the
// lower of the queue's and the message's TTL, as in RabbitMQ.
func (q *Queue) expiryOf(m *message.Message, enqueued int64) int64 {
	ttl := q.cfg.messageTTL
	if m.Expiration >= 0 && (ttl < 0 || m.Expiration < ttl) {
		ttl = m.Expiration
	}
	if ttl < 0 {
		return 0
	}
	return enqueued + ttl
}

// PublishStatus says what a queue did with a published message.
type PublishStatus int

const (
	Queued   PublishStatus = iota // enqueued (or delivered)
	Gone                          // the queue was deleted meanwhile
	Rejected                      // refused by x-overflow reject-publish
)

// Publish enqueues a message. A non-nil log means the message was written
// for durability and is safe only once that log has synced (the caller
// confirms after Log.SyncAsync). An error means the store failed; the
// message is not queued.
func (q *Queue) Publish(m *message.Message) (st PublishStatus, log *store.Log, err error) {
	q.mu.Lock()
	st, log, err = q.publishLocked(m)
	dead := q.takeDeadLocked()
	q.mu.Unlock()
	q.vhost.deadLetter(dead)
	return st, log, err
}

func (q *Queue) publishLocked(m *message.Message) (PublishStatus, *store.Log, error) {
	if q.deleted {
		return Gone, nil, nil
	}
	if q.stream != nil {
		return q.streamPublishLocked(m)
	}
	b := q.vhost.broker
	now := &lazyNow{b: b}
	if q.cfg.overflow != OverflowDropHead && q.wouldOverflowLocked(m) {
		if q.cfg.overflow == OverflowRejectPublishDLX {
			q.deadLocked(m, reasonMaxLen)
		}
		return Rejected, nil, nil
	}
	expires := int64(0)
	if q.cfg.messageTTL >= 0 || m.Expiration >= 0 {
		expires = q.expiryOf(m, now.get())
	}
	if expires != 0 && expires <= now.get() && len(q.consumers) == 0 {
		// TTL 0 with nobody to take it: RabbitMQ expires it at once.
		q.Stats.Published.Add(1)
		q.deadLocked(m, reasonExpired)
		return Queued, nil, nil
	}
	l := &q.levels[q.level(m.Priority)]
	durable := m.Persistent() && q.durable && b.store != nil
	cold := b.store != nil && (l.ColdLen() > 0 || !b.hotAllowed(l, memCharge(m)))
	var pos store.Pos
	stored := false
	if durable || cold {
		var err error
		if pos, err = q.appendLocked(m, now.get()); err != nil {
			return Gone, nil, err
		}
		stored = true
	}
	l.nextSeq++
	seq := l.nextSeq
	if cold {
		l.pushCold(seq, coldEntry{pos: pos, meta: uint32(len(m.Body)) & coldSizeMask})
	} else {
		l.pushHot(entry{seq: seq, msg: m, pos: pos, stored: stored, expires: expires})
		b.hotBytes.Add(memCharge(m))
	}
	if expires != 0 && (m.Expiration >= 0 || cold) {
		// Per-message TTLs can fall due behind the head; so can anything
		// cold, whose expiry is not in memory otherwise.
		q.expiries.push(expiry{at: expires, seq: seq, level: uint8(q.level(m.Priority))})
	}
	q.Stats.Published.Add(1)
	if len(q.consumers) > 0 {
		q.dispatchLocked()
	}
	q.enforceLimitsLocked()
	if expires != 0 {
		q.scheduleLocked(expires)
	}
	if durable {
		return Queued, q.log, nil
	}
	return Queued, nil, nil
}

// Delivery is a message handed to a consumer or fetched by basic.get. The
// adapter keeps it until the message is settled with Ack, Requeue or Reject.
type Delivery struct {
	Queue       *Queue
	Msg         *message.Message
	Seq         uint64
	Redelivered bool
	// Deliveries is how many times the message was delivered before this
	// one (RabbitMQ's x-delivery-count, for queues with a delivery limit).
	Deliveries uint32
	pos        store.Pos
	stored     bool
	level      uint8
	expires    int64
}

func (e *entry) delivery(q *Queue, level int) Delivery {
	return Delivery{Queue: q, Msg: e.msg, Seq: e.seq, Redelivered: e.redelivered, Deliveries: e.deliveries,
		pos: e.pos, stored: e.stored, level: uint8(level), expires: e.expires}
}

// deliveredMark collects the furthest stored position a batch of
// deliveries handed to clients, for one store.Log.MarkDelivered per batch:
// after a clean restart the messages never delivered come back with
// redelivered=false.
type deliveredMark struct {
	pos store.Pos
	set bool
}

func (m *deliveredMark) add(e *entry) {
	if e.stored && (!m.set || m.pos.Before(e.pos)) {
		m.pos, m.set = e.pos, true
	}
}

// flushLocked passes the mark to the queue's log; q.mu is held.
func (m *deliveredMark) flushLocked(q *Queue) {
	if m.set && q.log != nil {
		q.log.MarkDelivered(m.pos)
	}
}

// dispatchLocked hands ready messages to consumers with credit, highest
// consumer priority first and round-robin among equals, until either runs
// out.
func (q *Queue) dispatchLocked() {
	if q.stream != nil {
		q.dispatchStreamLocked()
		return
	}
	now := &lazyNow{b: q.vhost.broker}
	var mark deliveredMark
	defer mark.flushLocked(q)
	for q.readyLenLocked() > 0 {
		// Find the message first: choosing a consumer advances the
		// round-robin cursor.
		e, lvl, ok := q.peekLocked(now)
		if !ok {
			return
		}
		c := q.nextConsumerLocked()
		if c == nil {
			return
		}
		// Mark blocked before offering: a sink that refuses may see credit
		// return on another goroutine before this one could mark it, and
		// that goroutine's Resume must find the flag set.
		c.blocked.Store(true)
		if !c.sink.Deliver(c, e.delivery(q, lvl)) {
			continue
		}
		c.blocked.Store(false)
		mark.add(&e)
		q.takeLocked(lvl, c.noAck)
	}
}

// peekLocked returns the next deliverable message and its level, loading
// it from disk when its body is not in memory and expiring (dead-lettering)
// any that are past their TTL on the way. A message that cannot be read is
// dropped (and logged) so one bad record does not stall the queue.
func (q *Queue) peekLocked(now *lazyNow) (entry, int, bool) {
	for lvl := len(q.levels) - 1; lvl >= 0; lvl-- {
		l := &q.levels[lvl]
		for {
			switch l.next() {
			case 0:
			case 1, 2:
				e := l.peekHot()
				if e.dead {
					l.popHot()
					q.settleStoredLocked(e.stored, e.pos)
					continue
				}
				if e.expires != 0 && e.expires <= now.get() {
					l.popHot()
					q.vhost.broker.hotBytes.Add(-memCharge(e.msg))
					q.settleStoredLocked(e.stored, e.pos)
					q.deadLocked(e.msg, reasonExpired)
					continue
				}
				return e, lvl, true
			case 3:
				if err := q.refillLocked(l); err != nil {
					q.vhost.broker.log.Error("queue message unreadable, dropped", "queue", q.name, "vhost", q.vhost.name, "err", err)
				}
				continue
			}
			break
		}
	}
	return entry{}, 0, false
}

// refillBytes bounds how much one refill loads from disk.
const refillBytes = 1 << 20

// refillLocked moves the oldest cold messages of l into memory, reading
// runs of adjacent records with one system call.
func (q *Queue) refillLocked(l *messageList) error {
	var seqs []uint64
	var cold []coldEntry
	var ps []store.Pos
	var bytes int64
	for l.ColdLen() > 0 && l.n+len(ps) < 256 && bytes < refillBytes {
		seq, c := l.popCold()
		if c.meta&coldDead != 0 {
			q.settleStoredLocked(true, c.pos)
			continue
		}
		seqs, cold, ps = append(seqs, seq), append(cold, c), append(ps, c.pos)
		bytes += int64(c.meta & coldSizeMask)
	}
	if len(ps) == 0 {
		return nil
	}
	recs, err := q.log.ReadRun(ps)
	for i := range recs {
		m := messageFromRecord(&recs[i])
		c := cold[i]
		l.pushHot(entry{seq: seqs[i], msg: m, pos: c.pos, stored: true, redelivered: c.meta&coldRedelivered != 0,
			expires: q.expiryOf(m, recs[i].Timestamp)})
		q.vhost.broker.hotBytes.Add(memCharge(m))
	}
	if err != nil {
		// The record that failed is dropped (its position released) so
		// one bad record cannot stall the queue; the ones after it are
		// read one by one.
		q.settleStoredLocked(true, ps[len(recs)])
		for i := len(recs) + 1; i < len(ps); i++ {
			rec, rerr := q.log.Read(ps[i])
			if rerr != nil {
				q.settleStoredLocked(true, ps[i])
				continue
			}
			m := messageFromRecord(&rec)
			c := cold[i]
			l.pushHot(entry{seq: seqs[i], msg: m, pos: c.pos, stored: true, redelivered: c.meta&coldRedelivered != 0,
				expires: q.expiryOf(m, rec.Timestamp)})
			q.vhost.broker.hotBytes.Add(memCharge(m))
		}
		return err
	}
	return nil
}

// takeLocked removes the message peekLocked returned, now delivered.
func (q *Queue) takeLocked(lvl int, noAck bool) entry {
	e := q.levels[lvl].popHot()
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

// Get removes the next ready message for basic.get. With noAck false the
// message counts as unacknowledged until settled. remaining is the number
// of ready messages left.
func (q *Queue) Get(noAck bool) (d Delivery, ok bool, remaining int) {
	q.mu.Lock()
	q.touchLocked()
	if q.stream != nil { // streams refuse basic.get (the adapters say so)
		q.mu.Unlock()
		return Delivery{}, false, 0
	}
	e, lvl, ok := q.peekLocked(&lazyNow{b: q.vhost.broker})
	if ok {
		e = q.takeLocked(lvl, noAck)
		d = e.delivery(q, lvl)
		var mark deliveredMark
		mark.add(&e)
		mark.flushLocked(q)
		remaining = q.readyLenLocked()
	}
	dead := q.takeDeadLocked()
	q.mu.Unlock()
	q.vhost.deadLetter(dead)
	return d, ok, remaining
}

// Ack settles delivered messages as consumed.
func (q *Queue) Ack(ds ...Delivery) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	if q.stream != nil { // an ack only returns credit (the adapter's)
		q.Stats.Acked.Add(uint64(len(ds)))
		return
	}
	for _, d := range ds {
		q.settleStoredLocked(d.stored, d.pos)
	}
	q.unacked -= len(ds)
	q.Stats.Acked.Add(uint64(len(ds)))
}

// Reject settles delivered messages as not consumed and not to be
// requeued: they are dead-lettered (reason "rejected") when the queue has
// a dead-letter exchange, else dropped.
func (q *Queue) Reject(ds ...Delivery) {
	q.mu.Lock()
	if q.deleted || q.stream != nil { // a stream keeps every message
		q.mu.Unlock()
		return
	}
	for _, d := range ds {
		q.settleStoredLocked(d.stored, d.pos)
		q.deadLocked(d.Msg, reasonRejected)
	}
	q.unacked -= len(ds)
	dead := q.takeDeadLocked()
	q.mu.Unlock()
	q.vhost.deadLetter(dead)
}

// Requeue returns delivered messages to their original positions, marked
// redelivered, and dispatches them again. With x-delivery-limit, a message
// delivered more often than the limit is dead-lettered instead (reason
// "delivery_limit").
func (q *Queue) Requeue(ds ...Delivery) {
	q.mu.Lock()
	if q.deleted || q.stream != nil { // nothing to put back: consumers move on
		q.mu.Unlock()
		return
	}
	b := q.vhost.broker
	for _, d := range ds {
		q.unacked--
		n := d.Deliveries + 1
		if q.cfg.deliveryLimit >= 0 && int64(n) > q.cfg.deliveryLimit {
			q.settleStoredLocked(d.stored, d.pos)
			q.deadLocked(d.Msg, reasonDeliveryLimit)
			continue
		}
		q.levels[q.level(d.level)].requeue(entry{seq: d.Seq, msg: d.Msg, pos: d.pos, stored: d.stored,
			redelivered: true, deliveries: n, expires: d.expires})
		b.hotBytes.Add(memCharge(d.Msg))
	}
	q.dispatchLocked()
	dead := q.takeDeadLocked()
	q.mu.Unlock()
	q.vhost.deadLetter(dead)
}

// Purge drops every ready message; unacknowledged ones are unaffected, as
// in RabbitMQ.
func (q *Queue) Purge() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.purgeLocked()
}

func (q *Queue) purgeLocked() int {
	if q.stream != nil {
		return 0 // streams refuse queue.purge; deletion removes the log
	}
	b := q.vhost.broker
	n := 0
	for i := range q.levels {
		n += q.levels[i].purge(func(e entry) {
			if !e.dead {
				b.hotBytes.Add(-memCharge(e.msg))
			}
			q.settleStoredLocked(e.stored, e.pos)
		}, func(c coldEntry) {
			q.settleStoredLocked(true, c.pos)
		})
	}
	q.expiries = q.expiries[:0]
	return n
}
