package e2e

// Hostile method and content sequences on an open connection. Expected
// replies are RabbitMQ 3.10's.

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// rawMethodFrame builds a method frame from raw class/method ids and args.
func rawMethodFrame(ch uint16, classID, methodID uint16, args []byte) []byte {
	p := binary.BigEndian.AppendUint16(nil, classID)
	p = binary.BigEndian.AppendUint16(p, methodID)
	return wire.AppendFrame(nil, wire.FrameMethod, ch, append(p, args...))
}

func TestRawUnknownMethod(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, tc := range []struct {
		name              string
		ch                uint16
		classID, methodID uint16
	}{
		{"unknown-class-on-channel", 1, 99, 10},
		{"unknown-method-of-basic", 1, wire.ClassBasic, 99},
		{"unknown-method-of-connection", 0, wire.ClassConnection, 99},
		{"unknown-class-on-channel-0", 0, 1234, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawOpen(t, b)
			c.openChannel(1)
			c.mustSend(rawMethodFrame(tc.ch, tc.classID, tc.methodID, []byte{0, 0, 0, 0}))
			// RabbitMQ 3.10's reader crashes on an unknown method id
			// ({unknown_method_id,{60,99}}): the socket closes at once,
			// without a connection.close. Warren answers as the spec
			// asks for functionality it lacks: 540 NOT_IMPLEMENTED.
			if b.external() {
				c.expectEOF()
				return
			}
			c.expectConnectionClose(wire.NotImplemented)
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

// Arguments that run past the end of the frame.
func TestRawTruncatedArguments(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, tc := range []struct {
		name string
		ch   uint16
		p    []byte
		code uint16
	}{
		// queue.declare: reserved short, then a shortstr claiming 200 bytes.
		{"queue.declare-shortstr", 1, rawMethodFrame(1, wire.ClassQueue, 10, []byte{0, 0, 200, 'a', 'b'}), wire.FrameError},
		// queue.declare whose arguments table claims 1000 bytes.
		{"queue.declare-table", 1, rawMethodFrame(1, wire.ClassQueue, 10, []byte{0, 0, 1, 'q', 0, 0, 0, 3, 0xe8}), wire.FrameError},
		// basic.publish with no arguments at all.
		{"basic.publish-empty", 1, rawMethodFrame(1, wire.ClassBasic, 40, nil), wire.FrameError},
		// A method frame too short to hold class and method ids.
		{"method-ids", 1, wire.AppendFrame(nil, wire.FrameMethod, 1, []byte{0, 50}), wire.FrameError},
		// connection.close on channel 0 with a truncated reply text:
		// RabbitMQ 3.10 answers 541 INTERNAL_ERROR (its handler crashes);
		// Warren treats it like every other malformed frame (501).
		{"connection.close-shortstr", 0, rawMethodFrame(0, wire.ClassConnection, 50, []byte{0, 200, 50, 'x'}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawOpen(t, b)
			c.openChannel(1)
			c.mustSend(tc.p)
			code := tc.code
			if code == 0 {
				code = wire.FrameError
				if b.external() {
					code = wire.InternalError
				}
			}
			c.expectConnectionClose(code)
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

func TestRawChannelMisuse(t *testing.T) {
	t.Parallel()
	b := start(t)
	t.Run("method-on-unopened-channel", func(t *testing.T) {
		t.Parallel()
		c := rawOpen(t, b)
		c.sendMethod(7, &wire.QueueDeclare{Exclusive: true})
		c.expectConnectionClose(wire.ChannelError)
	})
	t.Run("close-on-unopened-channel", func(t *testing.T) {
		t.Parallel()
		c := rawOpen(t, b)
		c.sendMethod(7, &wire.ChannelClose{ReplyCode: wire.ReplySuccess})
		c.expectConnectionClose(wire.ChannelError)
	})
	t.Run("open-twice", func(t *testing.T) {
		t.Parallel()
		c := rawOpen(t, b)
		c.openChannel(1)
		c.sendMethod(1, &wire.ChannelOpen{})
		c.expectConnectionClose(wire.ChannelError)
	})
	// RabbitMQ 3.10 enforces channel_max as a count of open channels, not
	// as the highest channel number: any number is accepted while fewer
	// than channel_max channels are open.
	t.Run("channel-number-above-channel-max", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		tune := c.startHandshake()
		c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: 10, FrameMax: tune.FrameMax})
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
		expectMethod[*wire.ConnectionOpenOk](c, 0)
		for _, ch := range []uint16{10, 11, tune.ChannelMax + 1, 65535} {
			c.openChannel(ch)
		}
		c.expectAlive()
	})
	t.Run("more-channels-than-channel-max", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		tune := c.startHandshake()
		c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: 3, FrameMax: tune.FrameMax})
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
		expectMethod[*wire.ConnectionOpenOk](c, 0)
		for ch := uint16(1); ch <= 3; ch++ {
			c.openChannel(ch)
		}
		c.sendMethod(4, &wire.ChannelOpen{})
		c.expectConnectionClose(wire.NotAllowed)
	})
	t.Cleanup(func() { assertHealthy(t, b) })
}

// Content frames out of place.
func TestRawContentMisuse(t *testing.T) {
	t.Parallel()
	b := start(t)
	header := func(size uint64) []byte { return wire.AppendHeaderFrame(nil, 1, wire.ClassBasic, size, []byte{0, 0}) }
	publish := wire.AppendMethodFrame(nil, 1, &wire.BasicPublish{RoutingKey: "raw-content-misuse"})
	cat := func(ps ...[]byte) []byte {
		var out []byte
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		p    []byte
		code uint16
	}{
		{"header-without-publish", header(3), wire.UnexpectedFrame},
		{"body-without-header", wire.AppendFrame(nil, wire.FrameBody, 1, []byte("abc")), wire.UnexpectedFrame},
		{"body-after-publish-without-header", cat(publish, wire.AppendFrame(nil, wire.FrameBody, 1, []byte("abc"))), wire.UnexpectedFrame},
		{"method-instead-of-header", cat(publish, wire.AppendMethodFrame(nil, 1, &wire.BasicQos{PrefetchCount: 1})), wire.UnexpectedFrame},
		{"method-instead-of-body", cat(publish, header(10), wire.AppendFrame(nil, wire.FrameBody, 1, []byte("abc")),
			wire.AppendMethodFrame(nil, 1, &wire.BasicQos{PrefetchCount: 1})), wire.UnexpectedFrame},
		// RabbitMQ 3.10 does not notice a body longer than declared: its
		// remaining size goes negative and it keeps waiting for body
		// frames, so the method that follows is the unexpected frame.
		// Warren refuses the oversized body frame itself (501).
		{"body-larger-than-declared", cat(publish, header(3), wire.AppendFrame(nil, wire.FrameBody, 1, []byte("abcdef")),
			wire.AppendMethodFrame(nil, 1, &wire.BasicQos{PrefetchCount: 1})), 0},
		{"second-body-past-size", cat(publish, header(3), wire.AppendFrame(nil, wire.FrameBody, 1, []byte("ab")),
			wire.AppendFrame(nil, wire.FrameBody, 1, []byte("cd")), wire.AppendMethodFrame(nil, 1, &wire.BasicQos{PrefetchCount: 1})), 0},
		{"header-on-other-channel", cat(publish, wire.AppendHeaderFrame(nil, 2, wire.ClassBasic, 3, []byte{0, 0})), wire.UnexpectedFrame},
		{"header-wrong-class", cat(publish, wire.AppendHeaderFrame(nil, 1, wire.ClassQueue, 3, []byte{0, 0})), wire.UnexpectedFrame},
		{"header-on-channel-0", wire.AppendHeaderFrame(nil, 0, wire.ClassBasic, 3, []byte{0, 0}), wire.UnexpectedFrame},
		{"body-on-channel-0", wire.AppendFrame(nil, wire.FrameBody, 0, []byte("abc")), wire.UnexpectedFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawOpen(t, b)
			c.openChannel(1)
			c.openChannel(2)
			c.mustSend(tc.p)
			code := tc.code
			if code == 0 {
				code = wire.FrameError
				if b.external() {
					code = wire.UnexpectedFrame
				}
			}
			c.expectConnectionClose(code)
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

// A message one byte over the default max_message_size (128 MiB).
// RabbitMQ 3.10 does not look at the declared size: it assembles the whole
// body and then closes the channel with 406 (a header alone claiming 200 MiB
// gets no reply at all). So the body is streamed in full while the reply is
// awaited; a broker that refuses as soon as it sees the header must then
// discard the rest of the channel's frames until close-ok, as the spec says.
func TestRawContentHeaderOverMaxMessageSize(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpen(t, b)
	c.openChannel(1)
	const size = 128<<20 + 1
	p := wire.AppendMethodFrame(nil, 1, &wire.BasicPublish{RoutingKey: "raw-too-big"})
	p = wire.AppendHeaderFrame(p, 1, wire.ClassBasic, size, []byte{0, 0})
	c.mustSend(p)
	written := make(chan error, 1)
	go func() {
		chunk := wire.AppendBodyFrames(nil, 1, make([]byte, 4<<20), c.frameMax)
		for sent := 0; sent < size; {
			n := min(4<<20, size-sent)
			if n < 4<<20 {
				chunk = wire.AppendBodyFrames(nil, 1, make([]byte, n), c.frameMax)
			}
			_ = c.nc.SetWriteDeadline(time.Now().Add(20 * time.Second))
			if _, err := c.nc.Write(chunk); err != nil {
				written <- err
				return
			}
			sent += n
		}
		written <- nil
	}()
	r, err := c.next(30 * time.Second)
	if err != nil {
		t.Fatalf("want channel.close 406, got %v", err)
	}
	cc, ok := r.m.(*wire.ChannelClose)
	if !ok || r.ch != 1 || cc.ReplyCode != wire.PreconditionFailed {
		t.Fatalf("want channel.close 406 on channel 1, got %v", r)
	}
	t.Logf("got %v", r)
	if err := <-written; err != nil {
		t.Fatalf("writing the body: %v", err)
	}
	c.sendMethod(1, &wire.ChannelCloseOk{})
	c.expectAlive()
	assertHealthy(t, b)
}

// The same with Warren's limit configured small, and a complete message.
func TestRawBodyOverConfiguredMaxMessageSize(t *testing.T) {
	t.Parallel()
	b := start(t, func(c *warren.Config) { c.MaxMessageSize = 1024 })
	c := rawOpen(t, b)
	c.openChannel(1)
	c.mustSend(rawPublishFrames(1, "", "raw-too-big", make([]byte, 1025), c.frameMax))
	c.expectChannelClose(1, wire.PreconditionFailed)
	// A message at the limit is still fine on a new channel.
	c.openChannel(2)
	c.sendMethod(2, &wire.QueueDeclare{Exclusive: true})
	q := expectMethod[*wire.QueueDeclareOk](c, 2)
	c.mustSend(rawPublishFrames(2, "", q.Queue, make([]byte, 1024), c.frameMax))
	c.sendMethod(2, &wire.BasicGet{Queue: q.Queue, NoAck: true})
	expectMethod[*wire.BasicGetOk](c, 2)
	c.expectAlive()
	assertHealthy(t, b)
}

func TestRawConnectionMethodOnChannel(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, m := range []wire.Method{
		&wire.ConnectionOpen{VirtualHost: "/"},
		&wire.ConnectionTuneOk{ChannelMax: 10, FrameMax: 4096},
		&wire.ConnectionClose{ReplyCode: wire.ReplySuccess},
	} {
		t.Run(m.Name(), func(t *testing.T) {
			t.Parallel()
			c := rawOpen(t, b)
			c.openChannel(1)
			c.sendMethod(1, m)
			c.expectConnectionClose(wire.CommandInvalid)
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

func TestRawChannelMethodOnChannelZero(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, m := range []wire.Method{
		&wire.BasicPublish{RoutingKey: "raw-ch0"},
		&wire.BasicQos{PrefetchCount: 1},
		&wire.QueueDeclare{Exclusive: true},
		&wire.ChannelOpen{},
	} {
		t.Run(m.Name(), func(t *testing.T) {
			t.Parallel()
			c := rawOpen(t, b)
			c.sendMethod(0, m)
			c.expectConnectionClose(wire.ChannelError) // RabbitMQ: 504 "unexpected method in connection state running"
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}
