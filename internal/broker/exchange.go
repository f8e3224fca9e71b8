package broker

import (
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/warrenmq/warren/internal/route"
)

// Exchange types the broker implements: AMQP's four, and the types of
// RabbitMQ's consistent-hash and delayed-message plugins (built in here).
const (
	TypeDirect         = "direct"
	TypeFanout         = "fanout"
	TypeTopic          = "topic"
	TypeHeaders        = "headers"
	TypeConsistentHash = "x-consistent-hash"
	TypeDelayed        = "x-delayed-message"
)

// Destination is what a binding points at: a *Queue or an *Exchange.
type Destination interface {
	// DestName is the queue or exchange name.
	DestName() string
}

// Binding is one binding from a source exchange.
type Binding struct {
	Source      *Exchange
	Destination Destination
	Key         string
	Args        Table
}

// Exchange routes published messages to its bindings' destinations. Its
// fields are immutable after declare except bindings, which the vhost lock
// guards.
type Exchange struct {
	vhost      *VHost
	name       string
	typ        string
	durable    bool
	autoDelete bool
	internal   bool
	args       Table

	// Guarded by vhost.mu.
	bindings []*Binding
	match    matcher
	// policyAlternate is the alternate exchange a policy gives this
	// exchange ("" for none); the alternate-exchange argument wins over
	// it, as in RabbitMQ. Guarded by vhost.mu.
	policyAlternate string

	// ext is derived from typ and args on first use (see extLocked), not
	// at construction, because Restore builds exchanges directly.
	extOnce sync.Once
	ext     exchangeExt

	// delays holds an x-delayed-message exchange's waiting messages;
	// created on first use (see delayQueue).
	delaysOnce sync.Once
	delays     atomic.Pointer[delayQueue] // set once created
	delaysErr  error
}

// Name returns the exchange name ("" is the default exchange).
func (e *Exchange) Name() string { return e.name }

// DestName implements Destination.
func (e *Exchange) DestName() string { return e.name }

// Type returns the exchange type.
func (e *Exchange) Type() string { return e.typ }

// Durable, AutoDelete and Internal report the declare flags.
func (e *Exchange) Durable() bool    { return e.durable }
func (e *Exchange) AutoDelete() bool { return e.autoDelete }
func (e *Exchange) Internal() bool   { return e.internal }

// Args returns the declare arguments; callers must not modify them.
func (e *Exchange) Args() Table { return e.args }

// matcher adapts the route package's matchers to one shape.
type matcher interface {
	add(key string, args Table, d Destination) bool
	remove(key string, args Table, d Destination) bool
	match(key string, headers map[string]any, fn func(Destination))
}

func newMatcher(typ string) matcher {
	switch typ {
	case TypeDirect:
		return directMatcher{route.NewDirect[Destination]()}
	case TypeFanout:
		return fanoutMatcher{route.NewFanout[Destination]()}
	case TypeTopic:
		return topicMatcher{route.NewTopic[Destination]()}
	case TypeHeaders:
		return headersMatcher{route.NewHeaders[Destination]()}
	case TypeConsistentHash:
		return hashMatcher{route.NewConsistentHash(destKey)}
	case TypeDelayed:
		// Routes like its x-delayed-type, which only the arguments say.
		return &deferredMatcher{}
	}
	return nil
}

// ValidExchangeType reports whether typ is implemented.
func ValidExchangeType(typ string) bool { return newMatcher(typ) != nil }

type directMatcher struct{ m *route.Direct[Destination] }

func (d directMatcher) add(k string, _ Table, x Destination) bool    { return d.m.Add(k, x) }
func (d directMatcher) remove(k string, _ Table, x Destination) bool { return d.m.Remove(k, x) }
func (d directMatcher) match(k string, _ map[string]any, fn func(Destination)) {
	d.m.Match(k, fn)
}

type fanoutMatcher struct{ m *route.Fanout[Destination] }

func (d fanoutMatcher) add(k string, _ Table, x Destination) bool    { return d.m.Add(k, x) }
func (d fanoutMatcher) remove(k string, _ Table, x Destination) bool { return d.m.Remove(k, x) }
func (d fanoutMatcher) match(k string, _ map[string]any, fn func(Destination)) {
	d.m.Match(k, fn)
}

type topicMatcher struct{ m *route.Topic[Destination] }

func (d topicMatcher) add(k string, _ Table, x Destination) bool    { return d.m.Add(k, x) }
func (d topicMatcher) remove(k string, _ Table, x Destination) bool { return d.m.Remove(k, x) }
func (d topicMatcher) match(k string, _ map[string]any, fn func(Destination)) {
	d.m.Match(k, fn)
}

type headersMatcher struct{ m *route.Headers[Destination] }

func (d headersMatcher) add(_ string, a Table, x Destination) bool    { return d.m.Add(a, x) }
func (d headersMatcher) remove(_ string, a Table, x Destination) bool { return d.m.Remove(a, x) }
func (d headersMatcher) match(_ string, h map[string]any, fn func(Destination)) {
	d.m.Match(h, fn)
}

// findBindingLocked returns the index of the binding (dest, key, args), or -1.
func (e *Exchange) findBindingLocked(d Destination, key string, args Table) int {
	for i, b := range e.bindings {
		if b.Destination == d && b.Key == key && tablesEqual(b.Args, args) {
			return i
		}
	}
	return -1
}

// Bindings returns a copy of the exchange's bindings.
func (e *Exchange) Bindings() []Binding {
	e.vhost.mu.RLock()
	defer e.vhost.mu.RUnlock()
	out := make([]Binding, len(e.bindings))
	for i, b := range e.bindings {
		out[i] = *b
	}
	return out
}

func tablesEqual(a, b Table) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}
