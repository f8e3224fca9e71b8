package broker

import (
	"container/heap"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// entry is a queued message held in memory.
type entry struct {
	seq         uint64 // position in publish order; requeue goes back here
	msg         *message.Message
	pos         store.Pos // where the message is in the queue's log, if stored
	expires     int64     // unix ms after which it must not be delivered; 0 never
	deliveries  uint32    // times delivered before (for x-delivery-limit)
	stored      bool
	redelivered bool
	dead        bool // expired in place; skipped and released when reached
}

// coldEntry is a queued message whose body is only on disk: 16 bytes, no
// pointers, so a deep queue costs little memory and no GC scanning.
type coldEntry struct {
	pos  store.Pos
	meta uint32 // body size (for byte counts) | coldRedelivered
}

const (
	coldRedelivered = 1 << 31
	coldDead        = 1 << 30 // expired in place
	coldSizeMask    = coldDead - 1
	coldChunk       = 4096 // entries per chunk: 64 KiB, allocated as the queue grows
)

// messageList is a queue's ready messages in publish order, with
// requeued messages returning to their original position.
//
// Three parts: hot, a ring of in-memory messages at the head; cold, a
// chunked deque of disk positions behind it; and requeued, a min-heap (by
// seq) of messages given back by consumers. Once anything is cold, new
// messages go cold too, so cold always holds a contiguous run of seqs that
// follows every hot one, and its entries need not store their seq.
type messageList struct {
	ring    []entry
	head, n int

	cold      [][]coldEntry // chunks; cold[0][coldHead] is the oldest
	coldHead  int
	coldN     int
	coldSeq   uint64 // seq of the oldest cold entry
	requeued  seqHeap
	nextSeq   uint64 // last seq assigned in this list
	deadHot   int    // dead entries still in ring
	deadCold  int    // dead entries still in cold
	bytes     int64  // body bytes of all ready messages
	hotBytes  int64  // memory charged for hot and requeued messages
	coldBytes int64  // body bytes of cold messages
}

// Len is the number of ready messages.
func (l *messageList) Len() int {
	return l.n + l.coldN + len(l.requeued) - l.deadHot - l.deadCold
}

// Bytes is the sum of ready message body sizes.
func (l *messageList) Bytes() int64 { return l.bytes }

// ColdLen is the number of messages only on disk.
func (l *messageList) ColdLen() int { return l.coldN }

// memCharge is what a hot message is charged against memory budgets: its
// bytes plus the bookkeeping around them.
func memCharge(m *message.Message) int64 {
	return int64(len(m.Body)+len(m.Props)+len(m.Exchange)+len(m.RoutingKey)) + 160
}

func (l *messageList) pushHot(e entry) {
	if l.n == len(l.ring) {
		l.grow()
	}
	l.ring[(l.head+l.n)%len(l.ring)] = e
	l.n++
	l.bytes += int64(len(e.msg.Body))
	l.hotBytes += memCharge(e.msg)
}

func (l *messageList) grow() {
	size := 2 * len(l.ring)
	if size < 16 {
		size = 16
	}
	ring := make([]entry, size)
	for i := 0; i < l.n; i++ {
		ring[i] = l.ring[(l.head+i)%len(l.ring)]
	}
	l.ring, l.head = ring, 0
}

// pushCold appends a disk-only message; seq must follow the last one.
func (l *messageList) pushCold(seq uint64, c coldEntry) {
	if l.coldN == 0 {
		l.coldSeq = seq
	}
	idx := l.coldHead + l.coldN
	if idx/coldChunk == len(l.cold) {
		l.cold = append(l.cold, make([]coldEntry, coldChunk))
	}
	l.cold[idx/coldChunk][idx%coldChunk] = c
	l.coldN++
	size := int64(c.meta & coldSizeMask)
	l.bytes += size
	l.coldBytes += size
}

// requeue puts a delivered message back at its original position.
func (l *messageList) requeue(e entry) {
	heap.Push(&l.requeued, e)
	l.bytes += int64(len(e.msg.Body))
	l.hotBytes += memCharge(e.msg)
}

// next reports where the lowest-seq message is: 1 requeued, 2 hot, 3 cold,
// 0 none.
func (l *messageList) next() int {
	var best uint64
	kind := 0
	if len(l.requeued) > 0 {
		best, kind = l.requeued[0].seq, 1
	}
	if l.n > 0 {
		if s := l.ring[l.head].seq; kind == 0 || s < best {
			best, kind = s, 2
		}
	} else if l.coldN > 0 {
		if kind == 0 || l.coldSeq < best {
			kind = 3
		}
	}
	return kind
}

// peekHot returns the lowest-seq in-memory message; next() must not be 0
// or 3.
func (l *messageList) peekHot() entry {
	if l.next() == 1 {
		return l.requeued[0]
	}
	return l.ring[l.head]
}

// popHot removes what peekHot returns.
func (l *messageList) popHot() entry {
	var e entry
	if l.next() == 1 {
		e = heap.Pop(&l.requeued).(entry)
	} else {
		e = l.ring[l.head]
		l.ring[l.head] = entry{}
		l.head = (l.head + 1) % len(l.ring)
		l.n--
		if l.n == 0 && len(l.ring) > 1024 {
			l.ring, l.head = nil, 0 // release a large idle buffer
		}
	}
	if e.dead {
		l.deadHot-- // already uncounted when it died
		return e
	}
	l.bytes -= int64(len(e.msg.Body))
	l.hotBytes -= memCharge(e.msg)
	return e
}

// popCold removes the oldest cold entry and returns it with its seq.
func (l *messageList) popCold() (uint64, coldEntry) {
	c := l.cold[0][l.coldHead]
	seq := l.coldSeq
	l.coldHead++
	l.coldN--
	l.coldSeq++
	if l.coldHead == coldChunk {
		l.cold[0] = nil
		l.cold = l.cold[1:]
		l.coldHead = 0
	}
	if l.coldN == 0 {
		l.cold, l.coldHead = nil, 0
	}
	if c.meta&coldDead != 0 {
		l.deadCold--
		return seq, c
	}
	size := int64(c.meta & coldSizeMask)
	l.bytes -= size
	l.coldBytes -= size
	return seq, c
}

// killHot marks the in-memory message with seq dead in place (it expired
// behind the head) and returns it. ok is false if it is not in the ring.
func (l *messageList) killHot(seq uint64) (entry, bool) {
	if l.n == 0 {
		return entry{}, false
	}
	// The ring is in seq order: binary search.
	lo, hi := 0, l.n
	for lo < hi {
		mid := (lo + hi) / 2
		if l.ring[(l.head+mid)%len(l.ring)].seq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == l.n {
		return entry{}, false
	}
	e := &l.ring[(l.head+lo)%len(l.ring)]
	if e.seq != seq || e.dead {
		return entry{}, false
	}
	out := *e
	l.bytes -= int64(len(e.msg.Body))
	l.hotBytes -= memCharge(e.msg)
	e.msg, e.dead = nil, true
	l.deadHot++
	return out, true
}

// killCold marks the disk-only message with seq dead in place.
func (l *messageList) killCold(seq uint64) (coldEntry, bool) {
	if l.coldN == 0 || seq < l.coldSeq || seq >= l.coldSeq+uint64(l.coldN) {
		return coldEntry{}, false
	}
	idx := l.coldHead + int(seq-l.coldSeq)
	c := &l.cold[idx/coldChunk][idx%coldChunk]
	if c.meta&coldDead != 0 {
		return coldEntry{}, false
	}
	out := *c
	size := int64(c.meta & coldSizeMask)
	l.bytes -= size
	l.coldBytes -= size
	c.meta |= coldDead
	l.deadCold++
	return out, true
}

// killRequeued removes the requeued message with seq, if there.
func (l *messageList) killRequeued(seq uint64) (entry, bool) {
	for i, e := range l.requeued {
		if e.seq == seq {
			heap.Remove(&l.requeued, i)
			l.bytes -= int64(len(e.msg.Body))
			l.hotBytes -= memCharge(e.msg)
			return e, true
		}
	}
	return entry{}, false
}

// purge drops every ready message. The callbacks see each one first, dead
// ones included (with a nil msg), so the caller can release what they hold
// (store records, memory charges).
func (l *messageList) purge(hot func(entry), cold func(coldEntry)) int {
	n := l.Len()
	for _, e := range l.requeued {
		hot(e)
	}
	for i := 0; i < l.n; i++ {
		hot(l.ring[(l.head+i)%len(l.ring)]) // dead ones too: e.msg is nil
	}
	for i := 0; i < l.coldN; i++ {
		idx := l.coldHead + i
		c := l.cold[idx/coldChunk][idx%coldChunk]
		cold(c) // dead ones too: their records still need releasing
	}
	seq := l.nextSeq
	*l = messageList{nextSeq: seq}
	return n
}

type seqHeap []entry

func (h seqHeap) Len() int           { return len(h) }
func (h seqHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h seqHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *seqHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *seqHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = entry{}
	*h = old[:len(old)-1]
	return e
}
