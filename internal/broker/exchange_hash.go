package broker

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/route"
)

// The properties a consistent-hash exchange can hash (its hash-property
// argument), as the plugin names them.
var hashProperties = map[string]uint16{
	"message_id":     wire.FlagMessageID,
	"correlation_id": wire.FlagCorrelationID,
	"timestamp":      wire.FlagTimestamp,
}

func hashPropertyFlag(name string) uint16 { return hashProperties[name] }

// hashOf is the ring position of m for a consistent-hash exchange that
// hashes a header or a property. A message without that header or property
// hashes like an empty one, so all such messages go to one (arbitrary)
// destination, as the plugin documents.
func (x *exchangeExt) hashOf(m *routed) uint64 {
	if x.hash == hashProperty {
		b, _ := propField(m.props, x.hashFlag)
		return route.HashBytes(b)
	}
	switch v := m.headers[x.hashName].(type) {
	case nil:
		return route.HashString("")
	case string:
		return route.HashString(v)
	case []byte:
		return route.HashBytes(v)
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		// Integers hash by value, whatever width the client encoded them in.
		n, _ := toInt64(v)
		var buf [20]byte
		return route.HashBytes(strconv.AppendInt(buf[:0], n, 10))
	default:
		return route.HashString(fmt.Sprint(v))
	}
}

// propField returns the encoded value of the property with flag f (a
// shortstr's bytes, a timestamp's 8 bytes) from encoded basic properties,
// without decoding or allocating. ok is false if the property is absent or
// the encoding is short.
func propField(props []byte, f uint16) (val []byte, ok bool) {
	if len(props) < 2 {
		return nil, false
	}
	flags := binary.BigEndian.Uint16(props)
	b := props[2:]
	for w := flags; w&1 != 0; { // continuation words: skipped
		if len(b) < 2 {
			return nil, false
		}
		w = binary.BigEndian.Uint16(b)
		b = b[2:]
	}
	if flags&f == 0 {
		return nil, false
	}
	for bit := uint16(1 << 15); bit > f; bit >>= 1 {
		if flags&bit == 0 {
			continue
		}
		n := 0
		switch bit {
		case wire.FlagHeaders:
			if len(b) < 4 {
				return nil, false
			}
			n = 4 + int(binary.BigEndian.Uint32(b))
		case wire.FlagDeliveryMode, wire.FlagPriority:
			n = 1
		case wire.FlagTimestamp:
			n = 8
		default: // shortstr
			if len(b) < 1 {
				return nil, false
			}
			n = 1 + int(b[0])
		}
		if n > len(b) || n < 0 {
			return nil, false
		}
		b = b[n:]
	}
	if f == wire.FlagTimestamp {
		if len(b) < 8 {
			return nil, false
		}
		return b[:8], true
	}
	if len(b) < 1 || 1+int(b[0]) > len(b) {
		return nil, false
	}
	return b[1 : 1+int(b[0])], true
}
