package broker

import (
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
)

// Dead-letter reasons, as they appear in x-death.
const (
	reasonRejected      = "rejected"
	reasonExpired       = "expired"
	reasonMaxLen        = "maxlen"
	reasonDeliveryLimit = "delivery_limit"
)

// deadLetter is a message leaving a queue for its dead-letter exchange.
type deadLetter struct {
	q         *Queue
	msg       *message.Message
	reason    string
	dlx, dlrk string // the queue's configuration when the message died
	hasDLRK   bool
}

// deadLocked records that m died for reason; it is republished once the
// queue lock is released (dead-lettering routes into other queues, whose
// locks must not be taken while holding this one).
func (q *Queue) deadLocked(m *message.Message, reason string) {
	if !q.cfg.hasDLX || m == nil {
		return
	}
	q.dead = append(q.dead, deadLetter{q: q, msg: m, reason: reason, dlx: q.cfg.dlx, dlrk: q.cfg.dlrk, hasDLRK: q.cfg.hasDLRK})
}

func (q *Queue) takeDeadLocked() []deadLetter {
	if len(q.dead) == 0 {
		return nil
	}
	d := q.dead
	q.dead = nil
	return d
}

// deadLetter republishes dead messages to their queues' dead-letter
// exchanges with RabbitMQ's x-death bookkeeping. A missing exchange drops
// the message, as in RabbitMQ.
func (v *VHost) deadLetter(dead []deadLetter) {
	if len(dead) == 0 {
		return
	}
	r := NewRouter()
	for _, d := range dead {
		q := d.q
		m := d.msg
		key := m.RoutingKey
		if d.hasDLRK {
			key = d.dlrk
		}
		out, err := deadLetterMessage(m, q, d.reason, d.dlx, key, v.broker.now())
		if err != nil {
			v.broker.log.Warn("dead-lettering failed: bad properties", "queue", q.name, "err", err)
			continue
		}
		// RouteMessage, like a publish: consistent-hash exchanges may hash
		// a property, and delayed exchanges hold the message for later.
		qs, err := v.RouteMessage(r, out)
		if err != nil {
			v.broker.log.Debug("dead-letter exchange unusable; message dropped", "queue", q.name, "dlx", d.dlx, "err", err)
			continue
		}
		for _, target := range qs {
			if d.reason != reasonRejected && deathCycle(out.Headers, target.name) {
				v.broker.log.Debug("dead-letter cycle; message dropped", "queue", target.name)
				continue
			}
			if _, _, err := target.Publish(out); err != nil {
				v.broker.log.Error("dead-lettering failed", "queue", target.name, "err", err)
			}
		}
		for _, e := range r.Delayed() {
			if _, err := v.DelayAt(e, out); err != nil {
				v.broker.log.Error("dead-lettering to a delayed exchange failed", "exchange", e.name, "err", err)
			}
		}
	}
}

// deadLetterMessage builds the dead-lettered copy of m: published to the
// dead-letter exchange, its expiration removed (kept in x-death as
// original-expiration), and its x-death header updated as RabbitMQ does —
// one entry per (queue, reason), most recent first, counting repeats —
// plus x-first-death-* (set once) and x-last-death-* headers.
func deadLetterMessage(m *message.Message, q *Queue, reason, exchange, key string, now time.Time) (*message.Message, error) {
	var p wire.Properties
	if err := p.Decode(m.Props); err != nil {
		return nil, err
	}
	if p.Headers == nil {
		p.Headers = wire.Table{}
	} else {
		h := make(wire.Table, len(p.Headers)+6)
		for k, v := range p.Headers {
			h[k] = v
		}
		p.Headers = h
	}
	routingKeys := []any{m.RoutingKey}
	if cc, ok := p.Headers["CC"].([]any); ok {
		routingKeys = append(routingKeys, cc...)
	}
	info := wire.Table{
		"reason":       reason,
		"queue":        q.name,
		"time":         now.Truncate(time.Second).UTC(),
		"exchange":     m.Exchange,
		"routing-keys": routingKeys,
	}
	if p.Has(wire.FlagExpiration) {
		info["original-expiration"] = p.Expiration
		p.Expiration = ""
		p.Flags &^= wire.FlagExpiration
	}
	deaths, _ := p.Headers["x-death"].([]any)
	var rest []any
	var found wire.Table
	for _, d := range deaths {
		t, ok := d.(wire.Table)
		if ok && found == nil && t["queue"] == q.name && t["reason"] == reason {
			found = t
			continue
		}
		rest = append(rest, d)
	}
	if found != nil {
		n, _ := toInt64(found["count"])
		merged := make(wire.Table, len(found))
		for k, v := range found {
			merged[k] = v
		}
		merged["count"] = n + 1
		info = merged
	} else {
		info["count"] = int64(1)
	}
	p.Headers["x-death"] = append([]any{info}, rest...)
	if _, ok := p.Headers["x-first-death-reason"]; !ok {
		p.Headers["x-first-death-reason"] = reason
		p.Headers["x-first-death-queue"] = q.name
		p.Headers["x-first-death-exchange"] = m.Exchange
	}
	p.Headers["x-last-death-reason"] = reason
	p.Headers["x-last-death-queue"] = q.name
	p.Headers["x-last-death-exchange"] = m.Exchange
	p.Set(wire.FlagHeaders)
	out := &message.Message{
		Exchange:     exchange,
		RoutingKey:   key,
		Props:        p.Append(nil),
		Body:         m.Body,
		DeliveryMode: m.DeliveryMode,
		Priority:     m.Priority,
		Expiration:   -1,
		Headers:      p.Headers,
		UserID:       m.UserID,
	}
	return out, nil
}

// deathCycle reports whether routing a dead-lettered message to queue would
// close a cycle with no rejection in it: RabbitMQ drops such messages so
// that expiring or overflowing messages cannot circulate forever.
func deathCycle(headers map[string]any, queue string) bool {
	deaths, _ := headers["x-death"].([]any)
	// From the newest death back: a cycle if queue died before, unless a
	// rejection happened on the way (RabbitMQ's is_cycle).
	for _, d := range deaths {
		t, ok := d.(wire.Table)
		if !ok {
			continue
		}
		if t["reason"] == reasonRejected {
			return false
		}
		if t["queue"] == queue {
			return true
		}
	}
	return false
}
