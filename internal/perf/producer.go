package perf

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// closeReason waits briefly for the reason a channel closed: a publish
// fails with a generic "channel/connection is not open" while the broker's
// reply code (404, 406, ...) arrives on NotifyClose, and the reply code is
// what the user needs to see.
func closeReason(what string, closed <-chan *amqp.Error, err error) error {
	select {
	case e, ok := <-closed:
		if ok && e != nil {
			return closedError(what, e)
		}
	case <-time.After(200 * time.Millisecond):
	}
	return opError(what, err)
}

// producer publishes on one channel. Each producer channel is a PerfTest
// "producer" of its own: it has its own rate, message count and confirm
// window, and a globally unique id written into every body.
type producer struct {
	r      *runner
	id     uint32
	name   string
	ch     *amqp.Channel
	keys   []string
	closed chan *amqp.Error

	window  chan struct{} // one token per unconfirmed message
	pending []atomic.Int64
	drained chan struct{} // closed when the confirm listener exits
}

func (r *runner) newProducer(conn *amqp.Connection, id int, g int) (*producer, error) {
	name := fmt.Sprintf("producer %d", id)
	ch, err := conn.Channel()
	if err != nil {
		return nil, opError(name+": opening a channel", err)
	}
	p := &producer{r: r, id: uint32(id), name: name, ch: ch, keys: r.c.producerKeys(g),
		closed: ch.NotifyClose(make(chan *amqp.Error, 1))}
	if n := r.c.Confirm; n > 0 {
		if err := ch.Confirm(false); err != nil {
			return nil, opError(name+": enabling publisher confirms", err)
		}
		p.window = make(chan struct{}, n)
		p.pending = make([]atomic.Int64, n)
		p.drained = make(chan struct{})
		// The library needs room for every outstanding confirm, or it stalls
		// the whole connection; the window guarantees there is.
		go p.listenConfirms(ch.NotifyPublish(make(chan amqp.Confirmation, n+1)))
	}
	if r.c.Mandatory {
		returns := ch.NotifyReturn(make(chan amqp.Return, 64))
		go func() {
			for range returns {
				r.st.returned.Add(1)
			}
		}()
	}
	return p, nil
}

// listenConfirms counts acks and nacks and records the confirm latency,
// from the intended send time kept in the slot of the delivery tag.
func (p *producer) listenConfirms(confirms <-chan amqp.Confirmation) {
	defer close(p.drained)
	st := p.r.st
	n := uint64(len(p.pending))
	for cf := range confirms {
		sent := p.pending[cf.DeliveryTag%n].Load()
		st.confirmLat.Record(time.Now().UnixNano() - sent)
		if cf.Ack {
			st.confirmed.Add(1)
		} else {
			st.nacked.Add(1)
		}
		<-p.window
	}
}

// run publishes until ctx is done or --pmessages are sent, then waits
// (within the shutdown timeout) for the outstanding confirms.
func (p *producer) run(ctx context.Context) error {
	c, st := p.r.c, p.r.st
	pacer := NewPacer(c.rateSchedule(), p.r.start)
	sizes := Schedule{Constant: float64(c.Size), Steps: c.VariableSize}
	var picker *sizePicker
	maxSize := max(c.Size, HeaderSize)
	for _, s := range c.VariableSize {
		maxSize = max(maxSize, int(s.Value))
	}
	if len(c.BodySizes) > 0 {
		picker = newSizePicker(c.BodySizes, uint64(p.id)+uint64(time.Now().UnixNano()))
		for _, w := range c.BodySizes {
			maxSize = max(maxSize, w.Size)
		}
	}
	body := make([]byte, maxSize)
	msg := c.Properties // a copy: the template's headers are only read
	if c.Persistent {
		msg.DeliveryMode = amqp.Persistent
	}
	if c.Priority >= 0 {
		msg.Priority = uint8(c.Priority)
	}
	if c.Expiration != "" {
		msg.Expiration = c.Expiration
	}
	for seq := uint64(1); c.PMessages == 0 || seq <= uint64(c.PMessages); seq++ {
		if p.window != nil { // the window first: waiting for it is part of the latency
			select {
			case p.window <- struct{}{}:
			case <-ctx.Done():
				return p.drain()
			case e := <-p.closed:
				return closedError(p.name+"'s channel", e)
			}
		}
		intended, ok := pacer.Wait(ctx)
		if !ok {
			if p.window != nil {
				<-p.window // the token taken for a message never sent
			}
			return p.drain()
		}
		size := maxSize
		switch {
		case picker != nil:
			size = max(picker.pick(), HeaderSize)
		case len(c.VariableSize) > 0:
			v, _ := sizes.At(time.Since(p.r.start))
			size = max(int(v), HeaderSize)
		}
		writeHeader(body, intended.UnixNano(), p.id, seq)
		if p.window != nil {
			p.pending[p.ch.GetNextPublishSeqNo()%uint64(len(p.pending))].Store(intended.UnixNano())
		}
		msg.Body = body[:size]
		key := p.keys[int(seq)%len(p.keys)]
		if c.RandomRoutingKey {
			key = randomKey()
		}
		if err := p.ch.Publish(c.Exchange, key, c.Mandatory, false, msg); err != nil {
			if ctx.Err() != nil || p.r.stopping.Load() {
				return nil
			}
			return closeReason(p.name+"'s channel", p.closed, err)
		}
		st.sent.Add(1)
		st.bytesSent.Add(int64(size))
	}
	return p.drain()
}

// drain waits for the confirms of messages already published: they count
// in the totals, and leaving before them would call them lost.
func (p *producer) drain() error {
	if p.window == nil {
		return nil
	}
	deadline := time.NewTimer(p.r.c.ShutdownTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for len(p.window) > 0 {
		select {
		case <-deadline.C:
			err := fmt.Errorf("%s: %d publishes still unconfirmed after %v", p.name, len(p.window), p.r.c.ShutdownTimeout)
			p.r.st.errors.add(err, false)
			return nil
		case <-p.drained:
			return nil
		case <-tick.C:
		}
	}
	return nil
}

var errStopping = errors.New("the run is stopping")
