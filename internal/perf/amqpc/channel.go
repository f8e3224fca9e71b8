package amqpc

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// Delivery is one message handed to a consumer callback. Body and Props
// alias the connection's buffers: they are valid only during the call.
type Delivery struct {
	Tag         uint64
	Redelivered bool
	Props       []byte // encoded properties (wire.Properties.Decode reads them)
	Body        []byte
}

// Handlers are a channel's callbacks, run on the connection's reader
// goroutine. Any may be nil.
type Handlers struct {
	// Deliver gets every basic.deliver, of every consumer on the channel.
	Deliver func(*Delivery)
	// Confirm gets the broker's basic.ack (ack true) and basic.nack for
	// published messages: every tag up to tag when multiple is set.
	Confirm func(tag uint64, multiple, ack bool)
	// Return gets a basic.return (an unroutable mandatory message).
	Return func(code uint16, text string)
	// Cancel gets a consumer cancelled by the broker (its queue deleted).
	Cancel func(consumerTag string)
}

// content is what the reader expects next on a channel.
type content uint8

const (
	idle       content = iota
	wantHeader         // after a method with content
	wantBody
)

// Channel is one AMQP channel. Publish, Ack, Nack and Flush may be
// called from any goroutine; the synchronous methods from one goroutine
// at a time, never from a callback.
type Channel struct {
	c  *Conn
	id uint16
	h  Handlers

	rpc     chan wire.Method // the reply to the one outstanding call
	closed  chan struct{}
	endOnce sync.Once
	err     atomic.Pointer[amqp.Error]

	// Under c.wmu: the publish sequence and reused method structs, so the
	// data path encodes without allocating.
	confirming bool
	seq        uint64
	pub        wire.BasicPublish
	ack        wire.BasicAck
	nack       wire.BasicNack
	commit     wire.TxCommit

	// tx.commits sent by TxCommitAsync whose commit-ok has not come yet.
	asyncCommits atomic.Int64

	// Reader goroutine only: content being assembled.
	state     content
	returning bool // the content belongs to a basic.return, not a delivery
	ret       wire.BasicReturn
	d         Delivery
	props     []byte // copy of the header's properties when the body is split
	body      []byte // assembly buffer for bodies split over frames
	remaining uint64
}

func newChannel(c *Conn, id uint16) *Channel {
	return &Channel{c: c, id: id, rpc: make(chan wire.Method, 1), closed: make(chan struct{})}
}

// SetHandlers installs the callbacks; call it before Consume or Confirm.
func (ch *Channel) SetHandlers(h Handlers) { ch.h = h }

// Done is closed when the channel has ended.
func (ch *Channel) Done() <-chan struct{} { return ch.closed }

// Err is why the channel ended (the broker's channel.close, or the
// connection's end); nil while open.
func (ch *Channel) Err() *amqp.Error { return ch.err.Load() }

// end marks the channel closed with err, once.
func (ch *Channel) end(err *amqp.Error) {
	ch.endOnce.Do(func() {
		ch.err.Store(err)
		close(ch.closed)
	})
}

func (ch *Channel) isClosed() bool {
	select {
	case <-ch.closed:
		return true
	default:
		return false
	}
}

func (ch *Channel) closedErr() error {
	if e := ch.err.Load(); e != nil {
		return e
	}
	return amqp.ErrClosed
}

// call sends a synchronous method and waits for the reply, or for the
// channel to end.
func (ch *Channel) call(m wire.Method) (wire.Method, error) {
	if ch.isClosed() {
		return nil, ch.closedErr()
	}
	if err := ch.c.sendMethod(ch.id, m); err != nil {
		return nil, err
	}
	select {
	case r := <-ch.rpc:
		return r, nil
	case <-ch.closed:
		return nil, ch.closedErr()
	}
}

// Qos sets the prefetch count, per consumer or (global) per channel.
func (ch *Channel) Qos(prefetch int, global bool) error {
	r, err := ch.call(&wire.BasicQos{PrefetchCount: uint16(prefetch), Global: global})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.BasicQosOk); !ok {
		return unexpected("basic.qos-ok", r)
	}
	return nil
}

// QueueDeclare declares a queue and returns its name (the broker's, for
// an empty name).
func (ch *Channel) QueueDeclare(name string, durable, autoDelete, exclusive bool, args wire.Table) (string, error) {
	r, err := ch.call(&wire.QueueDeclare{Queue: name, Durable: durable, AutoDelete: autoDelete,
		Exclusive: exclusive, Arguments: args})
	if err != nil {
		return "", err
	}
	ok, isOK := r.(*wire.QueueDeclareOk)
	if !isOK {
		return "", unexpected("queue.declare-ok", r)
	}
	return ok.Queue, nil
}

// QueueBind binds a queue to an exchange.
func (ch *Channel) QueueBind(queue, key, exchange string, args wire.Table) error {
	r, err := ch.call(&wire.QueueBind{Queue: queue, Exchange: exchange, RoutingKey: key, Arguments: args})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.QueueBindOk); !ok {
		return unexpected("queue.bind-ok", r)
	}
	return nil
}

// Confirm puts the channel in publisher-confirm mode; the Confirm
// handler then gets the acks and nacks.
func (ch *Channel) Confirm() error {
	r, err := ch.call(&wire.ConfirmSelect{})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.ConfirmSelectOk); !ok {
		return unexpected("confirm.select-ok", r)
	}
	ch.c.wmu.Lock()
	ch.confirming = true
	ch.c.wmu.Unlock()
	return nil
}

// Consume starts a consumer; its deliveries go to the Deliver handler.
func (ch *Channel) Consume(queue, tag string, autoAck, exclusive bool, args wire.Table) error {
	r, err := ch.call(&wire.BasicConsume{Queue: queue, ConsumerTag: tag, NoAck: autoAck,
		Exclusive: exclusive, Arguments: args})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.BasicConsumeOk); !ok {
		return unexpected("basic.consume-ok", r)
	}
	return nil
}

// Cancel stops a consumer and waits for the broker's cancel-ok.
func (ch *Channel) Cancel(tag string) error {
	r, err := ch.call(&wire.BasicCancel{ConsumerTag: tag})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.BasicCancelOk); !ok {
		return unexpected("basic.cancel-ok", r)
	}
	return nil
}

// Close closes the channel and waits for the broker's close-ok.
func (ch *Channel) Close() error {
	if ch.isClosed() {
		return nil
	}
	r, err := ch.call(&wire.ChannelClose{ReplyCode: 200, ReplyText: "goodbye"})
	ch.c.forget(ch.id)
	ch.end(amqp.ErrClosed)
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.ChannelCloseOk); !ok {
		return unexpected("channel.close-ok", r)
	}
	return nil
}

// Publish buffers a basic.publish with its content and returns its
// sequence number in confirm mode (0 otherwise). It is written when the
// buffer fills or at the next Flush; a publisher about to wait must
// Flush first. props is the encoded property list (wire.Properties.Append).
func (ch *Channel) Publish(exchange, key string, mandatory bool, props, body []byte) (uint64, error) {
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return 0, c.werr
	}
	if ch.isClosed() {
		return 0, ch.closedErr()
	}
	if len(props) == 0 {
		props = noProps
	}
	ch.pub.Exchange, ch.pub.RoutingKey, ch.pub.Mandatory = exchange, key, mandatory
	b := wire.AppendMethodFrame(c.wbuf, ch.id, &ch.pub)
	b = wire.AppendHeaderFrame(b, ch.id, wire.ClassBasic, uint64(len(body)), props)
	c.wbuf = wire.AppendBodyFrames(b, ch.id, body, c.frameMax)
	var seq uint64
	if ch.confirming {
		ch.seq++
		seq = ch.seq
	}
	if len(c.wbuf) >= flushAt {
		return seq, c.flushLocked()
	}
	return seq, nil
}

// noProps is an empty property list: the flag word is always there.
var noProps = []byte{0, 0}

// NextSeq is the sequence number the next Publish will get in confirm
// mode.
func (ch *Channel) NextSeq() uint64 {
	ch.c.wmu.Lock()
	defer ch.c.wmu.Unlock()
	return ch.seq + 1
}

// Flush writes what the connection has buffered.
func (ch *Channel) Flush() error { return ch.c.Flush() }

// Ack buffers a basic.ack; the reader flushes it before it next waits.
// From outside a callback, Flush after the last one.
func (ch *Channel) Ack(tag uint64, multiple bool) error {
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	ch.ack.DeliveryTag, ch.ack.Multiple = tag, multiple
	c.wbuf = wire.AppendMethodFrame(c.wbuf, ch.id, &ch.ack)
	if len(c.wbuf) >= flushAt {
		return c.flushLocked()
	}
	return nil
}

// Nack buffers a basic.nack, like Ack.
func (ch *Channel) Nack(tag uint64, multiple, requeue bool) error {
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	ch.nack.DeliveryTag, ch.nack.Multiple, ch.nack.Requeue = tag, multiple, requeue
	c.wbuf = wire.AppendMethodFrame(c.wbuf, ch.id, &ch.nack)
	if len(c.wbuf) >= flushAt {
		return c.flushLocked()
	}
	return nil
}

// Method ids the reader decodes by hand, without allocating.
const (
	basicDeliver = 60<<16 | 60
	basicAck     = 60<<16 | 80
	basicNack    = 60<<16 | 120
)

// handle processes one frame for this channel on the reader goroutine; an
// error ends the connection (the broker broke the protocol).
func (ch *Channel) handle(f wire.Frame) error {
	switch f.Type {
	case wire.FrameMethod:
		if ch.state != idle {
			return fmt.Errorf("amqpc: channel %d: method frame inside content", ch.id)
		}
		return ch.handleMethod(f.Payload)
	case wire.FrameHeader:
		if ch.state != wantHeader {
			return fmt.Errorf("amqpc: channel %d: unexpected content header", ch.id)
		}
		_, size, props, err := wire.DecodeContentHeader(f.Payload)
		if err != nil {
			return err
		}
		// Copied: the next read may move the buffer the header is in.
		ch.props = append(ch.props[:0], props...)
		ch.d.Props, ch.remaining = ch.props, size
		if size == 0 {
			ch.d.Body = nil
			ch.complete()
			return nil
		}
		ch.state = wantBody
		ch.body = ch.body[:0]
		return nil
	case wire.FrameBody:
		if ch.state != wantBody || uint64(len(f.Payload)) > ch.remaining {
			return fmt.Errorf("amqpc: channel %d: unexpected body frame", ch.id)
		}
		ch.remaining -= uint64(len(f.Payload))
		if ch.remaining == 0 && len(ch.body) == 0 {
			ch.d.Body = f.Payload // in one frame: no copy
			ch.complete()
			return nil
		}
		ch.body = append(ch.body, f.Payload...)
		if ch.remaining == 0 {
			ch.d.Body = ch.body
			ch.complete()
		}
		return nil
	}
	return nil
}

// complete hands a whole message to its callback.
func (ch *Channel) complete() {
	ch.state = idle
	if ch.returning {
		ch.returning = false
		if ch.h.Return != nil {
			ch.h.Return(ch.ret.ReplyCode, ch.ret.ReplyText)
		}
		return
	}
	if ch.h.Deliver != nil {
		ch.h.Deliver(&ch.d)
	}
	if cap(ch.body) > 1<<20 {
		ch.body = nil // a rare huge body: do not keep its buffer
	}
}

func (ch *Channel) handleMethod(p []byte) error {
	if len(p) < 4 {
		return fmt.Errorf("amqpc: channel %d: short method frame", ch.id)
	}
	args := p[4:]
	switch binary.BigEndian.Uint32(p) {
	case basicDeliver:
		// consumer-tag, delivery-tag, redelivered, exchange, routing-key.
		if len(args) < 1 || len(args) < 1+int(args[0])+9 {
			return fmt.Errorf("amqpc: channel %d: short basic.deliver", ch.id)
		}
		a := args[1+int(args[0]):]
		ch.d.Tag = binary.BigEndian.Uint64(a)
		ch.d.Redelivered = a[8]&1 != 0
		ch.state = wantHeader
		return nil
	case basicAck, basicNack:
		if len(args) < 9 {
			return fmt.Errorf("amqpc: channel %d: short basic.ack", ch.id)
		}
		if ch.h.Confirm != nil {
			ch.h.Confirm(binary.BigEndian.Uint64(args), args[8]&1 != 0, binary.BigEndian.Uint32(p) == basicAck)
		}
		return nil
	}
	m, err := wire.DecodeMethod(p)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *wire.BasicReturn:
		ch.ret, ch.returning, ch.state = *m, true, wantHeader
	case *wire.BasicCancel: // the broker cancelled a consumer
		if !m.NoWait {
			_ = ch.c.sendMethod(ch.id, &wire.BasicCancelOk{ConsumerTag: m.ConsumerTag})
		}
		if ch.h.Cancel != nil {
			ch.h.Cancel(m.ConsumerTag)
		}
	case *wire.ChannelClose:
		_ = ch.c.sendMethod(ch.id, &wire.ChannelCloseOk{})
		ch.c.forget(ch.id)
		ch.end(&amqp.Error{Code: int(m.ReplyCode), Reason: m.ReplyText, Server: true,
			Recover: !wire.IsHardError(m.ReplyCode)})
	case *wire.ChannelFlow:
		_ = ch.c.sendMethod(ch.id, &wire.ChannelFlowOk{Active: m.Active})
	case *wire.TxCommitOk:
		if ch.commitOK() {
			return nil // a pipelined commit's: nobody waits for it
		}
		select {
		case ch.rpc <- m:
		default:
			return fmt.Errorf("amqpc: channel %d: unexpected %s", ch.id, m.Name())
		}
	default:
		select {
		case ch.rpc <- m:
		default:
			return fmt.Errorf("amqpc: channel %d: unexpected %s", ch.id, m.Name())
		}
	}
	return nil
}
