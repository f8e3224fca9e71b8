package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Method is implemented by every generated method struct (always as a
// pointer). The unexported decodeArgs keeps the set closed: only this
// package's types can be decoded by DecodeMethod.
type Method interface {
	// ClassID and MethodID are the spec's numeric ids.
	ClassID() uint16
	MethodID() uint16
	// Name is the spec name, e.g. "basic.publish" or "connection.start-ok",
	// for logs and reply texts.
	Name() string
	// HasContent reports whether a content header and body follow.
	HasContent() bool
	// Synchronous reports whether the spec marks the method as expecting a
	// response (or being one).
	Synchronous() bool
	// Append appends the method frame payload: class id, method id and the
	// arguments. It never fails; see appendShortstr for over-long strings.
	Append(dst []byte) []byte
	// decodeArgs decodes the arguments that follow the 4 id bytes.
	decodeArgs(b []byte) error
}

// MalformedError reports input that does not parse: a length running past
// the end, an unknown field-table type letter, too deep nesting. The
// connection layer maps it to the spec's syntax-error / frame-error codes.
// (The name avoids clashing with the generated SyntaxError reply code.)
type MalformedError struct {
	Context string // what was being decoded, e.g. "basic.publish" or "field table"
	Reason  string
}

func (e *MalformedError) Error() string {
	return "amqp: malformed " + e.Context + ": " + e.Reason
}

// UnknownMethodError reports a class/method id pair the spec does not define.
// It is distinct from MalformedError because the broker answers it with a
// different reply code (command-invalid / not-implemented).
type UnknownMethodError struct {
	ClassID, MethodID uint16
}

func (e *UnknownMethodError) Error() string {
	return fmt.Sprintf("amqp: unknown method class=%d method=%d", e.ClassID, e.MethodID)
}

func splitMethodPayload(p []byte) (classID, methodID uint16, args []byte, err error) {
	if len(p) < 4 {
		return 0, 0, nil, &MalformedError{Context: "method frame", Reason: "payload shorter than the class and method ids"}
	}
	return binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]), p[4:], nil
}

// decoder reads spec types from a byte slice with a sticky error: after the
// first failure every read returns the zero value, so generated code can
// decode field after field and check the error once at the end. Lengths are
// always checked against the remaining bytes before anything is allocated.
type decoder struct {
	b    []byte
	what string
	err  error
}

func (d *decoder) fail(reason string) {
	if d.err == nil {
		d.err = &MalformedError{Context: d.what, Reason: reason}
	}
	d.b = nil
}

func (d *decoder) octet() uint8 {
	if len(d.b) < 1 {
		d.fail("truncated octet")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uint16() uint16 {
	if len(d.b) < 2 {
		d.fail("truncated short")
		return 0
	}
	v := binary.BigEndian.Uint16(d.b)
	d.b = d.b[2:]
	return v
}

func (d *decoder) uint32() uint32 {
	if len(d.b) < 4 {
		d.fail("truncated long")
		return 0
	}
	v := binary.BigEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

func (d *decoder) uint64() uint64 {
	if len(d.b) < 8 {
		d.fail("truncated longlong")
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) shortstr() string {
	s, rest, ok := readShortstr(d.b)
	if !ok {
		d.fail("truncated shortstr")
		return ""
	}
	d.b = rest
	return s
}

func (d *decoder) longstr() string {
	if len(d.b) < 4 {
		d.fail("truncated longstr length")
		return ""
	}
	n := binary.BigEndian.Uint32(d.b)
	if uint64(n) > uint64(len(d.b)-4) {
		d.fail("longstr length past the end")
		return ""
	}
	s := string(d.b[4 : 4+int(n)])
	d.b = d.b[4+int(n):]
	return s
}

func (d *decoder) table() Table {
	if d.err != nil {
		return nil
	}
	t, n, err := decodeTable(d.b, 1)
	if err != nil {
		// Keep the table's reason but name the method, which is what a
		// peer debugging a channel close wants to see.
		reason := err.Error()
		if me, ok := err.(*MalformedError); ok {
			reason = me.Context + ": " + me.Reason
		}
		d.fail(reason)
		return nil
	}
	d.b = d.b[n:]
	return t
}

// readShortstr reads a length-prefixed short string without a decoder, for
// the table and property code. ok is false if it runs past the end.
func readShortstr(b []byte) (s string, rest []byte, ok bool) {
	if len(b) < 1 {
		return "", b, false
	}
	n := int(b[0])
	if n > len(b)-1 {
		return "", b, false
	}
	return string(b[1 : 1+n]), b[1+n:], true
}

// skipShortstr is readShortstr without the string copy, for hot-path peeks.
func skipShortstr(b []byte) (s []byte, rest []byte, ok bool) {
	if len(b) < 1 {
		return nil, b, false
	}
	n := int(b[0])
	if n > len(b)-1 {
		return nil, b, false
	}
	return b[1 : 1+n], b[1+n:], true
}

func bit(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// maxUint32 is a variable, not a constant, so that converting it to int
// compiles on 32-bit platforms (where the branch using it is unreachable).
var maxUint32 uint64 = math.MaxUint32

func appendUint16(dst []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(dst, v) }
func appendUint32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }
func appendUint64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

// appendShortstr truncates strings over 255 bytes instead of failing, so
// Append stays error-free; the broker validates names long before encoding.
func appendShortstr(dst []byte, s string) []byte {
	if len(s) > math.MaxUint8 {
		s = s[:math.MaxUint8]
	}
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

// appendLongstr truncates at 4 GiB for the same reason; no frame can carry
// that much anyway.
func appendLongstr(dst []byte, s string) []byte {
	if uint64(len(s)) > maxUint32 {
		s = s[:int(maxUint32)]
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}
