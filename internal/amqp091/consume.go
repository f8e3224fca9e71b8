package amqp091

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// consumerState is the channel's view of one of its consumers.
type consumerState struct {
	ch       *channel
	c        *broker.Consumer
	tag      string
	noAck    bool
	prefetch uint32 // per-consumer limit (basic.qos global=false); 0 = none
	unacked  uint32 // guarded by ch.dmu
}

func (ch *channel) basicQos(m *wire.BasicQos) error {
	if m.PrefetchSize != 0 {
		return newErr(wire.NotImplemented, "prefetch_size!=0 (%d)", m.PrefetchSize).on(m)
	}
	// RabbitMQ's meaning: global=false limits each consumer created after
	// this call; global=true limits the channel as a whole.
	if m.Global {
		ch.dmu.Lock()
		ch.channelPrefetch = uint32(m.PrefetchCount)
		var resume []*consumerState
		for _, cs := range ch.consumers {
			resume = append(resume, cs)
		}
		ch.dmu.Unlock()
		for _, cs := range resume {
			cs.c.Resume()
		}
	} else {
		ch.consumerPrefetch = uint32(m.PrefetchCount)
		ch.dmu.Lock()
		ch.infoPrefetch = ch.consumerPrefetch
		ch.dmu.Unlock()
	}
	ch.send(&wire.BasicQosOk{})
	return nil
}

// queueName applies RabbitMQ's shortcut: an empty name means the queue
// last declared on this channel.
func (ch *channel) queueName(name string, m wire.Method) (string, error) {
	if name != "" {
		return name, nil
	}
	if ch.lastQueue == "" {
		return "", newErr(wire.NotFound, "no previously declared queue").on(m)
	}
	return ch.lastQueue, nil
}

func randomTag(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func (ch *channel) basicConsume(m *wire.BasicConsume) error {
	if m.Queue == replyToQueue { // direct reply-to: replyto.go
		return ch.consumeReplyTo(m)
	}
	name, err := ch.queueName(m.Queue, m)
	if err != nil {
		return err
	}
	if err := ch.check(auth.Read, "queue", name, m); err != nil {
		return err
	}
	q, err := ch.conn.vhost.QueueFor(name, ch.conn)
	if err != nil {
		return fromBroker(err, m)
	}
	tag := m.ConsumerTag
	if tag == "" {
		tag = randomTag("amq.ctag-")
	}
	ch.dmu.Lock()
	_, dup := ch.consumers[tag]
	ch.dmu.Unlock()
	if dup {
		return newErr(wire.NotAllowed, "attempt to reuse consumer tag '%s'", tag).on(m)
	}
	cs := &consumerState{ch: ch, tag: tag, noAck: m.NoAck, prefetch: ch.consumerPrefetch}
	// The consumer starts paused so that consume-ok is in the output before
	// the first delivery; Resume then starts the flow. The output is held
	// meanwhile: a client that saw consume-ok before Resume could publish
	// (on another connection) a message the queue would still give to
	// another consumer, ignoring this one's priority.
	prio := 0
	if v, ok := m.Arguments["x-priority"]; ok {
		p, ok := broker.IntArg(v)
		if !ok {
			return newErr(wire.PreconditionFailed, "invalid arg 'x-priority' for queue '%s' in vhost '%s': {unacceptable_type,%T}", name, ch.conn.vhost.Name(), v).on(m)
		}
		prio = int(p)
	}
	spec := broker.ConsumerSpec{Tag: tag, NoAck: m.NoAck, Exclusive: m.Exclusive, Priority: prio, Sink: ch, Data: cs}
	if q.IsQuorum() {
		ch.dmu.Lock()
		global := ch.channelPrefetch
		ch.dmu.Unlock()
		if global > 0 {
			return newErr(wire.NotImplemented, "queue '%s' in vhost '%s' does not support global qos", name, ch.conn.vhost.Name()).on(m)
		}
	}
	if q.IsStream() {
		// A stream consumer's acks are its flow control, so RabbitMQ
		// demands both.
		if m.NoAck {
			return streamRefuses("automatic acknowledgement", q, m)
		}
		if cs.prefetch == 0 {
			return newErr(wire.PreconditionFailed, "consumer prefetch count is not set for 'queue '%s' in vhost '%s''", name, ch.conn.vhost.Name()).on(m)
		}
		spec.StreamOffset, spec.HasStreamOffset = m.Arguments["x-stream-offset"]
	}
	c, err := q.Consume(spec)
	if err != nil {
		return fromBroker(err, m)
	}
	cs.c = c
	ch.dmu.Lock()
	ch.consumers[tag] = cs
	ch.dmu.Unlock()
	o := ch.conn.out
	o.hold(func(b []byte) []byte {
		if m.NoWait {
			return b
		}
		return wire.AppendMethodFrame(b, ch.id, &wire.BasicConsumeOk{ConsumerTag: tag})
	})
	defer o.release()
	c.Resume()
	return nil
}

func (ch *channel) basicCancel(m *wire.BasicCancel) error {
	if ch.cancelReplyTo(m) { // direct reply-to: replyto.go
		return nil
	}
	ch.dmu.Lock()
	cs, ok := ch.consumers[m.ConsumerTag]
	delete(ch.consumers, m.ConsumerTag)
	ch.dmu.Unlock()
	if ok {
		cs.c.Cancel()
	}
	// RabbitMQ answers cancel-ok for unknown tags too.
	if !m.NoWait {
		ch.send(&wire.BasicCancelOk{ConsumerTag: m.ConsumerTag})
	}
	return nil
}

// Deliver implements broker.Sink. It runs on the delivering goroutine with
// the queue lock held.
func (ch *channel) Deliver(c *broker.Consumer, d broker.Delivery) bool {
	cs := c.Data.(*consumerState)
	ch.dmu.Lock()
	defer ch.dmu.Unlock()
	if ch.dead {
		return false
	}
	if !cs.noAck {
		if cs.prefetch > 0 && cs.unacked >= cs.prefetch {
			return false
		}
		if ch.channelPrefetch > 0 && uint32(ch.unacked.Len()+ch.held) >= ch.channelPrefetch {
			return false
		}
	}
	o := ch.conn.out
	o.mu.Lock()
	if !o.roomLocked(c) {
		o.mu.Unlock()
		return false
	}
	ch.nextTag++
	tag := ch.nextTag
	m := &ch.deliverScratch
	*m = wire.BasicDeliver{ConsumerTag: cs.tag, DeliveryTag: tag, Redelivered: d.Redelivered,
		Exchange: d.Msg.Exchange, RoutingKey: d.Msg.RoutingKey}
	o.buf = appendContent(o.buf, ch.id, m, deliveryProps(d), d.Msg.Body, ch.conn.frameMax)
	o.mu.Unlock()
	o.signal()
	if !cs.noAck {
		cs.unacked++
		ch.unacked.push(pendingDelivery{tag: tag, d: d, consumer: cs, at: ch.conn.srv.clock.Load() / 1e6})
		ch.conn.unacked.Add(1)
	}
	return true
}

// checkConsumerTimeout returns the error that closes the channel when one
// of its oldest deliveries has waited for an ack longer than its queue's
// consumer timeout (x-consumer-timeout, else the broker's), as RabbitMQ's
// consumer_timeout does.
func (ch *channel) checkConsumerTimeout(now time.Time, def time.Duration) *amqpError {
	if ch.closed || def <= 0 {
		return nil
	}
	var late int64
	ms := now.UnixMilli()
	ch.dmu.Lock()
	ch.unacked.oldest(64, func(p *pendingDelivery) {
		to := p.d.Queue.ConsumerTimeout()
		if to < 0 {
			to = def.Milliseconds()
		}
		if late == 0 && ms-p.at > to {
			late = to
		}
	})
	ch.dmu.Unlock()
	if late == 0 {
		return nil
	}
	return newErr(wire.PreconditionFailed, "delivery acknowledgement on channel %d timed out. Timeout value used: %d ms. This timeout value can be configured, see consumers doc guide to learn more", ch.id, late)
}

// appendContent appends a content-bearing method with its header and body
// frames.
func appendContent(b []byte, ch uint16, m wire.Method, props, body []byte, frameMax uint32) []byte {
	b = wire.AppendMethodFrame(b, ch, m)
	b = wire.AppendHeaderFrame(b, ch, wire.ClassBasic, uint64(len(body)), props)
	return wire.AppendBodyFrames(b, ch, body, frameMax)
}

// Cancelled implements broker.Sink: the queue went away, so tell a client
// that understands consumer_cancel_notify, as RabbitMQ does.
func (ch *channel) Cancelled(c *broker.Consumer) {
	cs := c.Data.(*consumerState)
	ch.dmu.Lock()
	_, ok := ch.consumers[cs.tag]
	if ok && ch.consumers[cs.tag] == cs {
		delete(ch.consumers, cs.tag)
	}
	dead := ch.dead
	ch.dmu.Unlock()
	if !ok || dead {
		return
	}
	if notify, _ := ch.conn.clientCaps["consumer_cancel_notify"].(bool); notify {
		ch.send(&wire.BasicCancel{ConsumerTag: cs.tag, NoWait: true})
	}
}

func (ch *channel) basicGet(m *wire.BasicGet) error {
	name, err := ch.queueName(m.Queue, m)
	if err != nil {
		return err
	}
	if err := ch.check(auth.Read, "queue", name, m); err != nil {
		return err
	}
	q, err := ch.conn.vhost.QueueFor(name, ch.conn)
	if err != nil {
		return fromBroker(err, m)
	}
	if q.IsStream() {
		return streamRefuses("basic.get", q, m)
	}
	d, ok, remaining := q.Get(m.NoAck)
	if !ok {
		ch.send(&wire.BasicGetEmpty{})
		return nil
	}
	ch.dmu.Lock()
	ch.nextTag++
	tag := ch.nextTag
	if !m.NoAck {
		ch.unacked.push(pendingDelivery{tag: tag, d: d, at: ch.conn.srv.clock.Load() / 1e6})
		ch.conn.unacked.Add(1)
	}
	ch.dmu.Unlock()
	get := &wire.BasicGetOk{DeliveryTag: tag, Redelivered: d.Redelivered, Exchange: d.Msg.Exchange,
		RoutingKey: d.Msg.RoutingKey, MessageCount: uint32(remaining)}
	props := deliveryProps(d)
	ch.conn.out.write(func(b []byte) []byte {
		return appendContent(b, ch.id, get, props, d.Msg.Body, ch.conn.frameMax)
	})
	return nil
}

// take removes deliveries from the unacked list. The prefetch credit they
// held stays held until release: the caller first tells the queues (so a
// requeued message is back at its place before the consumer has room for
// another) or, in a transaction, waits for the commit.
func (ch *channel) take(tag uint64, multiple bool, m wire.Method) ([]pendingDelivery, error) {
	ch.dmu.Lock()
	ps, ok := ch.unacked.take(tag, multiple, nil)
	if ok {
		ch.conn.unacked.Add(-int64(len(ps)))
		ch.held += len(ps)
	}
	ch.dmu.Unlock()
	if !ok {
		return nil, newErr(wire.PreconditionFailed, "unknown delivery tag %d", tag).on(m)
	}
	return ps, nil
}

// release gives back the credit of taken deliveries and wakes the
// consumers their queues parked.
func (ch *channel) release(ps []pendingDelivery) {
	var resume []*consumerState
	ch.dmu.Lock()
	if !ch.dead {
		ch.held -= len(ps)
		for _, p := range ps {
			if cs := p.consumer; cs != nil {
				cs.unacked--
			}
		}
		for _, cs := range ch.consumers {
			if cs.c.Blocked() {
				resume = append(resume, cs)
			}
		}
	}
	ch.dmu.Unlock()
	for _, cs := range resume {
		cs.c.Resume()
	}
}

func ackDeliveries(ps []pendingDelivery) {
	groupByQueue(ps, func(q *broker.Queue, ds []broker.Delivery) { q.Ack(ds...) })
}

func rejectDeliveries(ps []pendingDelivery, requeue bool) {
	if requeue {
		requeueDeliveries(ps)
		return
	}
	groupByQueue(ps, func(q *broker.Queue, ds []broker.Delivery) { q.Reject(ds...) })
}

func (ch *channel) basicAck(m *wire.BasicAck) error {
	if ch.tx != nil {
		return ch.txAck(m.DeliveryTag, m.Multiple, false, false, m)
	}
	ps, err := ch.take(m.DeliveryTag, m.Multiple, m)
	if err != nil {
		return err
	}
	ackDeliveries(ps)
	ch.release(ps)
	return nil
}

func (ch *channel) basicNack(m *wire.BasicNack) error {
	if ch.tx != nil {
		return ch.txAck(m.DeliveryTag, m.Multiple, true, m.Requeue, m)
	}
	ps, err := ch.take(m.DeliveryTag, m.Multiple, m)
	if err != nil {
		return err
	}
	if err := ch.streamSettled(ps, m); err != nil {
		return err
	}
	rejectDeliveries(ps, m.Requeue)
	ch.release(ps)
	return nil
}

func (ch *channel) basicReject(m *wire.BasicReject) error {
	if ch.tx != nil {
		return ch.txAck(m.DeliveryTag, false, true, m.Requeue, m)
	}
	ps, err := ch.take(m.DeliveryTag, false, m)
	if err != nil {
		return err
	}
	if err := ch.streamSettled(ps, m); err != nil {
		return err
	}
	rejectDeliveries(ps, m.Requeue)
	ch.release(ps)
	return nil
}

// basicRecover redelivers every unacknowledged message by requeueing it.
// Like RabbitMQ, Warren does not implement requeue=false (redelivery to the
// same consumer without requeueing).
func (ch *channel) basicRecover(requeue bool, m wire.Method) error {
	if !requeue {
		return newErr(wire.NotImplemented, "requeue=false").on(m)
	}
	ch.dmu.Lock()
	ps := ch.unacked.takeAll()
	ch.conn.unacked.Add(-int64(len(ps)))
	ch.held += len(ps)
	var all []*consumerState
	for _, cs := range ch.consumers {
		all = append(all, cs)
	}
	ch.dmu.Unlock()
	requeueDeliveries(ps)
	ch.release(ps)
	for _, cs := range all {
		cs.c.Resume()
	}
	if _, ok := m.(*wire.BasicRecover); ok {
		ch.send(&wire.BasicRecoverOk{})
	}
	return nil
}

// deliveryProps returns the properties to deliver d with: the publisher's
// bytes, except that a stream's deliveries carry their offset
// (x-stream-offset), and a redelivery from a quorum queue or a queue with
// x-delivery-limit carries x-delivery-count, as in RabbitMQ.
func deliveryProps(d broker.Delivery) []byte {
	if d.Queue.IsStream() {
		b, err := editHeaders(d.Msg.Props, func(h wire.Table) { h["x-stream-offset"] = int64(d.Seq) })
		if err != nil {
			return d.Msg.Props
		}
		return b
	}
	// Quorum queues count returns and tell redeliveries their count; so
	// does any queue with a delivery limit.
	if d.Deliveries == 0 || (d.Queue.DeliveryLimit() < 0 && !d.Queue.IsQuorum()) {
		return d.Msg.Props
	}
	b, err := editHeaders(d.Msg.Props, func(h wire.Table) { h["x-delivery-count"] = int64(d.Deliveries) })
	if err != nil {
		return d.Msg.Props
	}
	return b
}

// editHeaders returns props encoded again with a copy of its headers
// changed by edit; props and its table stay as they are (other queues may
// hold the same message).
func editHeaders(props []byte, edit func(h wire.Table)) ([]byte, error) {
	var p wire.Properties
	if err := p.Decode(props); err != nil {
		return nil, err
	}
	h := make(wire.Table, len(p.Headers)+1)
	for k, v := range p.Headers {
		h[k] = v
	}
	edit(h)
	p.Headers = h
	p.Set(wire.FlagHeaders)
	return p.Append(nil), nil
}

// streamRefuses is RabbitMQ's answer to what streams do not support: a
// connection error (540).
func streamRefuses(what string, q *broker.Queue, m wire.Method) error {
	return newErr(wire.NotImplemented, "%s not supported by stream queues queue '%s' in vhost '%s'", what, q.Name(), q.VHost().Name()).on(m)
}

// streamSettled refuses a nack or reject that covers a stream delivery, as
// RabbitMQ does (540, closing the connection). The other deliveries it
// took go back to their queues, as the close would do anyway.
func (ch *channel) streamSettled(ps []pendingDelivery, m wire.Method) error {
	for _, p := range ps {
		if p.d.Queue.IsStream() {
			requeueDeliveries(ps)
			ch.release(ps)
			return streamRefuses("basic.nack and basic.reject", p.d.Queue, m)
		}
	}
	return nil
}
