package perf

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// consumer consumes on one channel, from its own server-named queue or
// from the named queues assigned to it.
type consumer struct {
	r          *runner
	name       string
	ch         *amqp.Channel
	closed     chan *amqp.Error
	deliveries <-chan amqp.Delivery
	tags       []string
}

// newConsumer sets the channel up and registers the consumers; it returns
// once the broker has confirmed them (basic.consume-ok), so that the
// producers, started after every consumer is ready, lose no message.
func (r *runner) newConsumer(conn *amqp.Connection, id, g int) (*consumer, error) {
	c := r.c
	name := fmt.Sprintf("consumer %d", id)
	ch, err := conn.Channel()
	if err != nil {
		return nil, opError(name+": opening a channel", err)
	}
	k := &consumer{r: r, name: name, ch: ch, closed: ch.NotifyClose(make(chan *amqp.Error, 1))}
	if c.Qos > 0 {
		if err := ch.Qos(c.Qos, 0, false); err != nil {
			return nil, opError(name+": setting the prefetch count", err)
		}
	}
	if c.GlobalQos > 0 {
		if err := ch.Qos(c.GlobalQos, 0, true); err != nil {
			return nil, opError(name+": setting the global prefetch count", err)
		}
	}
	queues := c.consumerQueues(g)
	if c.queueNames() == nil {
		q, err := ch.QueueDeclare("", false, true, true, false, c.queueArgs())
		if err != nil {
			return nil, opError(name+": declaring its queue", err)
		}
		if !c.SkipBinding && c.Exchange != "" {
			if err := ch.QueueBind(q.Name, c.RoutingKey, c.Exchange, false, nil); err != nil {
				return nil, opError(fmt.Sprintf("%s: binding its queue to exchange %q", name, c.Exchange), err)
			}
		}
		queues = []string{q.Name}
	}
	var streams []<-chan amqp.Delivery
	for i, q := range queues {
		tag := fmt.Sprintf("perf-%s-%d-%d", c.ID, id, i)
		d, err := ch.Consume(q, tag, c.AutoAck, false, false, false, c.ConsumerArgs)
		if err != nil {
			return nil, opError(fmt.Sprintf("%s: consuming from queue %q", name, q), err)
		}
		streams = append(streams, d)
		k.tags = append(k.tags, tag)
	}
	k.deliveries = merge(streams)
	return k, nil
}

// merge fans several delivery streams into one, so one loop (and one
// goroutine touching the channel, which is not safe for concurrent use)
// handles a consumer that reads several queues.
func merge(streams []<-chan amqp.Delivery) <-chan amqp.Delivery {
	if len(streams) == 1 {
		return streams[0]
	}
	out := make(chan amqp.Delivery, 64)
	var wg sync.WaitGroup
	for _, s := range streams {
		wg.Go(func() {
			for d := range s {
				out <- d
			}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// run processes deliveries until ctx is done or --cmessages are received.
func (k *consumer) run(ctx context.Context) error {
	c, st := k.r.c, k.r.st
	var pacer *Pacer
	if c.ConsumerRate > 0 {
		pacer = NewPacer(Schedule{Constant: c.ConsumerRate}, time.Now())
	}
	var count, unacked uint64
	var last uint64 // delivery tag of the last unacknowledged message
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-k.closed:
			if k.r.stopping.Load() {
				return nil
			}
			return closedError(k.name+"'s channel", e)
		case d, ok := <-k.deliveries:
			if !ok {
				if k.r.stopping.Load() || ctx.Err() != nil {
					return nil
				}
				return closeReason(k.name+"'s channel", k.closed, fmt.Errorf("deliveries ended"))
			}
			now := time.Now().UnixNano()
			if sent, _, _, ok := readHeader(d.Body); ok {
				st.consumerLat.Record(now - sent)
			}
			st.received.Add(1)
			count++
			if c.ConsumerLatency > 0 {
				time.Sleep(c.ConsumerLatency)
			}
			if !c.AutoAck {
				if err := k.settle(d, &unacked, &last); err != nil {
					if k.r.stopping.Load() {
						return nil
					}
					return closeReason(k.name+"'s channel", k.closed, err)
				}
			}
			if c.CMessages > 0 && count >= uint64(c.CMessages) {
				return k.finish(last, unacked)
			}
			if pacer != nil {
				if _, ok := pacer.Wait(ctx); !ok {
					return nil
				}
			}
		}
	}
}

// settle acknowledges d: one by one, every --multi-ack-every with
// multiple=true, or a nack with requeue for --nack.
func (k *consumer) settle(d amqp.Delivery, unacked, last *uint64) error {
	c := k.r.c
	if c.Nack {
		return k.ch.Nack(d.DeliveryTag, false, true)
	}
	if c.MultiAckEvery <= 1 {
		return k.ch.Ack(d.DeliveryTag, false)
	}
	*unacked++
	*last = d.DeliveryTag
	if *unacked >= uint64(c.MultiAckEvery) {
		*unacked = 0
		return k.ch.Ack(d.DeliveryTag, true)
	}
	return nil
}

// finish acknowledges what a multi-ack left pending and cancels the
// consumers, so the rest of the queue stays for others.
func (k *consumer) finish(last, unacked uint64) error {
	if unacked > 0 && !k.r.c.AutoAck {
		if err := k.ch.Ack(last, true); err != nil {
			return opError(k.name+": acknowledging", err)
		}
	}
	for _, tag := range k.tags {
		if err := k.ch.Cancel(tag, false); err != nil {
			return opError(k.name+": cancelling", err)
		}
	}
	return nil
}
