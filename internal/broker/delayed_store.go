package broker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// DelayLogName is the message-store log of a delayed-message exchange's
// waiting messages: "delayed-" and a hash of vhost and exchange name, so
// any name is safe on disk and cannot collide with a queue's log.
func DelayLogName(vhost, exchange string) string {
	h := sha256.Sum256([]byte("exchange\x00" + vhost + "\x00" + exchange))
	return "delayed-" + hex.EncodeToString(h[:12])
}

// RecoverDelayed reloads the waiting messages of durable delayed-message
// exchanges from their logs and arms their timers; messages whose time
// passed while the broker was down are delivered at once, in due order.
// Call it once at startup, after Restore and before serving. It returns
// the logs it recovered, which the caller must keep when it deletes stale
// logs, and the number of messages.
func (b *Broker) RecoverDelayed() (logs []string, n int, err error) {
	if b.store == nil {
		return nil, 0, nil
	}
	for _, v := range b.VHosts() {
		v.mu.RLock()
		var xs []*Exchange
		for _, e := range v.exchanges {
			if e.typ == TypeDelayed && e.durable {
				xs = append(xs, e)
			}
		}
		v.mu.RUnlock()
		for _, e := range xs {
			dq, err := e.delayQueue(true)
			if err != nil {
				return logs, n, err
			}
			logs = append(logs, dq.log.Name())
			c, err := dq.recover()
			n += c
			if err != nil {
				return logs, n, fmt.Errorf("recovering delayed messages of exchange %q in vhost %q: %w", e.name, v.name, err)
			}
		}
	}
	return logs, n, nil
}

// StopDelayed stops every delayed-message exchange's timer and drops the
// waiting messages from memory (those on disk stay for RecoverDelayed).
// Call it at shutdown, before closing the store, so that no timer outlives
// the broker.
func (b *Broker) StopDelayed() {
	for _, v := range b.VHosts() {
		v.mu.RLock()
		var dqs []*delayQueue
		for _, e := range v.exchanges {
			if dq := e.delays.Load(); dq != nil {
				dqs = append(dqs, dq)
			}
		}
		v.mu.RUnlock()
		for _, dq := range dqs {
			dq.stop()
		}
	}
}

// recover loads the log's live records into the heap.
func (dq *delayQueue) recover() (int, error) {
	dq.mu.Lock()
	defer dq.mu.Unlock()
	rep, err := dq.log.Recover(func(p store.Pos, r *store.Record) error {
		dq.seq++
		dq.heap = append(dq.heap, delayEntry{due: r.Timestamp, pos: p, seq: dq.seq})
		return nil
	})
	if err != nil {
		return 0, err
	}
	if rep.Corrupt > 0 {
		dq.e.vhost.broker.log.Error("corrupt records skipped in delayed message log", "exchange", dq.e.name, "vhost", dq.e.vhost.name, "count", rep.Corrupt)
	}
	for i := len(dq.heap)/2 - 1; i >= 0; i-- {
		dq.down(i)
	}
	dq.armLocked()
	return len(dq.heap), nil
}

// dueMessage rebuilds a message whose delay is over, from its record (or,
// without a store, from the kept message's fields in r): the properties
// are re-encoded with x-delay negated, as the plugin does. If the
// properties cannot be decoded (they were checked at publish, so only
// damage can cause that) they are kept as they were.
func dueMessage(r *store.Record, props, body []byte) *message.Message {
	m := &message.Message{Exchange: r.Exchange, RoutingKey: r.RoutingKey, Props: props, Body: body, Expiration: r.Expiration}
	var p wire.Properties
	if err := p.Decode(props); err != nil {
		return m
	}
	h := make(wire.Table, len(p.Headers))
	for k, v := range p.Headers {
		h[k] = v
	}
	if d, ok := delayOf(p.Headers); ok {
		if d <= math.MaxInt32 {
			h["x-delay"] = int32(-d)
		} else {
			h["x-delay"] = -d
		}
	}
	p.Headers = h
	p.Set(wire.FlagHeaders)
	m.Props = p.Append(make([]byte, 0, len(props)+8))
	m.Headers = h
	m.DeliveryMode = p.DeliveryMode
	m.Priority = p.Priority
	m.UserID = p.UserID
	return m
}

// pushLocked adds en to the heap.
func (dq *delayQueue) pushLocked(en delayEntry) {
	dq.heap = append(dq.heap, en)
	h := dq.heap
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h[i].before(&h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

// popLocked removes and returns the earliest entry; the heap's memory
// shrinks when it is mostly empty, so a burst of delayed messages does not
// hold its peak for ever.
func (dq *delayQueue) popLocked() delayEntry {
	h := dq.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	dq.heap = h[:last]
	if last > 0 {
		dq.down(0)
	}
	if c := cap(dq.heap); c > 1024 && len(dq.heap) < c/4 {
		dq.heap = append(make([]delayEntry, 0, c/2), dq.heap...)
	}
	return top
}

func (dq *delayQueue) down(i int) {
	h := dq.heap
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
