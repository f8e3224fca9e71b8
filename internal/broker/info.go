package broker

import (
	"github.com/warrenmq/warren/internal/meta"
)

// This file holds read-only views and whole-vhost operations for the
// management API. Views copy what they need under the owning lock and
// return plain values, so callers never hold broker locks.

// DeleteVHost deletes a virtual host with every exchange, queue, binding
// and message in it, cancelling its consumers. The adapter closes the
// vhost's connections separately.
func (b *Broker) DeleteVHost(name string) error {
	b.mu.Lock()
	v, ok := b.vhosts[name]
	if !ok {
		b.mu.Unlock()
		return errorf(CodeNotFound, "no vhost '%s'", name)
	}
	// One op covers everything in the vhost: replaying it drops the
	// vhost's exchanges, queues, bindings and permissions.
	if err := b.persist(meta.Op{Kind: meta.OpVHostDelete, VHost: name}); err != nil {
		b.mu.Unlock()
		return err
	}
	delete(b.vhosts, name)
	b.mu.Unlock()

	v.mu.Lock()
	// Connections still open on the vhost until the adapter closes them
	// may declare more; marking the vhost as restoring keeps those
	// declares out of the definitions log, where they would name a vhost
	// that no longer exists.
	v.restoring = true
	var cancelled []*Consumer
	for _, q := range v.queues {
		q.mu.Lock()
		q.deleted = true
		q.purgeLocked()
		q.removeLogLocked()
		cancelled = append(cancelled, q.consumers...)
		q.consumers = nil
		q.mu.Unlock()
	}
	b.queuesDeleted.Add(uint64(len(v.queues)))
	clear(v.queues)
	for _, e := range v.exchanges {
		e.bindings = nil
	}
	clear(v.exchanges)
	v.mu.Unlock()
	notifyCancelled(cancelled)
	return nil
}

// Counts returns the number of exchanges (the predeclared ones included)
// and queues in the vhost.
func (v *VHost) Counts() (exchanges, queues int) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.exchanges), len(v.queues)
}

// AllBindings returns every explicit binding in the vhost under one read
// lock. The default exchange's implicit bindings are not included.
func (v *VHost) AllBindings() []Binding {
	v.mu.RLock()
	defer v.mu.RUnlock()
	n := 0
	for _, e := range v.exchanges {
		n += len(e.bindings)
	}
	out := make([]Binding, 0, n)
	for _, e := range v.exchanges {
		for _, b := range e.bindings {
			out = append(out, *b)
		}
	}
	return out
}

// VHost returns the exchange's vhost.
func (e *Exchange) VHost() *VHost { return e.vhost }

// QueueInfo is a snapshot of a queue's counters.
type QueueInfo struct {
	Ready, Unacked, Consumers int
	// ReadyBytes is the body bytes of ready messages.
	ReadyBytes int64
	// ExclusiveConsumer reports a basic.consume exclusive=true consumer.
	ExclusiveConsumer bool
	Deleted           bool
}

// Info returns the queue's counters, taken under one lock.
func (q *Queue) Info() QueueInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	return QueueInfo{Ready: q.readyLenLocked(), Unacked: q.unacked, Consumers: len(q.consumers),
		ReadyBytes: q.readyBytesLocked(), ExclusiveConsumer: q.exclusiveC, Deleted: q.deleted}
}

// Consumers returns the queue's consumers. The adapter data (Consumer.Data)
// of each was set before the consumer was added under the queue lock, so
// what the adapter stored there before Consume is safe to read after this
// call.
func (q *Queue) Consumers() []*Consumer {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*Consumer(nil), q.consumers...)
}
