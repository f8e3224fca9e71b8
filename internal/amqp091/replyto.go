package amqp091

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/message"
)

// Direct reply-to (RabbitMQ's amq.rabbitmq.reply-to pseudo-queue).
//
// An RPC client consumes from "amq.rabbitmq.reply-to" in no-ack mode, which
// gives its channel a reply consumer (one per channel) and a token; a
// message it publishes with reply_to "amq.rabbitmq.reply-to" leaves with
// reply_to "amq.rabbitmq.reply-to.<token>"; whoever publishes to the
// default exchange with that routing key reaches the client's channel
// directly: no queue, no storage, no acknowledgement.
//
// The token is 128 random bits, so it cannot be guessed, and a publisher
// reaches the consumer only from the consumer's own vhost. Tokens live in a
// process-wide registry keyed by token and by channel; the registry holds
// channels weakly and a cleanup drops their entries once a closed channel
// is collected, so it needs no hook in channel teardown; until then a
// closed channel's token is refused because the channel is dead.
//
// As in RabbitMQ 3.10 (and as its documentation says), a message published
// to a reply-to routing key counts as unrouted even when it is delivered:
// with mandatory set it is returned as well.

const (
	replyToQueue  = "amq.rabbitmq.reply-to"
	replyToPrefix = replyToQueue + "."
)

// replyConsumer is one channel's direct reply-to consumer.
type replyConsumer struct {
	token string
	tag   string
	ch    *channel
	vhost *broker.VHost
}

// replyRegistry maps reply-to tokens to their channels, per Server. A
// channel's entry goes when the channel is cleaned up (dropReplyTo).
type replyRegistry struct {
	mu      sync.RWMutex
	byToken map[string]*replyConsumer // guarded by mu
}

// replyConsumerOf returns ch's reply consumer, or nil (reader-owned).
func (ch *channel) replyConsumerOf() *replyConsumer { return ch.reply }

// lookupReply returns the live channel and consumer the token names for a
// publisher in vhost, or nil.
func (s *Server) lookupReply(token string, vhost *broker.VHost) (*channel, *replyConsumer) {
	s.replies.mu.RLock()
	rc := s.replies.byToken[token]
	s.replies.mu.RUnlock()
	if rc == nil || rc.vhost != vhost {
		return nil, nil
	}
	ch := rc.ch
	ch.dmu.Lock()
	dead := ch.dead
	ch.dmu.Unlock()
	if dead {
		return nil, nil
	}
	return ch, rc
}

func (s *Server) dropReply(token string) {
	s.replies.mu.Lock()
	defer s.replies.mu.Unlock()
	delete(s.replies.byToken, token)
}

// dropReplyTo forgets the channel's reply consumer (channel cleanup).
func (ch *channel) dropReplyTo() {
	if ch.reply != nil {
		ch.conn.srv.dropReply(ch.reply.token)
		ch.reply = nil
	}
}

// consumeReplyTo handles basic.consume of amq.rabbitmq.reply-to, with
// RabbitMQ's checks in its order.
func (ch *channel) consumeReplyTo(m *wire.BasicConsume) error {
	ch.dmu.Lock()
	_, dup := ch.consumers[m.ConsumerTag]
	ch.dmu.Unlock()
	if dup {
		return newErr(wire.NotAllowed, "attempt to reuse consumer tag '%s'", m.ConsumerTag).on(m)
	}
	if !m.NoAck {
		return newErr(wire.PreconditionFailed, "reply consumer cannot acknowledge").on(m)
	}
	if ch.replyConsumerOf() != nil {
		return newErr(wire.PreconditionFailed, "reply consumer already set").on(m)
	}
	tag := m.ConsumerTag
	if tag == "" {
		tag = randomTag("amq.ctag-")
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	rc := &replyConsumer{token: base64.RawURLEncoding.EncodeToString(b[:]), tag: tag, ch: ch, vhost: ch.conn.vhost}
	srv := ch.conn.srv
	srv.replies.mu.Lock()
	if srv.replies.byToken == nil {
		srv.replies.byToken = make(map[string]*replyConsumer)
	}
	srv.replies.byToken[rc.token] = rc
	srv.replies.mu.Unlock()
	ch.reply = rc
	if !m.NoWait {
		ch.send(&wire.BasicConsumeOk{ConsumerTag: tag})
	}
	return nil
}

// cancelReplyTo handles basic.cancel if it names the channel's reply
// consumer, and reports whether it did.
func (ch *channel) cancelReplyTo(m *wire.BasicCancel) bool {
	rc := ch.replyConsumerOf()
	if rc == nil || rc.tag != m.ConsumerTag {
		return false
	}
	ch.dropReplyTo()
	if !m.NoWait {
		ch.send(&wire.BasicCancelOk{ConsumerTag: m.ConsumerTag})
	}
	return true
}

// rewriteReplyTo gives a message published with reply_to
// "amq.rabbitmq.reply-to" the channel's reply address, or refuses it when
// the channel has no reply consumer. Only such messages pay for decoding
// and re-encoding their properties; for the others it is a byte search.
func (ch *channel) rewriteReplyTo(msg *message.Message) error {
	if !bytes.Contains(msg.Props, []byte(replyToQueue)) {
		return nil
	}
	var p wire.Properties
	if err := p.Decode(msg.Props); err != nil || !p.Has(wire.FlagReplyTo) || p.ReplyTo != replyToQueue {
		return nil
	}
	rc := ch.replyConsumerOf()
	if rc == nil {
		e := newErr(wire.PreconditionFailed, "fast reply consumer does not exist")
		e.classID, e.methodID = wire.ClassBasic, 40
		return e
	}
	p.ReplyTo = replyToPrefix + rc.token
	msg.Props = p.Append(make([]byte, 0, len(msg.Props)+len(rc.token)+1))
	return nil
}

// publishOrReply publishes msg, delivering it straight to a reply consumer
// when it goes to the default exchange with a reply-to routing key.
func (ch *channel) publishOrReply(msg *message.Message) (broker.PublishResult, error) {
	if msg.Exchange != "" || !strings.HasPrefix(msg.RoutingKey, replyToPrefix) {
		return ch.conn.vhost.Publish(ch.router, msg)
	}
	if to, rc := ch.conn.srv.lookupReply(msg.RoutingKey[len(replyToPrefix):], ch.conn.vhost); to != nil {
		to.deliverReply(rc, msg)
	}
	return broker.PublishResult{}, nil // unrouted, as in RabbitMQ (see above)
}

// deliverReply writes msg to the channel's reply consumer, unless the
// channel has closed or the consumer was cancelled meanwhile. The delivery
// takes the next delivery tag but, in no-ack mode, nothing else: no credit,
// no unacked entry.
func (ch *channel) deliverReply(rc *replyConsumer, msg *message.Message) {
	ch.dmu.Lock()
	defer ch.dmu.Unlock()
	if ch.dead {
		return
	}
	srv := ch.conn.srv
	srv.replies.mu.RLock()
	live := srv.replies.byToken[rc.token] == rc
	srv.replies.mu.RUnlock()
	if !live {
		return
	}
	ch.nextTag++
	d := &wire.BasicDeliver{ConsumerTag: rc.tag, DeliveryTag: ch.nextTag, Exchange: msg.Exchange, RoutingKey: msg.RoutingKey}
	ch.conn.out.write(func(b []byte) []byte {
		return appendContent(b, ch.id, d, msg.Props, msg.Body, ch.conn.frameMax)
	})
}

// declareReplyTo answers queue.declare (passive or not) of the reply-to
// pseudo-queue as RabbitMQ does: "amq.rabbitmq.reply-to" always exists,
// with one consumer; "amq.rabbitmq.reply-to.<token>" exists while its
// consumer does. handled is false for any other name.
func (ch *channel) declareReplyTo(m *wire.QueueDeclare) (handled bool, err error) {
	name := m.Queue
	if name != replyToQueue && !strings.HasPrefix(name, replyToPrefix) {
		return false, nil
	}
	if name != replyToQueue {
		if to, _ := ch.conn.srv.lookupReply(name[len(replyToPrefix):], ch.conn.vhost); to == nil {
			return true, newErr(wire.NotFound, "no queue '%s' in vhost '%s'", name, ch.conn.vhost.Name()).on(m)
		}
	}
	ch.lastQueue = name
	if !m.NoWait {
		ch.send(&wire.QueueDeclareOk{Queue: name, MessageCount: 0, ConsumerCount: 1})
	}
	return true, nil
}
