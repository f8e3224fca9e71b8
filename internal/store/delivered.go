package store

import (
	"encoding/binary"
	"hash/crc32"
	"io"
	"path/filepath"
)

// The delivered mark: the furthest position the log's owner has handed to
// a consumer. Only a clean Close writes it, in a small file beside the
// segments, and opening the log reads and deletes it. So after a clean
// restart the owner can tell messages never delivered (after the mark:
// not redelivered, as RabbitMQ reports them) from ones that may have been
// (at or before it); after a crash there is no mark, and every recovered
// message counts as possibly delivered, the safe side of the
// "redelivered" hint.
//
// File layout: u32 segment, u32 offset, u32 CRC-32C of the 8 bytes
// before, all little-endian.
const deliveredFile = "delivered"

func packPos(p Pos) uint64 { return uint64(p.Seg)<<32 | uint64(p.Off) }

// Before reports whether p was appended before o in the same log.
func (p Pos) Before(o Pos) bool { return packPos(p) < packPos(o) }

// MarkDelivered records that the record at p (and, for the mark, every
// record before it) was delivered. It is an atomic maximum, safe from any
// goroutine; callers delivering a batch call it once with the furthest.
func (l *Log) MarkDelivered(p Pos) {
	v := packPos(p)
	for {
		cur := l.delivered.Load()
		if v <= cur || l.delivered.CompareAndSwap(cur, v) {
			return
		}
	}
}

// DeliveredMark is the mark read when the log was opened: ok is false when
// there was none (a new log, or the last run did not close cleanly), and
// then every recovered record may have been delivered.
func (l *Log) DeliveredMark() (Pos, bool) {
	return l.openMark, l.hasOpenMark
}

// Delivered reports whether a recovered record at p may have been
// delivered before: at or before the mark, or any record without one.
func (l *Log) Delivered(p Pos) bool {
	return !l.hasOpenMark || packPos(p) <= packPos(l.openMark)
}

// readDeliveredMark loads and removes the mark file, if any. A damaged
// file counts as none.
func (l *Log) readDeliveredMark() error {
	name := filepath.Join(l.dir, deliveredFile)
	f, err := l.s.fs.Open(name)
	if err != nil {
		return nil // none
	}
	var b [12]byte
	_, rerr := f.ReadAt(b[:], 0)
	f.Close()
	if rerr == nil || rerr == io.EOF {
		if crc32.Checksum(b[:8], castagnoli) == binary.LittleEndian.Uint32(b[8:]) && rerr == nil {
			l.openMark = Pos{Seg: binary.LittleEndian.Uint32(b[0:]), Off: binary.LittleEndian.Uint32(b[4:])}
			l.hasOpenMark = true
		}
	}
	// Gone before anything is delivered in this run: a crash from here
	// on must not find a mark older than what this run delivers.
	if err := l.s.fs.Remove(name); err != nil {
		return err
	}
	if l.s.syncing() {
		return l.s.fs.SyncDir(l.dir)
	}
	return nil
}

// writeDeliveredMark writes the mark at a clean Close, if anything was
// delivered in this run or a mark was read at open (carried over).
func (l *Log) writeDeliveredMark() error {
	v := l.delivered.Load()
	if l.hasOpenMark && packPos(l.openMark) > v {
		v = packPos(l.openMark)
	}
	if v == 0 {
		return nil
	}
	var b [12]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(v>>32))
	binary.LittleEndian.PutUint32(b[4:], uint32(v))
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	name := filepath.Join(l.dir, deliveredFile)
	f, err := l.s.fs.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(b[:]); err != nil {
		f.Close()
		return err
	}
	if l.s.syncing() {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if l.s.syncing() {
		return l.s.fs.SyncDir(l.dir)
	}
	return nil
}
