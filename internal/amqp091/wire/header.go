package wire

import "encoding/binary"

// contentHeaderFixed is class-id (2), weight (2) and body-size (8).
const contentHeaderFixed = 12

// DecodeContentHeader splits a content header frame payload. props aliases
// payload from the property flags on (copy it to keep it past the next
// ReadFrame); it is not validated beyond having room for one flag word,
// because the connection layer peeks or decodes it separately and a broker
// that only forwards messages never needs the full decode. The weight field,
// unused by the spec, is ignored.
func DecodeContentHeader(payload []byte) (classID uint16, bodySize uint64, props []byte, err error) {
	if len(payload) < contentHeaderFixed+2 {
		return 0, 0, nil, &MalformedError{Context: "content header", Reason: "payload too short"}
	}
	classID = binary.BigEndian.Uint16(payload)
	bodySize = binary.BigEndian.Uint64(payload[4:])
	return classID, bodySize, payload[contentHeaderFixed:], nil
}
