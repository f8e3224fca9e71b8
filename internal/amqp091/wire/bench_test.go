package wire

import (
	"bytes"
	"testing"
)

// loopReader replays a byte stream forever, so BenchmarkFrameRead measures
// the frame reader rather than reader setup.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

func BenchmarkFrameRead(b *testing.B) {
	// A typical publish: method, header and a 1 KiB body.
	var stream []byte
	stream = AppendMethodFrame(stream, 1, &BasicPublish{Exchange: "amq.direct", RoutingKey: "orders"})
	props := (&Properties{Flags: FlagDeliveryMode | FlagContentType, DeliveryMode: 2, ContentType: "application/json"}).Append(nil)
	stream = AppendHeaderFrame(stream, 1, ClassBasic, 1024, props)
	stream = AppendBodyFrames(stream, 1, make([]byte, 1024), 131072)
	fr := NewFrameReader(&loopReader{data: bytes.Repeat(stream, 64)}, 0)
	b.SetBytes(int64(len(stream)) / 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fr.ReadFrame(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMethodFrame(b *testing.B) {
	m := &BasicDeliver{ConsumerTag: "amq.ctag-abcdefghijklmnop", DeliveryTag: 123456, Exchange: "amq.direct", RoutingKey: "orders"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendMethodFrame(buf[:0], 1, m)
	}
}

func BenchmarkDecodeBasicPublish(b *testing.B) {
	payload := (&BasicPublish{Exchange: "amq.direct", RoutingKey: "orders"}).Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMethod(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// The broker's path: decoding into a reused struct, same exchange and key
// as the previous publish, must not allocate.
func BenchmarkDecodeBasicPublishInto(b *testing.B) {
	payload := (&BasicPublish{Exchange: "amq.direct", RoutingKey: "orders"}).Append(nil)
	var m BasicPublish
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := DecodeBasicPublishInto(payload, &m); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { DecodeBasicPublishInto(payload, &m) }); n != 0 {
		b.Fatalf("%v allocations per decode, want 0", n)
	}
}

var benchTable = Table{
	"x-message-ttl":          int32(60000),
	"x-queue-type":           "quorum",
	"x-dead-letter-exchange": "dlx",
	"x-max-length":           int64(10000),
	"flag":                   true,
}

func BenchmarkTableEncode(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendTable(buf[:0], benchTable)
	}
}

func BenchmarkTableDecode(b *testing.B) {
	enc := AppendTable(nil, benchTable)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeTable(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPropertiesDecode(b *testing.B) {
	p := fullProperties()
	enc := p.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		var q Properties
		if err := q.Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPropertiesAppend(b *testing.B) {
	p := fullProperties()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = p.Append(buf[:0])
	}
}

func BenchmarkPeekProperties(b *testing.B) {
	p := fullProperties()
	enc := p.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PeekProperties(enc); err != nil {
			b.Fatal(err)
		}
	}
}
