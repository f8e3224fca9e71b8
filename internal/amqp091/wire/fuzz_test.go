package wire

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets check the decoders' two promises: no panic on any
// input, and whatever decodes re-encodes to something that decodes to the
// same value (and, being canonical, to the same bytes again).

func FuzzFrameReader(f *testing.F) {
	stream, _ := testStream()
	f.Add(stream)
	f.Add(AppendHeartbeat(nil))
	f.Add([]byte{FrameBody, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xce})
	f.Add([]byte{FrameMethod, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxFrame = 1 << 16
		fr := NewFrameReader(bytes.NewReader(data), 16)
		fr.SetMaxFrameSize(maxFrame)
		var again []byte
		for {
			fm, err := fr.ReadFrame()
			if err != nil {
				break
			}
			if len(fm.Payload)+frameOverhead > maxFrame {
				t.Fatalf("frame of %d bytes passed a %d limit", len(fm.Payload)+frameOverhead, maxFrame)
			}
			again = AppendFrame(again, fm.Type, fm.Channel, fm.Payload)
		}
		if !bytes.Equal(again, data[:len(again)]) {
			t.Fatal("re-encoded frames differ from the input")
		}
	})
}

func FuzzDecodeMethod(f *testing.F) {
	for _, m := range sampleMethods() {
		f.Add(m.Append(nil))
	}
	f.Add([]byte{0, 60, 0, 40, 0, 0, 200})
	f.Add([]byte{0, 50, 0, 10, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMethod(data)
		if err != nil {
			var me *MalformedError
			var um *UnknownMethodError
			if !errors.As(err, &me) && !errors.As(err, &um) {
				t.Fatalf("unexpected error type %T", err)
			}
			return
		}
		b1 := m.Append(nil)
		m2, err := DecodeMethod(b1)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", m.Name(), err)
		}
		if !sameValue(m, m2) {
			t.Fatalf("round trip of %s:\n%#v\n%#v", m.Name(), m, m2)
		}
		if b2 := m2.Append(nil); !bytes.Equal(b1, b2) {
			t.Fatalf("encoding of %s not stable", m.Name())
		}
	})
}

func FuzzDecodeTable(f *testing.F) {
	f.Add(AppendTable(nil, sampleArgs))
	f.Add(AppendTable(nil, fullProperties().Headers))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 7, 1, 'a', 'A', 0, 0, 0, 9})
	f.Add([]byte{0, 0, 0, 12, 1, 'a', 'F', 0, 0, 0, 6, 1, 'b', 'F', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, n, err := DecodeTable(data)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("unexpected error type %T", err)
			}
			return
		}
		if n < 4 || n > len(data) {
			t.Fatalf("consumed %d of %d", n, len(data))
		}
		b1, err := AppendTableChecked(nil, tb)
		if err != nil {
			t.Fatalf("decoded table does not encode: %v", err)
		}
		tb2, n2, err := DecodeTable(b1)
		if err != nil || n2 != len(b1) {
			t.Fatalf("re-decode: %v (%d of %d)", err, n2, len(b1))
		}
		if !sameValue(tb, tb2) {
			t.Fatalf("round trip:\n%#v\n%#v", tb, tb2)
		}
		if b2 := AppendTable(nil, tb2); !bytes.Equal(b1, b2) {
			t.Fatal("encoding not stable")
		}
	})
}

func FuzzProperties(f *testing.F) {
	p := fullProperties()
	f.Add(p.Append(nil))
	f.Add([]byte{0, 0})
	f.Add([]byte{0x10, 0x01, 0x80, 0x00, 2})
	f.Add((&Properties{Flags: FlagHeaders | FlagExpiration, Expiration: "5"}).Append(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Properties
		perr := p.Decode(data)
		pp, peekErr := PeekProperties(data)
		if perr != nil {
			return
		}
		if peekErr != nil {
			t.Fatalf("Decode accepted what Peek rejected: %v", peekErr)
		}
		if pp.Flags != p.Flags || pp.DeliveryMode != p.DeliveryMode || pp.Priority != p.Priority ||
			string(pp.Expiration) != p.Expiration || string(pp.UserID) != p.UserID ||
			(pp.Headers != nil) != p.Has(FlagHeaders) {
			t.Fatalf("Peek %#v disagrees with Decode %#v", pp, p)
		}
		b1 := p.Append(nil)
		var q Properties
		if err := q.Decode(b1); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !sameValue(p, q) {
			t.Fatalf("round trip:\n%#v\n%#v", p, q)
		}
		if b2 := q.Append(nil); !bytes.Equal(b1, b2) {
			t.Fatal("encoding not stable")
		}
	})
}

// FuzzDecodeBasicPublishInto: the allocation-free decoder agrees with
// DecodeMethod on every input, whatever was decoded into m before.
func FuzzDecodeBasicPublishInto(f *testing.F) {
	f.Add((&BasicPublish{Exchange: "amq.topic", RoutingKey: "a.b", Mandatory: true}).Append(nil), "amq.topic", "a.b")
	f.Add((&BasicPublish{RoutingKey: "q"}).Append(nil), "x", "q")
	f.Add([]byte{0, 60, 0, 40, 0}, "", "")
	f.Add((&BasicAck{DeliveryTag: 1}).Append(nil), "", "")
	f.Fuzz(func(t *testing.T, payload []byte, prevEx, prevRK string) {
		m := BasicPublish{Exchange: prevEx, RoutingKey: prevRK}
		ok, err := DecodeBasicPublishInto(payload, &m)
		want, werr := DecodeMethod(payload)
		wp, isPublish := want.(*BasicPublish)
		if !ok {
			if isPublish {
				t.Fatalf("not recognised as basic.publish: % x", payload)
			}
			return
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("errors differ: %v / %v", err, werr)
		}
		if err == nil && (!isPublish || *wp != m) {
			t.Fatalf("decoded %+v, DecodeMethod %+v", m, want)
		}
	})
}
