package wire

import "encoding/binary"

// DecodeBasicPublishInto decodes payload into m when it is a basic.publish
// method frame payload (ok true; err as DecodeMethod would return it).
// The exchange and routing key strings in m are kept when the bytes are
// the same, so a publisher that sends to the same exchange and key decodes
// without allocating: this is the broker's per-message hot path.
func DecodeBasicPublishInto(payload []byte, m *BasicPublish) (ok bool, err error) {
	if len(payload) < 4 || binary.BigEndian.Uint16(payload) != ClassBasic || binary.BigEndian.Uint16(payload[2:]) != 40 {
		return false, nil
	}
	d := decoder{b: payload[4:], what: "basic.publish"}
	m.Reserved1 = d.uint16()
	m.Exchange = d.shortstrReuse(m.Exchange)
	m.RoutingKey = d.shortstrReuse(m.RoutingKey)
	bits := d.octet()
	m.Mandatory = bits&0x01 != 0
	m.Immediate = bits&0x02 != 0
	return true, d.err
}

// shortstrReuse is shortstr returning prev when the bytes equal it (the
// comparison does not allocate).
func (d *decoder) shortstrReuse(prev string) string {
	s, rest, ok := skipShortstr(d.b)
	if !ok {
		d.fail("truncated shortstr")
		return ""
	}
	d.b = rest
	if string(s) == prev {
		return prev
	}
	return string(s)
}
