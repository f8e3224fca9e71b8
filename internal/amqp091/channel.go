package amqp091

import (
	"sync"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
)

// channel is one AMQP channel. Fields without a comment belong to the
// reader goroutine; dmu guards the delivery state that queues touch from
// other goroutines through the broker.Sink methods.
type channel struct {
	id     uint16
	conn   *conn
	closed bool // we sent channel.close and await close-ok, or cleanup ran

	router    *broker.Router
	lastQueue string // for RabbitMQ's empty-queue-name shortcut
	// pubAllowed is the last exchange write access was granted for ("\x00"
	// before any), and pubTopic whether it is a topic exchange.
	pubAllowed string
	pubTopic   bool
	// reply is the channel's direct reply-to consumer (replyto.go).
	reply *replyConsumer

	// Publishing.
	pub          *publishState     // non-nil between basic.publish and the last body frame
	pubState     publishState      // what pub points to: reused, one allocation less per message
	pubMethod    wire.BasicPublish // decoded into by the fast path (frames.go), strings reused
	confirm      bool
	publishSeq   uint64     // last confirm sequence number assigned
	confirms     *confirmer // non-nil in confirm mode
	confirmDirty bool       // listed in conn.confirmDirty
	tx           *txState

	// Consumer qos for consumers created after basic.qos(global=false).
	consumerPrefetch uint32

	dmu     sync.Mutex
	nextTag uint64      // guarded by dmu: last delivery tag used
	unacked unackedList // guarded by dmu
	// held counts deliveries taken off unacked (settled, or settled in an
	// open transaction) whose prefetch credit is not given back yet: a
	// requeued message must be back in its queue, and a transaction's acks
	// committed, before the consumer may receive more (RabbitMQ's order).
	held            int                       // guarded by dmu
	consumers       map[string]*consumerState // guarded by dmu
	channelPrefetch uint32                    // guarded by dmu: basic.qos global=true
	dead            bool                      // guarded by dmu: no more deliveries
	deliverScratch  wire.BasicDeliver         // guarded by dmu: avoids an allocation per delivery
	// Copies of reader-owned settings for the management API's channel
	// listing (info.go), set by basic.qos, confirm.select and tx.select.
	infoPrefetch        uint32 // guarded by dmu: consumerPrefetch
	infoConfirm, infoTx bool   // guarded by dmu: confirm, tx != nil
}

func newChannel(c *conn, id uint16) *channel {
	return &channel{
		id:         id,
		conn:       c,
		router:     broker.NewRouter(),
		pubAllowed: "\x00",
		consumers:  make(map[string]*consumerState),
	}
}

func (ch *channel) send(m wire.Method) { ch.conn.send(ch.id, m) }

// method handles a method frame on this channel.
func (ch *channel) method(m wire.Method) error {
	if ch.closed {
		switch m.(type) {
		case *wire.ChannelCloseOk:
			delete(ch.conn.channels, ch.id)
		case *wire.ChannelClose:
			// Both sides closed at once: answer, and keep waiting for the
			// close-ok the client owes for our close, as RabbitMQ does.
			ch.send(&wire.ChannelCloseOk{})
		case *wire.ChannelOpen:
			// A client that reopens without sending close-ok: start afresh.
			delete(ch.conn.channels, ch.id)
			return ch.conn.openChannel(ch.id, m.(*wire.ChannelOpen))
		}
		return nil // everything else is discarded while closing
	}
	if ch.pub != nil {
		return newErr(wire.UnexpectedFrame, "expected content header for class 60, got non content header frame instead").on(m)
	}
	switch m := m.(type) {
	case *wire.ChannelOpen:
		return newErr(wire.ChannelError, "second 'channel.open' seen").on(m)
	case *wire.ChannelClose:
		ch.cleanup()
		ch.send(&wire.ChannelCloseOk{})
		delete(ch.conn.channels, ch.id)
		return nil
	case *wire.ChannelCloseOk:
		return nil // not expecting one; RabbitMQ ignores it
	case *wire.ChannelFlow:
		// RabbitMQ does not implement client-initiated flow stops (it has
		// prefetch for that) and clients test for exactly this reply.
		if !m.Active {
			return newErr(wire.NotImplemented, "active=false").on(m)
		}
		ch.send(&wire.ChannelFlowOk{Active: true})
		return nil
	case *wire.ChannelFlowOk:
		return nil
	case *wire.ExchangeDeclare:
		return ch.exchangeDeclare(m)
	case *wire.ExchangeDelete:
		return ch.exchangeDelete(m)
	case *wire.ExchangeBind:
		return ch.exchangeBind(m)
	case *wire.ExchangeUnbind:
		return ch.exchangeUnbind(m)
	case *wire.QueueDeclare:
		return ch.queueDeclare(m)
	case *wire.QueueBind:
		return ch.queueBind(m)
	case *wire.QueueUnbind:
		return ch.queueUnbind(m)
	case *wire.QueuePurge:
		return ch.queuePurge(m)
	case *wire.QueueDelete:
		return ch.queueDelete(m)
	case *wire.BasicQos:
		return ch.basicQos(m)
	case *wire.BasicConsume:
		return ch.basicConsume(m)
	case *wire.BasicCancel:
		return ch.basicCancel(m)
	case *wire.BasicPublish:
		return ch.basicPublish(m)
	case *wire.BasicGet:
		return ch.basicGet(m)
	case *wire.BasicAck:
		return ch.basicAck(m)
	case *wire.BasicNack:
		return ch.basicNack(m)
	case *wire.BasicReject:
		return ch.basicReject(m)
	case *wire.BasicRecover:
		return ch.basicRecover(m.Requeue, m)
	case *wire.BasicRecoverAsync:
		return ch.basicRecover(m.Requeue, m)
	case *wire.ConfirmSelect:
		return ch.confirmSelect(m)
	case *wire.TxSelect:
		return ch.txSelect(m)
	case *wire.TxCommit:
		return ch.txCommit(m)
	case *wire.TxRollback:
		return ch.txRollback(m)
	}
	return newErr(wire.CommandInvalid, "method %s is not valid from a client", m.Name()).on(m)
}

// closeWithError closes the channel for a soft error: RabbitMQ releases
// the channel's resources at once and then waits for close-ok.
func (ch *channel) closeWithError(e *amqpError) {
	ch.conn.log.Info("closing channel", "channel", ch.id, "code", e.code, "text", e.text)
	ch.cleanup()
	ch.send(&wire.ChannelClose{ReplyCode: e.code, ReplyText: e.text, FailingClassID: e.classID, FailingMethodID: e.methodID})
}

// cleanup cancels the channel's consumers and requeues its unacknowledged
// messages. It is idempotent.
func (ch *channel) cleanup() {
	if ch.closed {
		return
	}
	ch.flushConfirm() // what was confirmed is acked before the close
	ch.closed = true
	ch.conn.infoChannelClosed(ch)
	ch.dropReplyTo()
	ch.pub = nil
	var uncommitted []pendingDelivery
	if ch.tx != nil { // acks never committed: the messages go back
		for _, s := range ch.tx.settles {
			uncommitted = append(uncommitted, s.ps...)
		}
	}
	ch.tx = nil
	ch.dmu.Lock()
	ch.dead = true
	consumers := make([]*consumerState, 0, len(ch.consumers))
	for _, cs := range ch.consumers {
		consumers = append(consumers, cs)
	}
	clear(ch.consumers)
	pending := ch.unacked.takeAll()
	ch.conn.unacked.Add(-int64(len(pending)))
	ch.held = 0
	ch.dmu.Unlock()
	for _, cs := range consumers {
		cs.c.Cancel()
	}
	requeueDeliveries(append(uncommitted, pending...))
}
