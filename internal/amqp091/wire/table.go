package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
)

// Table is an AMQP field table. Values use these Go types, one per
// RabbitMQ type letter (RabbitMQ's letters, not the 0-9-1 spec's where the
// two differ, because that is what clients actually send):
//
//	't' bool      'b' int8     'B' uint8    's' int16   'u' uint16
//	'I' int32     'i' uint32   'l' int64    'L' uint64  'f' float32
//	'd' float64   'D' Decimal  'S' string   'x' []byte  'A' []any
//	'T' time.Time (UTC, whole seconds)      'F' Table   'V' nil
//
// Decoding then encoding reproduces the same values and Go types. When
// encoding, int and uint are also accepted (as 'l' and 'L') and so is
// map[string]any (as 'F').
//
// Empty tables, arrays and byte arrays decode as nil (a nil Table reads like
// an empty one), which keeps the very common empty "arguments" table free of
// allocations; nil encodes as empty, so round trips are exact.
type Table map[string]any

// Decimal is the 'D' field type: Value × 10^-Scale.
type Decimal struct {
	Scale uint8
	Value int32
}

// MaxTableDepth bounds nesting of tables and arrays. Decoding deeper input
// is a MalformedError; it stops a small hostile frame from driving deep
// recursion. The outermost table is depth 1 and each nested table or array
// adds one.
const MaxTableDepth = 64

// TableEncodeError reports a value AppendTableChecked cannot encode.
type TableEncodeError struct {
	Key    string // the key of the innermost table holding the value
	Reason string
}

func (e *TableEncodeError) Error() string {
	return fmt.Sprintf("amqp: cannot encode field table value for key %q: %s", e.Key, e.Reason)
}

func malformedTable(reason string) error {
	return &MalformedError{Context: "field table", Reason: reason}
}

// DecodeTable decodes a field table. b starts at the table's 4-byte length;
// n is the number of bytes consumed. Bytes after the table are ignored. The
// result never aliases b.
func DecodeTable(b []byte) (t Table, n int, err error) {
	return decodeTable(b, 1)
}

// sizedBody splits off a 4-byte length prefixed body, checking the length
// against what is really there before anything is built from it.
func sizedBody(b []byte, what string) (body []byte, n int, err error) {
	if len(b) < 4 {
		return nil, 0, malformedTable("truncated " + what + " length")
	}
	size := binary.BigEndian.Uint32(b)
	if uint64(size) > uint64(len(b)-4) {
		return nil, 0, malformedTable(what + " length past the end")
	}
	return b[4 : 4+int(size)], 4 + int(size), nil
}

func decodeTable(b []byte, depth int) (Table, int, error) {
	if depth > MaxTableDepth {
		return nil, 0, malformedTable("nesting deeper than MaxTableDepth")
	}
	body, n, err := sizedBody(b, "table")
	if err != nil || len(body) == 0 {
		return nil, n, err
	}
	t := make(Table)
	for len(body) > 0 {
		key, rest, ok := readShortstr(body)
		if !ok {
			return nil, 0, malformedTable("truncated field name")
		}
		v, m, err := decodeValue(rest, depth)
		if err != nil {
			return nil, 0, err
		}
		t[key] = v
		body = rest[m:]
	}
	return t, n, nil
}

func decodeArray(b []byte, depth int) ([]any, int, error) {
	if depth > MaxTableDepth {
		return nil, 0, malformedTable("nesting deeper than MaxTableDepth")
	}
	body, n, err := sizedBody(b, "array")
	if err != nil || len(body) == 0 {
		return nil, n, err
	}
	var a []any
	for len(body) > 0 {
		v, m, err := decodeValue(body, depth)
		if err != nil {
			return nil, 0, err
		}
		a = append(a, v)
		body = body[m:]
	}
	return a, n, nil
}

// fixedSizes is the value size of each fixed-width type letter, so one
// bounds check covers them all.
var fixedSizes = [256]uint8{
	't': 1, 'b': 1, 'B': 1, 's': 2, 'u': 2, 'I': 4, 'i': 4,
	'l': 8, 'L': 8, 'f': 4, 'd': 8, 'D': 5, 'T': 8,
}

// decodeValue decodes one type letter and value; depth is that of the
// enclosing table or array. n counts the type letter too.
func decodeValue(b []byte, depth int) (v any, n int, err error) {
	if len(b) < 1 {
		return nil, 0, malformedTable("truncated field value")
	}
	typ, p := b[0], b[1:]
	if size := int(fixedSizes[typ]); size > len(p) {
		return nil, 0, malformedTable(fmt.Sprintf("truncated %q value", typ))
	}
	switch typ {
	case 't':
		return p[0] != 0, 2, nil
	case 'b':
		return int8(p[0]), 2, nil
	case 'B':
		return p[0], 2, nil
	case 's':
		return int16(binary.BigEndian.Uint16(p)), 3, nil
	case 'u':
		return binary.BigEndian.Uint16(p), 3, nil
	case 'I':
		return int32(binary.BigEndian.Uint32(p)), 5, nil
	case 'i':
		return binary.BigEndian.Uint32(p), 5, nil
	case 'l':
		return int64(binary.BigEndian.Uint64(p)), 9, nil
	case 'L':
		return binary.BigEndian.Uint64(p), 9, nil
	case 'f':
		return math.Float32frombits(binary.BigEndian.Uint32(p)), 5, nil
	case 'd':
		return math.Float64frombits(binary.BigEndian.Uint64(p)), 9, nil
	case 'D':
		return Decimal{Scale: p[0], Value: int32(binary.BigEndian.Uint32(p[1:]))}, 6, nil
	case 'T':
		return time.Unix(int64(binary.BigEndian.Uint64(p)), 0).UTC(), 9, nil
	case 'V':
		return nil, 1, nil
	case 'S':
		body, m, err := sizedBody(p, "long string")
		if err != nil {
			return nil, 0, err
		}
		return string(body), 1 + m, nil
	case 'x':
		body, m, err := sizedBody(p, "byte array")
		if err != nil {
			return nil, 0, err
		}
		if len(body) == 0 {
			return []byte(nil), 1 + m, nil
		}
		return slices.Clone(body), 1 + m, nil
	case 'A':
		a, m, err := decodeArray(p, depth+1)
		if err != nil {
			return nil, 0, err
		}
		return a, 1 + m, nil
	case 'F':
		t, m, err := decodeTable(p, depth+1)
		if err != nil {
			return nil, 0, err
		}
		return t, 1 + m, nil
	}
	return nil, 0, malformedTable(fmt.Sprintf("unknown field type %q", typ))
}

// AppendTable appends t with its 4-byte length. Keys are written in sorted
// order so equal tables encode identically. It never fails: values of
// unsupported Go types, and tables or arrays nested deeper than
// MaxTableDepth (which also stops self-referencing maps), are written as
// void. Use AppendTableChecked to find such values instead.
func AppendTable(dst []byte, t Table) []byte {
	dst, _ = appendTable(dst, t, 1, false)
	return dst
}

// AppendTableChecked is AppendTable but reports unsupported values as a
// *TableEncodeError, returning dst unchanged.
func AppendTableChecked(dst []byte, t Table) ([]byte, error) {
	out, err := appendTable(dst, t, 1, true)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// patchLength writes the length of everything after the 4 bytes reserved at
// start; the size is known only after encoding, and patching avoids a
// second buffer.
func patchLength(dst []byte, start int) {
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
}

func appendTable(dst []byte, t Table, depth int, strict bool) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	if len(t) > 0 {
		// A small stack array keeps sorting typical tables allocation-free.
		var small [16]string
		keys := small[:0]
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var err error
		for _, k := range keys {
			dst = appendShortstr(dst, k)
			if dst, err = appendValue(dst, k, t[k], depth, strict); err != nil {
				return nil, err
			}
		}
	}
	patchLength(dst, start)
	return dst, nil
}

func appendArray(dst []byte, key string, a []any, depth int, strict bool) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	var err error
	for _, v := range a {
		if dst, err = appendValue(dst, key, v, depth, strict); err != nil {
			return nil, err
		}
	}
	patchLength(dst, start)
	return dst, nil
}

// appendValue appends v's type letter and value; depth is that of the
// enclosing table or array.
func appendValue(dst []byte, key string, v any, depth int, strict bool) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, 'V'), nil
	case bool:
		return append(dst, 't', bit(v)), nil
	case int8:
		return append(dst, 'b', byte(v)), nil
	case uint8:
		return append(dst, 'B', v), nil
	case int16:
		return appendUint16(append(dst, 's'), uint16(v)), nil
	case uint16:
		return appendUint16(append(dst, 'u'), v), nil
	case int32:
		return appendUint32(append(dst, 'I'), uint32(v)), nil
	case uint32:
		return appendUint32(append(dst, 'i'), v), nil
	case int64:
		return appendUint64(append(dst, 'l'), uint64(v)), nil
	case int:
		return appendUint64(append(dst, 'l'), uint64(v)), nil
	case uint64:
		return appendUint64(append(dst, 'L'), v), nil
	case uint:
		return appendUint64(append(dst, 'L'), uint64(v)), nil
	case float32:
		return appendUint32(append(dst, 'f'), math.Float32bits(v)), nil
	case float64:
		return appendUint64(append(dst, 'd'), math.Float64bits(v)), nil
	case Decimal:
		return appendUint32(append(dst, 'D', v.Scale), uint32(v.Value)), nil
	case string:
		return appendLongstr(append(dst, 'S'), v), nil
	case []byte:
		dst = appendUint32(append(dst, 'x'), uint32(len(v)))
		return append(dst, v...), nil
	case time.Time:
		return appendUint64(append(dst, 'T'), uint64(v.Unix())), nil
	case Table, map[string]any, []any:
		if depth+1 > MaxTableDepth {
			if strict {
				return nil, &TableEncodeError{Key: key, Reason: "nesting deeper than MaxTableDepth"}
			}
			return append(dst, 'V'), nil
		}
		switch v := v.(type) {
		case Table:
			return appendTable(append(dst, 'F'), v, depth+1, strict)
		case map[string]any:
			return appendTable(append(dst, 'F'), v, depth+1, strict)
		case []any:
			return appendArray(append(dst, 'A'), key, v, depth+1, strict)
		}
	}
	if strict {
		return nil, &TableEncodeError{Key: key, Reason: fmt.Sprintf("unsupported type %T", v)}
	}
	return append(dst, 'V'), nil
}
