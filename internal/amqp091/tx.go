package amqp091

import (
	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
)

// txState holds a transaction's publishes and settlements until commit.
type txState struct {
	publishes []txPublish
	settles   []txSettle
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
	}
	ch.send(&wire.TxSelectOk{})
	return nil
}

// txAck validates and takes the deliveries now, as RabbitMQ does, and
// applies the settlement at commit.
func (ch *channel) txAck(tag uint64, multiple, reject, requeue bool, m wire.Method) error {
	ps, err := ch.settle(tag, multiple, m)
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
			return err
		}
	}
	for _, s := range tx.settles {
		if s.reject {
			rejectDeliveries(s.ps, s.requeue)
		} else {
			ackDeliveries(s.ps)
		}
	}
	ch.send(&wire.TxCommitOk{})
	return nil
}

// txRollback discards the publishes and puts the taken deliveries back as
// unacknowledged, as RabbitMQ does.
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
		for _, p := range back {
			if p.consumer != nil {
				p.consumer.unacked++
			}
		}
		ch.unacked.restore(back)
		ch.dmu.Unlock()
	}
	ch.send(&wire.TxRollbackOk{})
	return nil
}
