package amqp091

import (
	"sort"

	"github.com/warrenmq/warren/internal/broker"
)

// pendingDelivery is a delivered message awaiting ack, nack or reject.
type pendingDelivery struct {
	tag      uint64
	d        broker.Delivery
	consumer *consumerState // nil for basic.get
	at       int64          // unix ms when delivered, for consumer timeouts
	settled  bool
}

// unackedList keeps a channel's pending deliveries in delivery-tag order.
// Tags only grow, so appends keep it sorted; settled entries in the middle
// stay as tombstones until they reach the front, which keeps ack,
// multiple-ack and lookup at O(log n) without a map.
type unackedList struct {
	items []pendingDelivery
	head  int
	live  int
}

func (l *unackedList) Len() int { return l.live }

func (l *unackedList) push(p pendingDelivery) {
	l.items = append(l.items, p)
	l.live++
}

func (l *unackedList) find(tag uint64) int {
	items := l.items[l.head:]
	i := sort.Search(len(items), func(i int) bool { return items[i].tag >= tag })
	if i < len(items) && items[i].tag == tag && !items[i].settled {
		return l.head + i
	}
	return -1
}

// take settles tag (or, with multiple, every pending tag up to it; tag 0
// with multiple means all) and appends the settled deliveries to out. ok is
// false when tag is not pending.
func (l *unackedList) take(tag uint64, multiple bool, out []pendingDelivery) ([]pendingDelivery, bool) {
	if multiple {
		if tag != 0 && l.find(tag) < 0 {
			return out, false
		}
		for i := l.head; i < len(l.items) && (tag == 0 || l.items[i].tag <= tag); i++ {
			if !l.items[i].settled {
				out = append(out, l.items[i])
				l.settle(i)
			}
		}
	} else {
		i := l.find(tag)
		if i < 0 {
			return out, false
		}
		out = append(out, l.items[i])
		l.settle(i)
	}
	l.compact()
	return out, true
}

func (l *unackedList) settle(i int) {
	l.items[i].settled = true
	l.items[i].d = broker.Delivery{}
	l.live--
}

func (l *unackedList) compact() {
	for l.head < len(l.items) && l.items[l.head].settled {
		l.items[l.head] = pendingDelivery{}
		l.head++
	}
	if l.head == len(l.items) {
		l.items, l.head = l.items[:0], 0
		return
	}
	// Reclaim the front once it is most of the slice.
	if l.head > 1024 && l.head > len(l.items)/2 {
		n := copy(l.items, l.items[l.head:])
		clear(l.items[n:])
		l.items, l.head = l.items[:n], 0
	}
	// Too many tombstones behind the front: rebuild.
	if len(l.items)-l.head > 1024 && l.live < (len(l.items)-l.head)/4 {
		kept := l.items[:0]
		for _, p := range l.items[l.head:] {
			if !p.settled {
				kept = append(kept, p)
			}
		}
		clear(l.items[len(kept):])
		l.items, l.head = kept, 0
	}
}

// takeAll removes every pending delivery.
func (l *unackedList) takeAll() []pendingDelivery {
	var out []pendingDelivery
	for _, p := range l.items[l.head:] {
		if !p.settled {
			out = append(out, p)
		}
	}
	*l = unackedList{}
	return out
}

// groupByQueue calls fn once per queue with that queue's deliveries, in
// tag order.
func groupByQueue(ps []pendingDelivery, fn func(q *broker.Queue, ds []broker.Delivery)) {
	if len(ps) == 0 {
		return
	}
	// The common case is a single queue.
	q := ps[0].d.Queue
	same := true
	for _, p := range ps[1:] {
		if p.d.Queue != q {
			same = false
			break
		}
	}
	ds := make([]broker.Delivery, 0, len(ps))
	if same {
		for _, p := range ps {
			ds = append(ds, p.d)
		}
		fn(q, ds)
		return
	}
	byQ := make(map[*broker.Queue][]broker.Delivery)
	var order []*broker.Queue
	for _, p := range ps {
		if _, ok := byQ[p.d.Queue]; !ok {
			order = append(order, p.d.Queue)
		}
		byQ[p.d.Queue] = append(byQ[p.d.Queue], p.d)
	}
	for _, q := range order {
		fn(q, byQ[q])
	}
}

func requeueDeliveries(ps []pendingDelivery) {
	groupByQueue(ps, func(q *broker.Queue, ds []broker.Delivery) { q.Requeue(ds...) })
}

// restore puts previously taken deliveries back, keeping tag order.
func (l *unackedList) restore(ps []pendingDelivery) {
	all := l.takeAll()
	all = append(all, ps...)
	sort.Slice(all, func(i, j int) bool { return all[i].tag < all[j].tag })
	for _, p := range all {
		p.settled = false
		l.push(p)
	}
}

// oldest returns the earliest unsettled deliveries (at most n).
func (l *unackedList) oldest(n int, fn func(p *pendingDelivery)) {
	for i := l.head; i < len(l.items) && n > 0; i++ {
		if !l.items[i].settled {
			fn(&l.items[i])
			n--
		}
	}
}
