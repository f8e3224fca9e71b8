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
	// delays lists the x-delayed-message exchanges where the message
	// stopped to wait for its x-delay (Publish hands it to them).
	delays []*Exchange
	// hits counts the destinations matchers reported, duplicates included:
	// an exchange whose own match reports none sends the message on to its
	// alternate exchange.
	hits int
	// noDelay routes through delayed exchanges without delaying: set for
	// messages whose delay is over.
	noDelay bool
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
	r.hits++
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
	clear(r.delays)
	r.delays = r.delays[:0]
	if len(r.seen) > 0 {
		clear(r.seen)
	}
}

// Route resolves the queues a message published to exchange with the given
// routing key and headers reaches; each queue appears once however many
// bindings lead to it. The result is valid until the next Route call.
// RouteMessage is the same for a whole message.
func (v *VHost) Route(r *Router, exchange, key string, headers map[string]any) ([]*Queue, error) {
	return v.route(r, exchange, routed{key: key, headers: headers, cc: senderKeys(headers)})
}

// routed is what routing reads of a message: the routing key, the headers
// and (for consistent-hash exchanges hashing a property) the encoded
// properties.
type routed struct {
	key     string
	headers map[string]any
	props   []byte
	// cc are the extra routing keys of RabbitMQ's sender-selected
	// distribution: the CC and BCC header arrays.
	cc []string
}

// senderKeys returns the CC and BCC headers' routing keys (RabbitMQ's
// sender-selected distribution: the message is routed with each of them as
// well as its own routing key). Non-string elements are ignored, as
// RabbitMQ ignores them.
func senderKeys(h map[string]any) []string {
	if h == nil {
		return nil
	}
	var keys []string
	for _, name := range [...]string{"CC", "BCC"} {
		arr, _ := h[name].([]any)
		for _, v := range arr {
			switch k := v.(type) {
			case string:
				keys = append(keys, k)
			case []byte:
				keys = append(keys, string(k))
			}
		}
	}
	return keys
}

// RouteMessage resolves the queues m reaches from its exchange, following
// exchange-to-exchange bindings and alternate exchanges. It needs the whole
// message where Route does not: a consistent-hash exchange may hash a
// property. x-delayed-message exchanges that keep m back for its x-delay
// are listed by r.Delayed (Publish hands m to them; a caller routing by
// itself must call DelayAt for each, or the message is not delivered
// there). The result is valid until the next call with r.
func (v *VHost) RouteMessage(r *Router, m *message.Message) ([]*Queue, error) {
	return v.route(r, m.Exchange, routed{key: m.RoutingKey, headers: m.Headers, props: m.Props, cc: senderKeys(m.Headers)})
}

func (v *VHost) route(r *Router, exchange string, m routed) ([]*Queue, error) {
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
		if q, ok := v.queues[m.key]; ok {
			r.queues = append(r.queues, q)
		}
		for _, k := range m.cc {
			if q, ok := v.queues[k]; ok {
				r.add(q)
			}
		}
		return r.queues, nil
	}
	v.routeFromLocked(r, e, &m)
	return r.queues, nil
}

// Delayed lists the x-delayed-message exchanges the last route stopped at.
func (r *Router) Delayed() []*Exchange { return r.delays }

// routeFromLocked routes m from exchange e, as RabbitMQ's rabbit_exchange
// route/1 does: a work list of exchanges, each visited once (cycles and
// diamonds included), each one's matches added; an exchange whose own
// matcher finds no destination at all adds its alternate exchange, if that
// exists, to the work list, where the same visited-once rule stops
// alternate-exchange cycles. (An exchange whose matches were all visited
// already does not use its alternate: it did route.)
func (v *VHost) routeFromLocked(r *Router, e *Exchange, m *routed) {
	r.visited = append(r.visited, e)
	r.pending = append(r.pending, e)
	for len(r.pending) > 0 {
		e := r.pending[len(r.pending)-1]
		r.pending = r.pending[:len(r.pending)-1]
		x := e.extLocked()
		if x.plain && e.policyAlternate == "" {
			e.match.match(m.key, m.headers, r.visit)
			for _, k := range m.cc {
				e.match.match(k, m.headers, r.visit)
			}
			continue
		}
		if x.delayed && !r.noDelay {
			if _, ok := delayOf(m.headers); ok {
				r.delays = append(r.delays, e)
				continue
			}
		}
		before := r.hits
		if x.hash != hashRoutingKey {
			if hm, ok := e.match.(hashedMatcher); ok {
				hm.matchHash(x.hashOf(m), r.visit)
			}
		} else {
			e.match.match(m.key, m.headers, r.visit)
			for _, k := range m.cc {
				e.match.match(k, m.headers, r.visit)
			}
		}
		if r.hits == before {
			if alt := e.alternateLocked(x); alt != "" {
				if ae, ok := v.exchanges[alt]; ok { // a missing one is ignored
					r.visit(ae)
				}
			}
		}
	}
}

// PublishResult says what became of a published message.
type PublishResult struct {
	// Queues is the number of queues that took the message, counting a
	// delayed-message exchange that keeps it for later as one; zero means
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
	qs, err := v.RouteMessage(r, m)
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
	for _, e := range r.delays {
		log, err := v.DelayAt(e, m)
		if err != nil {
			return res, err
		}
		res.Queues++ // held for later: routed, as far as the publisher can tell
		if log != nil {
			r.logs = append(r.logs, log)
		}
	}
	res.Logs = r.logs
	return res, nil
}
