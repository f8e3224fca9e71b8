package store

import (
	"fmt"
	"io"
)

// maxRunBytes bounds one batched read.
const maxRunBytes = 1 << 20

// ReadRun reads the records at ps, which a queue draining its backlog
// asks for in log order: records that lie back to back in one written
// segment are read with a single ReadAt instead of one system call each.
// A record that is still in the write buffer, or not adjacent to the one
// before it, starts a new run. Records of one run share one allocation.
// On any error the records read so far are returned with it.
func (l *Log) ReadRun(ps []Pos) ([]Record, error) {
	out := make([]Record, 0, len(ps))
	for i := 0; i < len(ps); {
		j := i + 1
		total := int64(ps[i].Size)
		for j < len(ps) && ps[j].Seg == ps[i].Seg && int64(ps[j].Off) == int64(ps[j-1].Off)+int64(ps[j-1].Size) &&
			total+int64(ps[j].Size) <= maxRunBytes {
			total += int64(ps[j].Size)
			j++
		}
		if j-i == 1 {
			r, err := l.Read(ps[i])
			if err != nil {
				return out, err
			}
			out = append(out, r)
			i++
			continue
		}
		recs, err := l.readSpan(ps[i:j], total)
		if err != nil {
			// Fall back to single reads, which also report corruption
			// record by record.
			for _, p := range ps[i:j] {
				r, err := l.Read(p)
				if err != nil {
					return out, err
				}
				out = append(out, r)
			}
		} else {
			out = append(out, recs...)
		}
		i = j
	}
	return out, nil
}

// readSpan reads adjacent records of one segment that are all written to
// the file (not in the write buffer) with one ReadAt.
func (l *Log) readSpan(ps []Pos, total int64) ([]Record, error) {
	first := ps[0]
	l.mu.Lock()
	if l.closing || l.needRecover {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	seg := l.findSeg(first.Seg)
	end := int64(first.Off) + total
	if seg == nil || end > seg.size || (seg == l.cur && end > l.bufOff) {
		l.mu.Unlock()
		return nil, ErrBadPos // not (all) on disk: the caller reads one by one
	}
	h, err := l.segFile(seg)
	if err != nil {
		l.mu.Unlock()
		return nil, fmt.Errorf("store: read: %w", err)
	}
	h.refs++
	l.mu.Unlock()
	b := make([]byte, total)
	n, err := h.f.ReadAt(b, int64(first.Off))
	l.mu.Lock()
	l.release(h)
	l.mu.Unlock()
	if n < len(b) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("store: read %s: %w", h.name, err)
	}
	out := make([]Record, 0, len(ps))
	off := 0
	for _, p := range ps {
		rb := b[off : off+int(p.Size) : off+int(p.Size)]
		off += int(p.Size)
		hdr, why := checkRecord(rb)
		if why != "" {
			return nil, &CorruptError{Seg: p.Seg, Off: p.Off, Reason: why}
		}
		out = append(out, decodeOwned(hdr, rb))
	}
	return out, nil
}
