package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestTableRoundTripEveryType(t *testing.T) {
	ts := time.Unix(1700000000, 0).UTC()
	values := map[string]any{
		"t-true":   true,
		"t-false":  false,
		"b":        int8(-128),
		"B":        uint8(255),
		"s":        int16(-32768),
		"u":        uint16(65535),
		"I":        int32(math.MinInt32),
		"i":        uint32(math.MaxUint32),
		"l":        int64(math.MinInt64),
		"L":        uint64(math.MaxUint64),
		"f":        float32(3.5),
		"f-nan":    float32(math.NaN()),
		"d":        -2.25,
		"d-inf":    math.Inf(-1),
		"D":        Decimal{Scale: 2, Value: -12345},
		"S":        "hello\x00world",
		"S-empty":  "",
		"x":        []byte{0, 1, 2, 0xff},
		"x-empty":  []byte(nil),
		"A":        []any{int32(1), "two", []any{true, Table{"deep": []any{nil}}}},
		"A-empty":  []any(nil),
		"T":        ts,
		"T-before": time.Unix(-1, 0).UTC(),
		"F":        Table{"inner": Table{"k": "v"}},
		"F-empty":  Table(nil),
		"V":        nil,
	}
	for k, v := range values {
		t.Run(k, func(t *testing.T) {
			in := Table{k: v}
			b, err := AppendTableChecked(nil, in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, AppendTable(nil, in)) {
				t.Fatal("AppendTable and AppendTableChecked disagree")
			}
			out, n, err := DecodeTable(b)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Fatalf("consumed %d of %d bytes", n, len(b))
			}
			if !sameValue(out, in) {
				t.Fatalf("got %#v, want %#v", out, in)
			}
			// The type letter is RabbitMQ's.
			if letter := k[0]; letter != 't' && b[4+1+len(k)] != letter {
				t.Fatalf("type letter %q, want %q", b[4+1+len(k)], letter)
			}
			// Every strict prefix must fail, not panic.
			for i := range len(b) {
				if _, _, err := DecodeTable(b[:i]); err == nil {
					t.Fatalf("prefix %d of %d decoded", i, len(b))
				}
			}
		})
	}
	all, err := AppendTableChecked(nil, values)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := DecodeTable(all)
	if err != nil || !sameValue(out, Table(values)) {
		t.Fatalf("whole table: %v\n%#v", err, out)
	}
}

func TestTableGoldenBytes(t *testing.T) {
	// Keys in sorted order, as AppendTable writes them.
	b := []byte{
		0, 0, 0, 0, // table length, patched below
		1, 'a', 'A', 0, 0, 0, 10, // "a": array, 10 bytes:
		'F', 0, 0, 0, 4, // [0] nested table, 4 bytes:
		1, 'k', 'b', 0xfe, // "k": int8(-2)
		'V',                                           // [1] void
		3, 'b', 'i', 'g', 'l', 0, 0, 0, 1, 0, 0, 0, 0, // "big": int64(1<<32)
		1, 'n', 'u', 0x01, 0x02, // "n": uint16(0x0102)
		1, 's', 'S', 0, 0, 0, 2, 'h', 'i', // "s": "hi"
		2, 't', 's', 'T', 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00, // "ts": 1700000000
	}
	b[3] = byte(len(b) - 4)
	want := Table{
		"a":   []any{Table{"k": int8(-2)}, nil},
		"big": int64(1 << 32),
		"n":   uint16(0x0102),
		"s":   "hi",
		"ts":  time.Unix(1700000000, 0).UTC(),
	}
	got, n, err := DecodeTable(append(b, 0xAA)) // a trailing byte is not consumed
	if err != nil {
		t.Fatal(err)
	}
	if n != len(b) {
		t.Fatalf("n = %d, want %d", n, len(b))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if enc := AppendTable(nil, want); !bytes.Equal(enc, b) {
		t.Fatalf("AppendTable:\n got % x\nwant % x", enc, b)
	}
}

func TestTableEncodeExtraGoTypes(t *testing.T) {
	in := Table{"int": int(-5), "uint": uint(7), "map": map[string]any{"k": "v"}}
	got, _, err := DecodeTable(AppendTable(nil, in))
	if err != nil {
		t.Fatal(err)
	}
	want := Table{"int": int64(-5), "uint": uint64(7), "map": Table{"k": "v"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v want %#v", got, want)
	}
	// Nanoseconds are dropped, the time is read back in UTC.
	loc := time.FixedZone("X", 3600)
	got, _, _ = DecodeTable(AppendTable(nil, Table{"t": time.Unix(10, 999).In(loc)}))
	if tt := got["t"].(time.Time); !tt.Equal(time.Unix(10, 0)) || tt.Location() != time.UTC {
		t.Fatalf("time: %v", tt)
	}
}

func TestTableUnsupportedValues(t *testing.T) {
	in := Table{"ok": "yes", "bad": struct{}{}, "ch": make(chan int)}
	got, _, err := DecodeTable(AppendTable(nil, in))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Table{"ok": "yes", "bad": nil, "ch": nil}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	dst := []byte("prefix")
	out, err := AppendTableChecked(dst, in)
	var te *TableEncodeError
	if !errors.As(err, &te) || te.Key != "bad" {
		t.Fatalf("err = %v", err)
	}
	if string(out) != "prefix" {
		t.Fatalf("dst modified on error: %q", out)
	}
	_, err = AppendTableChecked(nil, Table{"a": []any{1, complex(1, 2)}})
	if !errors.As(err, &te) || te.Key != "a" || !strings.Contains(err.Error(), "complex128") {
		t.Fatalf("err = %v", err)
	}
}

func TestTableDepthLimit(t *testing.T) {
	nest := func(depth int) Table { // depth counts tables, the outer one too
		tb := Table{"leaf": true}
		for range depth - 1 {
			tb = Table{"n": tb}
		}
		return tb
	}
	b := AppendTable(nil, nest(MaxTableDepth))
	if _, _, err := DecodeTable(b); err != nil {
		t.Fatalf("depth %d rejected: %v", MaxTableDepth, err)
	}
	// Hand-build one level deeper than the encoder would allow.
	inner := AppendTable(nil, nest(MaxTableDepth))
	deep := []byte{0, 0, 0, 0, 1, 'n', 'F'}
	deep = append(deep, inner...)
	deep[3] = byte(len(deep) - 4)
	deep[2] = byte((len(deep) - 4) >> 8)
	var me *MalformedError
	if _, _, err := DecodeTable(deep); !errors.As(err, &me) {
		t.Fatalf("depth %d: err = %v", MaxTableDepth+1, err)
	}
	// Arrays count as levels too.
	arr := []any{true}
	for range MaxTableDepth {
		arr = []any{arr}
	}
	if _, err := AppendTableChecked(nil, Table{"a": arr}); err == nil {
		t.Fatal("deep array encoded by AppendTableChecked")
	}
	if _, _, err := DecodeTable(AppendTable(nil, Table{"a": arr})); err != nil {
		t.Fatalf("AppendTable output must stay decodable: %v", err)
	}
	// A self-referencing table must not recurse forever.
	self := Table{}
	self["self"] = self
	if _, _, err := DecodeTable(AppendTable(nil, self)); err != nil {
		t.Fatal(err)
	}
}

func TestTableMalformed(t *testing.T) {
	tests := map[string][]byte{
		"short length":        {0, 0, 0},
		"length past end":     {0, 0, 0, 5, 1, 'a', 'V'},
		"huge length":         {0xff, 0xff, 0xff, 0xff},
		"key past end":        {0, 0, 0, 2, 5, 'a'},
		"missing value":       {0, 0, 0, 2, 1, 'a'},
		"unknown type letter": {0, 0, 0, 3, 1, 'a', 'Q'},
		"spec-only letter U":  {0, 0, 0, 5, 1, 'a', 'U', 0, 1},
		"truncated int":       {0, 0, 0, 4, 1, 'a', 'I', 0},
		"longstr past end":    {0, 0, 0, 7, 1, 'a', 'S', 0xff, 0xff, 0xff, 0xff},
		"bytes past end":      {0, 0, 0, 7, 1, 'a', 'x', 0, 0, 0, 1},
		"array past end":      {0, 0, 0, 7, 1, 'a', 'A', 0, 0, 0, 9},
		"bad value in array":  {0, 0, 0, 9, 1, 'a', 'A', 0, 0, 0, 2, 'I', 0},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			var me *MalformedError
			if _, _, err := DecodeTable(b); !errors.As(err, &me) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestTableEmptyIsNil(t *testing.T) {
	got, n, err := DecodeTable([]byte{0, 0, 0, 0})
	if err != nil || n != 4 || got != nil {
		t.Fatalf("got %#v %d %v", got, n, err)
	}
	if b := AppendTable(nil, Table{}); !bytes.Equal(b, []byte{0, 0, 0, 0}) {
		t.Fatalf("empty table encoded as % x", b)
	}
}
