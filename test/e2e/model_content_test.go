package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// mAllHeaders holds one of every field type amqp091-go writes, as it reads
// them back.
func mAllHeaders() amqp.Table {
	ts := time.Unix(1700000000, 0)
	return amqp.Table{
		"bool-true":  true,
		"bool-false": false,
		"uint8":      byte(200),
		"int8":       int8(-100),
		"int16":      int16(-30000),
		"uint16":     uint16(60000),
		"int32":      int32(-2000000000),
		"uint32":     uint32(4000000000),
		"int64":      int64(-9000000000000000000),
		"float32":    float32(1.5),
		"float64":    float64(-2.25e100),
		"string":     "héllo, wörld",
		"empty":      "",
		"bytes":      []byte{0, 1, 2, 0xff},
		"decimal":    amqp.Decimal{Scale: 3, Value: -123456},
		"timestamp":  ts,
		"void":       nil,
		"array": []any{int32(1), "two", true, []any{int64(3), nil}, amqp.Table{"in": "array"},
			amqp.Decimal{Scale: 1, Value: 5}, ts, []byte("x"), float64(4.5)},
		"table": amqp.Table{
			"nested": amqp.Table{"deeper": amqp.Table{"deepest": int32(7)}, "list": []any(nil)}, // amqp091-go reads an empty array as nil
			"n":      int16(3),
		},
		"empty-table": amqp.Table{},
		"x-custom":    "x- headers are kept too",
	}
}

func mAllProperties() amqp.Publishing {
	return amqp.Publishing{
		ContentType:     "application/x-model",
		ContentEncoding: "gzip",
		Headers:         mAllHeaders(),
		DeliveryMode:    amqp.Persistent,
		Priority:        7,
		CorrelationId:   "corr-1",
		ReplyTo:         "reply.queue",
		Expiration:      "600000",
		MessageId:       "msg-1",
		Timestamp:       time.Unix(1600000000, 0),
		Type:            "model.type",
		UserId:          "guest",
		AppId:           "warren-e2e",
		Body:            []byte("properties"),
	}
}

// mSameContent compares the properties and body of a delivery with what
// was published.
func mSameContent(t *testing.T, how string, d amqp.Delivery, p amqp.Publishing) {
	t.Helper()
	got := amqp.Publishing{
		ContentType: d.ContentType, ContentEncoding: d.ContentEncoding, Headers: d.Headers,
		DeliveryMode: d.DeliveryMode, Priority: d.Priority, CorrelationId: d.CorrelationId,
		ReplyTo: d.ReplyTo, Expiration: d.Expiration, MessageId: d.MessageId,
		Timestamp: d.Timestamp, Type: d.Type, UserId: d.UserId, AppId: d.AppId,
	}
	want := p
	want.Body = nil
	if !reflect.DeepEqual(got, want) {
		for k, v := range want.Headers {
			if !reflect.DeepEqual(got.Headers[k], v) {
				t.Errorf("%s: header %q = %#v, want %#v", how, k, got.Headers[k], v)
			}
		}
		got.Headers, want.Headers = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: properties\n\tgot  %+v\n\twant %+v", how, got, want)
		}
		if !t.Failed() {
			t.Errorf("%s: headers %#v, want %#v", how, d.Headers, p.Headers)
		}
	}
	if !bytes.Equal(d.Body, p.Body) {
		t.Errorf("%s: body of %d bytes differs from the %d published", how, len(d.Body), len(p.Body))
	}
}

// mRoundTrip publishes p twice to a fresh queue and receives it once by
// basic.get and once by a consumer.
func mRoundTrip(t *testing.T, b *broker, ch *amqp.Channel, suffix string, p amqp.Publishing) {
	t.Helper()
	q := mName(t, suffix)
	mQueue(t, b, ch, q, false, false, false, nil)
	mPubMsg(t, ch, "", q, false, p)
	mPubMsg(t, ch, "", q, false, p)
	d := mGet(t, ch, q, true)
	mSameContent(t, suffix+" via get", d, p)
	ds, err := ch.Consume(q, suffix, true, false, false, false, nil)
	must(t, err)
	mSameContent(t, suffix+" via consume", recv(t, ds), p)
	must(t, ch.Cancel(suffix, false))
}

func TestModelContentProperties(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	mRoundTrip(t, b, ch, "all", mAllProperties())
	// And none at all.
	mRoundTrip(t, b, ch, "none", amqp.Publishing{Body: []byte("bare")})
	// Some: a transient message with only a few properties.
	mRoundTrip(t, b, ch, "some", amqp.Publishing{ContentType: "text/plain", DeliveryMode: amqp.Transient, Priority: 0,
		Headers: amqp.Table{"k": "v"}, Body: []byte("some")})
}

func TestModelContentBodies(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	frameMax := c.Config.FrameSize
	if frameMax <= 0 {
		t.Fatalf("negotiated frame size %d", frameMax)
	}
	sizes := []struct {
		name string
		n    int
	}{
		{"empty", 0}, {"one", 1}, {"frame", frameMax - 8}, {"frame+1", frameMax - 7},
		{"two-frames", 2 * (frameMax - 8)}, {"1MiB", 1 << 20},
	}
	for _, s := range sizes {
		body := make([]byte, s.n)
		_, _ = rand.Read(body)
		p := mAllProperties()
		p.Body = body
		mRoundTrip(t, b, ch, s.name, p)
	}
}

func TestModelContentBody10MiB(t *testing.T) {
	b := mStart(t)
	_, ch := b.channel(t)
	body := make([]byte, 10<<20)
	_, _ = rand.Read(body)
	mRoundTrip(t, b, ch, "10MiB", amqp.Publishing{ContentType: "application/octet-stream", Body: body})
}

func TestModelContentUserIDMismatch(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	pch, err := c.Channel()
	must(t, err)
	closes := pch.NotifyClose(make(chan *amqp.Error, 1))
	mPubMsg(t, pch, "", q.Name, false, amqp.Publishing{UserId: "not-guest", Body: []byte("forged")})
	mErr(t, mWaitClose(t, closes), amqp.PreconditionFailed,
		"PRECONDITION_FAILED - user_id property set to 'not-guest' but authenticated user was 'guest'")
	mAlive(t, c)
	mGetEmpty(t, ch, q.Name)
}

func TestModelContentImmediate(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	must(t, ch.PublishWithContext(context.Background(), "", q.Name, false, true, amqp.Publishing{Body: []byte("now")}))
	// RabbitMQ 3.x dropped immediate: it closes the connection.
	mConnClosed(t, c, closes, amqp.NotImplemented, "NOT_IMPLEMENTED - immediate=true")
	_, ch2 := b.channel(t)
	mGetEmpty(t, ch2, q.Name)
}

func TestModelContentMandatory(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	x := mName(t, "x")
	mExchange(t, b, ch, x, "direct", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "routed", x, false, nil))
	returns := ch.NotifyReturn(make(chan amqp.Return, 4))

	// Routable mandatory: delivered, not returned. Then an unroutable one:
	// the first return must be that one.
	p := mAllProperties()
	mPubMsg(t, ch, x, "routed", true, amqp.Publishing{Body: []byte("routed")})
	mPubMsg(t, ch, x, "nowhere", true, p)
	select {
	case r := <-returns:
		if r.ReplyCode != amqp.NoRoute || r.ReplyText != "NO_ROUTE" || r.Exchange != x || r.RoutingKey != "nowhere" {
			t.Fatalf("return %d %q exchange %q key %q, want 312 NO_ROUTE %q nowhere", r.ReplyCode, r.ReplyText, r.Exchange, r.RoutingKey, x)
		}
		mSameContent(t, "return", amqp.Delivery{
			ContentType: r.ContentType, ContentEncoding: r.ContentEncoding, Headers: r.Headers,
			DeliveryMode: r.DeliveryMode, Priority: r.Priority, CorrelationId: r.CorrelationId,
			ReplyTo: r.ReplyTo, Expiration: r.Expiration, MessageId: r.MessageId,
			Timestamp: r.Timestamp, Type: r.Type, UserId: r.UserId, AppId: r.AppId, Body: r.Body,
		}, p)
	case <-mAfter():
		t.Fatal("no basic.return for an unroutable mandatory message")
	}
	mGetBody(t, ch, q.Name, true, "routed")
	mGetEmpty(t, ch, q.Name)

	// Unroutable through the default exchange too; non-mandatory ones are
	// dropped silently.
	mPubMsg(t, ch, "", mName(t, "missing-queue"), false, amqp.Publishing{Body: []byte("dropped")})
	mPubMsg(t, ch, "", mName(t, "missing-queue"), true, amqp.Publishing{Body: []byte("returned")})
	select {
	case r := <-returns:
		if r.ReplyCode != amqp.NoRoute || string(r.Body) != "returned" || r.Exchange != "" {
			t.Fatalf("return %d %q %q", r.ReplyCode, r.Exchange, r.Body)
		}
	case <-mAfter():
		t.Fatal("no basic.return through the default exchange")
	}
	mAlive(t, c)
}

func TestModelContentManyChannels(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	const channels, perChannel = 100, 20
	var wg sync.WaitGroup
	errs := make(chan error, channels)
	for i := 0; i < channels; i++ {
		ch, err := c.Channel()
		must(t, err)
		q := mQueue(t, b, ch, mName(t, fmt.Sprint(i)), false, false, false, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				ds, err := ch.Consume(q.Name, "c", false, false, false, false, nil)
				if err != nil {
					return err
				}
				for j := 0; j < perChannel; j++ {
					body := fmt.Sprintf("%s/%d", q.Name, j)
					if err := ch.PublishWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Body: []byte(body)}); err != nil {
						return err
					}
				}
				for j := 0; j < perChannel; j++ {
					select {
					case d := <-ds:
						if want := fmt.Sprintf("%s/%d", q.Name, j); string(d.Body) != want {
							return fmt.Errorf("got %q, want %q", d.Body, want)
						}
						if err := d.Ack(false); err != nil {
							return err
						}
					case <-time.After(10 * time.Second):
						return fmt.Errorf("%s: timed out after %d deliveries", q.Name, j)
					}
				}
				return ch.Close()
			}()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestModelContentOrdering(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	const n = 10000
	go func() {
		pc, err := c.Channel()
		if err != nil {
			return
		}
		var buf [8]byte
		for i := 0; i < n; i++ {
			binary.BigEndian.PutUint64(buf[:], uint64(i))
			if pc.PublishWithContext(context.Background(), "", q.Name, false, false, amqp.Publishing{Body: bytes.Clone(buf[:])}) != nil {
				return
			}
		}
	}()
	must(t, ch.Qos(500, 0, false))
	ds, err := ch.Consume(q.Name, "c", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < n; i++ {
		d := recv(t, ds)
		if len(d.Body) != 8 || binary.BigEndian.Uint64(d.Body) != uint64(i) {
			t.Fatalf("message %d: got body %x", i, d.Body)
		}
		if i%100 == 99 {
			must(t, d.Ack(true))
		}
	}
	noDelivery(t, ds)
}
