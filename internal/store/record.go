package store

import (
	"encoding/binary"
	"hash/crc32"
	"unsafe"
)

// Record is what the store keeps per message.
type Record struct {
	// Persistent records survive a restart; Recover skips transient ones.
	Persistent bool
	// Timestamp is when the message was enqueued, in unix milliseconds.
	Timestamp int64
	// Expiration is the per-message TTL in milliseconds, or -1.
	Expiration int64
	// DeliveryCount is stored as given; the store never updates a record.
	DeliveryCount uint32
	Exchange      string
	RoutingKey    string
	// Props is the encoded AMQP basic properties, opaque to the store.
	Props []byte
	Body  []byte
}

// Pos is where a record is: its segment, its offset in the segment and its
// full size on disk, so reading it back is one ReadAt.
type Pos struct {
	Seg  uint32
	Off  uint32
	Size uint32
}

// The record header, little-endian. docs/STORAGE.md has the same table.
//
//	 0 u32 magic (bytes F7 57 52 4E)
//	 4 u32 CRC-32C of bytes [8, size)
//	 8 u32 size: the whole record, header included
//	12 u8  flags: bit 0 persistent; other bits zero
//	13 u8  zero
//	14 u16 exchange length
//	16 u16 routing key length
//	18 u16 zero
//	20 u32 props length
//	24 i64 timestamp
//	32 i64 expiration
//	40 u32 delivery count
//	44     exchange, routing key, props, body
const (
	headerSize = 44
	// magic starts with 0xF7, which never occurs in UTF-8 text, so a
	// resync after corruption rarely stops at a false candidate in a text
	// body (and a false one still has to pass the CRC).
	magic = 0x4E5257F7

	flagPersistent = 1

	// MaxRecordSize bounds one record's encoded size (header included).
	MaxRecordSize = 1 << 30
	// largeRecord is the encoded size above which Append writes the body
	// straight from the caller's slice instead of copying it into the
	// write buffer.
	largeRecord = 64 << 10
)

var (
	castagnoli  = crc32.MakeTable(crc32.Castagnoli) // read-only after init
	magicPrefix = []byte{0xF7, 0x57, 0x52, 0x4E}
)

// encodedSize is the record's size on disk, or 0 if it cannot be stored.
func encodedSize(r *Record) int64 {
	if len(r.Exchange) > 0xFFFF || len(r.RoutingKey) > 0xFFFF {
		return 0
	}
	n := int64(headerSize) + int64(len(r.Exchange)) + int64(len(r.RoutingKey)) + int64(len(r.Props)) + int64(len(r.Body))
	if n > MaxRecordSize {
		return 0
	}
	return n
}

// appendHead appends the header, exchange, routing key and props of r,
// whose encoded size is size, with the CRC computed over the body as well:
// the caller writes the body itself. appendRecord is the whole record.
func appendHead(dst []byte, r *Record, size int64) []byte {
	start := len(dst)
	var h [headerSize]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], magic)
	le.PutUint32(h[8:], uint32(size))
	if r.Persistent {
		h[12] = flagPersistent
	}
	le.PutUint16(h[14:], uint16(len(r.Exchange)))
	le.PutUint16(h[16:], uint16(len(r.RoutingKey)))
	le.PutUint32(h[20:], uint32(len(r.Props)))
	le.PutUint64(h[24:], uint64(r.Timestamp))
	le.PutUint64(h[32:], uint64(r.Expiration))
	le.PutUint32(h[40:], r.DeliveryCount)
	dst = append(dst, h[:]...)
	dst = append(dst, r.Exchange...)
	dst = append(dst, r.RoutingKey...)
	dst = append(dst, r.Props...)
	crc := crc32.Update(0, castagnoli, dst[start+8:])
	crc = crc32.Update(crc, castagnoli, r.Body)
	le.PutUint32(dst[start+4:], crc)
	return dst
}

func appendRecord(dst []byte, r *Record, size int64) []byte {
	return append(appendHead(dst, r, size), r.Body...)
}

// header is the decoded fixed part of a record.
type header struct {
	size                  uint32
	flags                 byte
	exLen, rkLen, propLen uint32
}

// checkHeader validates what can be validated without the rest of the
// record: magic, a size that is at least a header and at most limit, zero
// reserved fields, and variable parts that fit in the size. It returns the
// reason when b does not start a record.
func checkHeader(b []byte, limit int64) (header, string) {
	le := binary.LittleEndian
	if len(b) < headerSize {
		return header{}, "truncated header"
	}
	if le.Uint32(b[0:]) != magic {
		return header{}, "bad magic"
	}
	h := header{
		size:    le.Uint32(b[8:]),
		flags:   b[12],
		exLen:   uint32(le.Uint16(b[14:])),
		rkLen:   uint32(le.Uint16(b[16:])),
		propLen: le.Uint32(b[20:]),
	}
	switch {
	case h.size < headerSize || int64(h.size) > MaxRecordSize || int64(h.size) > limit:
		return header{}, "bad length"
	case h.flags&^flagPersistent != 0 || b[13] != 0 || le.Uint16(b[18:]) != 0:
		return header{}, "bad flags"
	case uint64(h.exLen)+uint64(h.rkLen)+uint64(h.propLen) > uint64(h.size-headerSize):
		return header{}, "bad field lengths"
	}
	return h, ""
}

// checkRecord validates a whole record: b must be exactly one record.
func checkRecord(b []byte) (header, string) {
	h, why := checkHeader(b, int64(len(b)))
	if why != "" {
		return h, why
	}
	if int(h.size) != len(b) {
		return h, "bad length"
	}
	if crc32.Checksum(b[8:], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return h, "checksum mismatch"
	}
	return h, ""
}

// fill sets the fixed fields of r from a checked record b and returns the
// exchange, routing key, props and body slices of b.
func fill(r *Record, h header, b []byte) (ex, rk, props, body []byte) {
	le := binary.LittleEndian
	r.Persistent = h.flags&flagPersistent != 0
	r.Timestamp = int64(le.Uint64(b[24:]))
	r.Expiration = int64(le.Uint64(b[32:]))
	r.DeliveryCount = le.Uint32(b[40:])
	p := uint32(headerSize)
	ex = b[p : p+h.exLen : p+h.exLen]
	p += h.exLen
	rk = b[p : p+h.rkLen : p+h.rkLen]
	p += h.rkLen
	props = b[p : p+h.propLen : p+h.propLen]
	p += h.propLen
	body = b[p:h.size:h.size]
	return ex, rk, props, body
}

// decodeOwned decodes b, a checked record the caller hands over: Props and
// Body are sub-slices of b (capacity-limited, so appending to one cannot
// overwrite the other) and the strings share b's memory. That makes Read one
// allocation per record. It is safe because nothing else can reach b: the
// string bytes are never exposed as a slice.
func decodeOwned(h header, b []byte) Record {
	var r Record
	ex, rk, props, body := fill(&r, h, b)
	r.Exchange = unsafe.String(unsafe.SliceData(ex), len(ex))
	r.RoutingKey = unsafe.String(unsafe.SliceData(rk), len(rk))
	r.Props, r.Body = props, body
	return r
}

// decodeRecord checks and decodes one record, copying nothing: the
// result's slices alias b, and its strings are copies.
func decodeRecord(b []byte) (Record, error) {
	h, why := checkRecord(b)
	if why != "" {
		return Record{}, &CorruptError{Reason: why}
	}
	var r Record
	ex, rk, props, body := fill(&r, h, b)
	r.Exchange, r.RoutingKey = string(ex), string(rk)
	r.Props, r.Body = props, body
	return r, nil
}
