package amqp091

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// closeTimeout bounds how long a connection waits for connection.close-ok
// (and for its writer to drain) once it has decided to close.
const closeTimeout = 3 * time.Second

// connState is the handshake position of a connection.
type connState int

const (
	stateStartOk connState = iota // sent start, awaiting start-ok
	stateTuneOk                   // sent tune, awaiting tune-ok
	stateOpen                     // awaiting connection.open
	stateRunning                  // open: channels may be used
	stateClosing                  // sent connection.close, awaiting close-ok
)

// readBufferStart is a connection's first read buffer. Most connections
// of a large fleet are idle consumers that read an ack or a heartbeat now
// and then; a busy peer grows the buffer (wire.BusyReadBufferSize), and a
// large frame grows it to the frame's size.
const readBufferStart = 1024

// conn is one client connection. Fields without a comment are owned by the
// reader goroutine.
type conn struct {
	srv *Server
	nc  net.Conn
	log *slog.Logger
	id  uint64
	fr  *wire.FrameReader
	out *outbound

	state      connState
	user       *auth.User
	vhost      *broker.VHost
	channelMax uint16
	frameMax   uint32 // immutable once tuned; read by delivering goroutines
	heartbeat  time.Duration
	clientCaps map[string]any
	clientProp map[string]any
	channels   map[uint16]*channel
	// confirmDirty lists channels with publisher confirms to send once
	// the reader has no more buffered input.
	confirmDirty []*channel

	// forced is set by forceClose from another goroutine; the reader
	// notices it through the read deadline.
	forced atomic.Pointer[string]
	// openVHost and openUser are set at connection.open, for limits and
	// for other goroutines counting connections.
	openVHost atomic.Pointer[string]
	openUser  atomic.Pointer[string]
	// forcedCh is closed by forceClose, waking a reader blocked by an alarm.
	forcedCh chan struct{}
	// lastFrame is when the last frame arrived (heartbeat detection), and
	// deadline the read deadline last set.
	lastFrame time.Time
	deadline  time.Time
	// unacked counts deliveries awaiting ack on all channels; while
	// non-zero the reader wakes each second to check consumer timeouts.
	unacked atomic.Int64
	// writerStarted is set once the writer goroutine runs; before that
	// (no valid protocol header yet) teardown has nothing to drain.
	writerStarted bool
}

// errConnDone stops the reader after a clean client-initiated close.
var errConnDone = errors.New("connection closed")

func newConn(s *Server, nc net.Conn) *conn {
	id := s.nextID.Add(1)
	return &conn{
		srv:      s,
		nc:       nc,
		id:       id,
		log:      s.cfg.Logger.With("conn", id, "peer", nc.RemoteAddr().String()),
		fr:       wire.NewFrameReader(nc, readBufferStart),
		out:      newOutbound(),
		channels: make(map[uint16]*channel),
		frameMax: wire.FrameMinSize,
		forcedCh: make(chan struct{}),
	}
}

func (c *conn) cfg() *Config { return &c.srv.cfg }

// serve runs the connection: handshake, frames, cleanup.
func (c *conn) serve() {
	defer func() {
		if r := recover(); r != nil {
			// A bug must cost one connection, not the broker: tell the
			// client (541, as RabbitMQ's internal errors) and clean up.
			c.log.Error("connection handler panic; closing the connection", "panic", r, "stack", string(debug.Stack()))
			if c.writerStarted && c.state >= stateOpen {
				c.send(0, &wire.ConnectionClose{ReplyCode: wire.InternalError, ReplyText: "INTERNAL_ERROR - internal error, see the broker log"})
			}
		}
		c.teardown()
	}()
	_ = c.nc.SetReadDeadline(time.Now().Add(c.cfg().HandshakeTimeout))
	hdr, err := c.fr.ReadProtocolHeader()
	if err != nil {
		c.log.Debug("no protocol header", "err", err)
		return
	}
	if hdr != wire.ProtocolHeader {
		// The spec: reply with the header we support, then close.
		c.log.Info("unsupported protocol header", "header", hdr[:])
		_, _ = c.nc.Write(wire.ProtocolHeader[:])
		return
	}
	c.fr.SetMaxFrameSize(c.frameMax)
	c.writerStarted = true
	go c.out.run(c.nc)
	c.send(0, &wire.ConnectionStart{
		VersionMajor: 0, VersionMinor: 9,
		ServerProperties: c.serverProperties(),
		Mechanisms:       c.mechanisms(),
		Locales:          "en_US",
	})
	c.readLoop()
}

func (c *conn) serverProperties() wire.Table {
	return wire.Table{
		"product":     "Warren",
		"version":     c.cfg().Version,
		"platform":    "Go",
		"copyright":   "Warren authors",
		"information": "Licensed under the Apache License 2.0",
		"capabilities": wire.Table{
			"publisher_confirms":           true,
			"exchange_exchange_bindings":   true,
			"basic.nack":                   true,
			"consumer_cancel_notify":       true,
			"connection.blocked":           true,
			"consumer_priorities":          true,
			"authentication_failure_close": true,
			"per_consumer_qos":             true,
			"direct_reply_to":              true,
		},
		"cluster_name": "warren",
	}
}

// send writes one method frame.
func (c *conn) send(ch uint16, m wire.Method) {
	c.out.write(func(b []byte) []byte { return wire.AppendMethodFrame(b, ch, m) })
}

// readLoop reads and dispatches frames until the connection ends.
func (c *conn) readLoop() {
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			if c.tickDue(err) {
				// A wake-up for periodic checks, not a dead peer: the frame
				// reader keeps partial input, so reading simply resumes.
				c.tick()
				c.armDeadline()
				continue
			}
			c.readError(err)
			return
		}
		if c.state == stateRunning {
			c.lastFrame = c.srv.now()
			c.armDeadline()
		} else if c.heartbeat > 0 && c.state != stateClosing {
			_ = c.nc.SetReadDeadline(time.Now().Add(2 * c.heartbeat))
		}
		if c.forced.Load() != nil {
			c.state = stateClosing
		}
		if c.state == stateClosing {
			if c.closingFrame(f) {
				return
			}
			continue
		}
		if err := c.frame(f); err != nil {
			if err == errConnDone || c.fail(err) {
				return
			}
		}
		if len(c.confirmDirty) > 0 && c.fr.Buffered() == 0 {
			c.flushConfirms()
		}
	}
}

// readError handles the end of input: a framing error gets its
// connection.close, a timeout or EOF just ends the connection.
func (c *conn) readError(err error) {
	var ne net.Error
	switch {
	case c.state == stateClosing:
		// Waiting for close-ok timed out or the peer went away: done.
	case errors.Is(err, wire.ErrFrameTooLarge):
		c.closeWith(newErr(wire.FrameError, "frame exceeds frame_max %d", c.frameMax))
	case errors.Is(err, wire.ErrBadFrameEnd):
		c.closeWith(newErr(wire.FrameError, "bad frame end marker"))
	case errors.Is(err, wire.ErrUnknownFrameType):
		c.closeWith(newErr(wire.FrameError, "unknown frame type"))
	case errors.As(err, &ne) && ne.Timeout():
		if c.forced.Load() != nil {
			return
		}
		if c.state != stateRunning {
			c.log.Info("handshake timeout", "state", c.state)
		} else {
			c.log.Warn("missed heartbeats from client, closing", "timeout", 2*c.heartbeat)
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
		if c.state == stateRunning {
			c.log.Info("client closed TCP connection abruptly")
		}
	default:
		c.log.Info("read error", "err", err)
	}
}

// closeWith sends connection.close for a connection-level error and waits
// briefly for close-ok; used when the frame stream itself is broken.
func (c *conn) closeWith(e *amqpError) {
	c.log.Warn("closing connection", "code", e.code, "text", e.text, "state", c.state)
	if c.state < stateOpen {
		return // handshake failures close the socket silently, as in RabbitMQ
	}
	c.send(0, &wire.ConnectionClose{ReplyCode: e.code, ReplyText: e.text, FailingClassID: e.classID, FailingMethodID: e.methodID})
}

// fail handles an error from frame processing. It returns true when the
// reader should stop.
func (c *conn) fail(err error) bool {
	e := fromBroker(err, nil)
	var ch *channelError
	if errors.As(err, &ch) && !ch.err.hard() {
		ch.ch.closeWithError(ch.err)
		return false
	}
	if errors.As(err, &ch) {
		e = ch.err
	}
	if c.state < stateOpen {
		// Before tuning completes RabbitMQ drops the socket without a
		// connection.close; clients expect exactly that.
		c.closeWith(e)
		return true
	}
	c.closeWith(e)
	c.state = stateClosing
	_ = c.nc.SetReadDeadline(time.Now().Add(closeTimeout))
	return false
}

// closingFrame processes a frame while awaiting close-ok; it returns true
// when the connection is done.
func (c *conn) closingFrame(f wire.Frame) bool {
	if f.Type != wire.FrameMethod || f.Channel != 0 {
		return false
	}
	m, err := wire.DecodeMethod(f.Payload)
	if err != nil {
		return false
	}
	switch m.(type) {
	case *wire.ConnectionCloseOk:
		return true
	case *wire.ConnectionClose:
		c.send(0, &wire.ConnectionCloseOk{})
		return true
	}
	return false
}

// forceClose closes the connection from another goroutine (shutdown, an
// operator, a deleted vhost).
func (c *conn) forceClose(reason string) {
	if !c.forced.CompareAndSwap(nil, &reason) {
		return
	}
	close(c.forcedCh)
	c.send(0, &wire.ConnectionClose{ReplyCode: wire.ConnectionForced, ReplyText: "CONNECTION_FORCED - " + reason})
	// Wake the reader: it sees forced and treats the connection as closing.
	_ = c.nc.SetReadDeadline(time.Now().Add(closeTimeout))
}

// teardown releases everything the connection holds: channels (requeueing
// unacknowledged messages), exclusive queues, the writer and the socket.
func (c *conn) teardown() {
	c.release()
	c.forgetInfo()
	if c.writerStarted {
		c.out.close(closeTimeout)
	}
	_ = c.nc.Close()
}

// release closes every channel (requeueing its unacknowledged deliveries)
// and deletes the connection's exclusive queues. A client's
// connection.close gets its close-ok only after this, so a client that
// reconnects at once finds its exclusive queue names free and its unacked
// messages back in their queues; teardown calls it again, a no-op then.
func (c *conn) release() {
	for _, ch := range c.channels {
		ch.cleanup()
	}
	c.channels = nil
	if c.vhost != nil {
		c.vhost.DeleteExclusiveQueues(c)
	}
}

// flushConfirms sends the pending publisher confirms, one ack per channel
// covering every message confirmed since the last flush.
func (c *conn) flushConfirms() {
	for i, ch := range c.confirmDirty {
		ch.flushConfirm()
		c.confirmDirty[i] = nil
	}
	c.confirmDirty = c.confirmDirty[:0]
}

// blockUntil holds a publishing connection while a resource alarm is
// raised, as RabbitMQ does: the reader stops reading (so TCP pushes back
// on the publisher), a client that advertised the connection.blocked
// capability is told why, and heartbeat timeouts are suspended since the
// client's heartbeats wait unread in the socket.
func (c *conn) blockUntil(cleared <-chan struct{}, rs []alarm.Resource) error {
	reason := "low on memory"
	for _, r := range rs {
		if r == alarm.Disk {
			reason = "low on disk"
		}
	}
	notify, _ := c.clientCaps["connection.blocked"].(bool)
	c.flushConfirms()
	if notify {
		c.send(0, &wire.ConnectionBlocked{Reason: reason})
	}
	c.log.Info("connection blocked by resource alarm", "reason", reason)
	_ = c.nc.SetReadDeadline(time.Time{})
	for {
		select {
		case <-cleared:
		case <-c.forcedCh:
			return errConnDone
		}
		// Another alarm may have been raised meanwhile.
		next, more := c.cfg().Alarms.Active()
		if next == nil {
			break
		}
		cleared, rs = next, more
	}
	if notify {
		c.send(0, &wire.ConnectionUnblocked{})
	}
	c.log.Info("connection unblocked")
	if c.heartbeat > 0 {
		_ = c.nc.SetReadDeadline(time.Now().Add(2 * c.heartbeat))
	}
	return nil
}

// tickInterval is how often a connection with unacknowledged deliveries
// checks their consumer timeouts.
const tickInterval = time.Second

// armDeadline sets the read deadline: two heartbeat intervals after the
// last frame (RabbitMQ's rule for a dead peer), or sooner when there are
// consumer timeouts to check.
func (c *conn) armDeadline() {
	var d time.Time
	now := c.srv.now()
	if c.heartbeat > 0 {
		// From the last frame, not from now: re-arming after a periodic
		// wake-up must not push the dead-peer deadline further out.
		d = c.lastFrame.Add(2 * c.heartbeat)
	}
	if c.unacked.Load() > 0 {
		if t := now.Add(tickInterval); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	// Moving the deadline a little later after every frame buys nothing:
	// skip updates that change it by less than a quarter second.
	if !c.deadline.IsZero() && !d.IsZero() && d.After(c.deadline) && d.Sub(c.deadline) < 250*time.Millisecond {
		return
	}
	c.deadline = d
	_ = c.nc.SetReadDeadline(d)
}

// tickDue reports whether a read error is only the periodic wake-up.
func (c *conn) tickDue(err error) bool {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || c.state != stateRunning || c.forced.Load() != nil {
		return false
	}
	c.deadline = time.Time{} // it fired: the next arm must set one
	return c.heartbeat == 0 || time.Since(c.lastFrame) < 2*c.heartbeat
}

// tick runs the periodic checks: consumer acknowledgement timeouts.
func (c *conn) tick() {
	now := time.Now()
	for _, ch := range c.channels {
		if e := ch.checkConsumerTimeout(now, c.cfg().ConsumerTimeout); e != nil {
			ch.closeWithError(e)
		}
	}
}
