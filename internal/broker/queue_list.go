package broker

import (
	"container/heap"

	"github.com/warrenmq/warren/internal/message"
)

// entry is one queued message as the queue tracks it.
type entry struct {
	seq         uint64 // position in publish order; requeue goes back here
	msg         *message.Message
	redelivered bool
}

// messageList is the storage seam of a queue's ready messages: publish
// order with requeued messages returning to their original position. The
// in-memory implementation is a ring buffer for the publish order plus a
// min-heap (by seq) for requeued messages, so requeue costs O(log n) and the
// common append/pop path stays O(1).
type messageList struct {
	ring     []entry
	head, n  int
	requeued seqHeap
	bytes    int64
}

func (l *messageList) Len() int { return l.n + len(l.requeued) }

// Bytes is the sum of ready message body sizes.
func (l *messageList) Bytes() int64 { return l.bytes }

func (l *messageList) push(e entry) {
	if l.n == len(l.ring) {
		l.grow()
	}
	l.ring[(l.head+l.n)%len(l.ring)] = e
	l.n++
	l.bytes += int64(e.msg.Size())
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

// requeue puts a delivered message back at its original position.
func (l *messageList) requeue(e entry) {
	heap.Push(&l.requeued, e)
	l.bytes += int64(e.msg.Size())
}

// pop removes the message with the lowest seq.
func (l *messageList) pop() (entry, bool) {
	if len(l.requeued) > 0 && (l.n == 0 || l.requeued[0].seq < l.ring[l.head].seq) {
		e := heap.Pop(&l.requeued).(entry)
		l.bytes -= int64(e.msg.Size())
		return e, true
	}
	if l.n == 0 {
		return entry{}, false
	}
	e := l.ring[l.head]
	l.ring[l.head] = entry{}
	l.head = (l.head + 1) % len(l.ring)
	l.n--
	l.bytes -= int64(e.msg.Size())
	if l.n == 0 && len(l.ring) > 1024 {
		l.ring, l.head = nil, 0 // release a large idle buffer
	}
	return e, true
}

// purge drops every ready message and returns how many there were.
func (l *messageList) purge() int {
	n := l.Len()
	*l = messageList{}
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

// peek returns the message pop would return, without removing it. The list
// must not be empty.
func (l *messageList) peek() entry {
	if len(l.requeued) > 0 && (l.n == 0 || l.requeued[0].seq < l.ring[l.head].seq) {
		return l.requeued[0]
	}
	return l.ring[l.head]
}
