package broker

import (
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// Router is per-publisher scratch space for routing, reused across
// messages so routing allocates nothing in the steady state. It is not safe
// for concurrent use; each publishing session owns one.
type Router struct {
	queues  []*Queue
	seen    map[*Queue]struct{} // used only when fan-out is large
	visited []*Exchange
	visit   func(Destination) // bound once to avoid a closure per message
	pending []*Exchange
	logs    []*store.Log
}

// NewRouter returns an empty Router.
func NewRouter() *Router {
	r := &Router{}
	r.visit = r.add
	return r
}

// smallFanout is the number of destination queues up to which duplicate
// checks scan the slice instead of using the map.
const smallFanout = 16

func (r *Router) add(d Destination) {
	switch d := d.(type) {
	case *Queue:
		if len(r.queues) < smallFanout {
			for _, q := range r.queues {
				if q == d {
					return
				}
			}
			r.queues = append(r.queues, d)
			return
		}
		if r.seen == nil {
			r.seen = make(map[*Queue]struct{})
		}
		if len(r.seen) == 0 {
			for _, q := range r.queues {
				r.seen[q] = struct{}{}
			}
		}
		if _, ok := r.seen[d]; ok {
			return
		}
		r.seen[d] = struct{}{}
		r.queues = append(r.queues, d)
	case *Exchange:
		for _, e := range r.visited {
			if e == d {
				return // cycles and diamonds: each exchange routes once
			}
		}
		r.visited = append(r.visited, d)
		r.pending = append(r.pending, d)
	}
}

func (r *Router) reset() {
	clear(r.queues)
	r.queues = r.queues[:0]
	clear(r.visited)
	r.visited = r.visited[:0]
	r.pending = r.pending[:0]
	if len(r.seen) > 0 {
		clear(r.seen)
	}
}

// Route resolves the queues a message published to exchange with the given
// routing key and headers reaches; each queue appears once however many
// bindings lead to it. The result is valid until the next Route call.
func (v *VHost) Route(r *Router, exchange, key string, headers map[string]any) ([]*Queue, error) {
	r.reset()
	v.mu.RLock()
	defer v.mu.RUnlock()
	e, ok := v.exchanges[exchange]
	if !ok {
		return nil, errNoExchange(v.name, exchange)
	}
	if e.internal {
		return nil, errorf(CodeAccessRefused, "cannot publish to internal exchange '%s' in vhost '%s'", exchange, v.name)
	}
	if exchange == "" {
		if q, ok := v.queues[key]; ok {
			r.queues = append(r.queues, q)
		}
		return r.queues, nil
	}
	r.visited = append(r.visited, e)
	r.pending = append(r.pending, e)
	for len(r.pending) > 0 {
		e := r.pending[len(r.pending)-1]
		r.pending = r.pending[:len(r.pending)-1]
		e.match.match(key, headers, r.visit)
	}
	return r.queues, nil
}

// PublishResult says what became of a published message.
type PublishResult struct {
	// Queues is the number of queues that took the message; zero means
	// unroutable.
	Queues int
	// Rejected is set when a queue refused the message (x-overflow
	// reject-publish): the publisher gets basic.nack under confirms.
	Rejected bool
	// Logs must all sync before the message may be confirmed (persistent
	// message on durable queues). Valid until the next call with r.
	Logs []*store.Log
}

// Publish routes m and enqueues it on every matching queue. On a store
// error the message may be on some queues already; the caller must not
// confirm it.
func (v *VHost) Publish(r *Router, m *message.Message) (PublishResult, error) {
	qs, err := v.Route(r, m.Exchange, m.RoutingKey, m.Headers)
	if err != nil {
		return PublishResult{}, err
	}
	clear(r.logs)
	r.logs = r.logs[:0]
	res := PublishResult{}
	for _, q := range qs {
		st, log, err := q.Publish(m)
		if err != nil {
			v.broker.log.Error("enqueue failed", "queue", q.name, "vhost", v.name, "err", err)
			return res, errorf(CodeInternalError, "failed to enqueue message on queue '%s' in vhost '%s': %v", q.name, v.name, err)
		}
		switch st {
		case Queued:
			res.Queues++
		case Rejected:
			res.Rejected = true
		}
		if log != nil {
			r.logs = append(r.logs, log)
		}
	}
	res.Logs = r.logs
	return res, nil
}
