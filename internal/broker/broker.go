package broker

import (
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/meta"
	"github.com/warrenmq/warren/internal/store"
)

// Options configure a Broker.
type Options struct {
	// Logger receives the core's log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Definitions persists durable definitions; nil keeps them in memory.
	Definitions Definitions
	// Store keeps queued messages on disk; nil keeps them in memory.
	Store *store.Store
	// HotLimit bounds the bytes of queued messages kept in memory across
	// all queues, and QueueHotLimit within one queue; the rest stay on
	// disk until delivered. Zero means the defaults (64 MiB, 8 MiB).
	HotLimit, QueueHotLimit int64
}

// Broker is the set of virtual hosts of one node.
type Broker struct {
	log  *slog.Logger
	now  func() time.Time
	defs Definitions

	store                   *store.Store
	hotBytes                atomic.Int64 // memory charged to hot messages, all queues
	hotLimit, queueHotLimit int64

	// Queue churn since start, for the management API's churn_rates: one
	// atomic add per queue declare or delete, never on the message path.
	queuesDeclared, queuesCreated, queuesDeleted atomic.Uint64

	mu     sync.RWMutex
	vhosts map[string]*VHost // guarded by mu
}

// QueueChurn returns how many queue declares succeeded (new queue or
// existing), how many queues were created and how many deleted since
// start.
func (b *Broker) QueueChurn() (declared, created, deleted uint64) {
	return b.queuesDeclared.Load(), b.queuesCreated.Load(), b.queuesDeleted.Load()
}

// New returns a broker with no virtual hosts; callers add "/" (or restore
// their definitions) before serving.
func New(opts Options) *Broker {
	b := &Broker{log: opts.Logger, now: opts.Now, defs: opts.Definitions, vhosts: make(map[string]*VHost)}
	if b.defs == nil {
		b.defs = noDefinitions{}
	}
	b.store = opts.Store
	b.hotLimit, b.queueHotLimit = opts.HotLimit, opts.QueueHotLimit
	if b.hotLimit <= 0 {
		b.hotLimit = defaultHotLimit
	}
	if b.queueHotLimit <= 0 {
		b.queueHotLimit = defaultQueueHotLimit
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b
}

// VHost returns the named virtual host, or nil.
func (b *Broker) VHost(name string) *VHost {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.vhosts[name]
}

// AddVHost creates (and persists) a virtual host with the predeclared
// exchanges; it returns the existing one if the name is taken.
func (b *Broker) AddVHost(name string) (*VHost, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.vhosts[name]; ok {
		return v, nil
	}
	if err := b.persist(meta.Op{Kind: meta.OpVHostPut, VHost: name}); err != nil {
		return nil, err
	}
	v := newVHost(b, name)
	b.vhosts[name] = v
	return v, nil
}

// VHosts lists the virtual hosts sorted by name.
func (b *Broker) VHosts() []*VHost {
	b.mu.RLock()
	out := make([]*VHost, 0, len(b.vhosts))
	for _, v := range b.vhosts {
		out = append(out, v)
	}
	b.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// HotBytes returns the memory charged to queued messages held in memory.
func (b *Broker) HotBytes() int64 { return b.hotBytes.Load() }
