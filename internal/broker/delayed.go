package broker

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// Delayed messages (the x-delayed-message exchange type, as RabbitMQ's
// rabbitmq_delayed_message_exchange plugin defines it).
//
// A message published with a positive x-delay header (milliseconds, at
// most 2^32-1 as in the plugin) to such an exchange is kept back; when the
// delay is over it is routed as the exchange's x-delayed-type routes, with
// x-delay replaced by its negation (as the plugin does, so consumers can
// tell, and so it is never delayed twice). Other messages route at once.
//
// Scale: the plugin keeps delayed messages in a Mnesia table and slows
// down with hundreds of thousands of them. Here each delayed exchange has a
// delayQueue: the messages are appended to a log of the message store (one
// log per exchange) and memory holds only a binary min-heap of 24-byte
// entries, (due time, position in the log, sequence number), so a million
// pending messages cost 24 MB of index and nothing else. One timer per
// exchange (time.AfterFunc, armed for the earliest entry) delivers due
// messages in due order, reading each back from the log; there is no
// goroutine per message and none at all while nothing is due. Without a
// store (an in-memory broker) the messages themselves are kept, in slots
// the entries point to.
//
// Durability: the log of a durable exchange survives restarts. A record's
// Timestamp field holds the message's due time (unix milliseconds) rather
// than its arrival, Expiration its per-message TTL as for queue logs, and
// Exchange the exchange it was published to (which consumers see); the
// delaying exchange is the log itself. RecoverDelayed rebuilds the heaps at
// startup. A record is acknowledged in the log only once the message is
// on its queues (and, for queues that persist it, synced there), so a crash
// in between delivers it again rather than losing it.
//
// Differences from the plugin, on purpose: a delayed message counts as
// routed when it is published (the plugin returns it to a mandatory
// publisher at once, and sends it to the exchange's alternate exchange as
// unroutable, then delivers it later as well); routing, mandatory's
// return excepted, happens when it is due. Messages wait for the exchange
// that took them: if that exchange is deleted, they are dropped when due.

// maxDelay is the plugin's limit (Erlang's maximum timer); a larger delay,
// like a non-positive one, means no delay.
const maxDelay = 1<<32 - 1

// delayOf reads the x-delay header the way the plugin does: any integer
// type, a float (truncated) or a decimal string. ok is false when the
// message is not to be delayed.
func delayOf(h map[string]any) (int64, bool) {
	v, ok := h["x-delay"]
	if !ok {
		return 0, false
	}
	var d int64
	switch n := v.(type) {
	case int8, int16, int32, int64, uint8, uint16, uint32:
		d, _ = toInt64(n)
	case float32:
		d = truncFloat(float64(n))
	case float64:
		d = truncFloat(n)
	case string:
		var err error
		if d, err = strconv.ParseInt(n, 10, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return d, d > 0 && d <= maxDelay
}

func truncFloat(f float64) int64 {
	if f != f || f > maxDelay+1 || f < -maxDelay-1 {
		return 0 // NaN or out of range: no delay
	}
	return int64(f)
}

// delayEntry is one waiting message in a delayQueue's heap: 24 bytes.
type delayEntry struct {
	due int64     // unix milliseconds
	pos store.Pos // the record in the log; without a store, Off is the slot
	seq uint32    // arrival order among equal due times (wraps)
}

func (a *delayEntry) before(b *delayEntry) bool {
	if a.due != b.due {
		return a.due < b.due
	}
	return int32(a.seq-b.seq) < 0
}

// delayQueue holds one x-delayed-message exchange's waiting messages.
type delayQueue struct {
	e   *Exchange
	log *store.Log // nil: messages are kept in mem

	mu      sync.Mutex
	heap    []delayEntry
	mem     []*message.Message // without a store: slot → message
	free    []uint32           // free slots of mem
	seq     uint32
	armed   int64 // due time the timer is set for; 0 when not set
	timer   *time.Timer
	stopped bool // the store closed the log: nothing more happens

	fireMu sync.Mutex // one delivery round at a time, so due order holds
	router *Router    // guarded by fireMu
	batch  []delayEntry
	msgs   []*message.Message
}

// delayBatch bounds how many due messages one round takes at once.
const delayBatch = 256

// DelayAt keeps m in delayed-message exchange e until its x-delay is over.
// A non-nil log must sync before m may be confirmed (a persistent message
// on a durable exchange). Publish calls it for each exchange in
// Router.Delayed.
func (v *VHost) DelayAt(e *Exchange, m *message.Message) (*store.Log, error) {
	delay, ok := delayOf(m.Headers)
	if !ok {
		delay = 0
	}
	dq, err := e.delayQueue(false)
	if err != nil {
		return nil, err
	}
	return dq.add(m, v.broker.now().UnixMilli()+delay)
}

// delayQueue returns e's delay queue, creating it on first use. Outside
// recovery a new queue starts from an empty log: anything in a log of the
// same name belongs to an earlier exchange of that name, deleted since.
func (e *Exchange) delayQueue(recovering bool) (*delayQueue, error) {
	e.delaysOnce.Do(func() {
		dq, err := newDelayQueue(e, recovering)
		if err != nil {
			e.delaysErr = err
			return
		}
		e.delays.Store(dq)
	})
	return e.delays.Load(), e.delaysErr
}

func newDelayQueue(e *Exchange, recovering bool) (*delayQueue, error) {
	dq := &delayQueue{e: e, router: NewRouter()}
	dq.router.noDelay = true
	st := e.vhost.broker.store
	if st == nil {
		return dq, nil
	}
	name := DelayLogName(e.vhost.name, e.name)
	if !recovering {
		if err := st.RemoveLog(name); err != nil {
			return nil, errorf(CodeInternalError, "cannot open delayed message log for exchange '%s' in vhost '%s': %v", e.name, e.vhost.name, err)
		}
	}
	l, err := st.OpenLog(name)
	if err != nil {
		return nil, errorf(CodeInternalError, "cannot open delayed message log for exchange '%s' in vhost '%s': %v", e.name, e.vhost.name, err)
	}
	dq.log = l
	return dq, nil
}

// add queues m, due at due (unix ms).
func (dq *delayQueue) add(m *message.Message, due int64) (*store.Log, error) {
	dq.mu.Lock()
	defer dq.mu.Unlock()
	if dq.stopped {
		return nil, errorf(CodeInternalError, "delayed message store closed for exchange '%s'", dq.e.name)
	}
	en := delayEntry{due: due}
	if dq.log != nil {
		rec := store.Record{Persistent: dq.e.durable, Timestamp: due, Expiration: m.Expiration,
			Exchange: m.Exchange, RoutingKey: m.RoutingKey, Props: m.Props, Body: m.Body}
		pos, err := dq.log.Append(&rec)
		if err != nil {
			return nil, errorf(CodeInternalError, "failed to store delayed message for exchange '%s' in vhost '%s': %v", dq.e.name, dq.e.vhost.name, err)
		}
		en.pos = pos
	} else {
		en.pos.Off = dq.allocSlotLocked(m)
	}
	dq.seq++
	en.seq = dq.seq
	dq.pushLocked(en)
	dq.armLocked()
	if dq.log != nil && m.Persistent() && dq.e.durable {
		return dq.log, nil
	}
	return nil, nil
}

func (dq *delayQueue) allocSlotLocked(m *message.Message) uint32 {
	if n := len(dq.free); n > 0 {
		s := dq.free[n-1]
		dq.free = dq.free[:n-1]
		dq.mem[s] = m
		return s
	}
	dq.mem = append(dq.mem, m)
	return uint32(len(dq.mem) - 1)
}

// Len returns the number of messages waiting.
func (dq *delayQueue) Len() int {
	dq.mu.Lock()
	defer dq.mu.Unlock()
	return len(dq.heap)
}

// DelayedCount returns the number of messages waiting in a delayed-message
// exchange (0 for other types, and before the first delayed message).
func (e *Exchange) DelayedCount() int {
	if dq := e.delays.Load(); dq != nil {
		return dq.Len()
	}
	return 0
}

// armLocked sets the timer for the earliest entry unless it is set for an
// earlier time already.
func (dq *delayQueue) armLocked() {
	if len(dq.heap) == 0 || dq.stopped {
		return
	}
	due := dq.heap[0].due
	if dq.armed != 0 && dq.armed <= due {
		return
	}
	dq.armed = due
	d := time.Duration(due-dq.e.vhost.broker.now().UnixMilli()) * time.Millisecond
	if dq.timer == nil {
		dq.timer = time.AfterFunc(d, dq.fire)
	} else {
		dq.timer.Reset(d)
	}
}

// fire delivers everything due, a batch at a time, in due order.
func (dq *delayQueue) fire() {
	dq.fireMu.Lock()
	defer dq.fireMu.Unlock()
	for dq.popDue() {
		dq.deliver()
	}
}

// popDue moves up to delayBatch due entries (and, without a store, their
// messages) to dq.batch and dq.msgs; it reports whether it found any. When
// nothing more is due it re-arms the timer for the next entry.
func (dq *delayQueue) popDue() bool {
	dq.mu.Lock()
	defer dq.mu.Unlock()
	dq.armed = 0
	clear(dq.msgs)
	dq.batch, dq.msgs = dq.batch[:0], dq.msgs[:0]
	if dq.stopped {
		return false
	}
	now := dq.e.vhost.broker.now().UnixMilli()
	for len(dq.heap) > 0 && dq.heap[0].due <= now && len(dq.batch) < delayBatch {
		en := dq.popLocked()
		dq.batch = append(dq.batch, en)
		if dq.log == nil {
			dq.msgs = append(dq.msgs, dq.mem[en.pos.Off])
			dq.mem[en.pos.Off] = nil
			dq.free = append(dq.free, en.pos.Off)
		}
	}
	if len(dq.heap) == 0 || dq.heap[0].due > now {
		dq.armLocked()
	}
	return len(dq.batch) > 0
}

// deliver routes the batch popDue took from the exchange and enqueues it,
// then acknowledges the records once the queues that persist them have
// synced.
func (dq *delayQueue) deliver() {
	v := dq.e.vhost
	var logs []*store.Log
	for i, en := range dq.batch {
		var m *message.Message
		if dq.log != nil {
			rec, err := dq.log.Read(en.pos)
			if err != nil {
				if errors.Is(err, store.ErrClosed) {
					dq.stop()
					return
				}
				v.broker.log.Error("delayed message unreadable, dropped", "exchange", dq.e.name, "vhost", v.name, "err", err)
				_ = dq.log.Ack(en.pos)
				dq.batch[i].pos.Size = 0 // acked
				continue
			}
			m = dueMessage(&rec, rec.Props, rec.Body)
		} else {
			old := dq.msgs[i]
			m = dueMessage(&store.Record{Exchange: old.Exchange, RoutingKey: old.RoutingKey, Expiration: old.Expiration}, old.Props, old.Body)
		}
		qs, live := v.routeDue(dq.router, dq.e, m)
		if !live {
			continue // the exchange is gone: the message goes with it
		}
		for _, q := range qs {
			_, l, err := q.Publish(m)
			if err != nil {
				v.broker.log.Error("enqueueing delayed message failed", "queue", q.name, "vhost", v.name, "err", err)
				continue
			}
			if l != nil {
				logs = appendLogOnce(logs, l)
			}
		}
	}
	if dq.log == nil {
		return
	}
	dq.ackAfter(logs)
}

// ackAfter acknowledges the batch's records once every log in logs has
// synced (at once when there are none). A failed sync leaves them
// unacknowledged: after a restart they are delivered again.
func (dq *delayQueue) ackAfter(logs []*store.Log) {
	pos := make([]store.Pos, 0, len(dq.batch))
	for _, en := range dq.batch {
		if en.pos.Size != 0 {
			pos = append(pos, en.pos)
		}
	}
	ack := func() {
		for _, p := range pos {
			if err := dq.log.Ack(p); err != nil && !errors.Is(err, store.ErrClosed) {
				dq.e.vhost.broker.log.Warn("recording delayed message delivery failed", "exchange", dq.e.name, "err", err)
			}
		}
	}
	if len(logs) == 0 {
		ack()
		return
	}
	var mu sync.Mutex
	left, failed := len(logs), false
	for _, l := range logs {
		l.SyncAsync(func(err error) {
			mu.Lock()
			left--
			failed = failed || err != nil
			done, ok := left == 0, !failed
			mu.Unlock()
			if done && ok {
				ack()
			}
		})
	}
}

// stop gives up on the queue at shutdown or after its log was closed (the
// store is shutting down, or a new exchange of the same name took the log
// over): its entries are dropped from memory; the records stay where they
// are.
func (dq *delayQueue) stop() {
	dq.mu.Lock()
	dq.stopped = true
	dq.heap = nil
	clear(dq.mem)
	dq.mem, dq.free = nil, nil
	if dq.timer != nil {
		dq.timer.Stop()
	}
	dq.mu.Unlock()
}

func appendLogOnce(logs []*store.Log, l *store.Log) []*store.Log {
	for _, x := range logs {
		if x == l {
			return logs
		}
	}
	return append(logs, l)
}

// routeDue routes a message whose delay is over from its delayed exchange
// e. live is false if e has been deleted meanwhile.
func (v *VHost) routeDue(r *Router, e *Exchange, m *message.Message) (qs []*Queue, live bool) {
	r.reset()
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.exchanges[e.name] != e {
		return nil, false
	}
	v.routeFromLocked(r, e, &routed{key: m.RoutingKey, headers: m.Headers, props: m.Props, cc: senderKeys(m.Headers)})
	return r.queues, true
}
