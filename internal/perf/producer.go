package perf

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// producer publishes on one channel. Each producer channel is a PerfTest
// "producer" of its own: it has its own rate, message count and confirm
// window, and a globally unique id written into every body. It publishes
// through the tool's own client (amqpc), which batches writes: a batch
// goes out when the buffer fills, and before the producer waits for its
// rate or its confirm window, so a paced message is never held back.
type producer struct {
	r     *runner
	id    uint32
	name  string
	ch    *amqpc.Channel
	keys  []string
	props []byte // the encoded message properties, the same for every message

	// With confirms: one window token per unconfirmed message, and per
	// slot (sequence number mod the window) the sequence number and the
	// intended send time of the message that holds it.
	window chan struct{}
	tags   []atomic.Uint64
	sent   []atomic.Int64
	low    uint64      // reader goroutine only: every tag below is confirmed
	waited *time.Timer // --confirm-timeout, reused by every wait for the window

	files       *fileBodies // --body, else nil: the tool's own stamped bodies
	uncommitted int         // --ptxsize: publishes since the last commit
}

func (r *runner) newProducer(conn *amqpc.Conn, id int, g int) (*producer, error) {
	c := r.c
	name := fmt.Sprintf("producer %d", id)
	ch, err := conn.Channel()
	if err != nil {
		return nil, opError(name+": opening a channel", err)
	}
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
	if c.ContentType != "" {
		msg.ContentType = c.ContentType
	}
	p := &producer{r: r, id: uint32(id), name: name, ch: ch, keys: c.producerKeys(g),
		props: wireProperties(msg), low: 1}
	if len(c.bodies) > 0 {
		if p.files, err = newFileBodies(c.bodies, msg); err != nil {
			return nil, err
		}
	}
	h := amqpc.Handlers{}
	if c.Mandatory {
		h.Return = func(uint16, string) { r.st.returned.Add(1) }
	}
	if n := c.Confirm; n > 0 {
		p.window = make(chan struct{}, n)
		p.tags = make([]atomic.Uint64, n)
		p.sent = make([]atomic.Int64, n)
		h.Confirm = p.confirmed
		if c.ConfirmTimeout > 0 {
			p.waited = time.NewTimer(c.ConfirmTimeout)
			p.waited.Stop()
		}
	}
	ch.SetHandlers(h)
	if p.window != nil {
		if err := ch.Confirm(); err != nil {
			return nil, opError(name+": enabling publisher confirms", err)
		}
	}
	if c.ProducerTx > 0 {
		if err := ch.TxSelect(); err != nil {
			return nil, opError(name+": selecting transactions", err)
		}
	}
	return p, nil
}

// confirmed handles the broker's ack or nack (on the connection's reader
// goroutine): it records the confirm latency from the intended send time
// and frees the window slots. A multiple one covers every unconfirmed tag
// up to tag; those lie within one window of it.
func (p *producer) confirmed(tag uint64, multiple, ack bool) {
	from := tag
	if multiple {
		n := uint64(len(p.tags))
		from = p.low
		if tag >= n && tag-n+1 > from {
			from = tag - n + 1
		}
		p.low = max(p.low, tag+1)
	}
	st := p.r.st
	now := time.Now().UnixNano()
	for t := from; t <= tag; t++ {
		i := t % uint64(len(p.tags))
		if p.tags[i].Load() != t {
			continue // confirmed already, or not this message's slot
		}
		st.confirmLat.Record(now - p.sent[i].Load())
		p.tags[i].Store(0)
		if ack {
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
	sched := c.rateSchedule()
	paced := sched.Constant > 0 || len(sched.Steps) > 0
	pacer := NewPacer(sched, p.r.start)
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
	var seq uint64
	for seq = 1; c.PMessages == 0 || seq <= uint64(c.PMessages); seq++ {
		if p.window != nil { // the window first: waiting for it is part of the latency
			select {
			case p.window <- struct{}{}:
			default:
				if err := p.ch.Flush(); err != nil {
					return p.failed(ctx, err)
				}
				if ok, err := p.waitWindow(ctx); !ok {
					return err
				}
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
		props, payload := p.props, body[:size]
		if p.files != nil {
			props, payload = p.files.next(seq, intended.UnixNano())
			size = len(payload)
		} else {
			writeHeader(body, intended.UnixNano(), p.id, seq)
		}
		if p.window != nil {
			i := seq % uint64(len(p.tags))
			if p.tags[i].Load() != 0 {
				// Confirms came out of order and the message one window
				// back still holds this slot: wait for its confirm.
				if ok, err := p.waitSlot(ctx, i); !ok {
					return err
				}
			}
			p.sent[i].Store(intended.UnixNano())
			p.tags[i].Store(seq)
		}
		key := p.keys[int(seq)%len(p.keys)]
		if c.RandomRoutingKey {
			key = randomKey()
		}
		if _, err := p.ch.Publish(c.Exchange, key, c.Mandatory, props, payload); err != nil {
			return p.failed(ctx, err)
		}
		if c.ProducerTx > 0 {
			if err := p.commitEvery(); err != nil {
				return p.failed(ctx, err)
			}
		}
		if paced { // the next message waits for its time: send this one now
			if err := p.ch.Flush(); err != nil {
				return p.failed(ctx, err)
			}
		}
		st.sent.Add(1)
		st.bytesSent.Add(int64(size))
	}
	if err := p.ch.Flush(); err != nil {
		return p.failed(ctx, err)
	}
	return p.drain()
}

// waitSlot waits until slot i of the confirm window is free; false when
// publishing must stop instead, with the error to return.
func (p *producer) waitSlot(ctx context.Context, i uint64) (bool, error) {
	if err := p.ch.Flush(); err != nil {
		return false, p.failed(ctx, err)
	}
	t := time.NewTicker(100 * time.Microsecond)
	defer t.Stop()
	start := time.Now()
	for p.tags[i].Load() != 0 {
		select {
		case <-ctx.Done():
			<-p.window // the token taken for a message never sent
			return false, p.drain()
		case <-p.ch.Done():
			return false, p.failed(ctx, nil)
		case <-t.C:
			if d := p.r.c.ConfirmTimeout; d > 0 && time.Since(start) > d {
				return false, p.confirmTimedOut()
			}
		}
	}
	return true, nil
}

// waitWindow waits for a free place in the confirm window, at most
// --confirm-timeout: a broker that stops confirming fails the run, as in
// PerfTest, instead of stalling it. False when publishing must stop, with
// the error to return.
func (p *producer) waitWindow(ctx context.Context) (bool, error) {
	select { // the usual case, a free place, without touching the timer
	case p.window <- struct{}{}:
		return true, nil
	default:
	}
	var timeout <-chan time.Time
	if p.waited != nil {
		p.waited.Reset(p.r.c.ConfirmTimeout)
		defer p.waited.Stop()
		timeout = p.waited.C
	}
	select {
	case p.window <- struct{}{}:
		return true, nil
	case <-ctx.Done():
		return false, p.drain()
	case <-p.ch.Done():
		return false, p.failed(ctx, nil)
	case <-timeout:
		return false, p.confirmTimedOut()
	}
}

func (p *producer) confirmTimedOut() error {
	return fmt.Errorf("%s: no publisher confirm for %v with %d messages outstanding (see --confirm-timeout)",
		p.name, p.r.c.ConfirmTimeout, len(p.window))
}

// failed explains why publishing stopped: the broker's reason for closing
// the channel when there is one, nothing when the run is ending anyway.
func (p *producer) failed(ctx context.Context, err error) error {
	if ctx.Err() != nil || p.r.stopping.Load() {
		return nil
	}
	select {
	case <-p.ch.Done():
		return closedError(p.name+"'s channel", p.ch.Err())
	case <-time.After(200 * time.Millisecond):
	}
	return opError(p.name+": publishing", err)
}

// drain waits for the confirms of messages already published: they count
// in the totals, and leaving before them would call them lost.
func (p *producer) drain() error {
	if err := p.commitRest(); err != nil {
		return p.failed(context.Background(), err)
	}
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
		case <-p.ch.Done():
			return nil
		case <-tick.C:
		}
	}
	return nil
}

var errStopping = errors.New("the run is stopping")
