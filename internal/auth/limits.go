package auth

import "sync"

// UserLimits are RabbitMQ's per-user limits; -1 means unlimited.
type UserLimits struct {
	MaxConnections int64 `json:"max-connections"`
	MaxChannels    int64 `json:"max-channels"`
}

// NoUserLimits is the default.
var NoUserLimits = UserLimits{MaxConnections: -1, MaxChannels: -1}

// Limits holds per-user limits. It is safe for concurrent use.
type Limits struct {
	mu sync.RWMutex
	m  map[string]UserLimits // guarded by mu
}

// NewLimits returns an empty set.
func NewLimits() *Limits { return &Limits{m: make(map[string]UserLimits)} }

// Set replaces a user's limits.
func (l *Limits) Set(user string, ul UserLimits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[user] = ul
}

// Clear removes a user's limits.
func (l *Limits) Clear(user string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, user)
}

// Get returns a user's limits and whether any are set.
func (l *Limits) Get(user string) (UserLimits, bool) {
	if l == nil {
		return NoUserLimits, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	ul, ok := l.m[user]
	if !ok {
		return NoUserLimits, false
	}
	return ul, true
}

// All returns every user's limits.
func (l *Limits) All() map[string]UserLimits {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[string]UserLimits, len(l.m))
	for k, v := range l.m {
		out[k] = v
	}
	return out
}
