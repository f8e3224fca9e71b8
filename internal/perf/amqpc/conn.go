package amqpc

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// flushAt is the buffered size at which a write goes out without waiting
// for a flush point: large enough to carry hundreds of small messages in
// one system call, small enough that a batch never waits long (at 300k
// msg/s of 16 bytes it fills in well under a millisecond).
const flushAt = 32 << 10

// Conn is one AMQP connection. Its reader goroutine reads every frame and
// runs the channels' callbacks; writes from any goroutine go through one
// buffer under wmu.
type Conn struct {
	nc         net.Conn
	fr         *wire.FrameReader
	frameMax   uint32
	channelMax uint16
	heartbeat  time.Duration
	onBlocked  func(reason string, active bool)

	wmu   sync.Mutex
	wbuf  []byte
	werr  error
	wrote atomic.Bool // something was written since the last heartbeat tick

	mu      sync.Mutex
	chans   map[uint16]*Channel
	nextID  uint16
	err     *amqp.Error // why the connection ended; nil after a clean close
	closing atomic.Bool // Close was called: the end is ours
	done    chan struct{}
}

// Done is closed when the connection has ended, for whatever reason.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended: the broker's connection.close (Server
// set) or an I/O error; nil while it is open and after Close.
func (c *Conn) Err() *amqp.Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// FrameMax is the negotiated frame size limit.
func (c *Conn) FrameMax() uint32 { return c.frameMax }

// Heartbeat is the negotiated heartbeat interval (0: none).
func (c *Conn) Heartbeat() time.Duration { return c.heartbeat }

// Flush writes whatever is buffered.
func (c *Conn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked()
}

func (c *Conn) flushLocked() error {
	if c.werr != nil {
		return c.werr
	}
	if len(c.wbuf) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.wbuf)
	c.wrote.Store(true)
	if cap(c.wbuf) > 4*flushAt { // one huge message: do not keep its buffer
		c.wbuf = nil
	} else {
		c.wbuf = c.wbuf[:0]
	}
	if err != nil {
		c.werr = err
		c.nc.Close() // the reader ends too, and reports the connection closed
	}
	return err
}

// sendMethod writes one method frame at once: control traffic, not the
// data path.
func (c *Conn) sendMethod(channel uint16, m wire.Method) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	c.wbuf = wire.AppendMethodFrame(c.wbuf, channel, m)
	return c.flushLocked()
}

// heartbeats sends a heartbeat frame every half interval in which nothing
// else was written, until the connection ends. The broker closes a
// connection that stays silent for two intervals.
func (c *Conn) heartbeats() {
	if c.heartbeat <= 0 {
		return
	}
	t := time.NewTicker(c.heartbeat / 2)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if c.wrote.Swap(false) {
				continue
			}
			c.wmu.Lock()
			if c.werr == nil {
				c.wbuf = wire.AppendHeartbeat(c.wbuf)
				_ = c.flushLocked()
			}
			c.wmu.Unlock()
		}
	}
}

// Channel opens a new channel.
func (c *Conn) Channel() (*Channel, error) {
	c.mu.Lock()
	if c.err != nil || c.closing.Load() {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = amqp.ErrClosed
		}
		return nil, err
	}
	var id uint16
	for range c.channelMax {
		c.nextID++
		if c.nextID == 0 || c.nextID > c.channelMax {
			c.nextID = 1
		}
		if c.chans[c.nextID] == nil {
			id = c.nextID
			break
		}
	}
	if id == 0 {
		c.mu.Unlock()
		return nil, fmt.Errorf("amqpc: all %d channels in use", c.channelMax)
	}
	ch := newChannel(c, id)
	c.chans[id] = ch
	c.mu.Unlock()
	reply, err := ch.call(&wire.ChannelOpen{})
	if err != nil {
		return nil, err
	}
	if _, ok := reply.(*wire.ChannelOpenOk); !ok {
		return nil, unexpected("channel.open-ok", reply)
	}
	return ch, nil
}

func (c *Conn) channel(id uint16) *Channel {
	c.mu.Lock()
	ch := c.chans[id]
	c.mu.Unlock()
	return ch
}

func (c *Conn) forget(id uint16) {
	c.mu.Lock()
	delete(c.chans, id)
	c.mu.Unlock()
}

// Close closes the connection with connection.close and waits, up to
// timeout, for the broker's close-ok; then it closes the socket.
func (c *Conn) Close(timeout time.Duration) error {
	if !c.closing.CompareAndSwap(false, true) {
		<-c.done
		return nil
	}
	select {
	case <-c.done:
		return nil
	default:
	}
	_ = c.sendMethod(0, &wire.ConnectionClose{ReplyCode: 200, ReplyText: "goodbye"})
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.nc.Close()
		<-c.done
	}
	return nil
}

// CloseSocket ends the connection at once, without the AMQP close: the
// hard deadline of a run has passed.
func (c *Conn) CloseSocket() { c.nc.Close() }

// readLoop is the reader goroutine: it reads and dispatches frames until
// the connection ends, flushing the write buffer whenever it is about to
// wait for the broker, so acks and replies never sit in the buffer while
// the broker waits for them.
func (c *Conn) readLoop() {
	var end error
	for {
		if !c.fr.FrameBuffered() {
			if err := c.Flush(); err != nil {
				end = err
				break
			}
			if c.heartbeat > 0 {
				_ = c.nc.SetReadDeadline(time.Now().Add(3 * c.heartbeat))
			}
		}
		f, err := c.fr.ReadFrame()
		if err != nil {
			end = err
			break
		}
		if f.Type == wire.FrameHeartbeat {
			continue
		}
		if f.Channel == 0 {
			if stop, err := c.handleConnMethod(f); stop {
				end = err
				break
			}
			continue
		}
		ch := c.channel(f.Channel)
		if ch == nil {
			continue // a late frame for a channel we closed
		}
		if err := ch.handle(f); err != nil {
			end = err
			break
		}
	}
	c.shutdown(end)
}

// errCloseOK ends the reader after the broker confirmed our close.
var errCloseOK = errors.New("amqpc: closed")

// handleConnMethod handles a frame on channel 0; stop ends the reader.
func (c *Conn) handleConnMethod(f wire.Frame) (stop bool, err error) {
	if f.Type != wire.FrameMethod {
		return true, fmt.Errorf("amqpc: unexpected frame type %d on channel 0", f.Type)
	}
	m, err := wire.DecodeMethod(f.Payload)
	if err != nil {
		return true, err
	}
	switch m := m.(type) {
	case *wire.ConnectionClose:
		_ = c.sendMethod(0, &wire.ConnectionCloseOk{})
		return true, &amqp.Error{Code: int(m.ReplyCode), Reason: m.ReplyText, Server: true}
	case *wire.ConnectionCloseOk:
		return true, errCloseOK
	case *wire.ConnectionBlocked:
		if c.onBlocked != nil {
			c.onBlocked(m.Reason, true)
		}
	case *wire.ConnectionUnblocked:
		if c.onBlocked != nil {
			c.onBlocked("", false)
		}
	}
	return false, nil
}

// shutdown records why the connection ended and closes every channel.
func (c *Conn) shutdown(cause error) {
	c.nc.Close()
	var ae *amqp.Error
	switch {
	case errors.As(cause, &ae):
	case cause == errCloseOK || (c.closing.Load() && cause != nil):
		ae = nil // our own close: the socket ending is expected
	case cause != nil:
		ae = &amqp.Error{Code: amqp.FrameError, Reason: cause.Error()}
	}
	c.wmu.Lock()
	if c.werr == nil {
		c.werr = amqp.ErrClosed
	}
	c.wmu.Unlock()
	c.mu.Lock()
	c.err = ae
	chans := c.chans
	c.chans = map[uint16]*Channel{}
	c.mu.Unlock()
	chErr := ae
	if chErr == nil {
		chErr = amqp.ErrClosed
	}
	for _, ch := range chans {
		ch.end(chErr)
	}
	close(c.done)
}

func unexpected(want string, got wire.Method) error {
	return fmt.Errorf("amqpc: expected %s, got %s", want, got.Name())
}
