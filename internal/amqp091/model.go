package amqp091

import (
	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

func (ch *channel) exchangeDeclare(m *wire.ExchangeDeclare) error {
	v := ch.conn.vhost
	if !m.Passive {
		if err := ch.check(auth.Configure, "exchange", m.Exchange, m); err != nil {
			return err
		}
		if ae, ok := m.Arguments["alternate-exchange"].(string); ok {
			if err := ch.check(auth.Write, "exchange", ae, m); err != nil {
				return err
			}
			if err := ch.check(auth.Read, "exchange", m.Exchange, m); err != nil {
				return err
			}
		}
	}
	if m.Passive {
		if _, err := v.CheckExchange(m.Exchange); err != nil {
			return fromBroker(err, m)
		}
	} else if _, err := v.DeclareExchange(broker.ExchangeSpec{
		Name: m.Exchange, Type: m.Type, Durable: m.Durable, AutoDelete: m.AutoDelete,
		Internal: m.Internal, Args: m.Arguments,
	}); err != nil {
		return fromBroker(err, m)
	}
	if !m.NoWait {
		ch.send(&wire.ExchangeDeclareOk{})
	}
	return nil
}

func (ch *channel) exchangeDelete(m *wire.ExchangeDelete) error {
	if err := ch.check(auth.Configure, "exchange", m.Exchange, m); err != nil {
		return err
	}
	err := ch.conn.vhost.DeleteExchange(m.Exchange, m.IfUnused)
	if be, ok := err.(*broker.Error); ok && be.Code == broker.CodeNotFound {
		err = nil // deleting a missing exchange succeeds, as in RabbitMQ
	}
	if err != nil {
		return fromBroker(err, m)
	}
	if !m.NoWait {
		ch.send(&wire.ExchangeDeleteOk{})
	}
	return nil
}

// bindingEnds resolves the source exchange of a binding, refusing the
// default exchange as RabbitMQ does.
func (ch *channel) exchangeFor(name string, m wire.Method) (*broker.Exchange, error) {
	if name == "" {
		return nil, newErr(wire.AccessRefused, "operation not permitted on the default exchange").on(m)
	}
	e, err := ch.conn.vhost.CheckExchange(name)
	if err != nil {
		return nil, fromBroker(err, m)
	}
	return e, nil
}

func (ch *channel) exchangeBind(m *wire.ExchangeBind) error {
	return ch.e2e(m, m.Source, m.Destination, m.RoutingKey, m.Arguments, true, m.NoWait)
}

func (ch *channel) exchangeUnbind(m *wire.ExchangeUnbind) error {
	return ch.e2e(m, m.Source, m.Destination, m.RoutingKey, m.Arguments, false, m.NoWait)
}

func (ch *channel) e2e(m wire.Method, srcName, dstName, key string, args wire.Table, bind, noWait bool) error {
	dst, err := ch.exchangeFor(dstName, m)
	if err != nil {
		return err
	}
	src, err := ch.exchangeFor(srcName, m)
	if err != nil {
		return err
	}
	if err := ch.check(auth.Write, "exchange", dstName, m); err != nil {
		return err
	}
	if err := ch.check(auth.Read, "exchange", srcName, m); err != nil {
		return err
	}
	v := ch.conn.vhost
	if bind {
		err = v.Bind(src, dst, key, args)
	} else {
		err = v.Unbind(src, dst, key, args)
	}
	if err != nil {
		return fromBroker(err, m)
	}
	if !noWait {
		if bind {
			ch.send(&wire.ExchangeBindOk{})
		} else {
			ch.send(&wire.ExchangeUnbindOk{})
		}
	}
	return nil
}

func (ch *channel) queueDeclare(m *wire.QueueDeclare) error {
	if ok, err := ch.declareReplyTo(m); ok { // direct reply-to: replyto.go
		return err
	}
	v := ch.conn.vhost
	var q *broker.Queue
	var err error
	if m.Passive {
		// No "last declared queue" stand-in here: RabbitMQ answers a
		// passive declare of "" with 404 no queue ''.
		q, err = v.QueueFor(m.Queue, ch.conn)
		if err == nil {
			q.Touch() // a redeclare renews an x-expires lease
		}
	} else {
		if err := ch.check(auth.Configure, "queue", m.Queue, m); err != nil {
			return err
		}
		if dlx, ok := m.Arguments["x-dead-letter-exchange"].(string); ok {
			if err := ch.check(auth.Write, "exchange", dlx, m); err != nil {
				return err
			}
			if err := ch.check(auth.Read, "queue", m.Queue, m); err != nil {
				return err
			}
		}
		q, _, err = v.DeclareQueue(broker.QueueSpec{
			Name: m.Queue, Durable: m.Durable, Exclusive: m.Exclusive,
			AutoDelete: m.AutoDelete, Args: m.Arguments, Owner: ch.conn,
		})
	}
	if err != nil {
		return fromBroker(err, m)
	}
	ch.lastQueue = q.Name()
	if !m.NoWait {
		ready, _, consumers := q.Counts()
		if q.IsStream() {
			// RabbitMQ counts neither: its message count is a statistic
			// refreshed every few seconds, and stream consumers are not
			// counted at all.
			ready, consumers = 0, 0
		}
		ch.send(&wire.QueueDeclareOk{Queue: q.Name(), MessageCount: uint32(ready), ConsumerCount: uint32(consumers)})
	}
	return nil
}

func (ch *channel) queueBind(m *wire.QueueBind) error {
	return ch.q2e(m, m.Queue, m.Exchange, m.RoutingKey, m.Arguments, true, m.NoWait)
}

func (ch *channel) queueUnbind(m *wire.QueueUnbind) error {
	return ch.q2e(m, m.Queue, m.Exchange, m.RoutingKey, m.Arguments, false, false)
}

func (ch *channel) q2e(m wire.Method, qName, eName, key string, args wire.Table, bind, noWait bool) error {
	if qName == "" && key == "" {
		key = ch.lastQueue // RabbitMQ's shortcut: both empty means the last queue
	}
	qName, err := ch.queueName(qName, m)
	if err != nil {
		return err
	}
	q, err := ch.conn.vhost.QueueFor(qName, ch.conn)
	if err != nil {
		return fromBroker(err, m)
	}
	e, err := ch.exchangeFor(eName, m)
	if err != nil {
		return err
	}
	if err := ch.check(auth.Write, "queue", qName, m); err != nil {
		return err
	}
	if err := ch.check(auth.Read, "exchange", eName, m); err != nil {
		return err
	}
	if err := ch.checkTopic(auth.Read, eName, e.Type(), key, m); err != nil {
		return err
	}
	v := ch.conn.vhost
	if bind {
		err = v.Bind(e, q, key, args)
	} else {
		err = v.Unbind(e, q, key, args)
	}
	if err != nil {
		return fromBroker(err, m)
	}
	if bind && !noWait {
		ch.send(&wire.QueueBindOk{})
	} else if !bind {
		ch.send(&wire.QueueUnbindOk{})
	}
	return nil
}

func (ch *channel) queuePurge(m *wire.QueuePurge) error {
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
		return streamRefuses("queue.purge", q, m)
	}
	n := q.Purge()
	if !m.NoWait {
		ch.send(&wire.QueuePurgeOk{MessageCount: uint32(n)})
	}
	return nil
}

func (ch *channel) queueDelete(m *wire.QueueDelete) error {
	name, err := ch.queueName(m.Queue, m)
	if err != nil {
		return err
	}
	if err := ch.check(auth.Configure, "queue", name, m); err != nil {
		return err
	}
	n, err := ch.conn.vhost.DeleteQueue(name, ch.conn, m.IfUnused, m.IfEmpty)
	if be, ok := err.(*broker.Error); ok && be.Code == broker.CodeNotFound {
		n, err = 0, nil // deleting a missing queue succeeds, as in RabbitMQ
	}
	if err != nil {
		return fromBroker(err, m)
	}
	if !m.NoWait {
		ch.send(&wire.QueueDeleteOk{MessageCount: uint32(n)})
	}
	return nil
}
