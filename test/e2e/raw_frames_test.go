package e2e

// Hostile framing: bad protocol headers, garbage, truncated, oversized and
// malformed frames. Expected replies are RabbitMQ 3.10's.

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// expectHeaderRefusal checks that the server answers with its own protocol
// header and closes the socket at once (RabbitMQ does so immediately).
func expectHeaderRefusal(t *testing.T, c *rawConn) {
	t.Helper()
	const within = time.Second
	got, closed := c.readRaw(within)
	if !bytes.Equal(got, wire.ProtocolHeader[:]) {
		t.Errorf("want the server's protocol header %q, got %q", wire.ProtocolHeader[:], got)
	}
	if !closed {
		t.Errorf("socket not closed within %v of the refusal", within)
	}
}

func TestRawBadProtocolHeader(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, tc := range []struct{ name, header string }{
		{"amqp-0-9-0", "AMQP\x00\x00\x09\x00"},
		{"http", "HTTP/1.1"},
		{"amqp-1-1-0-10", "AMQP\x01\x01\x00\x0a"},
		{"amqp-0-10-0", "AMQP\x00\x00\x0a\x00"},
		// Garbage first, then a valid header: the first 8 bytes decide.
		{"garbage-before-header", "\x00\x01\x02\x03AMQP\x00\x00\x09\x01"},
		{"http-request", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawDial(t, b)
			c.mustSend([]byte(tc.header))
			expectHeaderRefusal(t, c)
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

// After a valid header the server sends connection.start; garbage instead
// of start-ok is an error during the handshake, which RabbitMQ answers by
// closing the socket without a connection.close (after a 3 s delay).
func TestRawGarbageAfterHeader(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, tc := range []struct {
		name    string
		garbage []byte
	}{
		{"random", []byte("\xde\xad\xbe\xef\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff")},
		{"text", []byte("hello, broker! this is not a frame at all\r\n")},
		{"second-header", wire.ProtocolHeader[:]},
		{"method-frame-bad-end", func() []byte {
			p := wire.AppendMethodFrame(nil, 0, rawStartOk("guest", "guest", rawClientProperties()))
			p[len(p)-1] = 0
			return p
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawDial(t, b)
			c.sendHeader()
			expectMethod[*wire.ConnectionStart](c, 0)
			_ = c.send(tc.garbage)
			c.expectEOF()
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

// A frame cut short and then EOF: nothing to reply to, the server just has
// to clean up. (The harness exposes no connection count; the goroutine
// check in TestRawNoGoroutineLeak covers leaks on Warren.)
func TestRawTruncatedFrameThenEOF(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, cut := range []int{1, 3, 7, 10} {
		c := rawOpen(t, b)
		c.openChannel(1)
		p := wire.AppendMethodFrame(nil, 1, &wire.QueueDeclare{Queue: "raw-truncated", Exclusive: true})
		c.mustSend(p[:cut])
		if tc, ok := c.nc.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		c.expectEOF()
	}
	assertHealthy(t, b)
}

func TestRawBadFrameEnd(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpen(t, b)
	c.openChannel(1)
	p := wire.AppendMethodFrame(nil, 1, &wire.QueueDeclare{Exclusive: true})
	p[len(p)-1] = 0xcd
	c.mustSend(p)
	c.expectConnectionClose(wire.FrameError)
	assertHealthy(t, b)
}

func TestRawUnknownFrameType(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, typ := range []uint8{5, 0, 9, 0xff} {
		c := rawOpen(t, b)
		c.mustSend(wire.AppendFrame(nil, typ, 0, []byte{1, 2, 3, 4}))
		c.expectConnectionClose(wire.FrameError)
	}
	assertHealthy(t, b)
}

// A frame header that claims far more than frame_max must be refused at
// once, without waiting for (or allocating) the payload.
func TestRawFrameLargerThanFrameMax(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, size := range []uint32{1 << 30, 0xffffffff} {
		c := rawOpen(t, b)
		c.openChannel(1)
		hdr := []byte{wire.FrameBody, 0, 1, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(hdr[3:], size)
		c.mustSend(append(hdr, "just a few bytes"...))
		c.expectConnectionClose(wire.FrameError)
	}
	// Over the negotiated frame_max, with the whole frame sent. RabbitMQ
	// allows 8 bytes of slack (its FRAME_SIZE_FUDGE: a frame of up to
	// frame_max+8 octets passes), so go one byte past that.
	c := rawOpen(t, b)
	c.openChannel(1)
	method := wire.AppendMethodFrame(nil, 1, &wire.BasicPublish{RoutingKey: "raw-too-large"})
	header := wire.AppendHeaderFrame(nil, 1, wire.ClassBasic, 2*uint64(c.frameMax), []byte{0, 0})
	body := wire.AppendFrame(nil, wire.FrameBody, 1, make([]byte, c.frameMax+1))
	c.mustSend(append(append(method, header...), body...))
	c.expectConnectionClose(wire.FrameError)
	assertHealthy(t, b)
}

func TestRawHeartbeatOnNonZeroChannel(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpen(t, b)
	c.openChannel(1)
	c.mustSend([]byte{wire.FrameHeartbeat, 0, 1, 0, 0, 0, 0, wire.FrameEnd})
	c.expectConnectionClose(wire.UnexpectedFrame) // RabbitMQ: 505, not 501
	assertHealthy(t, b)
}

// A heartbeat that carries a payload is malformed.
func TestRawHeartbeatWithPayload(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpen(t, b)
	c.mustSend(wire.AppendFrame(nil, wire.FrameHeartbeat, 0, []byte("boom")))
	c.expectConnectionClose(wire.FrameError)
	assertHealthy(t, b)
}

// A whole session written one byte at a time: handshake, declare, publish
// and get must all work however TCP splits the stream.
func TestRawOneByteAtATime(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawDial(t, b)
	drip := func(p []byte) {
		t.Helper()
		for i := range p {
			c.mustSend(p[i : i+1])
			if i%16 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}
	drip(wire.ProtocolHeader[:])
	expectMethod[*wire.ConnectionStart](c, 0)
	drip(wire.AppendMethodFrame(nil, 0, rawStartOk("guest", "guest", rawClientProperties())))
	tune := expectMethod[*wire.ConnectionTune](c, 0)
	c.frameMax = tune.FrameMax
	drip(wire.AppendMethodFrame(nil, 0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax}))
	drip(wire.AppendMethodFrame(nil, 0, &wire.ConnectionOpen{VirtualHost: "/"}))
	expectMethod[*wire.ConnectionOpenOk](c, 0)
	drip(wire.AppendMethodFrame(nil, 1, &wire.ChannelOpen{}))
	expectMethod[*wire.ChannelOpenOk](c, 1)
	drip(wire.AppendMethodFrame(nil, 1, &wire.QueueDeclare{Exclusive: true}))
	q := expectMethod[*wire.QueueDeclareOk](c, 1)
	body := bytes.Repeat([]byte("fragmented "), 20)
	drip(rawPublishFrames(1, "", q.Queue, body, c.frameMax))
	drip(wire.AppendMethodFrame(nil, 1, &wire.BasicGet{Queue: q.Queue, NoAck: true}))
	expectMethod[*wire.BasicGetOk](c, 1)
	// The content follows get-ok: header, then the body.
	f, err := c.nextFrame(rawReplyTimeout)
	if err != nil || f.Type != wire.FrameHeader {
		t.Fatalf("want content header, got type %d, %v", f.Type, err)
	}
	var got []byte
	for len(got) < len(body) {
		f, err := c.nextFrame(rawReplyTimeout)
		if err != nil || f.Type != wire.FrameBody {
			t.Fatalf("want body frame, got type %d, %v", f.Type, err)
		}
		got = append(got, f.Payload...)
	}
	if !bytes.Equal(got, body) {
		t.Fatalf("body: got %q", got)
	}
	// After close-ok it is the client's turn to close the socket.
	drip(wire.AppendMethodFrame(nil, 0, &wire.ConnectionClose{ReplyCode: wire.ReplySuccess}))
	expectMethod[*wire.ConnectionCloseOk](c, 0)
	assertHealthy(t, b)
}
