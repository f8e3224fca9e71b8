package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
)

// A log used as a stream never acks single records: its owner reads
// records by position as often as it likes and drops whole segments from
// the front (retention). The owner numbers records in order (offsets), so
// the number of the first record must survive the segments before it
// being deleted: that is the anchor, a (segment, number) pair written to a
// small file before the segments go. After a restart the owner counts the
// recovered records in segments below the anchor's (deleted segments that
// a crash brought back) backwards from the anchored number.
//
// File layout: u32 segment, u64 number, u32 CRC-32C of the 12 bytes before,
// all little-endian.
const anchorFile = "anchor"

// minStreamSegment bounds SetSegmentSize from below: a segment per record
// is allowed (a record never spans segments) but a file per few bytes of
// setting is not useful.
const minStreamSegment = 4 << 10

// SetSegmentSize sets the size at which this log starts a new segment,
// instead of the store's (a stream's x-stream-max-segment-size-bytes);
// 0 goes back to the store's. Retention drops whole segments, so smaller
// segments make it finer.
func (l *Log) SetSegmentSize(n int64) {
	if n > 0 {
		n = min(max(n, minStreamSegment), maxSegmentSize)
	} else {
		n = 0
	}
	l.mu.Lock()
	l.segSize = n
	l.mu.Unlock()
}

// segLimit is the size at which Append rolls to a new segment.
func (l *Log) segLimit() int64 {
	if l.segSize > 0 {
		return l.segSize
	}
	return l.s.segSize
}

// SetAnchor durably records that the owner numbers the first record of
// segment seg as n. It is written (and synced, unless the store syncs
// nothing) before DropBefore deletes the segments in front of seg.
func (l *Log) SetAnchor(seg uint32, n uint64) error {
	var b [16]byte
	binary.LittleEndian.PutUint32(b[0:], seg)
	binary.LittleEndian.PutUint64(b[4:], n)
	binary.LittleEndian.PutUint32(b[12:], crc32.Checksum(b[:12], castagnoli))
	tmp := filepath.Join(l.dir, anchorFile+".tmp")
	f, err := l.s.fs.Create(tmp)
	if err != nil {
		return fmt.Errorf("store: anchor: %w", err)
	}
	_, err = f.WriteAt(b[:], 0)
	if err == nil && l.s.syncing() {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.s.fs.Rename(tmp, filepath.Join(l.dir, anchorFile))
	}
	if err == nil && l.s.syncing() {
		err = l.s.fs.SyncDir(l.dir)
	}
	if err != nil {
		return fmt.Errorf("store: anchor: %w", err)
	}
	l.mu.Lock()
	l.anchorSeg, l.anchorN, l.hasAnchor = seg, n, true
	l.mu.Unlock()
	return nil
}

// Anchor returns the last anchor set, or the one found when the log was
// opened; ok is false when there is none (or it was damaged).
func (l *Log) Anchor() (seg uint32, n uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.anchorSeg, l.anchorN, l.hasAnchor
}

// readAnchor loads the anchor file at open, if any. A damaged file counts
// as none.
func (l *Log) readAnchor() {
	f, err := l.s.fs.Open(filepath.Join(l.dir, anchorFile))
	if err != nil {
		return
	}
	defer f.Close()
	var b [16]byte
	if n, _ := f.ReadAt(b[:], 0); n < len(b) {
		return
	}
	if crc32.Checksum(b[:12], castagnoli) != binary.LittleEndian.Uint32(b[12:]) {
		return
	}
	l.anchorSeg = binary.LittleEndian.Uint32(b[0:])
	l.anchorN = binary.LittleEndian.Uint64(b[4:])
	l.hasAnchor = true
}

// DropBefore deletes every segment numbered below seg, never the one
// Append writes to. The deletions become durable with the next sync round
// (a crash before it may bring a segment back; see the anchor).
func (l *Log) DropBefore(seg uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return err
	}
	l.started = true
	for len(l.segs) > 0 && l.segs[0].num < seg && l.segs[0] != l.cur && !l.segs[0].scanning {
		l.deleteSeg(l.segs[0])
	}
	return nil
}
