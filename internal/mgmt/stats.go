package mgmt

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/broker"
)

// counters are cumulative message counts of a queue (or a sum of queues).
type counters struct {
	publish, deliverGet, ack, redeliver uint64
}

func (c *counters) add(o counters) {
	c.publish += o.publish
	c.deliverGet += o.deliverGet
	c.ack += o.ack
	c.redeliver += o.redeliver
}

// rates are per-second rates over the last sampling interval.
type rates struct {
	publish, deliverGet, ack, redeliver float64
}

func (r *rates) add(o rates) {
	r.publish += o.publish
	r.deliverGet += o.deliverGet
	r.ack += o.ack
	r.redeliver += o.redeliver
}

func rateOf(prev, cur counters, dt float64) rates {
	d := func(a, b uint64) float64 {
		if b < a {
			return 0
		}
		return float64(b-a) / dt
	}
	return rates{d(prev.publish, cur.publish), d(prev.deliverGet, cur.deliverGet), d(prev.ack, cur.ack), d(prev.redeliver, cur.redeliver)}
}

// qsample is one queue's state at the last sample.
type qsample struct {
	cur  counters
	rate rates
	// active is when the counters last changed (or the queue was first
	// seen): RabbitMQ's idle_since.
	active time.Time
}

// agg is a sum over queues: a vhost's or the node's.
type agg struct {
	cur  counters
	rate rates
}

// snapshot is one sampling pass. It is immutable once published.
type snapshot struct {
	at     time.Time
	queues map[*broker.Queue]qsample
	vhosts map[string]agg
	total  agg
	// retired holds the final counters of deleted queues, per vhost and
	// in total, so cumulative totals never go backwards.
	retiredV map[string]counters
	retired  counters
	// conns are the connections' octet counters and rates, by name.
	conns map[string]connSample
	// node-wide counters from the AMQP adapter, and their rates.
	node     nodeCounters
	nodeRate [3]float64
	// churn counters (churnNames order) and their rates.
	churn     [len(churnNames)]uint64
	churnRate [len(churnNames)]float64
}

// churnNames are RabbitMQ's churn_rates counters, in the order of
// sampler.churn.
var churnNames = [...]string{"connection_created", "connection_closed", "channel_created", "channel_closed",
	"queue_declared", "queue_created", "queue_deleted"}

// churn reads the cumulative churn counters of the adapter and the broker.
func (s *sampler) churn() (c [len(churnNames)]uint64) {
	if s.amqp != nil {
		c[0], c[1], c[2], c[3] = s.amqp.Churn()
	}
	if s.b != nil {
		c[4], c[5], c[6] = s.b.QueueChurn()
	}
	return c
}

// nodeCounters are the adapter's publish, confirm and unroutable counts.
type nodeCounters struct{ published, confirmed, unroutable uint64 }

// connSample is one connection's octet counters at the last sample.
type connSample struct {
	recv, send         uint64
	recvRate, sendRate float64
}

// sampler reads the queues' cumulative counters periodically. The message
// path only increments atomics it increments anyway; all the work of
// turning them into rates happens here, off that path.
type sampler struct {
	b        *broker.Broker
	amqp     *amqp091.Server
	now      func() time.Time
	interval time.Duration

	mu   sync.Mutex // serializes passes
	snap atomic.Pointer[snapshot]

	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}
}

func newSampler(b *broker.Broker, srv *amqp091.Server, now func() time.Time, interval time.Duration) *sampler {
	s := &sampler{b: b, amqp: srv, now: now, interval: interval, stopCh: make(chan struct{}), done: make(chan struct{})}
	s.snap.Store(&snapshot{at: now(), queues: map[*broker.Queue]qsample{}, vhosts: map[string]agg{}, retiredV: map[string]counters{}})
	return s
}

func (s *sampler) start() {
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.sample()
			case <-s.stopCh:
				return
			}
		}
	}()
}

func (s *sampler) stop() {
	s.stopOnce.Do(func() {
		close(s.stopCh)
		if s.interval > 0 {
			<-s.done
		}
	})
}

func queueCounters(q *broker.Queue) counters {
	return counters{q.Stats.Published.Load(), q.Stats.Delivered.Load(), q.Stats.Acked.Load(), q.Stats.Redelivered.Load()}
}

// sample takes one pass over every queue.
func (s *sampler) sample() {
	if s.b == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.snap.Load()
	now := s.now()
	dt := now.Sub(prev.at).Seconds()
	next := &snapshot{at: now, queues: make(map[*broker.Queue]qsample, len(prev.queues)),
		vhosts: make(map[string]agg), retiredV: make(map[string]counters, len(prev.retiredV)), retired: prev.retired}
	for k, v := range prev.retiredV {
		next.retiredV[k] = v
	}
	for _, v := range s.b.VHosts() {
		va := agg{cur: prev.retiredV[v.Name()]}
		for _, q := range v.Queues() {
			qs := qsample{cur: queueCounters(q), active: now}
			if p, ok := prev.queues[q]; ok {
				if p.cur == qs.cur {
					qs.active = p.active
				}
				if dt > 0 {
					qs.rate = rateOf(p.cur, qs.cur, dt)
				}
			}
			next.queues[q] = qs
			va.cur.add(qs.cur)
			va.rate.add(qs.rate)
		}
		next.vhosts[v.Name()] = va
		next.total.cur.add(va.cur)
		next.total.rate.add(va.rate)
	}
	if s.amqp != nil {
		p, c, u := s.amqp.MessageCounters()
		next.node = nodeCounters{p, c, u}
		if dt > 0 {
			d := func(a, b uint64) float64 {
				if b < a {
					return 0
				}
				return float64(b-a) / dt
			}
			next.nodeRate = [3]float64{d(prev.node.published, p), d(prev.node.confirmed, c), d(prev.node.unroutable, u)}
		}
	}
	next.churn = s.churn()
	if dt > 0 {
		for i, n := range next.churn {
			if p := prev.churn[i]; n >= p {
				next.churnRate[i] = float64(n-p) / dt
			}
		}
	}
	for q, p := range prev.queues {
		if _, ok := next.queues[q]; !ok {
			vn := q.VHost().Name()
			c := next.retiredV[vn]
			c.add(p.cur)
			next.retiredV[vn] = c
			next.retired.add(p.cur)
			if va, ok := next.vhosts[vn]; ok {
				va.cur.add(p.cur)
				next.vhosts[vn] = va
				next.total.cur.add(p.cur)
			}
		}
	}
	next.conns = make(map[string]connSample, len(prev.conns))
	if s.amqp != nil {
		for _, c := range s.amqp.Connections() {
			cs := connSample{recv: c.RecvOct, send: c.SendOct}
			if p, ok := prev.conns[c.Name]; ok && dt > 0 {
				cs.recvRate = rateOf(counters{publish: p.recv}, counters{publish: cs.recv}, dt).publish
				cs.sendRate = rateOf(counters{publish: p.send}, counters{publish: cs.send}, dt).publish
			}
			next.conns[c.Name] = cs
		}
	}
	s.snap.Store(next)
}

func (s *sampler) current() *snapshot { return s.snap.Load() }

// queueStats returns a queue's live counters and last sampled rates.
func (s *sampler) queueStats(q *broker.Queue) (counters, rates, time.Time, bool) {
	snap := s.current()
	p, ok := snap.queues[q]
	return queueCounters(q), p.rate, p.active, ok
}

// messageStats renders RabbitMQ's message_stats object.
func messageStats(c counters, r rates) map[string]any {
	return map[string]any{
		"publish":             c.publish,
		"publish_details":     map[string]any{"rate": r.publish},
		"deliver_get":         c.deliverGet,
		"deliver_get_details": map[string]any{"rate": r.deliverGet},
		"ack":                 c.ack,
		"ack_details":         map[string]any{"rate": r.ack},
		"redeliver":           c.redeliver,
		"redeliver_details":   map[string]any{"rate": r.redeliver},
	}
}

// messageStatsKey returns a message_stats field for sorting without
// rendering: "message_stats.publish", "message_stats.ack_details.rate"...
func messageStatsKey(c counters, r rates, path string) (skey, bool) {
	switch path {
	case "message_stats.publish":
		return sk(c.publish), true
	case "message_stats.publish_details.rate":
		return sk(r.publish), true
	case "message_stats.deliver_get":
		return sk(c.deliverGet), true
	case "message_stats.deliver_get_details.rate":
		return sk(r.deliverGet), true
	case "message_stats.ack":
		return sk(c.ack), true
	case "message_stats.ack_details.rate":
		return sk(r.ack), true
	case "message_stats.redeliver":
		return sk(c.redeliver), true
	case "message_stats.redeliver_details.rate":
		return sk(r.redeliver), true
	}
	return skey{}, false
}

// rabbitTime formats a time as RabbitMQ 3.13 does in idle_since.
func rabbitTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000-07:00")
}
