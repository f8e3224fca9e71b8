package store

import (
	"bytes"
	"errors"
	"testing"
)

func TestRecordEncoding(t *testing.T) {
	for i, r := range []*Record{
		{},
		{Persistent: true, Timestamp: -1, Expiration: 1 << 40, DeliveryCount: 1<<32 - 1},
		testRecord(3, true, 1000),
		{Exchange: string(make([]byte, 0xFFFF)), RoutingKey: "k", Body: []byte("b")},
	} {
		size := encodedSize(r)
		b := appendRecord([]byte("junk"), r, size)[4:]
		if int64(len(b)) != size {
			t.Fatalf("%d: encoded %d bytes, size says %d", i, len(b), size)
		}
		got, err := decodeRecord(b)
		if err != nil || !sameRecord(&got, r) {
			t.Fatalf("%d: decode = %v", i, err)
		}
		// Single-bit flips are caught (all in the header, a sample after).
		for j := 0; j < len(b)*8; j += max(7, j/50) {
			c := bytes.Clone(b)
			c[j/8] ^= 1 << (j % 8)
			if _, err := decodeRecord(c); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%d: bit %d flipped: decode = %v", i, j, err)
			}
		}
		for n := 0; n < len(b); n += max(5, n/10) {
			if _, err := decodeRecord(b[:n]); err == nil {
				t.Fatalf("%d: truncated to %d decodes", i, n)
			}
		}
	}
	if encodedSize(&Record{Exchange: string(make([]byte, 0x10000))}) != 0 {
		t.Fatal("oversized exchange accepted")
	}
}

func TestLargeRecordHead(t *testing.T) {
	r := testRecord(5, true, 200<<10)
	size := encodedSize(r)
	whole := appendRecord(nil, r, size)
	head := appendHead(nil, r, size)
	if !bytes.Equal(append(head, r.Body...), whole) {
		t.Fatal("head + body differs from the whole record")
	}
}

func encodeForTest(r *Record) []byte { return appendRecord(nil, r, encodedSize(r)) }

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeForTest(&Record{}))
	f.Add(encodeForTest(testRecord(1, true, 10)))
	f.Add(encodeForTest(testRecord(2, false, 300)))
	bad := encodeForTest(testRecord(3, true, 20))
	bad[10] = 0xFF
	f.Add(bad)
	f.Add([]byte{0xF7, 0x57, 0x52, 0x4E})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		// A record that decodes is exactly what encoding it gives.
		if again := encodeForTest(&r); !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", again, b)
		}
	})
}
