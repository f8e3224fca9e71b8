package amqpc

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// discardConn is a net.Conn that accepts every write: the replies a
// channel sends (close-ok, flow-ok) go nowhere.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzChannelFrames feeds a channel arbitrary frames from a "broker": the
// hand-written fast paths (basic.deliver, basic.ack/nack) and the content
// assembly must reject what does not parse with an error, never panic or
// read out of bounds, and hand callbacks only well-formed deliveries.
// The input is a sequence of (type, length, payload) records.
func FuzzChannelFrames(f *testing.F) {
	frame := func(typ byte, payload []byte) []byte {
		b := []byte{typ}
		b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
		return append(b, payload...)
	}
	method := func(m wire.Method) []byte { return frame(wire.FrameMethod, m.Append(nil)) }
	header := func(size uint64) []byte {
		h := wire.AppendHeaderFrame(nil, 1, wire.ClassBasic, size, (&wire.Properties{}).Append(nil))
		return frame(wire.FrameHeader, h[7:len(h)-1])
	}
	var seed []byte
	seed = append(seed, method(&wire.BasicDeliver{ConsumerTag: "c", DeliveryTag: 7})...)
	seed = append(seed, header(5)...)
	seed = append(seed, frame(wire.FrameBody, []byte("he"))...)
	seed = append(seed, frame(wire.FrameBody, []byte("llo"))...)
	seed = append(seed, method(&wire.BasicAck{DeliveryTag: 3, Multiple: true})...)
	seed = append(seed, method(&wire.BasicNack{DeliveryTag: 4})...)
	seed = append(seed, method(&wire.BasicReturn{ReplyCode: 312, ReplyText: "NO_ROUTE"})...)
	seed = append(seed, header(0)...)
	seed = append(seed, method(&wire.ChannelFlow{Active: true})...)
	seed = append(seed, method(&wire.ChannelClose{ReplyCode: 404, ReplyText: "NOT_FOUND"})...)
	f.Add(seed)
	f.Add(method(&wire.BasicDeliver{}))
	f.Add(frame(wire.FrameMethod, []byte{0, 60, 0, 60, 200}))
	f.Add(frame(wire.FrameBody, []byte("stray")))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &Conn{nc: discardConn{}, chans: map[uint16]*Channel{}, done: make(chan struct{}), frameMax: 4096}
		ch := newChannel(c, 1)
		c.chans[1] = ch
		ch.SetHandlers(Handlers{
			Deliver: func(d *Delivery) {
				if d.Body == nil && d.Props == nil {
					t.Fatal("delivery without a header")
				}
			},
			Confirm: func(uint64, bool, bool) {},
			Return:  func(uint16, string) {},
			Cancel:  func(string) {},
		})
		for len(in) >= 3 {
			typ := in[0]
			n := int(binary.BigEndian.Uint16(in[1:]))
			in = in[3:]
			if n > len(in) {
				n = len(in)
			}
			payload := in[:n:n]
			in = in[n:]
			if err := ch.handle(wire.Frame{Type: typ, Channel: 1, Payload: payload}); err != nil {
				return // the connection would end here
			}
		}
	})
}
