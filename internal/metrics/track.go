package metrics

import (
	"sync"

	"github.com/warrenmq/warren/internal/broker"
)

// counters are a queue's cumulative message counts (broker.QueueStats).
type counters struct {
	published, delivered, acked, redelivered uint64
}

func (c *counters) add(o counters) {
	c.published += o.published
	c.delivered += o.delivered
	c.acked += o.acked
	c.redelivered += o.redelivered
}

// qstate is one queue's state at a scrape, or a sum of queues.
type qstate struct {
	ready, unacked, consumers int
	readyBytes                int64
	c                         counters
}

func (q *qstate) add(o qstate) {
	q.ready += o.ready
	q.unacked += o.unacked
	q.consumers += o.consumers
	q.readyBytes += o.readyBytes
	q.c.add(o.c)
}

// vstate is a sum over the queues of a vhost (or of all vhosts).
type vstate struct {
	name string
	qstate
	queues int
}

// totals is one scrape's sums.
type totals struct {
	total  vstate
	vhosts []vstate
}

// qrec is what the tracker remembers of a queue between scrapes.
type qrec struct {
	vhost string
	c     counters
}

// tracker keeps broker-wide and per-vhost counters monotonic although
// they are sums over the queues that exist: the counters a queue had at
// the last scrape it was seen in are kept ("retired") when it is gone.
// What a deleted queue counted after that scrape is lost.
type tracker struct {
	mu       sync.Mutex
	last     map[*broker.Queue]qrec
	retired  counters
	retiredV map[string]counters
}

func newTracker() tracker {
	return tracker{last: map[*broker.Queue]qrec{}, retiredV: map[string]counters{}}
}

func queueState(q *broker.Queue) (qstate, bool) {
	in := q.Info()
	if in.Deleted {
		return qstate{}, false
	}
	return qstate{ready: in.Ready, unacked: in.Unacked, consumers: in.Consumers, readyBytes: in.ReadyBytes,
		c: counters{q.Stats.Published.Load(), q.Stats.Delivered.Load(), q.Stats.Acked.Load(), q.Stats.Redelivered.Load()}}, true
}

// scan reads every queue once, calling each for it, and returns the sums
// with retired counters included. Scrapes are serialized here.
func (t *tracker) scan(b *broker.Broker, each func(vhost, queue string, q qstate)) totals {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out totals
	seen := make(map[*broker.Queue]qrec, len(t.last))
	live := map[string]bool{}
	if b != nil {
		for _, v := range b.VHosts() {
			vs := vstate{name: v.Name()}
			live[vs.name] = true
			for _, q := range v.Queues() {
				qs, ok := queueState(q)
				if !ok {
					continue
				}
				seen[q] = qrec{vhost: vs.name, c: qs.c}
				each(vs.name, q.Name(), qs)
				vs.add(qs)
				vs.queues++
			}
			out.total.add(vs.qstate)
			out.total.queues += vs.queues
			out.vhosts = append(out.vhosts, vs)
		}
	}
	for q, r := range t.last {
		if _, ok := seen[q]; ok {
			continue
		}
		t.retired.add(r.c)
		if live[r.vhost] {
			rv := t.retiredV[r.vhost]
			rv.add(r.c)
			t.retiredV[r.vhost] = rv
		}
	}
	for name := range t.retiredV {
		if !live[name] {
			delete(t.retiredV, name)
		}
	}
	t.last = seen
	out.total.c.add(t.retired)
	for i := range out.vhosts {
		out.vhosts[i].c.add(t.retiredV[out.vhosts[i].name])
	}
	return out
}
