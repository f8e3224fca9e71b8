package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
)

// An ack entry is 8 bytes: the record's offset (u32) and a check word, the
// CRC-32C of the segment number and the offset (both u32, little-endian).
// The check makes a damaged entry detectable (it is ignored, so the record
// comes back: redelivery rather than loss), and an entry copied into the
// wrong ack file does not match.
const ackEntrySize = 8

func ackCheck(seg, off uint32) uint32 {
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:], seg)
	binary.LittleEndian.PutUint32(b[4:], off)
	return crc32.Checksum(b[:], castagnoli)
}

func appendAck(dst []byte, seg, off uint32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, off)
	return binary.LittleEndian.AppendUint32(dst, ackCheck(seg, off))
}

// Ack records that the record at p is consumed or dropped. The entry is
// buffered; SyncAsync makes it durable with the next round. When no record
// of a segment other than the current one is live any more, the segment and
// its ack file are deleted instead. So is the current segment once it holds
// a quarter of SegmentSize and nothing live: a drained queue then leaves no
// file behind, while one that holds a message at a time does not create and
// delete a file per message. Ack must be called at most once per
// record: the log keeps a live count per segment, not a set.
func (l *Log) Ack(p Pos) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return err
	}
	seg := l.findSeg(p.Seg)
	if seg == nil || seg.live == 0 || int64(p.Off)+int64(p.Size) > seg.size {
		return ErrBadPos
	}
	l.started = true
	seg.live--
	if seg.live == 0 && !seg.scanning {
		if seg != l.cur {
			l.deleteSeg(seg)
			return nil
		}
		if seg.size >= l.s.segSize/4 {
			l.retireCur()
			return nil
		}
	}
	seg.ackBuf = appendAck(seg.ackBuf, seg.num, p.Off)
	if !seg.ackQ {
		seg.ackQ = true
		l.ackSegs = append(l.ackSegs, seg)
	}
	if len(seg.ackBuf) >= ackFlushSize {
		if err := l.writeAcks(seg); err != nil {
			return l.fail(err)
		}
	}
	return nil
}

// retireCur deletes the current segment, every record of which is acked;
// the next Append starts a new one. Its buffered bytes are dead too.
func (l *Log) retireCur() {
	cur := l.cur
	l.cur, l.end, l.bufOff = nil, 0, 0
	if l.buf != nil {
		l.buf = l.buf[:0]
	}
	l.deleteSeg(cur)
}

// writeAcks appends seg's buffered entries to its ack file.
func (l *Log) writeAcks(seg *segment) error {
	if len(seg.ackBuf) == 0 || seg.deleted {
		return nil
	}
	h, err := l.ackFile(seg)
	if err != nil {
		return fmt.Errorf("store: open ack file: %w", err)
	}
	if _, err := h.f.WriteAt(seg.ackBuf, seg.ackSize); err != nil {
		return fmt.Errorf("store: write %s: %w", h.name, err)
	}
	n := int64(len(seg.ackBuf))
	seg.ackSize += n
	l.bytes.Add(n)
	if cap(seg.ackBuf) > 4<<10 {
		seg.ackBuf = nil // a burst's buffer is not kept for an idle segment
	} else {
		seg.ackBuf = seg.ackBuf[:0]
	}
	l.markDirty(seg, true)
	return nil
}

func (l *Log) flushAcks() error {
	for i, seg := range l.ackSegs {
		if err := l.writeAcks(seg); err != nil {
			l.ackSegs = append(l.ackSegs[:0], l.ackSegs[i:]...)
			return err
		}
		seg.ackQ = false
	}
	clear(l.ackSegs)
	l.ackSegs = l.ackSegs[:0]
	return nil
}

// parseAcks returns the valid offsets in an ack file's content, sorted and
// without duplicates, and the number of damaged entries. A partial entry at
// the end (a torn write) is not counted as damaged.
func parseAcks(seg uint32, b []byte) (offs []uint32, bad int) {
	offs = make([]uint32, 0, len(b)/ackEntrySize)
	for ; len(b) >= ackEntrySize; b = b[ackEntrySize:] {
		off := binary.LittleEndian.Uint32(b)
		if binary.LittleEndian.Uint32(b[4:]) != ackCheck(seg, off) {
			bad++
			continue
		}
		offs = append(offs, off)
	}
	slices.Sort(offs)
	return slices.Compact(offs), bad
}
