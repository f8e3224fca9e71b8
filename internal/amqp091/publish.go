package amqp091

import (
	"strconv"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// publishState collects a message between basic.publish and its last body
// frame.
type publishState struct {
	method    wire.BasicPublish
	gotHeader bool
	bodySize  uint64
	props     []byte
	body      []byte
}

// initialBodyCap bounds the buffer allocated from a header's declared body
// size: larger bodies grow as their frames actually arrive, so a client
// cannot reserve memory by declaring sizes it never sends.
const initialBodyCap = 1 << 20

func (ch *channel) basicPublish(m *wire.BasicPublish) error {
	if m.Immediate {
		return newErr(wire.NotImplemented, "immediate=true").on(m)
	}
	if err := ch.checkPublish(m); err != nil {
		return err
	}
	ch.pubState = publishState{method: *m}
	ch.pub = &ch.pubState
	return nil
}

// checkPublish applies write permission on the exchange (cached per
// channel, as RabbitMQ does, so the hot path matches no regexp) and topic
// permissions on the routing key.
func (ch *channel) checkPublish(m *wire.BasicPublish) error {
	p := ch.conn.cfg().Permissions
	if p == nil {
		return nil
	}
	if m.Exchange != ch.pubAllowed {
		if err := ch.check(auth.Write, "exchange", m.Exchange, m); err != nil {
			return err
		}
		ch.pubAllowed = m.Exchange
		ch.pubTopic = false
		if e := ch.conn.vhost.Exchange(m.Exchange); e != nil && e.Type() == "topic" {
			ch.pubTopic = true
		}
	}
	if ch.pubTopic {
		return ch.checkTopic(auth.Write, m.Exchange, "topic", m.RoutingKey, m)
	}
	return nil
}

// content handles a content header or body frame.
func (ch *channel) content(f wire.Frame) error {
	if ch.closed {
		return nil // a closing channel discards content, as RabbitMQ does
	}
	p := ch.pub
	if p == nil {
		return newErr(wire.UnexpectedFrame, "expected method frame, got non method frame instead")
	}
	if f.Type == wire.FrameHeader {
		if p.gotHeader {
			return newErr(wire.UnexpectedFrame, "expected content body, got non content body frame instead")
		}
		classID, size, props, err := wire.DecodeContentHeader(f.Payload)
		if err != nil {
			return newErr(wire.FrameError, "malformed content header: %v", err)
		}
		if classID != wire.ClassBasic {
			return newErr(wire.UnexpectedFrame, "expected content header for class 60, got one for class %d instead", classID)
		}
		if max := ch.conn.cfg().MaxMessageSize; size > max {
			ch.pub = nil
			e := newErr(wire.PreconditionFailed, "message size %d is larger than configured max size %d", size, max)
			e.classID, e.methodID = wire.ClassBasic, 40
			return e
		}
		p.gotHeader = true
		p.bodySize = size
		// One allocation for the properties and the body: they live and
		// die together with the message. The properties are capped so
		// nothing appended to them can run into the body.
		n := len(props)
		buf := make([]byte, n, n+int(min(size, initialBodyCap)))
		copy(buf, props)
		p.props = buf[:n:n]
		if size == 0 {
			return ch.finishPublish()
		}
		p.body = buf[n:n]
		return nil
	}
	if !p.gotHeader {
		return newErr(wire.UnexpectedFrame, "expected content header for class 60, got non content header frame instead")
	}
	if uint64(len(p.body))+uint64(len(f.Payload)) > p.bodySize {
		return newErr(wire.FrameError, "content body exceeds the declared size %d", p.bodySize)
	}
	p.body = append(p.body, f.Payload...)
	if uint64(len(p.body)) == p.bodySize {
		return ch.finishPublish()
	}
	return nil
}

// finishPublish turns the collected frames into a message and publishes it
// (or, in a transaction, keeps it for commit).
func (ch *channel) finishPublish() error {
	p := ch.pub
	ch.pub = nil
	msg, err := ch.buildMessage(p)
	if err != nil {
		return err
	}
	if err := ch.rewriteReplyTo(msg); err != nil { // direct reply-to: replyto.go
		return err
	}
	var seq uint64
	if ch.confirm {
		ch.publishSeq++
		seq = ch.publishSeq
	}
	if ch.tx != nil {
		// RabbitMQ refuses a publish to a missing exchange at once, not
		// at tx.commit.
		if _, err := ch.conn.vhost.CheckExchange(msg.Exchange); err != nil {
			e := fromBroker(err, nil)
			e.classID, e.methodID = wire.ClassBasic, 40
			return e
		}
		ch.tx.publishes = append(ch.tx.publishes, txPublish{msg: msg, mandatory: p.method.Mandatory})
		return nil
	}
	return ch.publish(msg, p.method.Mandatory, seq)
}

func (ch *channel) buildMessage(p *publishState) (*message.Message, error) {
	m := &message.Message{
		Exchange:   p.method.Exchange,
		RoutingKey: p.method.RoutingKey,
		Props:      p.props,
		Body:       p.body,
		Expiration: -1,
	}
	// Peek at the few properties the broker acts on without decoding the
	// rest: the bytes are forwarded to consumers as they came.
	props, err := wire.PeekProperties(p.props)
	if err != nil {
		return nil, newErr(wire.SyntaxError, "malformed content properties: %v", err)
	}
	m.DeliveryMode = props.DeliveryMode
	m.Priority = props.Priority
	if len(props.Headers) > 4 {
		// Non-empty headers are decoded, both for headers exchanges and
		// so that a corrupt table is refused here rather than passed on.
		h, _, err := wire.DecodeTable(props.Headers)
		if err != nil {
			return nil, newErr(wire.SyntaxError, "malformed headers property: %v", err)
		}
		m.Headers = h
		if _, ok := h["BCC"]; ok {
			// Sender-selected distribution: BCC's keys route the message
			// (m.Headers keeps them for that) but, as in RabbitMQ, no
			// consumer sees the header.
			if b, err := editHeaders(p.props, func(h wire.Table) { delete(h, "BCC") }); err == nil {
				m.Props = b
			}
		}
	}
	if props.Flags&wire.FlagExpiration != 0 {
		ttl, err := strconv.ParseInt(string(props.Expiration), 10, 64)
		if err != nil || ttl < 0 {
			e := newErr(wire.PreconditionFailed, "invalid expiration '%s'", props.Expiration)
			e.classID, e.methodID = wire.ClassBasic, 40
			return nil, e
		}
		m.Expiration = ttl
	}
	if props.Flags&wire.FlagUserID != 0 {
		m.UserID = string(props.UserID)
		if m.UserID != ch.conn.user.Name && !ch.conn.user.HasTag("impersonator") {
			e := newErr(wire.PreconditionFailed, "user_id property set to '%s' but authenticated user was '%s'", m.UserID, ch.conn.user.Name)
			e.classID, e.methodID = wire.ClassBasic, 40
			return nil, e
		}
	}
	return m, nil
}

// publish routes and enqueues one message, returning it to the publisher
// when mandatory and unroutable, and tracking its confirm when seq > 0.
func (ch *channel) publish(msg *message.Message, mandatory bool, seq uint64) error {
	res, err := ch.publishOrReply(msg) // vhost.Publish, or direct reply-to
	if err != nil {
		e := fromBroker(err, nil)
		e.classID, e.methodID = wire.ClassBasic, 40
		if seq > 0 && e.code == wire.InternalError {
			ch.confirms.nackAll(seq) // the store failed: nothing pending is safe
		}
		return e
	}
	ch.conn.srv.published.Add(1)
	if res.Queues == 0 {
		ch.conn.srv.unroutable.Add(1)
	}
	if res.Queues == 0 && mandatory {
		ret := &wire.BasicReturn{ReplyCode: wire.NoRoute, ReplyText: "NO_ROUTE", Exchange: msg.Exchange, RoutingKey: msg.RoutingKey}
		ch.conn.out.write(func(b []byte) []byte {
			return appendContent(b, ch.id, ret, msg.Props, msg.Body, ch.conn.frameMax)
		})
	}
	if ch.tx != nil {
		for _, l := range res.Logs {
			ch.tx.logs = appendLog(ch.tx.logs, l)
		}
	}
	if seq > 0 {
		// An unroutable message is confirmed too, after any basic.return.
		ch.confirms.publish(seq, res.Logs, res.Rejected)
		if !ch.confirmDirty {
			ch.confirmDirty = true
			ch.conn.confirmDirty = append(ch.conn.confirmDirty, ch)
		}
	}
	return nil
}

// flushConfirm starts syncs for and acks what the channel published since
// the last flush.
func (ch *channel) flushConfirm() {
	if !ch.confirmDirty {
		return
	}
	ch.confirmDirty = false
	ch.confirms.flushReader()
}

func (ch *channel) confirmSelect(m *wire.ConfirmSelect) error {
	if ch.tx != nil {
		return newErr(wire.PreconditionFailed, "cannot switch from tx to confirm mode").on(m)
	}
	ch.confirm = true
	ch.confirms = &confirmer{ch: ch}
	ch.dmu.Lock()
	ch.infoConfirm = true
	ch.dmu.Unlock()
	if !m.Nowait {
		ch.send(&wire.ConfirmSelectOk{})
	}
	return nil
}

func appendLog(logs []*store.Log, l *store.Log) []*store.Log {
	for _, x := range logs {
		if x == l {
			return logs
		}
	}
	return append(logs, l)
}
