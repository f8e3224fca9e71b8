package amqp091

import (
	"slices"
	"sync"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/store"
)

// confirmer tracks a confirm-mode channel's publishes until they are safe
// and sends basic.ack / basic.nack for them.
//
// A publish is safe at once when it was routed only to memory (transient
// message, or non-durable queues), or once every queue log it was written
// to has synced. The reader does not sync per message: when it has
// drained its input it registers one barrier covering every publish since
// the last one, and asks each touched log for a group-commit sync. When a
// barrier's syncs have all completed (on the store's committer goroutine)
// the publishes it covers are safe. Confirms go out in publish order, as
// RabbitMQ sends them and as clients (amqplib's confirm channel, for one)
// expect: a multiple=true ack for the safe tags up to each nack, the
// nack, and so on; a nack waits until every tag below it is settled.
type confirmer struct {
	ch *channel

	mu        sync.Mutex
	published uint64     // guarded by mu: highest seq assigned
	waiting   []uint64   // guarded by mu: seqs awaiting a sync, ascending
	barriers  []*barrier // guarded by mu: in registration order
	nacks     []uint64   // guarded by mu: seqs to nack, not yet sent
	ackSent   uint64     // guarded by mu: highest seq settled towards the client

	// Reader-only: logs touched since the last barrier.
	touched []*store.Log
	lastSeq uint64
}

type barrier struct {
	upTo      uint64
	remaining int
	err       error
}

// publish records a publish and the logs it must wait for; a rejected one
// (x-overflow reject-publish) is nacked instead.
func (c *confirmer) publish(seq uint64, logs []*store.Log, rejected bool) {
	c.mu.Lock()
	c.published = seq
	if rejected {
		c.nacks = append(c.nacks, seq)
		logs = nil
	} else if len(logs) > 0 {
		c.waiting = append(c.waiting, seq)
	}
	c.mu.Unlock()
	for _, l := range logs {
		dup := false
		for _, t := range c.touched {
			if t == l {
				dup = true
				break
			}
		}
		if !dup {
			c.touched = append(c.touched, l)
		}
	}
	if len(logs) > 0 {
		c.lastSeq = seq
	}
}

// nackAll nacks every publish not yet settled (the channel is failing).
func (c *confirmer) nackAll(upTo uint64) {
	c.mu.Lock()
	if upTo > c.published {
		c.published = upTo
	}
	for s := c.ackSent + 1; s <= c.published; s++ {
		c.nacks = append(c.nacks, s)
	}
	c.waiting = c.waiting[:0]
	c.barriers = nil
	c.mu.Unlock()
	c.touched = c.touched[:0]
	c.flush()
}

// flushReader is called by the reader when its input is drained: it
// starts the syncs for the publishes since the last barrier and sends
// whatever is already safe.
func (c *confirmer) flushReader() {
	if len(c.touched) > 0 {
		b := &barrier{upTo: c.lastSeq, remaining: len(c.touched)}
		c.mu.Lock()
		c.barriers = append(c.barriers, b)
		c.mu.Unlock()
		logs := c.touched
		for i, l := range logs {
			l.SyncAsync(func(err error) { c.synced(b, err) })
			logs[i] = nil
		}
		c.touched = logs[:0]
	}
	c.flush()
}

// synced runs on the store's committer goroutine when one log of barrier b
// has synced.
func (c *confirmer) synced(b *barrier, err error) {
	c.mu.Lock()
	b.remaining--
	if err != nil && b.err == nil {
		b.err = err
	}
	// Complete barriers in order: a later one may finish first.
	for len(c.barriers) > 0 && c.barriers[0].remaining == 0 {
		done := c.barriers[0]
		c.barriers = c.barriers[1:]
		i := 0
		for i < len(c.waiting) && c.waiting[i] <= done.upTo {
			if done.err != nil {
				c.nacks = append(c.nacks, c.waiting[i])
			}
			i++
		}
		c.waiting = c.waiting[i:]
	}
	c.mu.Unlock()
	if err != nil {
		c.ch.conn.log.Error("message store sync failed; nacking", "channel", c.ch.id, "err", err)
	}
	c.flush()
}

// flush sends, in tag order, the confirms for every publish now settled:
// acks (multiple=true over runs) up to each nack, the nack, and the acks
// after it up to the safe frontier.
func (c *confirmer) flush() {
	c.mu.Lock()
	frontier := c.published
	if len(c.waiting) > 0 {
		frontier = c.waiting[0] - 1
	}
	var nacks []uint64
	if len(c.nacks) > 0 {
		slices.Sort(c.nacks)
		keep := c.nacks[:0]
		for _, s := range c.nacks {
			if s <= frontier {
				nacks = append(nacks, s)
			} else {
				keep = append(keep, s) // sent once the tags below are settled
			}
		}
		c.nacks = keep
	}
	from := c.ackSent
	if frontier > c.ackSent {
		c.ackSent = frontier
	}
	c.mu.Unlock()
	if frontier <= from && len(nacks) == 0 {
		return
	}
	if frontier > from {
		c.ch.conn.srv.confirmed.Add(frontier - from - uint64(len(nacks)))
	}
	ch := c.ch
	ch.conn.out.write(func(b []byte) []byte {
		prev := from
		for _, s := range nacks {
			if s-1 > prev {
				b = wire.AppendMethodFrame(b, ch.id, &wire.BasicAck{DeliveryTag: s - 1, Multiple: s-1-prev > 1})
			}
			b = wire.AppendMethodFrame(b, ch.id, &wire.BasicNack{DeliveryTag: s})
			prev = s
		}
		if frontier > prev {
			b = wire.AppendMethodFrame(b, ch.id, &wire.BasicAck{DeliveryTag: frontier, Multiple: frontier-prev > 1})
		}
		return b
	})
}
