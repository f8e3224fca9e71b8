package broker

import (
	"sync/atomic"

	"github.com/warrenmq/warren/internal/message"
)

// Sink is the adapter side of a consumer.
type Sink interface {
	// Deliver offers a message to the consumer. It runs with the queue lock
	// held, so it must not block or call into any queue. It returns false,
	// without keeping d, when the consumer has no credit now; the adapter
	// then calls Queue.Resume once credit returns.
	Deliver(c *Consumer, d Delivery) bool
	// Cancelled tells the adapter that the broker removed the consumer
	// (its queue was deleted). It runs without broker locks held.
	Cancelled(c *Consumer)
}

// Consumer is one subscription to a queue.
type Consumer struct {
	tag       string
	queue     *Queue
	noAck     bool
	exclusive bool
	priority  int
	sink      Sink
	// Data is for the adapter (for example its channel); the core never
	// reads it.
	Data any

	blocked atomic.Bool // the sink refused a delivery; skip until Resume
	cursor  uint64      // a stream consumer's next offset; guarded by the queue's mu
	// A stream consumer behind the ring reads ahead in batches: ahead[i]
	// is the message at offset aheadAt+i. Guarded by the queue's mu.
	ahead   []*message.Message
	aheadAt uint64
}

// Tag returns the consumer tag.
func (c *Consumer) Tag() string { return c.tag }

// Queue returns the consumed queue.
func (c *Consumer) Queue() *Queue { return c.queue }

// NoAck reports whether deliveries need no acknowledgement.
func (c *Consumer) NoAck() bool { return c.noAck }

// Exclusive reports whether the consumer holds the queue exclusively.
func (c *Consumer) Exclusive() bool { return c.exclusive }

// Blocked reports whether the queue is waiting for Resume.
func (c *Consumer) Blocked() bool { return c.blocked.Load() }

// ConsumerSpec is a basic.consume request.
type ConsumerSpec struct {
	Tag       string
	NoAck     bool
	Exclusive bool
	// Priority is the x-priority consume argument: higher-priority
	// consumers get messages first while they have credit.
	Priority int
	Sink     Sink
	Data     any
	// StreamOffset is the x-stream-offset consume argument (when
	// HasStreamOffset): where a stream consumer starts.
	StreamOffset    any
	HasStreamOffset bool
}

// Consume adds a consumer. It starts paused, so the adapter can confirm the
// subscription to its client first; Resume starts deliveries.
func (q *Queue) Consume(s ConsumerSpec) (*Consumer, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errNoQueue(q.vhost.name, q.name)
	}
	if q.exclusiveC || (s.Exclusive && len(q.consumers) > 0) {
		return nil, errorf(CodeAccessRefused, "queue '%s' in vhost '%s' in exclusive use", q.name, q.vhost.name)
	}
	c := &Consumer{tag: s.Tag, queue: q, noAck: s.NoAck, exclusive: s.Exclusive, priority: s.Priority, sink: s.Sink, Data: s.Data}
	if q.stream != nil {
		start, err := q.streamStartLocked(s.StreamOffset, s.HasStreamOffset)
		if err != nil {
			return nil, err
		}
		c.cursor = start
	}
	c.blocked.Store(true)
	// Keep consumers sorted by priority (stable, so registration order
	// holds among equals); a single-active-consumer queue keeps pure
	// registration order, the first being the active one.
	i := len(q.consumers)
	if !q.cfg.single {
		for i > 0 && q.consumers[i-1].priority < c.priority {
			i--
		}
	}
	q.consumers = append(q.consumers, nil)
	copy(q.consumers[i+1:], q.consumers[i:])
	q.consumers[i] = c
	q.touchLocked()
	q.hadConsumer = true
	q.exclusiveC = q.exclusiveC || s.Exclusive
	return c, nil
}

// Resume clears the consumer's blocked state and delivers what is ready.
// Adapters call it when credit returns; calling it when not blocked is
// cheap.
func (c *Consumer) Resume() {
	if !c.blocked.Load() {
		return
	}
	q := c.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	c.blocked.Store(false)
	if !q.deleted {
		q.dispatchLocked()
	}
}

// Cancel removes the consumer. An auto-delete queue that loses its last
// consumer is deleted, as in RabbitMQ.
func (c *Consumer) Cancel() {
	q := c.queue
	q.mu.Lock()
	removed := false
	for i, x := range q.consumers {
		if x == c {
			q.consumers = append(q.consumers[:i], q.consumers[i+1:]...)
			removed = true
			break
		}
	}
	if removed && c.exclusive {
		q.exclusiveC = false
	}
	if q.rr >= len(q.consumers) {
		q.rr = 0
	}
	autoDelete := removed && q.autoDelete && len(q.consumers) == 0 && !q.deleted
	if removed && len(q.consumers) == 0 {
		q.touchLocked() // x-expires counts from the last consumer leaving
	}
	if removed && q.cfg.single && len(q.consumers) > 0 && !q.deleted {
		q.dispatchLocked() // the next consumer in line becomes active
	}
	q.mu.Unlock()
	if autoDelete {
		q.vhost.autoDeleteQueue(q)
	}
}

// Priority returns the consumer's x-priority.
func (c *Consumer) Priority() int { return c.priority }

// Active reports whether the consumer may receive messages now: always,
// except on a single-active-consumer queue, where only the first does.
func (c *Consumer) Active() bool {
	q := c.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.cfg.single || (len(q.consumers) > 0 && q.consumers[0] == c)
}

// nextConsumerLocked returns the consumer to offer the next message to:
// the highest-priority group with an unblocked consumer, round-robin
// within it; nil when all are blocked. With single active consumer, only
// the first registered consumer ever receives.
func (q *Queue) nextConsumerLocked() *Consumer {
	n := len(q.consumers)
	if n == 0 {
		return nil
	}
	if q.cfg.single {
		if c := q.consumers[0]; !c.blocked.Load() {
			return c
		}
		return nil
	}
	for gs := 0; gs < n; {
		ge := gs + 1
		for ge < n && q.consumers[ge].priority == q.consumers[gs].priority {
			ge++
		}
		size := ge - gs
		start := 0
		if q.rr >= gs && q.rr < ge {
			start = q.rr - gs
		}
		for k := 0; k < size; k++ {
			idx := gs + (start+k)%size
			if c := q.consumers[idx]; !c.blocked.Load() {
				q.rr = gs + (idx-gs+1)%size
				return c
			}
		}
		gs = ge
	}
	return nil
}
