package broker

import (
	"container/heap"
	"time"
)

// expiry is a message whose TTL may fall due while it is behind the head.
type expiry struct {
	at    int64 // unix ms
	seq   uint64
	level uint8
}

type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
func (h *expiryHeap) push(e expiry) { heap.Push(h, e) }

// scheduleLocked makes sure the queue's timer fires no later than at (unix
// ms).
func (q *Queue) scheduleLocked(at int64) {
	if q.deleted || (q.timerAt != 0 && q.timerAt <= at) {
		return
	}
	q.timerAt = at
	d := time.Duration(at-nowMs(q.vhost.broker)) * time.Millisecond
	if d < 0 {
		d = 0
	}
	if q.timer == nil {
		q.timer = time.AfterFunc(d, q.onTimer)
	} else {
		q.timer.Reset(d)
	}
}

// onTimer expires what is due (at the head and behind it), checks x-expires,
// and re-arms for the next deadline.
func (q *Queue) onTimer() {
	defer func() {
		if r := recover(); r != nil {
			q.vhost.broker.log.Error("queue timer panic", "queue", q.name, "panic", r)
		}
	}()
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return
	}
	q.timerAt = 0
	now := nowMs(q.vhost.broker)
	q.expireLocked(now)
	next := int64(0)
	if len(q.expiries) > 0 {
		next = q.expiries[0].at
	}
	// The head's own expiry (queue TTLs are in publish order, so the head
	// is always the next one to fall due among them).
	if e, _, ok := q.peekLocked(&lazyNow{b: q.vhost.broker, v: now}); ok && e.expires != 0 && (next == 0 || e.expires < next) {
		next = e.expires
	}
	idle := q.cfg.expires >= 0 && len(q.consumers) == 0 && now-q.lastUsed >= q.cfg.expires
	if !idle && q.cfg.expires >= 0 && len(q.consumers) == 0 {
		if at := q.lastUsed + q.cfg.expires; next == 0 || at < next {
			next = at
		}
	}
	if next != 0 && !idle {
		q.scheduleLocked(next)
	}
	if len(q.consumers) > 0 {
		q.dispatchLocked()
	}
	dead := q.takeDeadLocked()
	q.mu.Unlock()
	q.vhost.deadLetter(dead)
	if idle {
		q.vhost.expireQueue(q)
	}
}

// expireLocked removes every message whose TTL has passed: the ones at the
// head through peekLocked, and the ones behind it from the expiry heap, so
// their memory is released at once rather than when they reach the head.
func (q *Queue) expireLocked(now int64) {
	q.peekLocked(&lazyNow{b: q.vhost.broker, v: now}) // drops expired heads, dead-lettering them
	for len(q.expiries) > 0 && q.expiries[0].at <= now {
		x := heap.Pop(&q.expiries).(expiry)
		l := &q.levels[x.level]
		if e, ok := l.killHot(x.seq); ok {
			q.vhost.broker.hotBytes.Add(-memCharge(e.msg))
			q.deadLocked(e.msg, reasonExpired)
			continue
		}
		if e, ok := l.killRequeued(x.seq); ok {
			q.vhost.broker.hotBytes.Add(-memCharge(e.msg))
			q.settleStoredLocked(e.stored, e.pos)
			q.deadLocked(e.msg, reasonExpired)
			continue
		}
		if c, ok := l.killCold(x.seq); ok {
			// The record is released when the dead entry is popped; the
			// message itself is read now only if it will be dead-lettered.
			if q.cfg.hasDLX && q.log != nil {
				if rec, err := q.log.Read(c.pos); err == nil {
					q.deadLocked(messageFromRecord(&rec), reasonExpired)
				}
			}
		}
	}
	q.trimDeadLocked()
}

// trimDeadLocked releases dead entries that reached the head of a level.
func (q *Queue) trimDeadLocked() {
	for i := range q.levels {
		l := &q.levels[i]
		for {
			switch l.next() {
			case 2:
				if e := l.peekHot(); e.dead {
					l.popHot()
					q.settleStoredLocked(e.stored, e.pos)
					continue
				}
			case 3:
				if c := l.cold[0][l.coldHead]; c.meta&coldDead != 0 {
					l.popCold()
					q.settleStoredLocked(true, c.pos)
					continue
				}
			}
			break
		}
	}
}

// wouldOverflowLocked reports whether one more message would break
// x-max-length or x-max-length-bytes (ready messages only, as RabbitMQ).
func (q *Queue) wouldOverflowLocked(m interface{ Size() int }) bool {
	if q.cfg.maxLength >= 0 && int64(q.readyLenLocked()) >= q.cfg.maxLength {
		return true
	}
	return q.cfg.maxLengthBytes >= 0 && q.readyBytesLocked()+int64(m.Size()) > q.cfg.maxLengthBytes
}

// enforceLimitsLocked drops (dead-lettering with reason "maxlen") the
// oldest ready messages while the queue is over its length limits, for
// x-overflow drop-head.
func (q *Queue) enforceLimitsLocked() {
	if q.stream != nil || (q.cfg.maxLength < 0 && q.cfg.maxLengthBytes < 0) {
		return
	}
	now := &lazyNow{b: q.vhost.broker}
	for (q.cfg.maxLength >= 0 && int64(q.readyLenLocked()) > q.cfg.maxLength) ||
		(q.cfg.maxLengthBytes >= 0 && q.readyBytesLocked() > q.cfg.maxLengthBytes) {
		// The head of the lowest non-empty priority goes first? RabbitMQ
		// drops the head of the queue: the next message it would deliver.
		_, lvl, ok := q.peekLocked(now)
		if !ok {
			return
		}
		e := q.levels[lvl].popHot()
		q.vhost.broker.hotBytes.Add(-memCharge(e.msg))
		q.settleStoredLocked(e.stored, e.pos)
		q.deadLocked(e.msg, reasonMaxLen)
	}
}

// touchLocked records a use of the queue for x-expires (a consumer, a get,
// a redeclare) and re-arms the idle timer.
func (q *Queue) touchLocked() {
	if q.cfg.expires < 0 {
		return
	}
	q.lastUsed = nowMs(q.vhost.broker)
	if len(q.consumers) == 0 {
		q.scheduleLocked(q.lastUsed + q.cfg.expires)
	}
}

// Touch records a use of the queue (a redeclare) for x-expires.
func (q *Queue) Touch() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.touchLocked()
}

// expireQueue deletes a queue that x-expires found unused.
func (v *VHost) expireQueue(q *Queue) {
	v.mu.Lock()
	if v.queues[q.name] != q {
		v.mu.Unlock()
		return
	}
	q.mu.Lock()
	stillIdle := len(q.consumers) == 0 && nowMs(v.broker)-q.lastUsed >= q.cfg.expires
	q.mu.Unlock()
	var cancelled []*Consumer
	if stillIdle {
		v.broker.log.Info("queue expired (x-expires)", "queue", q.name, "vhost", v.name)
		_, cancelled, _ = v.deleteQueueLocked(q)
	}
	v.mu.Unlock()
	notifyCancelled(cancelled)
}
