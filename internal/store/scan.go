package store

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// scanner reads one segment file front to back through a large buffer, so
// recovery makes one read per scanBufSize bytes rather than per record.
type scanner struct {
	r      io.ReaderAt
	size   int64
	buf    []byte // window storage, reused across segments
	win    []byte // the bytes at winOff
	winOff int64
	nread  int64
}

func (sc *scanner) reset(r io.ReaderAt, size int64) {
	sc.r, sc.size, sc.win, sc.winOff = r, size, nil, 0
}

// at returns the n bytes at off, which the caller has checked are inside
// the file. The slice is valid until the next call.
func (sc *scanner) at(off int64, n int) ([]byte, error) {
	if off >= sc.winOff && off+int64(n) <= sc.winOff+int64(len(sc.win)) {
		return sc.win[off-sc.winOff:][:n:n], nil
	}
	want := min(int64(max(n, scanBufSize)), sc.size-off)
	var dst []byte
	if want <= scanBufSize {
		if sc.buf == nil {
			sc.buf = make([]byte, scanBufSize)
		}
		dst = sc.buf[:want]
	} else {
		dst = make([]byte, want) // a record larger than the buffer
	}
	m, err := sc.r.ReadAt(dst, off)
	sc.nread += int64(m)
	if m < len(dst) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank under us
		}
		sc.win = nil
		return nil, err
	}
	sc.win, sc.winOff = dst, off
	return dst[:n:n], nil
}

// record checks whether a valid record starts at off. It returns the
// record's bytes, or why there is none; h.size is set when the header
// itself was sound (only the checksum failed). err is an I/O error.
func (sc *scanner) record(off int64) (h header, b []byte, why string, err error) {
	rest := sc.size - off
	if rest < headerSize {
		return header{}, nil, "truncated header", nil
	}
	if b, err = sc.at(off, headerSize); err != nil {
		return header{}, nil, "", err
	}
	if h, why = checkHeader(b, rest); why != "" {
		return header{}, nil, why, nil
	}
	if b, err = sc.at(off, int(h.size)); err != nil {
		return header{}, nil, "", err
	}
	if crc32.Checksum(b[8:], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return h, nil, "checksum mismatch", nil
	}
	return h, b, "", nil
}

// scan calls rec for every valid record in order, and corrupt for every
// stretch of bad bytes that a valid record follows. It returns the end of
// the last valid record: from there to the end of the file is the tail, in
// which no valid record starts. rec's slice is valid only during the call.
func (sc *scanner) scan(rec func(off int64, h header, b []byte) error, corrupt func(off, n int64, why string)) (int64, error) {
	var off, good int64
	for off < sc.size {
		h, b, why, err := sc.record(off)
		if err != nil {
			return good, err
		}
		if why == "" {
			if err := rec(off, h, b); err != nil {
				return good, err
			}
			off += int64(h.size)
			good = off
			continue
		}
		next, err := sc.resync(off, h)
		if err != nil {
			return good, err
		}
		if next < 0 {
			break
		}
		corrupt(off, next-off, why)
		off = next
	}
	return good, nil
}

// resync finds where the next valid record starts after a bad one at off,
// or -1. If only the checksum failed, the length is believed when a valid
// record follows at off+length: that skips the record without looking
// inside its body, where a stored segment file could hold valid-looking
// records. Otherwise the length is not trusted and the bytes after off are
// searched for the magic, each candidate checked in full (header and CRC).
func (sc *scanner) resync(off int64, h header) (int64, error) {
	if h.size > 0 {
		next := off + int64(h.size)
		if next < sc.size {
			_, _, why, err := sc.record(next)
			if err != nil {
				return 0, err
			}
			if why == "" {
				return next, nil
			}
		}
	}
	for pos := off + 1; pos+headerSize <= sc.size; {
		n := min(int64(scanBufSize), sc.size-pos)
		chunk, err := sc.at(pos, int(n))
		if err != nil {
			return 0, err
		}
		i := bytes.Index(chunk, magicPrefix)
		if i < 0 {
			if pos+n >= sc.size {
				break
			}
			pos += n - int64(len(magicPrefix)-1) // a magic may straddle chunks
			continue
		}
		cand := pos + int64(i)
		_, _, why, err := sc.record(cand)
		if err != nil {
			return 0, err
		}
		if why == "" {
			return cand, nil
		}
		pos = cand + 1
	}
	return -1, nil
}
