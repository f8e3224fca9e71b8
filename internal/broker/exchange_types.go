package broker

import (
	"github.com/warrenmq/warren/internal/route"
)

// hashMatcher adapts route.ConsistentHash: the binding key is a weight and
// each message goes to exactly one destination.
type hashMatcher struct {
	m *route.ConsistentHash[Destination]
}

func (h hashMatcher) add(k string, _ Table, x Destination) bool    { return h.m.Add(k, x) }
func (h hashMatcher) remove(k string, _ Table, x Destination) bool { return h.m.Remove(k, x) }
func (h hashMatcher) match(k string, _ map[string]any, fn func(Destination)) {
	h.m.Match(k, fn)
}
func (h hashMatcher) matchHash(v uint64, fn func(Destination)) { h.m.MatchHash(v, fn) }

// hashedMatcher is a matcher that can route by a precomputed hash (of a
// header or property rather than of the routing key).
type hashedMatcher interface {
	matchHash(h uint64, fn func(Destination))
}

// destKey names a destination for its points on a hash ring: stable across
// restarts and distinct between a queue and an exchange of the same name.
func destKey(d Destination) string {
	if _, ok := d.(*Exchange); ok {
		return "exchange\x00" + d.DestName()
	}
	return "queue\x00" + d.DestName()
}

// deferredMatcher is an x-delayed-message exchange's matcher: it routes as
// the x-delayed-type argument says, but newMatcher sees only the type (Restore
// builds exchanges from the type alone), so the inner matcher is built on
// first use by configure, from the arguments and the bindings made so far.
// Until then add and remove do nothing: the exchange's binding list, which
// configure replays, is the record.
type deferredMatcher struct {
	inner matcher // nil until configured, or if the inner type is unknown
	ready bool
}

func (d *deferredMatcher) configure(e *Exchange, innerType string) {
	d.ready = true
	if innerType == TypeDelayed {
		return // refused at declare; never route in a loop
	}
	d.inner = newMatcher(innerType)
	if d.inner == nil {
		return
	}
	for _, b := range e.bindings {
		d.inner.add(b.Key, b.Args, b.Destination)
	}
}

func (d *deferredMatcher) add(k string, a Table, x Destination) bool {
	if d.inner == nil {
		return !d.ready
	}
	return d.inner.add(k, a, x)
}

func (d *deferredMatcher) remove(k string, a Table, x Destination) bool {
	if d.inner == nil {
		return !d.ready
	}
	return d.inner.remove(k, a, x)
}

func (d *deferredMatcher) match(k string, h map[string]any, fn func(Destination)) {
	if d.inner != nil {
		d.inner.match(k, h, fn)
	}
}

func (d *deferredMatcher) matchHash(v uint64, fn func(Destination)) {
	if hm, ok := d.inner.(hashedMatcher); ok {
		hm.matchHash(v, fn)
	}
}

// hashSource is what an x-consistent-hash exchange hashes.
type hashSource uint8

const (
	hashRoutingKey hashSource = iota
	hashHeader                // the header named by hash-header
	hashProperty              // the property named by hash-property
)

// exchangeExt is what routing needs to know about an exchange beyond its
// matcher, derived once from its type and (immutable) arguments.
type exchangeExt struct {
	// alternate is the alternate-exchange argument ("" for none).
	alternate string
	// delayed: an x-delayed-message exchange; messages with a positive
	// x-delay header wait in its delay queue.
	delayed bool
	// hash and hashName say what a consistent-hash exchange (or a delayed
	// one routing as that type) hashes; hashFlag is the property's flag.
	hash     hashSource
	hashName string
	hashFlag uint16
	// plain: none of the above, so routing is the matcher alone.
	plain bool
}

// extLocked returns the exchange's derived routing settings, computing them
// on first use. The caller holds the vhost lock (read or write): the first
// call of a delayed exchange replays its bindings into the inner matcher.
func (e *Exchange) extLocked() *exchangeExt {
	e.extOnce.Do(func() {
		x := exchangeExt{}
		if ae, ok := e.args["alternate-exchange"].(string); ok {
			x.alternate = ae
		}
		typ := e.typ
		if typ == TypeDelayed {
			x.delayed = true
			typ = delayedType(e.args)
			if dm, ok := e.match.(*deferredMatcher); ok {
				dm.configure(e, typ)
			}
		}
		if typ == TypeConsistentHash {
			if h, ok := e.args["hash-header"].(string); ok {
				x.hash, x.hashName = hashHeader, h
			} else if p, ok := e.args["hash-property"].(string); ok {
				x.hash, x.hashName, x.hashFlag = hashProperty, p, hashPropertyFlag(p)
			}
		}
		x.plain = x.alternate == "" && !x.delayed && x.hash == hashRoutingKey
		e.ext = x
	})
	return &e.ext
}

// delayedType is the x-delayed-type argument, as a string whichever of
// RabbitMQ's string types carried it.
func delayedType(args Table) string {
	switch t := args["x-delayed-type"].(type) {
	case string:
		return t
	case []byte:
		return string(t)
	}
	return ""
}

// alternateLocked is the name of the exchange's alternate exchange: the
// argument, or else a policy's. The caller holds the vhost lock.
func (e *Exchange) alternateLocked(x *exchangeExt) string {
	if x.alternate != "" {
		return x.alternate
	}
	return e.policyAlternate
}

// SetPolicyAlternate sets (or with "" clears) the alternate exchange a
// policy gives e. Policies call it when they are applied or removed; the
// exchange's own alternate-exchange argument still takes precedence.
func (e *Exchange) SetPolicyAlternate(name string) {
	e.vhost.mu.Lock()
	e.policyAlternate = name
	e.vhost.mu.Unlock()
}

// Alternate returns the alternate exchange in effect ("" for none).
func (e *Exchange) Alternate() string {
	e.vhost.mu.RLock()
	defer e.vhost.mu.RUnlock()
	return e.alternateLocked(e.extLocked())
}

// routesByArgs reports whether the exchange's matcher knows a binding by
// its arguments rather than its key (headers, or a delayed exchange routing
// as headers). Unbind needs it to tell whether another binding still uses
// a matcher entry.
func (e *Exchange) routesByArgs() bool {
	return e.typ == TypeHeaders || (e.typ == TypeDelayed && delayedType(e.args) == TypeHeaders)
}
