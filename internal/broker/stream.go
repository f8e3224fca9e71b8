package broker

import (
	"errors"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// A stream queue (x-queue-type=stream, RabbitMQ 3.9+) is an append-only
// log that consumers read without removing anything: each consumer has
// its own cursor, set by the x-stream-offset consume argument, and every
// delivery carries its offset in the x-stream-offset header. Acks only
// return prefetch credit; nack and reject neither requeue nor
// dead-letter. Retention (x-max-length-bytes, x-max-age) drops whole
// segments of the log from the front, as RabbitMQ does, when a publish
// finds the stream over a limit; the segment in use is never dropped.
//
// Every message is written to the queue's log whatever its delivery
// mode (a stream is durable by definition) and confirmed once synced.
// Memory per message is its position and enqueue time (streamEntry); the
// most recent messages are also kept whole (the tail ring) so consumers
// that keep up never read the disk.
type streamState struct {
	first uint64        // offset of idx[0]
	idx   []streamEntry // retained messages in offset order
	runs  []segRun      // idx split by log segment, oldest first
	bytes int64         // record bytes of the retained messages
	// Retention and segment size are the queue's configuration (its
	// arguments and policies): q.cfg.maxLengthBytes, maxAge, segSize.

	tail      [streamTail]*message.Message // by offset % streamTail
	tailFirst uint64                       // oldest offset the ring holds
	tailBytes int64                        // body bytes in the ring

	// mem holds every message, parallel to idx, when the broker has no
	// store (no data directory): then there is nothing to read back and
	// no retention.
	mem []*message.Message
}

// The ring keeps up to streamTail recent messages and streamTailBytes of
// their bodies: a consumer at the head of the stream is served from
// memory, and a thousand streams still cost little.
const (
	streamTail      = 256
	streamTailBytes = 1 << 20
)

// streamEntry is what a stream keeps per message: 24 bytes.
type streamEntry struct {
	pos store.Pos
	ts  int64 // enqueue time, unix ms
}

// segRun is how many consecutive retained messages one segment holds.
type segRun struct {
	seg   uint32
	n     int
	bytes int64
}

// IsStream reports whether the queue is a stream.
func (q *Queue) IsStream() bool { return q.stream != nil }

func (s *streamState) end() uint64 { return s.first + uint64(len(s.idx)) }

// push indexes a message just appended at offset s.end().
func (s *streamState) push(e streamEntry, m *message.Message) {
	off := s.end()
	s.idx = append(s.idx, e)
	s.bytes += int64(e.pos.Size)
	if r := len(s.runs) - 1; r >= 0 && s.runs[r].seg == e.pos.Seg {
		s.runs[r].n++
		s.runs[r].bytes += int64(e.pos.Size)
	} else {
		s.runs = append(s.runs, segRun{seg: e.pos.Seg, n: 1, bytes: int64(e.pos.Size)})
	}
	slot := &s.tail[off%streamTail]
	if *slot != nil {
		s.tailBytes -= int64(len((*slot).Body))
		*slot = nil
	}
	if m != nil && s.tailBytes+int64(len(m.Body)) <= streamTailBytes {
		*slot = m
		s.tailBytes += int64(len(m.Body))
	}
	if off >= s.tailFirst+streamTail {
		s.tailFirst = off + 1 - streamTail
	}
}

// cached returns the ring's copy of offset off, or nil.
func (s *streamState) cached(off uint64) *message.Message {
	if off < s.tailFirst || off >= s.end() {
		return nil
	}
	return s.tail[off%streamTail]
}

// streamPublishLocked appends m to the stream and hands it to the
// consumers waiting at the head.
func (q *Queue) streamPublishLocked(m *message.Message) (PublishStatus, *store.Log, error) {
	s := q.stream
	b := q.vhost.broker
	now := nowMs(b)
	e := streamEntry{ts: now}
	if b.store != nil {
		pos, err := q.appendLocked(m, now)
		if err != nil {
			return Gone, nil, err
		}
		e.pos = pos
	} else {
		s.mem = append(s.mem, m)
	}
	s.push(e, m)
	q.Stats.Published.Add(1)
	if len(q.consumers) > 0 {
		q.dispatchStreamLocked()
	}
	q.retainLocked(now)
	if b.store != nil {
		return Queued, q.log, nil
	}
	return Queued, nil, nil
}

// streamReadAhead bounds one read-ahead: messages and record bytes.
const (
	streamReadAhead      = 128
	streamReadAheadBytes = 1 << 20
)

// streamMsgLocked returns the message at offset off for consumer c: from
// the ring, or from c's read-ahead, which is refilled from the log with
// one batched read (store.Log.ReadRun) of the records that follow.
func (q *Queue) streamMsgLocked(c *Consumer, off uint64) (*message.Message, error) {
	s := q.stream
	if i := off - c.aheadAt; off >= c.aheadAt && i < uint64(len(c.ahead)) && c.ahead[i] != nil {
		m := c.ahead[i]
		c.ahead[i] = nil // delivered: let it go
		return m, nil
	}
	if m := s.cached(off); m != nil {
		return m, nil
	}
	if s.mem != nil {
		return s.mem[off-s.first], nil
	}
	var ps []store.Pos
	var bytes int64
	for o := off; o < s.end() && len(ps) < streamReadAhead && (len(ps) == 0 || bytes < streamReadAheadBytes); o++ {
		if o > off && o >= s.tailFirst {
			break // the rest is in the ring
		}
		p := s.idx[o-s.first].pos
		ps, bytes = append(ps, p), bytes+int64(p.Size)
	}
	recs, err := q.log.ReadRun(ps)
	clear(c.ahead)
	c.ahead, c.aheadAt = c.ahead[:0], off
	for i := range recs {
		c.ahead = append(c.ahead, messageFromRecord(&recs[i]))
	}
	if len(c.ahead) == 0 {
		return nil, err
	}
	m := c.ahead[0]
	c.ahead[0] = nil
	return m, nil
}

// dispatchStreamLocked gives every consumer with credit the messages
// between its cursor and the end of the stream.
func (q *Queue) dispatchStreamLocked() {
	s := q.stream
	for _, c := range q.consumers {
		for !c.blocked.Load() {
			if c.cursor < s.first {
				c.cursor = s.first // retention dropped what it had not read
			}
			if c.cursor >= s.end() {
				break
			}
			m, err := q.streamMsgLocked(c, c.cursor)
			switch {
			case err == nil:
			case errors.Is(err, store.ErrCorrupt):
				// A damaged record is skipped (it was logged by the store)
				// so that it cannot stall the consumer.
				q.vhost.broker.log.Error("stream message corrupt, skipped", "queue", q.name, "vhost", q.vhost.name,
					"offset", c.cursor, "err", err)
				c.cursor++
				continue
			case errors.Is(err, store.ErrClosed):
				return // shutting down: nothing more to deliver
			default:
				// An I/O error: this consumer waits where it is, and the
				// next publish or ack tries again.
				q.vhost.broker.log.Error("stream read failed", "queue", q.name, "vhost", q.vhost.name,
					"offset", c.cursor, "err", err)
			}
			if err != nil {
				break
			}
			c.blocked.Store(true) // as in dispatchLocked: set before offering
			if !c.sink.Deliver(c, Delivery{Queue: q, Msg: m, Seq: c.cursor}) {
				break
			}
			c.blocked.Store(false)
			c.cursor++
			q.Stats.Delivered.Add(1)
		}
	}
}

// retainLocked applies x-max-length-bytes and x-max-age: whole segments go
// from the front while the stream is over a limit, never the last one.
// As in RabbitMQ, an age limit is checked when messages arrive, not on a
// timer.
func (q *Queue) retainLocked(now int64) {
	s := q.stream
	maxBytes, maxAge := q.cfg.maxLengthBytes, q.cfg.maxAge
	if (maxBytes < 0 && maxAge < 0) || q.log == nil {
		return
	}
	for len(s.runs) > 1 {
		head := s.runs[0]
		newest := s.idx[head.n-1].ts
		if !(maxBytes >= 0 && s.bytes > maxBytes) && !(maxAge >= 0 && newest < now-maxAge) {
			return
		}
		next := s.runs[1].seg
		// The anchor first: if the process dies after the segment is gone,
		// the next start must still number the rest correctly.
		if err := q.log.SetAnchor(next, s.first+uint64(head.n)); err != nil {
			q.vhost.broker.log.Error("stream retention: writing anchor failed", "queue", q.name, "vhost", q.vhost.name, "err", err)
			return
		}
		if err := q.log.DropBefore(next); err != nil {
			q.vhost.broker.log.Error("stream retention: dropping segment failed", "queue", q.name, "vhost", q.vhost.name, "err", err)
			return
		}
		s.first += uint64(head.n)
		s.bytes -= head.bytes
		s.idx = s.idx[head.n:]
		s.runs = s.runs[1:]
		if s.tailFirst < s.first {
			s.tailFirst = s.first
		}
	}
}

// recoverStreamLocked rebuilds a stream's index from its log after a
// restart. Offsets continue from the log's anchor: the records of
// segments below the anchored one (dropped by retention just before a
// crash, so come back) count backwards from it.
func (q *Queue) recoverStreamLocked(l *store.Log) (int, error) {
	s := q.stream
	aSeg, aN, hasAnchor := l.Anchor()
	var below uint64
	rep, err := l.Recover(func(p store.Pos, r *store.Record) error {
		s.push(streamEntry{pos: p, ts: r.Timestamp}, nil)
		if hasAnchor && p.Seg < aSeg {
			below++
		}
		return nil
	})
	if hasAnchor && aN >= below {
		s.first = aN - below
	}
	s.tailFirst = s.end() // nothing recovered is cached
	if rep.Corrupt > 0 {
		q.vhost.broker.log.Error("corrupt records skipped in stream log", "queue", q.name, "vhost", q.vhost.name, "count", rep.Corrupt)
	}
	return len(s.idx), err
}

// streamReconfigureLocked applies a changed configuration (a policy set
// or removed): the segment size for new segments, and retention at once.
func (q *Queue) streamReconfigureLocked() {
	if q.log != nil {
		q.log.SetSegmentSize(max(q.cfg.segSize, 0))
	}
	q.retainLocked(nowMs(q.vhost.broker))
}
