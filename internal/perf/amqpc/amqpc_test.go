package amqpc_test

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/perf/amqpc"
	"github.com/warrenmq/warren/internal/testbroker"
	"github.com/warrenmq/warren/internal/testcert"
)

// brokerURI is an embedded Warren on a loopback port, or the broker named
// by AMQPC_TEST_URL (e.g. RabbitMQ from scripts/rabbitmq.sh), so the same
// tests check the client against the reference broker.
func brokerURI(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("AMQPC_TEST_URL"); u != "" {
		return u
	}
	_, addr, _ := testbroker.Start(t, warren.Config{}, nil)
	return testbroker.URI(addr)
}

func dial(t *testing.T, uri string, cfg amqpc.Config) *amqpc.Conn {
	t.Helper()
	c, err := amqpc.Dial(uri, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(2 * time.Second) })
	return c
}

func channel(t *testing.T, c *amqpc.Conn) *amqpc.Channel {
	t.Helper()
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func queueName(t *testing.T) string {
	return fmt.Sprintf("amqpc-%s-%d", t.Name(), time.Now().UnixNano())
}

// Messages go through with confirms and manual acks, bodies intact,
// including bodies split over several frames (frame-max 4096) and empty
// ones; every publish is confirmed exactly once.
func TestPublishConsumeConfirm(t *testing.T) {
	uri := brokerURI(t)
	const n = 3000
	size := func(i int) int {
		switch i % 3 {
		case 0:
			return 0
		case 1:
			return 16
		}
		return 10_000 // three frames at frame-max 4096
	}
	body := func(i int) []byte {
		b := bytes.Repeat([]byte{byte(i)}, size(i))
		if len(b) >= 8 {
			binary.BigEndian.PutUint64(b, uint64(i))
		}
		return b
	}

	cc := dial(t, uri, amqpc.Config{FrameMax: 4096, Name: "amqpc test consumer"})
	if cc.FrameMax() != 4096 {
		t.Fatalf("frame max %d, want 4096", cc.FrameMax())
	}
	cch := channel(t, cc)
	q, err := cch.QueueDeclare(queueName(t), false, false, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cch.Qos(100, false); err != nil {
		t.Fatal(err)
	}
	var got atomic.Int64
	var bad atomic.Value
	done := make(chan struct{})
	cch.SetHandlers(amqpc.Handlers{Deliver: func(d *amqpc.Delivery) {
		i := int(got.Load())
		if want := body(i); !bytes.Equal(d.Body, want) {
			bad.Store(fmt.Sprintf("message %d: body of %d bytes differs from the %d sent", i, len(d.Body), len(want)))
		}
		var p wire.Properties
		if err := p.Decode(d.Props); err != nil || p.MessageID != fmt.Sprint(i) {
			bad.Store(fmt.Sprintf("message %d: properties %+v, %v", i, p, err))
		}
		if err := cch.Ack(d.Tag, false); err != nil {
			bad.Store(err.Error())
		}
		if got.Add(1) == n {
			close(done)
		}
	}})
	if err := cch.Consume(q, "c1", false, false, nil); err != nil {
		t.Fatal(err)
	}

	pc := dial(t, uri, amqpc.Config{FrameMax: 4096})
	pch := channel(t, pc)
	var acked, nacked atomic.Int64
	var last atomic.Uint64
	pch.SetHandlers(amqpc.Handlers{Confirm: func(tag uint64, multiple, ack bool) {
		k := int64(1)
		if multiple {
			k = int64(tag - last.Load())
		}
		if tag > last.Load() {
			last.Store(tag)
		}
		if ack {
			acked.Add(k)
		} else {
			nacked.Add(k)
		}
	}})
	if err := pch.Confirm(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := wire.Properties{MessageID: fmt.Sprint(i)}
		p.Set(wire.FlagMessageID)
		seq, err := pch.Publish("", q, false, p.Append(nil), body(i))
		if err != nil {
			t.Fatal(err)
		}
		if seq != uint64(i+1) {
			t.Fatalf("publish %d got sequence %d", i, seq)
		}
	}
	if err := pch.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("received %d of %d", got.Load(), n)
	}
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for acked.Load()+nacked.Load() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if acked.Load() != n || nacked.Load() != 0 {
		t.Fatalf("confirms: %d acked, %d nacked, want %d acked", acked.Load(), nacked.Load(), n)
	}
	// The acks were flushed by the reader: the queue is empty (checked
	// with a passive declare through amqp091-go, an independent client).
	conn, err := amqp.Dial(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, _ := conn.Channel()
	deadline = time.Now().Add(5 * time.Second)
	for {
		info, err := ch.QueueDeclarePassive(q, false, false, true, false, nil)
		if err != nil {
			// exclusive to the consumer's connection: RabbitMQ refuses the
			// passive declare (405); that alone says the queue exists.
			break
		}
		if info.Messages == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still in the queue after all acks", info.Messages)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Wrong credentials are the broker's ACCESS_REFUSED, not a bare EOF.
func TestAccessRefused(t *testing.T) {
	uri := brokerURI(t)
	_, err := amqpc.Dial(strings.Replace(uri, "guest:guest", "guest:wrong", 1), amqpc.Config{})
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.AccessRefused {
		t.Fatalf("err = %v, want ACCESS_REFUSED (403)", err)
	}
}

// A channel error ends that channel with the broker's code; the
// connection and its other channels go on.
func TestChannelErrorKeepsConnection(t *testing.T) {
	uri := brokerURI(t)
	c := dial(t, uri, amqpc.Config{})
	ch := channel(t, c)
	err := ch.Consume("no-such-queue-"+queueName(t), "", false, false, nil)
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.NotFound || !ae.Server {
		t.Fatalf("consume from a missing queue: %v, want NOT_FOUND from the broker", err)
	}
	select {
	case <-ch.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("channel not ended")
	}
	if _, err := ch.Publish("", "x", false, nil, nil); err == nil {
		t.Fatal("publish on a closed channel succeeded")
	}
	ch2 := channel(t, c)
	if _, err := ch2.QueueDeclare("", false, true, true, nil); err != nil {
		t.Fatalf("a new channel on the same connection: %v", err)
	}
	if c.Err() != nil {
		t.Fatalf("connection ended: %v", c.Err())
	}
	if err := ch2.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// A mandatory message nobody can take comes back as basic.return (312);
// with confirms it is still acked, after the return.
func TestMandatoryReturn(t *testing.T) {
	uri := brokerURI(t)
	c := dial(t, uri, amqpc.Config{})
	ch := channel(t, c)
	var mu sync.Mutex
	var events []string
	got := make(chan struct{}, 2)
	ch.SetHandlers(amqpc.Handlers{
		Return: func(code uint16, text string) {
			mu.Lock()
			events = append(events, fmt.Sprintf("return %d %s", code, text))
			mu.Unlock()
			got <- struct{}{}
		},
		Confirm: func(tag uint64, multiple, ack bool) {
			mu.Lock()
			events = append(events, fmt.Sprintf("confirm %d %v", tag, ack))
			mu.Unlock()
			got <- struct{}{}
		},
	})
	if err := ch.Confirm(); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Publish("amq.direct", "nobody-"+queueName(t), true, nil, []byte("lost")); err != nil {
		t.Fatal(err)
	}
	if err := ch.Flush(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("events so far: %q (connection: %v, channel: %v)", events, c.Err(), ch.Err())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0] != "return 312 NO_ROUTE" || events[1] != "confirm 1 true" {
		t.Fatalf("events %q, want the return (312 NO_ROUTE) then the ack", events)
	}
}

// Heartbeats keep an idle connection open past twice the interval, the
// point where the broker would drop a silent client.
func TestHeartbeatsKeepIdleConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 3 s")
	}
	uri := brokerURI(t)
	c := dial(t, uri, amqpc.Config{Heartbeat: time.Second})
	if c.Heartbeat() != time.Second {
		t.Fatalf("heartbeat %v, want 1s", c.Heartbeat())
	}
	ch := channel(t, c)
	time.Sleep(3500 * time.Millisecond)
	if _, err := ch.QueueDeclare("", false, true, true, nil); err != nil {
		t.Fatalf("after 3.5 s idle: %v (connection: %v)", err, c.Err())
	}
}

// The broker cancelling a consumer (its queue deleted) reaches the
// Cancel handler.
func TestBrokerCancel(t *testing.T) {
	uri := brokerURI(t)
	c := dial(t, uri, amqpc.Config{})
	ch := channel(t, c)
	q, err := ch.QueueDeclare(queueName(t), false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	cancelled := make(chan string, 1)
	ch.SetHandlers(amqpc.Handlers{Cancel: func(tag string) { cancelled <- tag }})
	if err := ch.Consume(q, "ctag", true, false, nil); err != nil {
		t.Fatal(err)
	}
	conn, err := amqp.Dial(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	other, _ := conn.Channel()
	if _, err := other.QueueDelete(q, false, false, false); err != nil {
		t.Fatal(err)
	}
	select {
	case tag := <-cancelled:
		if tag != "ctag" {
			t.Fatalf("cancelled %q, want ctag", tag)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no basic.cancel")
	}
}

// A broker closing the connection (here: shutting down) is reported with
// its reply code, and every channel ends.
func TestBrokerClosesConnection(t *testing.T) {
	if os.Getenv("AMQPC_TEST_URL") != "" {
		t.Skip("needs the embedded broker")
	}
	_, addr, stop := testbroker.Start(t, warren.Config{}, nil)
	c := dial(t, testbroker.URI(addr), amqpc.Config{})
	ch := channel(t, c)
	stop()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not ended")
	}
	if e := c.Err(); e == nil || e.Code != amqp.ConnectionForced {
		t.Fatalf("err %v, want CONNECTION_FORCED (320)", e)
	}
	<-ch.Done()
	if e := ch.Err(); e == nil || e.Code != amqp.ConnectionForced {
		t.Fatalf("channel err %v, want the connection's 320", e)
	}
}

// amqps: the TLS handshake with the CA from the URI's cacertfile, then
// the same protocol; a server certificate the CA did not sign is refused.
func TestTLS(t *testing.T) {
	if os.Getenv("AMQPC_TEST_URL") != "" {
		t.Skip("needs the embedded broker")
	}
	dir := t.TempDir()
	cert, key := dir+"/cert.pem", dir+"/key.pem"
	testcert.WriteSelfSigned(t, cert, key, "amqpc-test")
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	_, addr, _ := testbroker.Start(t, warren.Config{}, func(l net.Listener) net.Listener {
		return tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{pair}})
	})
	uri := fmt.Sprintf("amqps://guest:guest@%s/?cacertfile=%s", addr, cert)
	c := dial(t, uri, amqpc.Config{})
	ch := channel(t, c)
	q, err := ch.QueueDeclare("", false, true, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	ch.SetHandlers(amqpc.Handlers{Deliver: func(d *amqpc.Delivery) { got <- string(d.Body) }})
	if err := ch.Consume(q, "", true, false, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Publish("", q, false, nil, []byte("over tls")); err != nil {
		t.Fatal(err)
	}
	if err := ch.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case b := <-got:
		if b != "over tls" {
			t.Fatalf("got %q", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery over TLS")
	}
	// Without the CA the certificate is unknown: the handshake fails.
	if _, err := amqpc.Dial(fmt.Sprintf("amqps://guest:guest@%s/", addr), amqpc.Config{ConnectTimeout: 2 * time.Second}); err == nil {
		t.Fatal("a certificate from an unknown CA was accepted")
	}
}
