package broker

import (
	"strings"
	"sync"

	"github.com/warrenmq/warren/internal/meta"
)

// Table is a decoded field table (AMQP arguments and headers).
type Table = map[string]any

// VHost is one virtual host: an isolated namespace of exchanges and queues.
type VHost struct {
	broker *Broker
	name   string

	mu        sync.RWMutex
	exchanges map[string]*Exchange // guarded by mu
	queues    map[string]*Queue    // guarded by mu
	// restoring is set while definitions are replayed at startup, when
	// nothing needs persisting again. Guarded by mu.
	restoring bool
	limits    VHostLimits // guarded by mu
	policies  policySet   // guarded by mu
	limitsSet bool        // guarded by mu
}

func newVHost(b *Broker, name string) *VHost {
	v := &VHost{broker: b, name: name, exchanges: make(map[string]*Exchange), queues: make(map[string]*Queue)}
	// The predeclared exchanges, as in every RabbitMQ vhost. RabbitMQ's
	// firehose tracer publishes to amq.rabbitmq.trace; Warren has no
	// tracing, so nothing does here (as in RabbitMQ with tracing off), but
	// the exchange exists, internal, for listings and passive declares.
	for _, e := range []struct {
		name, typ string
		internal  bool
	}{
		{"", TypeDirect, false},
		{"amq.direct", TypeDirect, false},
		{"amq.fanout", TypeFanout, false},
		{"amq.topic", TypeTopic, false},
		{"amq.headers", TypeHeaders, false},
		{"amq.match", TypeHeaders, false},
		{"amq.rabbitmq.trace", TypeTopic, true},
	} {
		v.exchanges[e.name] = &Exchange{vhost: v, name: e.name, typ: e.typ, durable: true, internal: e.internal, match: newMatcher(e.typ)}
	}
	return v
}

// Name returns the vhost name.
func (v *VHost) Name() string { return v.name }

// ExchangeSpec is an exchange.declare request.
type ExchangeSpec struct {
	Name       string
	Type       string
	Durable    bool
	AutoDelete bool
	Internal   bool
	Args       Table
}

// Exchange returns the named exchange, or nil.
func (v *VHost) Exchange(name string) *Exchange {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.exchanges[name]
}

// Exchanges lists the exchanges.
func (v *VHost) Exchanges() []*Exchange {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*Exchange, 0, len(v.exchanges))
	for _, e := range v.exchanges {
		out = append(out, e)
	}
	return out
}

// CheckExchange is a passive declare: the exchange must exist.
func (v *VHost) CheckExchange(name string) (*Exchange, error) {
	if e := v.Exchange(name); e != nil {
		return e, nil
	}
	return nil, errNoExchange(v.name, name)
}

// DeclareExchange creates an exchange or checks that an existing one is
// equivalent, with RabbitMQ's errors.
func (v *VHost) DeclareExchange(s ExchangeSpec) (*Exchange, error) {
	// RabbitMQ's order: the type, then an existing exchange's equivalence,
	// and the reserved names only for a new one.
	if !ValidExchangeType(s.Type) {
		return nil, errorf(CodeCommandInvalid, "unknown exchange type '%s'", s.Type)
	}
	if s.Name == "" {
		return nil, errorf(CodeAccessRefused, "operation not permitted on the default exchange")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if e, ok := v.exchanges[s.Name]; ok {
		return e, e.checkEquivalent(s)
	}
	if strings.HasPrefix(s.Name, "amq.") {
		return nil, errorf(CodeAccessRefused, "exchange name '%s' contains reserved prefix 'amq.*'", s.Name)
	}
	if err := validateExchangeArgs(v.name, s); err != nil {
		return nil, err
	}
	e := &Exchange{vhost: v, name: s.Name, typ: s.Type, durable: s.Durable, autoDelete: s.AutoDelete,
		internal: s.Internal, args: s.Args, match: newMatcher(s.Type)}
	if e.durable && !v.restoring {
		if err := v.broker.persist(exchangeOp(meta.OpExchangePut, e)); err != nil {
			return nil, err
		}
	}
	v.exchanges[s.Name] = e
	return e, nil
}

func (e *Exchange) checkEquivalent(s ExchangeSpec) error {
	ineq := func(arg, recv, cur string) error {
		return errInequivalent(arg, "exchange", e.name, e.vhost.name, recv, cur)
	}
	switch {
	case s.Type != e.typ:
		return ineq("type", s.Type, e.typ)
	case s.Durable != e.durable:
		return ineq("durable", boolStr(s.Durable), boolStr(e.durable))
	case s.AutoDelete != e.autoDelete:
		return ineq("auto_delete", boolStr(s.AutoDelete), boolStr(e.autoDelete))
	case s.Internal != e.internal:
		return ineq("internal", boolStr(s.Internal), boolStr(e.internal))
	}
	return checkArgsEquivalent("exchange", e.name, e.vhost.name, exchangeArgsChecked, s.Args, e.args)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// DeleteExchange deletes an exchange and every binding to or from it.
func (v *VHost) DeleteExchange(name string, ifUnused bool) error {
	if name == "" {
		return errorf(CodeAccessRefused, "operation not permitted on the default exchange")
	}
	if strings.HasPrefix(name, "amq.") {
		return errorf(CodeAccessRefused, "deletion of system exchange '%s' in vhost '%s' not allowed", name, v.name)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.exchanges[name]
	if !ok {
		return errNoExchange(v.name, name)
	}
	if ifUnused && len(e.bindings) > 0 {
		return errorf(CodePreconditionFailed, "exchange '%s' in vhost '%s' in use", name, v.name)
	}
	return v.deleteExchangeLocked(e)
}

func (v *VHost) deleteExchangeLocked(e *Exchange) error {
	if e.durable {
		// Dependent bindings go with it when the log is replayed.
		if err := v.broker.persist(exchangeOp(meta.OpExchangeDelete, e)); err != nil {
			return err
		}
	}
	delete(v.exchanges, e.name)
	e.bindings = nil
	// Bindings where e is the destination.
	for _, src := range v.exchanges {
		v.removeBindingsToLocked(src, e)
	}
	return nil
}

// removeBindingsToLocked drops every binding from src to d; it reports
// whether src became auto-deletable.
func (v *VHost) removeBindingsToLocked(src *Exchange, d Destination) {
	kept := src.bindings[:0]
	removed := false
	for _, b := range src.bindings {
		if b.Destination == d {
			src.match.remove(b.Key, b.Args, d) // removing twice is a no-op
			removed = true
			continue
		}
		kept = append(kept, b)
	}
	for i := len(kept); i < len(src.bindings); i++ {
		src.bindings[i] = nil
	}
	src.bindings = kept
	if removed {
		v.maybeAutoDeleteLocked(src)
	}
}

// maybeAutoDeleteLocked deletes an auto-delete exchange that just lost its
// last binding, as RabbitMQ does.
func (v *VHost) maybeAutoDeleteLocked(e *Exchange) {
	if e.autoDelete && len(e.bindings) == 0 && v.exchanges[e.name] == e {
		_ = v.deleteExchangeLocked(e) // a failure was logged; the exchange stays
	}
}

// Bind adds a binding from exchange src to a queue or exchange. It is
// idempotent.
func (v *VHost) Bind(src *Exchange, d Destination, key string, args Table) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.checkLiveLocked(src, d); err != nil {
		return err
	}
	if src.findBindingLocked(d, key, args) >= 0 {
		return nil
	}
	if err := ValidateBinding(src, key, args); err != nil {
		return err
	}
	if op, ok := bindingOp(meta.OpBindingPut, src, d, key, args); ok && !v.restoring {
		if err := v.broker.persist(op); err != nil {
			return err
		}
	}
	src.bindings = append(src.bindings, &Binding{Source: src, Destination: d, Key: key, Args: args})
	src.match.add(key, args, d)
	return nil
}

// Unbind removes a binding; removing one that does not exist succeeds, as
// in RabbitMQ.
func (v *VHost) Unbind(src *Exchange, d Destination, key string, args Table) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err := v.checkLiveLocked(src, d); err != nil {
		return err
	}
	i := src.findBindingLocked(d, key, args)
	if i < 0 {
		return nil
	}
	b := src.bindings[i]
	if op, ok := bindingOp(meta.OpBindingDelete, src, d, b.Key, b.Args); ok {
		if err := v.broker.persist(op); err != nil {
			return err
		}
	}
	src.bindings = append(src.bindings[:i], src.bindings[i+1:]...)
	// The matchers know a binding by (key, destination), or (arguments,
	// destination) for headers; another binding that differs only in
	// what the matcher ignores still needs the entry.
	shared := false
	for _, o := range src.bindings {
		if o.Destination == d && ((src.routesByArgs() && tablesEqual(o.Args, b.Args)) || (!src.routesByArgs() && o.Key == b.Key)) {
			shared = true
			break
		}
	}
	if !shared {
		src.match.remove(b.Key, b.Args, d)
	}
	v.maybeAutoDeleteLocked(src)
	return nil
}

func (v *VHost) checkLiveLocked(src *Exchange, d Destination) error {
	if v.exchanges[src.name] != src {
		return errNoExchange(v.name, src.name)
	}
	switch d := d.(type) {
	case *Queue:
		if v.queues[d.name] != d {
			return errNoQueue(v.name, d.name)
		}
	case *Exchange:
		if v.exchanges[d.name] != d {
			return errNoExchange(v.name, d.name)
		}
	}
	return nil
}
