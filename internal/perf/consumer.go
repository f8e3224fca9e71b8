package perf

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// consumer consumes on one channel, from its own server-named queue or
// from the named queues assigned to it. Deliveries are handled on the
// connection's reader goroutine (amqpc), without a hand-off: the handler
// records the latency, counts, and acknowledges into the connection's
// write buffer, which the reader flushes before it next waits. A consumer
// rate or latency (--consumer-rate, --consumer-latency) sleeps there too,
// which holds back the whole connection, as a slow consumer does.
type consumer struct {
	r    *runner
	name string
	ch   *amqpc.Channel
	tags []string

	// Reader goroutine only, until finished is closed.
	pacer       *Pacer
	count       uint64
	unacked     uint64
	last        uint64 // delivery tag of the last unacknowledged message
	uncommitted int    // --ctxsize: messages settled since the last commit
	stopped     bool
	ackErr      error

	// Simulated processing time (--consumer-latency, --variable-latency),
	// timed from the consumer's start.
	latency      Schedule
	latencyStart time.Time
	slow         bool

	finishOnce sync.Once
	finished   chan struct{} // --cmessages reached, or an ack failed
	cancelled  chan string   // consumer tags the broker cancelled

	// ended is set when run returns (the run is over for this consumer):
	// deliveries still arriving before the connection closes are not
	// counted, and a consumer-rate wait is cut short (ctx).
	ended  atomic.Bool
	ctx    context.Context
	cancel context.CancelFunc
}

// newConsumer sets the channel up and registers the consumers; it returns
// once the broker has confirmed them (basic.consume-ok), so that the
// producers, started after every consumer is ready, lose no message.
func (r *runner) newConsumer(conn *amqpc.Conn, id, g int) (*consumer, error) {
	c := r.c
	name := fmt.Sprintf("consumer %d", id)
	ch, err := conn.Channel()
	if err != nil {
		return nil, opError(name+": opening a channel", err)
	}
	k := &consumer{r: r, name: name, ch: ch, finished: make(chan struct{}), cancelled: make(chan string, 1)}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	if c.ConsumerRate > 0 {
		k.pacer = NewPacer(Schedule{Constant: c.ConsumerRate}, time.Now())
	}
	k.latency, k.latencyStart = c.latencySchedule(), time.Now()
	k.slow = c.ConsumerLatency > 0 || len(c.VariableLatency) > 0
	if c.ConsumerTx > 0 {
		if err := ch.TxSelect(); err != nil {
			return nil, opError(name+": selecting transactions", err)
		}
	}
	ch.SetHandlers(amqpc.Handlers{Deliver: k.deliver, Cancel: func(tag string) {
		select {
		case k.cancelled <- tag:
		default:
		}
	}})
	if c.Qos > 0 {
		if err := ch.Qos(c.Qos, false); err != nil {
			return nil, opError(name+": setting the prefetch count", err)
		}
	}
	if c.GlobalQos > 0 {
		if err := ch.Qos(c.GlobalQos, true); err != nil {
			return nil, opError(name+": setting the global prefetch count", err)
		}
	}
	queues := c.consumerQueues(g)
	if c.queueNames() == nil {
		q, err := ch.QueueDeclare("", false, true, true, wireTable(c.queueArgs()))
		if err != nil {
			return nil, opError(name+": declaring its queue", err)
		}
		if !c.SkipBinding && c.Exchange != "" {
			if err := ch.QueueBind(q, c.RoutingKey, c.Exchange, nil); err != nil {
				return nil, opError(fmt.Sprintf("%s: binding its queue to exchange %q", name, c.Exchange), err)
			}
		}
		queues = []string{q}
	} else if c.Exclusive {
		if err := r.declareExclusive(ch, name, queues); err != nil {
			return nil, err
		}
	}
	args := wireTable(c.ConsumerArgs)
	if c.StreamOffset != "" {
		v, _ := streamOffsetValue(c.StreamOffset) // checked by validate
		if args == nil {
			args = wire.Table{}
		}
		args["x-stream-offset"] = v
	}
	for i, q := range queues {
		tag := fmt.Sprintf("perf-%s-%d-%d", c.ID, id, i)
		if err := ch.Consume(q, tag, c.AutoAck, false, args); err != nil {
			return nil, opError(fmt.Sprintf("%s: consuming from queue %q", name, q), err)
		}
		k.tags = append(k.tags, tag)
	}
	return k, nil
}

// deliver handles one delivery on the reader goroutine.
func (k *consumer) deliver(d *amqpc.Delivery) {
	if k.stopped || k.ended.Load() {
		return // past --cmessages or the end: left unacknowledged, for others
	}
	c, st := k.r.c, k.r.st
	now := time.Now().UnixNano()
	if len(c.bodies) > 0 { // --body: the send time is in a header
		if sent, ok := headerTimestamp(d.Props); ok {
			st.consumerLat.Record(now - sent)
		}
	} else if sent, _, _, ok := readHeader(d.Body); ok {
		st.consumerLat.Record(now - sent)
	}
	st.received.Add(1)
	k.count++
	if k.slow {
		k.process()
	}
	if !c.AutoAck {
		err := k.settle(d.Tag)
		if err == nil && c.ConsumerTx > 0 {
			err = k.commitAcks()
		}
		if err != nil {
			k.ackErr = err
			k.stop()
			return
		}
	}
	if c.CMessages > 0 && k.count >= uint64(c.CMessages) {
		k.stop()
		return
	}
	if k.pacer != nil {
		k.pacer.Wait(k.ctx)
	}
}

// process sleeps the simulated processing time in force now.
func (k *consumer) process() {
	us, _ := k.latency.At(time.Since(k.latencyStart))
	if us > 0 {
		time.Sleep(time.Duration(us * float64(time.Microsecond)))
	}
}

func (k *consumer) stop() {
	k.stopped = true
	k.finishOnce.Do(func() { close(k.finished) })
}

// run waits until ctx is done, --cmessages are received, or the channel
// ends; the deliveries themselves are handled by deliver.
func (k *consumer) run(ctx context.Context) error {
	defer func() {
		k.ended.Store(true)
		k.cancel()
	}()
	select {
	case <-ctx.Done():
		return nil
	case <-k.ch.Done():
		if k.r.stopping.Load() {
			return nil
		}
		return closedError(k.name+"'s channel", k.ch.Err())
	case tag := <-k.cancelled:
		if k.r.stopping.Load() || ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%s: consumer %s cancelled by the broker (was its queue deleted?)", k.name, tag)
	case <-k.finished:
		if k.ackErr != nil {
			if k.r.stopping.Load() {
				return nil
			}
			return opError(k.name+": acknowledging", k.ackErr)
		}
		return k.finish()
	}
}

// settle acknowledges tag: one by one, every --multi-ack-every with
// multiple=true, or a nack with requeue for --nack.
func (k *consumer) settle(tag uint64) error {
	c := k.r.c
	if c.Nack {
		return k.ch.Nack(tag, false, true)
	}
	if c.MultiAckEvery <= 1 {
		return k.ch.Ack(tag, false)
	}
	k.unacked++
	k.last = tag
	if k.unacked >= uint64(c.MultiAckEvery) {
		k.unacked = 0
		return k.ch.Ack(tag, true)
	}
	return nil
}

// finish acknowledges what a multi-ack left pending and cancels the
// consumers, so the rest of the queue stays for others.
func (k *consumer) finish() error {
	if k.unacked > 0 && !k.r.c.AutoAck {
		if err := k.ch.Ack(k.last, true); err != nil {
			return opError(k.name+": acknowledging", err)
		}
	}
	if err := k.commitAcksRest(); err != nil {
		return opError(k.name+": committing acknowledgements", err)
	}
	for _, tag := range k.tags {
		if err := k.ch.Cancel(tag); err != nil {
			return opError(k.name+": cancelling", err)
		}
	}
	return nil
}
