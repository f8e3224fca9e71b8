package wire

import (
	"encoding/binary"
)

// Property flag bits of the basic class, in wire order: bit 15 is the first
// property. Bit 0 is the continuation flag; bit 1 is unused.
const (
	FlagContentType     uint16 = 1 << 15
	FlagContentEncoding uint16 = 1 << 14
	FlagHeaders         uint16 = 1 << 13
	FlagDeliveryMode    uint16 = 1 << 12
	FlagPriority        uint16 = 1 << 11
	FlagCorrelationID   uint16 = 1 << 10
	FlagReplyTo         uint16 = 1 << 9
	FlagExpiration      uint16 = 1 << 8
	FlagMessageID       uint16 = 1 << 7
	FlagTimestamp       uint16 = 1 << 6
	FlagType            uint16 = 1 << 5
	FlagUserID          uint16 = 1 << 4
	FlagAppID           uint16 = 1 << 3
	FlagClusterID       uint16 = 1 << 2

	// flagsKnown masks the 14 defined properties; flagContinuation says
	// another flag word follows.
	flagsKnown       uint16 = 0xfffc
	flagContinuation uint16 = 1
)

// Properties are the basic class content properties. Flags, not the field
// values, say which properties are present: a property whose flag is set is
// encoded even if it is the zero value (an empty content-type differs from
// none on the wire), and one whose flag is clear is not encoded at all.
// Keeping the decoded flags makes re-encoding byte-identical.
type Properties struct {
	Flags           uint16
	ContentType     string
	ContentEncoding string
	Headers         Table
	DeliveryMode    uint8
	Priority        uint8
	CorrelationID   string
	ReplyTo         string
	Expiration      string
	MessageID       string
	Timestamp       uint64
	Type            string
	UserID          string
	AppID           string
	ClusterID       string
}

// Set marks the properties in flag (one or more Flag* bits) as present.
func (p *Properties) Set(flag uint16) { p.Flags |= flag & flagsKnown }

// Has reports whether every property in flag is present.
func (p *Properties) Has(flag uint16) bool { return p.Flags&flag == flag }

func malformedProps(reason string) error {
	return &MalformedError{Context: "content properties", Reason: reason}
}

// readFlags reads the property flag words. Further words (continuation bit
// set) belong to properties the basic class does not define; they are
// skipped, which means their values, if any, are left unread at the end of
// the list. Only the known bits of the first word are returned.
func readFlags(b []byte) (flags uint16, rest []byte, err error) {
	for first := true; ; first = false {
		if len(b) < 2 {
			return 0, nil, malformedProps("truncated property flags")
		}
		w := binary.BigEndian.Uint16(b)
		b = b[2:]
		if first {
			flags = w & flagsKnown
		}
		if w&flagContinuation == 0 {
			return flags, b, nil
		}
	}
}

// Decode decodes property flags and the property list (the content header
// payload from byte 12 on). Nothing in p aliases b. Bytes after the last
// present property are ignored.
func (p *Properties) Decode(b []byte) error {
	flags, b, err := readFlags(b)
	if err != nil {
		return err
	}
	*p = Properties{Flags: flags}
	d := decoder{b: b, what: "content properties"}
	if flags&FlagContentType != 0 {
		p.ContentType = d.shortstr()
	}
	if flags&FlagContentEncoding != 0 {
		p.ContentEncoding = d.shortstr()
	}
	if flags&FlagHeaders != 0 {
		p.Headers = d.table()
	}
	if flags&FlagDeliveryMode != 0 {
		p.DeliveryMode = d.octet()
	}
	if flags&FlagPriority != 0 {
		p.Priority = d.octet()
	}
	if flags&FlagCorrelationID != 0 {
		p.CorrelationID = d.shortstr()
	}
	if flags&FlagReplyTo != 0 {
		p.ReplyTo = d.shortstr()
	}
	if flags&FlagExpiration != 0 {
		p.Expiration = d.shortstr()
	}
	if flags&FlagMessageID != 0 {
		p.MessageID = d.shortstr()
	}
	if flags&FlagTimestamp != 0 {
		p.Timestamp = d.uint64()
	}
	if flags&FlagType != 0 {
		p.Type = d.shortstr()
	}
	if flags&FlagUserID != 0 {
		p.UserID = d.shortstr()
	}
	if flags&FlagAppID != 0 {
		p.AppID = d.shortstr()
	}
	if flags&FlagClusterID != 0 {
		p.ClusterID = d.shortstr()
	}
	if d.err != nil {
		*p = Properties{}
	}
	return d.err
}

// Append appends the property flags and list: exactly the properties whose
// flag is set, in spec order. Bits outside the 14 known properties are not
// written, so the output never claims a continuation word.
func (p *Properties) Append(dst []byte) []byte {
	f := p.Flags & flagsKnown
	dst = appendUint16(dst, f)
	if f&FlagContentType != 0 {
		dst = appendShortstr(dst, p.ContentType)
	}
	if f&FlagContentEncoding != 0 {
		dst = appendShortstr(dst, p.ContentEncoding)
	}
	if f&FlagHeaders != 0 {
		dst = AppendTable(dst, p.Headers)
	}
	if f&FlagDeliveryMode != 0 {
		dst = append(dst, p.DeliveryMode)
	}
	if f&FlagPriority != 0 {
		dst = append(dst, p.Priority)
	}
	if f&FlagCorrelationID != 0 {
		dst = appendShortstr(dst, p.CorrelationID)
	}
	if f&FlagReplyTo != 0 {
		dst = appendShortstr(dst, p.ReplyTo)
	}
	if f&FlagExpiration != 0 {
		dst = appendShortstr(dst, p.Expiration)
	}
	if f&FlagMessageID != 0 {
		dst = appendShortstr(dst, p.MessageID)
	}
	if f&FlagTimestamp != 0 {
		dst = appendUint64(dst, p.Timestamp)
	}
	if f&FlagType != 0 {
		dst = appendShortstr(dst, p.Type)
	}
	if f&FlagUserID != 0 {
		dst = appendShortstr(dst, p.UserID)
	}
	if f&FlagAppID != 0 {
		dst = appendShortstr(dst, p.AppID)
	}
	if f&FlagClusterID != 0 {
		dst = appendShortstr(dst, p.ClusterID)
	}
	return dst
}

// PeekedProperties is what the broker needs from every published message
// without paying for a full Decode. The byte slices alias the input.
type PeekedProperties struct {
	Flags        uint16
	DeliveryMode uint8
	Priority     uint8
	// Expiration is the raw per-message TTL string (milliseconds in
	// RabbitMQ); check Flags&FlagExpiration to tell empty from absent.
	Expiration []byte
	// UserID is checked against the authenticated user by RabbitMQ.
	UserID []byte
	// Headers is the still-encoded headers table, starting at its 4-byte
	// length (pass it to DecodeTable when needed, e.g. for a headers
	// exchange); nil when absent. Its contents are not validated.
	Headers []byte
}

// PeekProperties reads the flags and properties the broker routes and
// expires by, skipping over everything else, the headers table included,
// without allocating. It validates lengths only: input that PeekProperties
// accepts may still fail Decode (e.g. a corrupt headers table), but input
// that Decode accepts always peeks successfully with the same values.
func PeekProperties(b []byte) (PeekedProperties, error) {
	var pp PeekedProperties
	flags, b, err := readFlags(b)
	if err != nil {
		return PeekedProperties{}, err
	}
	pp.Flags = flags
	ok := true
	for bitPos := 15; bitPos >= 2 && ok; bitPos-- {
		f := uint16(1) << bitPos
		if flags&f == 0 {
			continue
		}
		switch f {
		case FlagHeaders:
			if len(b) < 4 {
				ok = false
				break
			}
			n := binary.BigEndian.Uint32(b)
			if uint64(n) > uint64(len(b)-4) {
				ok = false
				break
			}
			pp.Headers, b = b[:4+int(n)], b[4+int(n):]
		case FlagDeliveryMode, FlagPriority:
			if len(b) < 1 {
				ok = false
				break
			}
			if f == FlagDeliveryMode {
				pp.DeliveryMode = b[0]
			} else {
				pp.Priority = b[0]
			}
			b = b[1:]
		case FlagTimestamp:
			if len(b) < 8 {
				ok = false
				break
			}
			b = b[8:]
		default: // all the others are shortstr
			var s []byte
			s, b, ok = skipShortstr(b)
			switch f {
			case FlagExpiration:
				pp.Expiration = s
			case FlagUserID:
				pp.UserID = s
			}
		}
	}
	if !ok {
		return PeekedProperties{}, malformedProps("property list truncated")
	}
	return pp, nil
}
