package broker

import (
	"github.com/warrenmq/warren/internal/meta"
)

// Definitions persists durable definition changes (implemented by
// *meta.Log). Apply must make the ops durable before returning.
type Definitions interface {
	Apply(ops ...meta.Op) error
}

// noDefinitions is used when the broker runs without persistence.
type noDefinitions struct{}

func (noDefinitions) Apply(...meta.Op) error { return nil }

// persist records ops; a failure becomes the client's 541 reply, and the
// caller leaves its in-memory change undone.
func (b *Broker) persist(ops ...meta.Op) error {
	if err := b.defs.Apply(ops...); err != nil {
		b.log.Error("persisting definitions failed", "err", err)
		return errorf(CodeInternalError, "could not persist definitions: %v", err)
	}
	return nil
}

func exchangeOp(kind string, e *Exchange) meta.Op {
	return meta.Op{Kind: kind, Exchange: &meta.Exchange{VHost: e.vhost.name, Name: e.name, Type: e.typ,
		AutoDelete: e.autoDelete, Internal: e.internal, Args: meta.Args(e.args)}}
}

func queueOp(kind string, q *Queue) meta.Op {
	return meta.Op{Kind: kind, Queue: &meta.Queue{VHost: q.vhost.name, Name: q.name, AutoDelete: q.autoDelete, Args: meta.Args(q.args)}}
}

// persistent reports whether a queue's definition survives restarts:
// durable and not exclusive (exclusive queues die with their connection).
func (q *Queue) persistent() bool { return q.durable && !q.exclusive }

func destDurable(d Destination) (durable bool, kind string) {
	switch d := d.(type) {
	case *Queue:
		return d.persistent(), "queue"
	case *Exchange:
		return d.durable, "exchange"
	}
	return false, ""
}

// bindingOp returns the op for a binding and whether it is persistent
// (both ends durable, as in RabbitMQ).
func bindingOp(kind string, src *Exchange, d Destination, key string, args Table) (meta.Op, bool) {
	durable, dkind := destDurable(d)
	if !src.durable || !durable || src.name == "" {
		return meta.Op{}, false
	}
	return meta.Op{Kind: kind, Binding: &meta.Binding{VHost: src.vhost.name, Source: src.name, Dest: d.DestName(),
		DestType: dkind, Key: key, Args: meta.Args(args)}}, true
}
