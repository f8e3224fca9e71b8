package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func fullProperties() Properties {
	p := Properties{
		ContentType:     "application/json",
		ContentEncoding: "gzip",
		Headers:         Table{"x-death": []any{Table{"count": int64(1)}}, "k": "v"},
		DeliveryMode:    2,
		Priority:        9,
		CorrelationID:   "corr",
		ReplyTo:         "amq.rabbitmq.reply-to",
		Expiration:      "60000",
		MessageID:       "msg-1",
		Timestamp:       1700000000,
		Type:            "event",
		UserID:          "guest",
		AppID:           "app",
		ClusterID:       "cluster",
	}
	p.Set(FlagContentType | FlagContentEncoding | FlagHeaders | FlagDeliveryMode | FlagPriority |
		FlagCorrelationID | FlagReplyTo | FlagExpiration | FlagMessageID | FlagTimestamp |
		FlagType | FlagUserID | FlagAppID | FlagClusterID)
	return p
}

func TestPropertiesAllFields(t *testing.T) {
	p := fullProperties()
	if p.Flags != 0xfffc {
		t.Fatalf("flags = %#x", p.Flags)
	}
	b := p.Append(nil)
	var got Properties
	if err := got.Decode(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("got %#v\nwant %#v", got, p)
	}
	if again := got.Append(nil); !bytes.Equal(again, b) {
		t.Fatal("re-encoding is not byte-identical")
	}
	for i := range len(b) {
		var q Properties
		err := q.Decode(b[:i])
		var me *MalformedError
		if !errors.As(err, &me) {
			t.Fatalf("prefix %d of %d: err = %v", i, len(b), err)
		}
		if !reflect.DeepEqual(q, Properties{}) {
			t.Fatalf("prefix %d: failed Decode left %#v", i, q)
		}
		if _, err := PeekProperties(b[:i]); err == nil && i < len(b) {
			// Peek skips the headers table's contents but not its length,
			// so it too must see every truncation.
			t.Fatalf("prefix %d: PeekProperties accepted", i)
		}
	}
}

func TestPropertiesEachFieldAlone(t *testing.T) {
	full := fullProperties()
	fv := reflect.ValueOf(full)
	for bitPos := 15; bitPos >= 2; bitPos-- {
		flag := uint16(1) << bitPos
		// Field index bitPos maps to: Flags is field 0, then spec order.
		field := 1 + (15 - bitPos)
		var p Properties
		p.Set(flag)
		reflect.ValueOf(&p).Elem().Field(field).Set(fv.Field(field))
		b := p.Append(nil)
		if got := uint16(b[0])<<8 | uint16(b[1]); got != flag {
			t.Fatalf("flag word %#x, want %#x", got, flag)
		}
		var got Properties
		if err := got.Decode(b); err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("%s: got %#v, %v", fv.Type().Field(field).Name, got, err)
		}
	}
}

func TestPropertiesEmptyVersusAbsent(t *testing.T) {
	var absent Properties
	present := Properties{}
	present.Set(FlagContentType | FlagExpiration | FlagHeaders)

	ab := absent.Append(nil)
	if !bytes.Equal(ab, []byte{0, 0}) {
		t.Fatalf("absent: % x", ab)
	}
	pb := present.Append(nil)
	f := FlagContentType | FlagHeaders | FlagExpiration
	// flags, empty content-type, empty headers table, empty expiration
	want := []byte{byte(f >> 8), byte(f), 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(pb, want) {
		t.Fatalf("present: % x, want % x", pb, want)
	}
	var got Properties
	if err := got.Decode(pb); err != nil {
		t.Fatal(err)
	}
	if !got.Has(FlagContentType) || !got.Has(FlagExpiration) || got.Has(FlagMessageID) {
		t.Fatalf("flags %#x", got.Flags)
	}
	pp, err := PeekProperties(pb)
	if err != nil || pp.Expiration == nil || len(pp.Expiration) != 0 || pp.Headers == nil {
		t.Fatalf("peek present: %#v %v", pp, err)
	}
	pp, err = PeekProperties(ab)
	if err != nil || pp.Expiration != nil || pp.Headers != nil {
		t.Fatalf("peek absent: %#v %v", pp, err)
	}
	// A field value without its flag is not encoded.
	if b := (&Properties{ContentType: "text/plain"}).Append(nil); !bytes.Equal(b, []byte{0, 0}) {
		t.Fatalf("unflagged value encoded: % x", b)
	}
}

func TestPropertiesFlagWords(t *testing.T) {
	// Continuation bit set: a second flag word follows and is skipped;
	// bit 1 (unused) is dropped.
	b := []byte{0x10 | 0x00, 0x03, 0x80, 0x00, 2}
	var p Properties
	if err := p.Decode(b); err != nil {
		t.Fatal(err)
	}
	if p.Flags != FlagDeliveryMode || p.DeliveryMode != 2 {
		t.Fatalf("got %#v", p)
	}
	if enc := p.Append(nil); !bytes.Equal(enc, []byte{0x10, 0, 2}) {
		t.Fatalf("re-encoded % x", enc)
	}
	pp, err := PeekProperties(b)
	if err != nil || pp.DeliveryMode != 2 || pp.Flags != FlagDeliveryMode {
		t.Fatalf("peek %#v %v", pp, err)
	}
	// Set ignores bits outside the 14 properties.
	var q Properties
	q.Set(0xffff)
	if q.Flags != 0xfffc {
		t.Fatalf("Set kept unknown bits: %#x", q.Flags)
	}
	// A continuation chain running off the end is malformed.
	if err := p.Decode([]byte{0, 1, 0, 1}); err == nil {
		t.Fatal("truncated continuation accepted")
	}
}

func TestPeekProperties(t *testing.T) {
	p := fullProperties()
	b := p.Append(nil)
	pp, err := PeekProperties(b)
	if err != nil {
		t.Fatal(err)
	}
	if pp.Flags != p.Flags || pp.DeliveryMode != 2 || pp.Priority != 9 ||
		string(pp.Expiration) != "60000" || string(pp.UserID) != "guest" {
		t.Fatalf("peek %#v", pp)
	}
	h, _, err := DecodeTable(pp.Headers)
	if err != nil || !reflect.DeepEqual(h, p.Headers) {
		t.Fatalf("headers %#v %v", h, err)
	}
	allocs := testing.AllocsPerRun(100, func() { _, _ = PeekProperties(b) })
	if allocs != 0 {
		t.Fatalf("PeekProperties allocates %v times", allocs)
	}
	// A corrupt headers table is Peek's business only as far as its length.
	bad := (&Properties{Flags: FlagHeaders | FlagPriority, Priority: 3}).Append(nil)
	bad = append(bad[:2], 0, 0, 0, 2, 0xff, 0xff, 3)
	if pp, err := PeekProperties(bad); err != nil || pp.Priority != 3 {
		t.Fatalf("peek of bad headers: %#v %v", pp, err)
	}
	var q Properties
	if err := q.Decode(bad); err == nil {
		t.Fatal("Decode accepted a corrupt headers table")
	}
}

func TestContentHeader(t *testing.T) {
	p := fullProperties()
	props := p.Append(nil)
	frame := AppendHeaderFrame(nil, 7, ClassBasic, 1<<40+3, props)
	fr := NewFrameReader(bytes.NewReader(frame), 0)
	f, err := fr.ReadFrame()
	if err != nil || f.Type != FrameHeader || f.Channel != 7 {
		t.Fatalf("frame %#v %v", f, err)
	}
	if !bytes.Equal(f.Payload[:12], []byte{0, 60, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3}) {
		t.Fatalf("header start % x", f.Payload[:12])
	}
	class, size, gotProps, err := DecodeContentHeader(f.Payload)
	if err != nil || class != ClassBasic || size != 1<<40+3 || !bytes.Equal(gotProps, props) {
		t.Fatalf("DecodeContentHeader: %d %d % x %v", class, size, gotProps, err)
	}
	for i := range 14 {
		if _, _, _, err := DecodeContentHeader(f.Payload[:i]); err == nil {
			t.Fatalf("short header of %d bytes accepted", i)
		}
	}
}
