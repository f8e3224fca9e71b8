package broker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// Memory budgets for message bodies held in memory. Beyond them, queued
// messages live only on disk and are read back when delivered, so memory
// stays flat however deep the queues grow.
//
// The budgets are small on purpose: the Go collector lets the heap grow
// to a multiple of live data, so every byte kept hot costs more than a
// byte of RSS, while a consumer that keeps up is served from the hot ring
// and a backlog is read from disk in batches at sequential speed anyway.
const (
	defaultHotLimit      = 64 << 20 // all queues together
	defaultQueueHotLimit = 8 << 20  // one queue
)

// hotAllowed reports whether a message of the given charge may be kept in
// memory on a queue whose list is l.
func (b *Broker) hotAllowed(l *messageList, charge int64) bool {
	return l.hotBytes+charge <= b.queueHotLimit && b.hotBytes.Load()+charge <= b.hotLimit
}

// LogName is the directory name of a queue's log: a hash, so any vhost and
// queue name is safe on disk, and a redeclared queue reuses its log.
func LogName(vhost, queue string) string {
	h := sha256.Sum256([]byte(vhost + "\x00" + queue))
	return hex.EncodeToString(h[:12])
}

// openLogLocked opens the queue's log on first use.
func (q *Queue) openLogLocked() (*store.Log, error) {
	if q.log != nil || q.logErr != nil {
		return q.log, q.logErr
	}
	l, err := q.vhost.broker.store.OpenLog(LogName(q.vhost.name, q.name))
	if err != nil {
		q.logErr = fmt.Errorf("opening queue log: %w", err)
		return nil, q.logErr
	}
	if q.stream != nil && q.cfg.segSize > 0 {
		l.SetSegmentSize(q.cfg.segSize)
	}
	q.log = l
	return l, nil
}

// appendLocked writes m to the queue's log.
func (q *Queue) appendLocked(m *message.Message, now int64) (store.Pos, error) {
	l, err := q.openLogLocked()
	if err != nil {
		return store.Pos{}, err
	}
	rec := store.Record{
		Persistent: (m.Persistent() || q.stream != nil) && q.durable,
		Timestamp:  now,
		Expiration: m.Expiration,
		Exchange:   m.Exchange,
		RoutingKey: m.RoutingKey,
		Props:      m.Props,
		Body:       m.Body,
	}
	pos, err := l.Append(&rec)
	if err != nil {
		return store.Pos{}, fmt.Errorf("writing message to queue log: %w", err)
	}
	return pos, nil
}

// messageFromRecord rebuilds a message read back from the log. The
// properties are re-peeked by the adapter only when needed; the broker
// acts on the values it stored.
func messageFromRecord(r *store.Record) *message.Message {
	m := &message.Message{
		Exchange:   r.Exchange,
		RoutingKey: r.RoutingKey,
		Props:      r.Props,
		Body:       r.Body,
		Expiration: r.Expiration,
	}
	if pp, err := wire.PeekProperties(r.Props); err == nil {
		m.DeliveryMode, m.Priority = pp.DeliveryMode, pp.Priority
	} else if r.Persistent {
		m.DeliveryMode = 2
	}
	return m
}

// removeLogLocked deletes the queue's log with the queue.
func (q *Queue) removeLogLocked() {
	if q.vhost.broker.store == nil {
		return
	}
	q.log = nil // RemoveLog discards the open log itself
	if err := q.vhost.broker.store.RemoveLog(LogName(q.vhost.name, q.name)); err != nil {
		q.vhost.broker.log.Warn("removing queue log failed", "queue", q.name, "vhost", q.vhost.name, "err", err)
	}
}

// RecoverMessages loads a restored durable queue's persistent messages
// from its log. As in RabbitMQ, a message is redelivered when it may have
// been delivered before the restart: after a clean shutdown, those up to
// the furthest one delivered (the log's delivered mark); after a crash,
// which leaves no mark, all of them, since the flag must not claim a
// first delivery that may not be one.
func (q *Queue) RecoverMessages() (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.vhost.broker.store == nil {
		return 0, nil
	}
	l, err := q.openLogLocked()
	if err != nil {
		return 0, err
	}
	if q.stream != nil {
		return q.recoverStreamLocked(l)
	}
	n := 0
	now := nowMs(q.vhost.broker)
	rep, err := l.Recover(func(p store.Pos, r *store.Record) error {
		m := message.Message{Expiration: r.Expiration}
		li := 0
		if len(q.levels) > 1 {
			if pp, err := wire.PeekProperties(r.Props); err == nil {
				li = q.level(pp.Priority)
			}
		}
		lvl := &q.levels[li]
		lvl.nextSeq++
		meta := uint32(len(r.Body)) & coldSizeMask
		if l.Delivered(p) {
			meta |= coldRedelivered
		}
		lvl.pushCold(lvl.nextSeq, coldEntry{pos: p, meta: meta})
		if exp := q.expiryOf(&m, r.Timestamp); exp != 0 {
			q.expiries.push(expiry{at: exp, seq: lvl.nextSeq, level: uint8(li)})
			q.scheduleLocked(max(exp, now))
		}
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	if rep.Corrupt > 0 {
		q.vhost.broker.log.Error("corrupt records skipped in queue log", "queue", q.name, "vhost", q.vhost.name, "count", rep.Corrupt)
	}
	return n, nil
}
