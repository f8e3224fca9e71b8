package store

import (
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Log is one queue's message log: a directory of segment files written in
// order, each with an ack file. All methods are safe for concurrent use;
// the committer goroutine works on the log concurrently with them.
type Log struct {
	s     *Store
	name  string
	dir   string
	bytes atomic.Int64 // segment and ack bytes, buffered ones included

	mu     sync.Mutex
	segs   []*segment // sorted by number
	cur    *segment   // where Append writes; nil until the first Append
	end    int64      // append offset in cur
	bufOff int64      // offset in cur of buf[0]; everything before is written
	buf    []byte     // appended bytes not yet written, from Store.bufs
	err    error      // the first write, sync or recovery failure: sticky

	needRecover bool     // segments on disk that Recover has not read yet
	started     bool     // Append, Ack or Recover has run
	closing     bool     // Close or RemoveLog has begun: no new work
	closed      bool     // files closed
	nextSeg     uint32   // number of the next new segment
	diskSegs    []uint32 // segment numbers found by OpenLog, for Recover
	diskAcks    []uint32 // ack file numbers found by OpenLog, for Recover

	dirDirty bool          // a file was created or removed since the last SyncDir
	waiters  []func(error) // SyncAsync callbacks for the next round
	queued   bool          // on Store.pending
	syncSegs []*segment    // segments with dirty or ackDirty set
	ackSegs  []*segment    // segments with buffered ack entries
	tick     uint64        // clock for least-recently-used handles
	open     int           // open handles

	// delivered is the furthest position delivered in this run (packed
	// Pos, see delivered.go); openMark the one the last clean run left.
	delivered   atomic.Uint64
	openMark    Pos
	hasOpenMark bool

	segSize   int64 // SetSegmentSize's override; 0: the store's
	anchorSeg uint32
	anchorN   uint64
	hasAnchor bool // see front.go
}

func openLog(s *Store, name string) (*Log, error) {
	dir := filepath.Join(s.dir, name)
	if _, err := s.fs.Stat(dir); err != nil {
		if err := s.fs.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: create log %q: %w", name, err)
		}
		if s.syncing() {
			if err := s.fs.SyncDir(s.dir); err != nil {
				return nil, fmt.Errorf("store: create log %q: %w", name, err)
			}
		}
	}
	segs, acks, err := listDir(s.fs, dir)
	if err != nil {
		return nil, fmt.Errorf("store: open log %q: %w", name, err)
	}
	l := &Log{s: s, name: name, dir: dir, diskSegs: segs, diskAcks: acks, nextSeg: 1}
	// A new segment is numbered above every file present, orphan ack files
	// included, so no stale ack entry can ever apply to it.
	for _, n := range append(segs, acks...) {
		if n >= l.nextSeg {
			l.nextSeg = n + 1
		}
	}
	l.needRecover = len(segs)+len(acks) > 0
	if err := l.readDeliveredMark(); err != nil {
		return nil, fmt.Errorf("store: open log %q: %w", name, err)
	}
	l.readAnchor()
	return l, nil
}

// Name is the name the log was opened with.
func (l *Log) Name() string { return l.name }

// Bytes is the size of the log's segment and ack files, counting data
// appended but not yet written.
func (l *Log) Bytes() int64 { return l.bytes.Load() }

// Append adds r to the log and returns where it is. Small records are
// copied into a write buffer (no system call); a record over 64 KiB is
// written at once, its body straight from r.Body. Append does not wait for
// durability: SyncAsync does. After a write failure every Append returns
// that error.
func (l *Log) Append(r *Record) (Pos, error) {
	n := encodedSize(r)
	if n == 0 {
		return Pos{}, ErrTooLarge
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.writable(); err != nil {
		return Pos{}, err
	}
	l.started = true
	if l.cur == nil || (l.end > 0 && l.end+n > l.segLimit()) {
		if err := l.roll(); err != nil {
			return Pos{}, l.fail(err)
		}
	}
	pos := Pos{Seg: l.cur.num, Off: uint32(l.end), Size: uint32(n)}
	if l.buf == nil {
		l.buf = l.s.getBuf()
	}
	if n > largeRecord {
		l.buf = appendHead(l.buf, r, n)
		if err := l.writeBuf(); err != nil {
			return Pos{}, l.fail(err)
		}
		if _, err := l.cur.f.f.WriteAt(r.Body, l.bufOff); err != nil {
			return Pos{}, l.fail(fmt.Errorf("store: write %s: %w", l.cur.f.name, err))
		}
		l.bufOff += int64(len(r.Body))
	} else {
		if len(l.buf) > 0 && int64(len(l.buf))+n > flushSize {
			if err := l.writeBuf(); err != nil {
				return Pos{}, l.fail(err)
			}
		}
		l.buf = appendRecord(l.buf, r, n)
	}
	l.end += n
	l.cur.size = l.end
	l.cur.records++
	l.cur.live++
	l.bytes.Add(n)
	return pos, nil
}

// writable is nil when Append and Ack may proceed.
func (l *Log) writable() error {
	switch {
	case l.closing:
		return ErrClosed
	case l.needRecover:
		return ErrNotRecovered
	}
	return l.err
}

// fail records the first failure, after which the log takes no writes.
func (l *Log) fail(err error) error {
	if l.err == nil {
		l.err = err
		l.s.log.Error("store: log failed", "log", l.dir, "err", err)
	}
	return err
}

// roll writes out the current segment and starts a new one. The current
// segment, if fully acked, is deleted now that it no longer takes appends.
func (l *Log) roll() error {
	if err := l.writeBuf(); err != nil {
		return err
	}
	if l.nextSeg == 0 {
		return fmt.Errorf("store: %s: segment numbers exhausted", l.dir)
	}
	num := l.nextSeg
	name := l.segPath(num)
	f, err := l.s.fs.Create(name)
	if err != nil {
		return fmt.Errorf("store: create segment: %w", err)
	}
	l.nextSeg++
	old := l.cur
	seg := &segment{num: num, f: &handle{f: f, name: name}}
	l.segs = append(l.segs, seg)
	l.cur, l.end, l.bufOff = seg, 0, 0
	l.opened(seg)
	l.dirDirty = true
	if old != nil && old.live == 0 {
		l.deleteSeg(old)
	}
	return nil
}

// writeBuf writes the buffered bytes of the current segment.
func (l *Log) writeBuf() error {
	if len(l.buf) == 0 {
		return nil
	}
	if _, err := l.cur.f.f.WriteAt(l.buf, l.bufOff); err != nil {
		return fmt.Errorf("store: write %s: %w", l.cur.f.name, err)
	}
	l.bufOff += int64(len(l.buf))
	l.buf = l.buf[:0]
	l.markDirty(l.cur, false)
	return nil
}

// markDirty notes that seg's segment (or ack) file needs an fsync.
func (l *Log) markDirty(seg *segment, ack bool) {
	if !l.s.syncing() {
		return
	}
	if ack {
		seg.ackDirty = true
	} else {
		seg.dirty = true
	}
	if !seg.syncQ {
		seg.syncQ = true
		l.syncSegs = append(l.syncSegs, seg)
	}
}

// flush writes the buffered records and ack entries to the files.
func (l *Log) flush() error {
	if l.cur != nil {
		if err := l.writeBuf(); err != nil {
			return err
		}
	}
	return l.flushAcks()
}

// Flush writes buffered records and acks to the operating system, without
// fsync.
func (l *Log) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return ErrClosed
	}
	if l.err != nil {
		return l.err
	}
	if err := l.flush(); err != nil {
		return l.fail(err)
	}
	return nil
}

// Read returns the record at p, from the write buffer if it is not written
// yet. The record's bytes are one fresh allocation that Body, Props and the
// strings share; the caller owns it. A record that fails its checksum is
// reported to Options.OnCorrupt and returned as a *CorruptError.
func (l *Log) Read(p Pos) (Record, error) {
	if p.Size < headerSize || p.Size > MaxRecordSize {
		return Record{}, ErrBadPos
	}
	var b []byte
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return Record{}, ErrClosed
	}
	if l.needRecover {
		l.mu.Unlock()
		return Record{}, ErrNotRecovered
	}
	seg := l.findSeg(p.Seg)
	if seg == nil || int64(p.Off)+int64(p.Size) > seg.size {
		l.mu.Unlock()
		return Record{}, ErrBadPos
	}
	if seg == l.cur && int64(p.Off) >= l.bufOff {
		// Buffered records are at most largeRecord bytes: a short copy.
		b = make([]byte, p.Size)
		copy(b, l.buf[int64(p.Off)-l.bufOff:])
		l.mu.Unlock()
	} else {
		h, err := l.segFile(seg)
		if err != nil {
			l.mu.Unlock()
			return Record{}, fmt.Errorf("store: read: %w", err)
		}
		h.refs++
		l.mu.Unlock()
		b = make([]byte, p.Size)
		n, err := h.f.ReadAt(b, int64(p.Off))
		l.mu.Lock()
		l.release(h)
		l.mu.Unlock()
		if n < len(b) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Record{}, fmt.Errorf("store: read %s: %w", h.name, err)
		}
	}
	hdr, why := checkRecord(b)
	if why != "" {
		e := &CorruptError{Seg: p.Seg, Off: p.Off, Reason: why}
		l.s.corrupt(l, e)
		return Record{}, e
	}
	return decodeOwned(hdr, b), nil
}

// Close writes and syncs (as the SyncMode says) everything appended and
// acked, closes the files, and returns the log's failure if it had one.
// The fsync runs on the caller's goroutine rather than waiting for the
// committer, so Close may be called with locks held that callbacks take;
// pending SyncAsync callbacks still run on the committer, with Close's
// outcome.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return ErrClosed
	}
	l.closing = true
	waiters := l.waiters
	l.waiters = nil
	err := l.err
	var items []syncItem
	if err == nil {
		if err = l.flush(); err != nil {
			err = l.fail(err)
		} else if l.s.syncing() {
			items, err = l.collectSyncs(nil)
		}
	}
	l.mu.Unlock()
	if len(items) > 0 {
		l.s.syncAll(items)
	}
	l.mu.Lock()
	err = l.settle(items, err)
	l.closeFiles()
	if err == nil {
		err = l.writeDeliveredMark()
	}
	l.mu.Unlock()
	l.s.forget(l)
	l.s.runSettled(waiters, err)
	return err
}

// discard closes the log at once, for RemoveLog: nothing is written and
// pending callbacks get ErrClosed.
func (l *Log) discard() {
	l.mu.Lock()
	l.closing = true
	waiters := l.waiters
	l.waiters = nil
	l.closeFiles()
	l.mu.Unlock()
	l.s.forget(l)
	l.s.runSettled(waiters, ErrClosed)
}

func (l *Log) closeFiles() {
	if l.closed {
		return
	}
	l.closed = true
	for _, seg := range l.segs {
		l.closeHandle(seg.f)
		l.closeHandle(seg.ackF)
		seg.f, seg.ackF = nil, nil
	}
	if l.buf != nil {
		l.s.putBuf(l.buf)
		l.buf = nil
	}
}

func runAll(fns []func(error), err error) {
	for _, fn := range fns {
		if fn != nil {
			fn(err)
		}
	}
}
