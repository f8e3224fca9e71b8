package e2e

// A deliberately small AMQP 0-9-1 client that speaks raw frames, for tests
// that play a hostile or broken peer. It builds frames with the wire codec
// and reads the broker's replies with a deadline, so that no test can hang
// on a broker that never answers.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

const (
	// rawReplyTimeout bounds the wait for any single reply from the broker.
	rawReplyTimeout = 5 * time.Second
	// rawCloseTimeout bounds the wait for the broker to close the socket.
	// RabbitMQ waits 3 s (its SILENT_CLOSE_DELAY) before it drops a peer
	// that failed during the handshake, hence the margin.
	rawCloseTimeout = 6 * time.Second
)

// rawConn is one raw client connection.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	fr *wire.FrameReader

	// Negotiated in the handshake (the server's connection.tune values).
	channelMax uint16
	frameMax   uint32
	heartbeat  uint16
}

// rawMethod is one decoded method frame.
type rawMethod struct {
	ch uint16
	m  wire.Method
}

func (r rawMethod) String() string {
	switch m := r.m.(type) {
	case *wire.ConnectionClose:
		return fmt.Sprintf("ch%d connection.close %d %q (class %d method %d)", r.ch, m.ReplyCode, m.ReplyText, m.FailingClassID, m.FailingMethodID)
	case *wire.ChannelClose:
		return fmt.Sprintf("ch%d channel.close %d %q (class %d method %d)", r.ch, m.ReplyCode, m.ReplyText, m.FailingClassID, m.FailingMethodID)
	case nil:
		return "<none>"
	}
	return fmt.Sprintf("ch%d %s", r.ch, r.m.Name())
}

// rawDial opens a TCP connection and sends nothing.
func rawDial(t testing.TB, b *broker) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", b.addr, rawReplyTimeout)
	if err != nil {
		t.Fatalf("raw dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, fr: wire.NewFrameReader(nc, 0)}
}

// rawOpen dials and completes the handshake with default tuning.
func rawOpen(t testing.TB, b *broker) *rawConn {
	t.Helper()
	c := rawDial(t, b)
	c.handshake()
	return c
}

// send writes raw bytes. Write errors are returned, not fatal: a broker may
// legitimately close the socket while a hostile peer is still writing.
func (c *rawConn) send(p []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(rawReplyTimeout))
	_, err := c.nc.Write(p)
	return err
}

// mustSend writes raw bytes and fails the test on error.
func (c *rawConn) mustSend(p []byte) {
	c.t.Helper()
	if err := c.send(p); err != nil {
		c.t.Fatalf("raw write: %v", err)
	}
}

// sendMethod writes one method frame.
func (c *rawConn) sendMethod(ch uint16, m wire.Method) {
	c.t.Helper()
	c.mustSend(wire.AppendMethodFrame(nil, ch, m))
}

// clientProperties is what the raw client announces in start-ok.
func rawClientProperties() wire.Table {
	return wire.Table{
		"product": "warren-e2e-raw",
		"capabilities": wire.Table{
			"authentication_failure_close": true,
			"consumer_cancel_notify":       true,
			"publisher_confirms":           true,
			"basic.nack":                   true,
			"connection.blocked":           true,
		},
	}
}

func rawStartOk(user, pass string, props wire.Table) *wire.ConnectionStartOk {
	return &wire.ConnectionStartOk{
		ClientProperties: props,
		Mechanism:        "PLAIN",
		Response:         "\x00" + user + "\x00" + pass,
		Locale:           "en_US",
	}
}

// sendHeader writes the AMQP 0-9-1 protocol header.
func (c *rawConn) sendHeader() {
	c.t.Helper()
	c.mustSend(wire.ProtocolHeader[:])
}

// startHandshake sends the header and start-ok and returns the server's
// connection.tune, recording its values.
func (c *rawConn) startHandshake() *wire.ConnectionTune {
	c.t.Helper()
	c.sendHeader()
	expectMethod[*wire.ConnectionStart](c, 0)
	c.sendMethod(0, rawStartOk("guest", "guest", rawClientProperties()))
	tune := expectMethod[*wire.ConnectionTune](c, 0)
	c.channelMax, c.frameMax, c.heartbeat = tune.ChannelMax, tune.FrameMax, tune.Heartbeat
	return tune
}

// handshake runs the whole handshake: tune-ok echoes the server's values
// except for heartbeats, which are disabled so idle tests are not closed.
func (c *rawConn) handshake() {
	c.t.Helper()
	tune := c.startHandshake()
	c.heartbeat = 0
	c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax})
	c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
	expectMethod[*wire.ConnectionOpenOk](c, 0)
}

// openChannel opens channel ch and waits for open-ok.
func (c *rawConn) openChannel(ch uint16) {
	c.t.Helper()
	c.sendMethod(ch, &wire.ChannelOpen{})
	expectMethod[*wire.ChannelOpenOk](c, ch)
}

// rawIsClosed reports whether err means the peer closed the socket.
func rawIsClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// nextFrame reads one frame within timeout. A closed socket is io.EOF.
func (c *rawConn) nextFrame(timeout time.Duration) (wire.Frame, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	f, err := c.fr.ReadFrame()
	if err != nil {
		if rawIsClosed(err) {
			return f, io.EOF
		}
		return f, err
	}
	f.Payload = append([]byte(nil), f.Payload...)
	return f, nil
}

// next returns the next method, skipping heartbeats and content frames,
// or io.EOF once the server has closed the socket. Other errors (a
// timeout, a frame the codec rejects) are returned as they are.
func (c *rawConn) next(timeout time.Duration) (rawMethod, error) {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return rawMethod{}, fmt.Errorf("no method within %v: %w", timeout, os.ErrDeadlineExceeded)
		}
		f, err := c.nextFrame(left)
		if err != nil {
			return rawMethod{}, err
		}
		if f.Type != wire.FrameMethod {
			continue
		}
		m, err := wire.DecodeMethod(f.Payload)
		if err != nil {
			return rawMethod{}, fmt.Errorf("decoding server method: %w", err)
		}
		return rawMethod{ch: f.Channel, m: m}, nil
	}
}

// expectMethod reads the next method and fails unless it is a T on ch.
func expectMethod[T wire.Method](c *rawConn, ch uint16) T {
	c.t.Helper()
	r, err := c.next(rawReplyTimeout)
	if err != nil {
		var zero T
		c.t.Fatalf("waiting for %T on channel %d: %v", zero, ch, err)
	}
	m, ok := r.m.(T)
	if !ok || r.ch != ch {
		var zero T
		c.t.Fatalf("want %T on channel %d, got %v", zero, ch, r)
	}
	return m
}

// expectConnectionClose reads until connection.close, checks its code,
// answers close-ok and expects the socket to be closed.
func (c *rawConn) expectConnectionClose(code uint16) *wire.ConnectionClose {
	c.t.Helper()
	for {
		r, err := c.next(rawReplyTimeout)
		if err != nil {
			c.t.Fatalf("want connection.close %d, got %v", code, err)
		}
		cc, ok := r.m.(*wire.ConnectionClose)
		if !ok {
			c.t.Logf("skipping %v while waiting for connection.close", r)
			continue
		}
		if r.ch != 0 || cc.ReplyCode != code {
			c.t.Fatalf("want connection.close %d on channel 0, got %v", code, r)
		}
		c.t.Logf("got %v", r)
		_ = c.send(wire.AppendMethodFrame(nil, 0, &wire.ConnectionCloseOk{}))
		c.expectEOF()
		return cc
	}
}

// expectChannelClose reads until channel.close on ch, checks its code and
// answers close-ok. The connection stays usable.
func (c *rawConn) expectChannelClose(ch uint16, code uint16) *wire.ChannelClose {
	c.t.Helper()
	for {
		r, err := c.next(rawReplyTimeout)
		if err != nil {
			c.t.Fatalf("want channel.close %d on channel %d, got %v", code, ch, err)
		}
		cc, ok := r.m.(*wire.ChannelClose)
		if !ok {
			if _, isConnClose := r.m.(*wire.ConnectionClose); isConnClose {
				c.t.Fatalf("want channel.close %d on channel %d, got %v", code, ch, r)
			}
			c.t.Logf("skipping %v while waiting for channel.close", r)
			continue
		}
		if r.ch != ch || cc.ReplyCode != code {
			c.t.Fatalf("want channel.close %d on channel %d, got %v", code, ch, r)
		}
		c.t.Logf("got %v", r)
		c.sendMethod(ch, &wire.ChannelCloseOk{})
		return cc
	}
}

// expectEOF expects the server to close the socket (after at most
// heartbeats) within rawCloseTimeout.
func (c *rawConn) expectEOF() {
	c.t.Helper()
	c.expectEOFWithin(rawCloseTimeout)
}

func (c *rawConn) expectEOFWithin(d time.Duration) {
	c.t.Helper()
	for {
		f, err := c.nextFrame(d)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			c.t.Fatalf("want the socket closed within %v, got %v", d, err)
		}
		if f.Type == wire.FrameHeartbeat {
			continue
		}
		m, _ := wire.DecodeMethod(f.Payload)
		c.t.Fatalf("want the socket closed, got frame type %d on channel %d: %v", f.Type, f.Channel, rawMethod{ch: f.Channel, m: m})
	}
}

// expectAlive checks the connection still works after a soft error: a
// clean connection.close must be answered with close-ok.
func (c *rawConn) expectAlive() {
	c.t.Helper()
	c.sendMethod(0, &wire.ConnectionClose{ReplyCode: wire.ReplySuccess, ReplyText: "bye"})
	expectMethod[*wire.ConnectionCloseOk](c, 0)
}

// readRaw reads bytes until the socket closes or timeout, returning them
// and whether the socket was closed.
func (c *rawConn) readRaw(timeout time.Duration) ([]byte, bool) {
	var out []byte
	buf := make([]byte, 512)
	deadline := time.Now().Add(timeout)
	for {
		_ = c.nc.SetReadDeadline(deadline)
		n, err := c.nc.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, rawIsClosed(err)
		}
	}
}

// rawPublishFrames returns basic.publish + header + body on ch.
func rawPublishFrames(ch uint16, exchange, key string, body []byte, frameMax uint32) []byte {
	p := wire.AppendMethodFrame(nil, ch, &wire.BasicPublish{Exchange: exchange, RoutingKey: key})
	p = wire.AppendHeaderFrame(p, ch, wire.ClassBasic, uint64(len(body)), []byte{0, 0})
	return wire.AppendBodyFrames(p, ch, body, frameMax)
}

// assertHealthy checks that an ordinary amqp091-go client can still
// declare, publish and consume on b.
func assertHealthy(t testing.TB, b *broker) {
	t.Helper()
	conn, err := amqp.Dial(b.url)
	if err != nil {
		t.Fatalf("healthy client: dial: %v", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("healthy client: channel: %v", err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatalf("healthy client: declare: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), rawReplyTimeout)
	defer cancel()
	if err := ch.PublishWithContext(ctx, "", q.Name, false, false, amqp.Publishing{Body: []byte("healthy")}); err != nil {
		t.Fatalf("healthy client: publish: %v", err)
	}
	ds, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatalf("healthy client: consume: %v", err)
	}
	select {
	case d, ok := <-ds:
		if !ok || string(d.Body) != "healthy" {
			t.Fatalf("healthy client: got %q (open %v)", d.Body, ok)
		}
	case <-time.After(rawReplyTimeout):
		t.Fatal("healthy client: no delivery")
	}
}

// rawEmbedded reports whether b is the embedded Warren (not an external
// broker from WARREN_E2E_URL).
func (b *broker) rawEmbedded() bool { return b.srv != nil }
