package amqp091

import (
	"sync"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// txState holds a transaction's publishes and settlements until commit.
type txState struct {
	publishes []txPublish
	settles   []txSettle
	logs      []*store.Log // queue logs the committed publishes wrote to
}

type txPublish struct {
	msg       *message.Message
	mandatory bool
}

type txSettle struct {
	ps      []pendingDelivery
	reject  bool
	requeue bool
}

func (ch *channel) txSelect(m *wire.TxSelect) error {
	if ch.confirm {
		return newErr(wire.PreconditionFailed, "cannot switch from confirm to tx mode").on(m)
	}
	if ch.tx == nil {
		ch.tx = &txState{}
		ch.dmu.Lock()
		ch.infoTx = true
		ch.dmu.Unlock()
	}
	ch.send(&wire.TxSelectOk{})
	return nil
}

// txAck validates and takes the deliveries now, as RabbitMQ does, and
// applies the settlement at commit; their prefetch credit stays held
// until then, so an ack in a transaction lets no new delivery in before
// tx.commit (RabbitMQ's behaviour).
func (ch *channel) txAck(tag uint64, multiple, reject, requeue bool, m wire.Method) error {
	ps, err := ch.take(tag, multiple, m)
	if err != nil {
		return err
	}
	ch.tx.settles = append(ch.tx.settles, txSettle{ps: ps, reject: reject, requeue: requeue})
	return nil
}

func (ch *channel) txCommit(m *wire.TxCommit) error {
	if ch.tx == nil {
		return newErr(wire.PreconditionFailed, "channel is not transactional").on(m)
	}
	tx := ch.tx
	ch.tx = &txState{}
	for _, p := range tx.publishes {
		if err := ch.publish(p.msg, p.mandatory, 0); err != nil {
			// The error closes the channel; the acks it never applied go
			// back with the rest of its unacked messages (cleanup).
			ch.tx.settles = tx.settles
			return err
		}
	}
	for _, s := range tx.settles {
		if s.reject {
			rejectDeliveries(s.ps, s.requeue)
		} else {
			ackDeliveries(s.ps)
		}
		ch.release(s.ps)
	}
	logs := ch.tx.logs
	ch.tx.logs = nil
	if len(logs) == 0 {
		ch.send(&wire.TxCommitOk{})
		return nil
	}
	// Persistent messages on durable queues: commit-ok only once they are
	// on disk. The client waits for commit-ok, so nothing else on this
	// channel can overtake it.
	var mu sync.Mutex
	remaining := len(logs)
	var failed error
	for _, l := range logs {
		l.SyncAsync(func(err error) {
			mu.Lock()
			remaining--
			if err != nil && failed == nil {
				failed = err
			}
			done, ferr := remaining == 0, failed
			mu.Unlock()
			if !done {
				return
			}
			if ferr != nil {
				ch.conn.log.Error("tx.commit: message store sync failed", "channel", ch.id, "err", ferr)
				e := newErr(wire.InternalError, "message store failure: %v", ferr).on(m)
				ch.send(&wire.ChannelClose{ReplyCode: e.code, ReplyText: e.text, FailingClassID: e.classID, FailingMethodID: e.methodID})
				return
			}
			ch.send(&wire.TxCommitOk{})
		})
	}
	return nil
}

// txRollback discards the publishes and puts the taken deliveries back as
// unacknowledged, as RabbitMQ does; they never gave their credit back.
func (ch *channel) txRollback(m *wire.TxRollback) error {
	if ch.tx == nil {
		return newErr(wire.PreconditionFailed, "channel is not transactional").on(m)
	}
	tx := ch.tx
	ch.tx = &txState{}
	var back []pendingDelivery
	for _, s := range tx.settles {
		back = append(back, s.ps...)
	}
	if len(back) > 0 {
		ch.dmu.Lock()
		ch.conn.unacked.Add(int64(len(back)))
		ch.held -= len(back)
		ch.unacked.restore(back)
		ch.dmu.Unlock()
	}
	ch.send(&wire.TxRollbackOk{})
	return nil
}
