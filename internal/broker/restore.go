package broker

import (
	"fmt"

	"github.com/warrenmq/warren/internal/meta"
)

// Restore rebuilds vhosts, durable exchanges, durable queues and their
// bindings from persisted definitions, without persisting them again. It
// returns the restored queues so the caller can recover their messages.
func (b *Broker) Restore(st *meta.State) ([]*Queue, error) {
	b.mu.Lock()
	for name := range st.VHosts {
		if _, ok := b.vhosts[name]; !ok {
			b.vhosts[name] = newVHost(b, name)
		}
	}
	b.mu.Unlock()
	var queues []*Queue
	for _, op := range st.Ops() {
		var err error
		switch op.Kind {
		case meta.OpExchangePut:
			e := op.Exchange
			v := b.VHost(e.VHost)
			if v == nil {
				return nil, fmt.Errorf("restore: exchange %q in unknown vhost %q", e.Name, e.VHost)
			}
			v.mu.Lock()
			v.exchanges[e.Name] = &Exchange{vhost: v, name: e.Name, typ: e.Type, durable: true,
				autoDelete: e.AutoDelete, internal: e.Internal, args: Table(e.Args), match: newMatcher(e.Type)}
			if v.exchanges[e.Name].match == nil {
				err = fmt.Errorf("restore: exchange %q has unknown type %q", e.Name, e.Type)
			}
			v.mu.Unlock()
		case meta.OpQueuePut:
			qd := op.Queue
			v := b.VHost(qd.VHost)
			if v == nil {
				return nil, fmt.Errorf("restore: queue %q in unknown vhost %q", qd.Name, qd.VHost)
			}
			cfg, perr := argsConfig(qd.Name, qd.VHost, Table(qd.Args))
			if perr != nil {
				b.log.Warn("restored queue has invalid arguments; ignoring them", "queue", qd.Name, "err", perr)
				cfg, _ = parseQueueArgs(qd.Name, qd.VHost, nil)
			}
			q := newQueue(v, qd.Name, true, false, qd.AutoDelete, Table(qd.Args), cfg)
			v.mu.Lock()
			v.queues[q.name] = q
			v.mu.Unlock()
			queues = append(queues, q)
		case meta.OpBindingPut:
			bd := op.Binding
			v := b.VHost(bd.VHost)
			if v == nil {
				continue
			}
			v.mu.Lock()
			src := v.exchanges[bd.Source]
			var dst Destination
			if bd.DestType == "queue" {
				if q := v.queues[bd.Dest]; q != nil {
					dst = q
				}
			} else if e := v.exchanges[bd.Dest]; e != nil {
				dst = e
			}
			if src != nil && dst != nil && src.findBindingLocked(dst, bd.Key, Table(bd.Args)) < 0 {
				src.bindings = append(src.bindings, &Binding{Source: src, Destination: dst, Key: bd.Key, Args: Table(bd.Args)})
				src.match.add(bd.Key, Table(bd.Args), dst)
			}
			v.mu.Unlock()
		}
		if err != nil {
			return nil, err
		}
	}
	return queues, nil
}
