package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"
)

// RecoverReport summarises a Recover.
type RecoverReport struct {
	Segments     int   // segment files read
	Records      int   // valid records found
	Live         int   // records passed to fn
	Acked        int   // records skipped as acked
	Transient    int   // records skipped as not persistent
	Corrupt      int   // damaged stretches skipped, each followed by a valid record
	CorruptBytes int64 // bytes in them
	TornBytes    int64 // bytes after the last valid record of a segment
	Removed      int   // segments deleted because none of their records was live
	Bytes        int64 // bytes read
	Duration     time.Duration
}

// Recover reads every segment in order and calls fn for each live record:
// persistent and not acked. Transient records are skipped and count as
// acked, so their segments can go. fn's record is valid only during the
// call (Body and Props point into the read buffer); fn may call Ack, Read
// and Append on the log. An error from fn stops Recover and is returned.
//
// Damage is handled as docs/STORAGE.md describes: a stretch of bad bytes
// with a valid record after it is reported (log and Options.OnCorrupt) and
// skipped; bytes after a segment's last valid record are a torn tail,
// truncated away in the last segment. Appends after Recover go to a new
// segment, never after recovered data.
//
// Recover must run, once, before Append, Ack or Read on a log that had
// segments when opened. If it fails, the log takes no more writes.
func (l *Log) Recover(fn func(p Pos, r *Record) error) (RecoverReport, error) {
	start := time.Now()
	var rep RecoverReport
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return rep, ErrClosed
	}
	if l.started {
		l.mu.Unlock()
		return rep, ErrRecovered
	}
	l.started = true
	l.needRecover = false
	segs, acks := l.diskSegs, l.diskAcks
	l.diskSegs, l.diskAcks = nil, nil
	l.mu.Unlock()

	err := l.recover(segs, acks, fn, &rep)
	rep.Duration = time.Since(start)
	if err != nil {
		l.mu.Lock()
		err = l.fail(fmt.Errorf("store: recover %s: %w", l.dir, err))
		l.mu.Unlock()
		return rep, err
	}
	if len(segs) > 0 {
		l.s.log.Info("store: recovered log", "log", l.dir, "segments", rep.Segments, "live", rep.Live,
			"corrupt", rep.Corrupt, "torn_bytes", rep.TornBytes, "duration", rep.Duration)
	}
	return rep, nil
}

func (l *Log) recover(segs, acks []uint32, fn func(Pos, *Record) error, rep *RecoverReport) error {
	var sc scanner
	var dec recDecoder
	for i, num := range segs {
		_, hasAck := slices.BinarySearch(acks, num)
		if err := l.recoverSeg(&sc, &dec, num, hasAck, i == len(segs)-1, fn, rep); err != nil {
			return err
		}
	}
	// Ack files without a segment are left by a crash between the two
	// removals of deleteSeg.
	for _, num := range acks {
		if _, ok := slices.BinarySearch(segs, num); ok {
			continue
		}
		if err := l.s.fs.Remove(l.ackPath(num)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		l.mu.Lock()
		l.dirDirty = true
		l.mu.Unlock()
	}
	return nil
}

func (l *Log) recoverSeg(sc *scanner, dec *recDecoder, num uint32, hasAck, last bool, fn func(Pos, *Record) error, rep *RecoverReport) error {
	name := l.segPath(num)
	f, err := l.s.fs.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	var acked []uint32
	var ackSize int64
	if hasAck {
		if acked, ackSize, err = l.loadAcks(num); err != nil {
			return err
		}
	}
	rep.Segments++
	seg := &segment{num: num, ackExists: hasAck, ackSize: ackSize, scanning: true}
	l.mu.Lock()
	l.segs = append(l.segs, seg)
	l.bytes.Add(ackSize)
	l.mu.Unlock()

	sc.reset(f, size)
	k := 0
	read := sc.nread
	good, err := sc.scan(func(off int64, h header, b []byte) error {
		rep.Records++
		for k < len(acked) && int64(acked[k]) < off {
			k++
		}
		isAcked := k < len(acked) && int64(acked[k]) == off
		persistent := h.flags&flagPersistent != 0
		end := off + int64(h.size)
		l.mu.Lock()
		l.bytes.Add(end - seg.size)
		seg.size = end
		seg.records++
		if persistent && !isAcked {
			seg.live++
		}
		l.mu.Unlock()
		switch {
		case isAcked:
			rep.Acked++
		case !persistent:
			rep.Transient++
		default:
			rep.Live++
			return fn(Pos{Seg: num, Off: uint32(off), Size: h.size}, dec.decode(h, b))
		}
		return nil
	}, func(off, n int64, why string) {
		rep.Corrupt++
		rep.CorruptBytes += n
		l.s.corrupt(l, &CorruptError{Seg: num, Off: uint32(off), Len: n, Reason: why})
	})
	rep.Bytes += sc.nread - read
	if err != nil {
		return err
	}
	kept := size
	if good < size {
		rep.TornBytes += size - good
		if last {
			if err := l.truncate(name, good); err != nil {
				return err
			}
			kept = good
		}
		l.s.log.Warn("store: torn segment tail", "log", l.dir, "segment", num, "offset", good,
			"bytes", size-good, "truncated", last)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bytes.Add(kept - seg.size)
	seg.size = kept
	seg.scanning = false
	if seg.live == 0 && !seg.deleted {
		l.deleteSeg(seg)
		rep.Removed++
	}
	return nil
}

func (l *Log) truncate(name string, size int64) error {
	f, err := l.s.fs.OpenRW(name)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadAcks reads a segment's ack file and returns its valid offsets,
// sorted, and its length; a partial entry at the end is cut off so that new
// entries are appended at an entry boundary.
func (l *Log) loadAcks(num uint32) ([]uint32, int64, error) {
	name := l.ackPath(num)
	f, err := l.s.fs.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	b := make([]byte, st.Size())
	if n, err := f.ReadAt(b, 0); n < len(b) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, 0, err
	}
	offs, bad := parseAcks(num, b)
	if bad > 0 {
		l.s.log.Warn("store: damaged ack entries ignored", "log", l.dir, "segment", num, "entries", bad)
	}
	size := int64(len(b)) / ackEntrySize * ackEntrySize
	if size != int64(len(b)) {
		if err := l.truncate(name, size); err != nil {
			return nil, 0, err
		}
	}
	return offs, size, nil
}

// recDecoder decodes records for Recover's callback into one reused Record
// (fn gets a pointer, which would otherwise be an allocation per record).
// Consecutive records mostly share their exchange and routing key, so it
// also reuses the previous strings instead of allocating two per record.
type recDecoder struct {
	rec    Record
	ex, rk string
}

func (d *recDecoder) decode(h header, b []byte) *Record {
	r := &d.rec
	*r = Record{}
	ex, rk, props, body := fill(r, h, b)
	if string(ex) != d.ex {
		d.ex = string(ex)
	}
	if string(rk) != d.rk {
		d.rk = string(rk)
	}
	r.Exchange, r.RoutingKey = d.ex, d.rk
	r.Props, r.Body = props, body
	return r
}
