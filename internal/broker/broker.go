package broker

import (
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Options configure a Broker.
type Options struct {
	// Logger receives the core's log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
}

// Broker is the set of virtual hosts of one node.
type Broker struct {
	log *slog.Logger
	now func() time.Time

	mu     sync.RWMutex
	vhosts map[string]*VHost // guarded by mu
}

// New returns a broker with the default virtual host "/".
func New(opts Options) *Broker {
	b := &Broker{log: opts.Logger, now: opts.Now, vhosts: make(map[string]*VHost)}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.AddVHost("/")
	return b
}

// VHost returns the named virtual host, or nil.
func (b *Broker) VHost(name string) *VHost {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.vhosts[name]
}

// AddVHost creates a virtual host with the predeclared exchanges; it
// returns the existing one if the name is taken.
func (b *Broker) AddVHost(name string) *VHost {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.vhosts[name]; ok {
		return v
	}
	v := newVHost(b, name)
	b.vhosts[name] = v
	return v
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
