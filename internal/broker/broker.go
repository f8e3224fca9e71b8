package broker

import (
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/warrenmq/warren/internal/meta"
)

// Options configure a Broker.
type Options struct {
	// Logger receives the core's log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Definitions persists durable definitions; nil keeps them in memory.
	Definitions Definitions
}

// Broker is the set of virtual hosts of one node.
type Broker struct {
	log  *slog.Logger
	now  func() time.Time
	defs Definitions

	mu     sync.RWMutex
	vhosts map[string]*VHost // guarded by mu
}

// New returns a broker with no virtual hosts; callers add "/" (or restore
// their definitions) before serving.
func New(opts Options) *Broker {
	b := &Broker{log: opts.Logger, now: opts.Now, defs: opts.Definitions, vhosts: make(map[string]*VHost)}
	if b.defs == nil {
		b.defs = noDefinitions{}
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
