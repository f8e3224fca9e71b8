package amqp091

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
)

// outboundLimit is the number of pending bytes above which deliveries wait
// for the writer: it bounds a connection's memory when its client reads
// slower than its queues deliver. Replies to methods are never held back.
const outboundLimit = 1 << 20

// outbound is a connection's pending output, appended to by any goroutine
// and drained by the writer goroutine.
type outbound struct {
	mu      sync.Mutex
	buf     []byte             // guarded by mu
	waiters []*broker.Consumer // guarded by mu: consumers refused for lack of room
	closing bool               // guarded by mu: drain, then stop
	held    int                // guarded by mu: while > 0 the writer leaves the buffer alone (hold)

	wake    chan struct{}      // capacity 1: something to write
	hb      chan time.Duration // the negotiated heartbeat, sent once tuned
	done    chan struct{}      // closed when the writer has exited
	written atomic.Int64       // unix nanos of the last write, for heartbeats
	err     atomic.Value       // first write error
}

func newOutbound() *outbound {
	return &outbound{wake: make(chan struct{}, 1), hb: make(chan time.Duration, 1), done: make(chan struct{})}
}

func (o *outbound) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// write appends frames built by fn.
func (o *outbound) write(fn func([]byte) []byte) {
	o.mu.Lock()
	o.buf = fn(o.buf)
	o.mu.Unlock()
	o.signal()
}

// hold appends frames built by fn and keeps everything from being written
// until release: what is appended meanwhile goes out in the same write,
// after them. basic.consume uses it so that the client cannot see
// consume-ok before the consumer actually takes deliveries.
func (o *outbound) hold(fn func([]byte) []byte) {
	o.mu.Lock()
	o.held++
	o.buf = fn(o.buf)
	o.mu.Unlock()
}

// release ends a hold and wakes the writer.
func (o *outbound) release() {
	o.mu.Lock()
	o.held--
	o.mu.Unlock()
	o.signal()
}

// roomLocked reports whether a delivery may be appended now; if not, c is
// queued to be resumed once the writer has drained the buffer.
func (o *outbound) roomLocked(c *broker.Consumer) bool {
	if len(o.buf) < outboundLimit && !o.closing {
		return true
	}
	if !o.closing {
		o.waiters = append(o.waiters, c)
	}
	return false
}

// run is the writer goroutine: it writes whatever is pending, sends
// heartbeats when the connection has been quiet, and exits once closing
// is set and the buffer is drained, or on a write error.
func (o *outbound) run(nc net.Conn) {
	defer close(o.done)
	defer func() {
		// Resuming consumers runs broker code on this goroutine; a bug
		// there closes this connection rather than the process.
		if r := recover(); r != nil {
			o.err.Store(fmt.Errorf("writer panic: %v", r))
			_ = nc.Close()
		}
	}()
	var tick <-chan time.Time
	var heartbeat time.Duration
	heartbeatFrame := wire.AppendHeartbeat(nil)
	var spare []byte
	var resume []*broker.Consumer
	o.written.Store(time.Now().UnixNano())
	for {
		select {
		case <-o.wake:
		case heartbeat = <-o.hb:
			if heartbeat > 0 {
				t := time.NewTicker(heartbeat / 2)
				defer t.Stop()
				tick = t.C
			}
			continue
		case now := <-tick:
			if now.UnixNano()-o.written.Load() >= int64(heartbeat/2) {
				o.write(func(b []byte) []byte { return append(b, heartbeatFrame...) })
			}
			continue
		}
		o.mu.Lock()
		if o.held > 0 && !o.closing {
			o.mu.Unlock() // release signals again
			continue
		}
		buf := o.buf
		o.buf = spare[:0]
		resume, o.waiters = o.waiters, resume[:0]
		closing := o.closing
		o.mu.Unlock()
		// Let blocked consumers refill the (now empty) buffer while this
		// batch is on the wire.
		for i, c := range resume {
			c.Resume()
			resume[i] = nil
		}
		if len(buf) > 0 {
			if _, err := nc.Write(buf); err != nil {
				o.err.Store(err)
				o.mu.Lock()
				o.closing = true
				o.buf = nil
				o.mu.Unlock()
				_ = nc.Close()
				return
			}
			o.written.Store(time.Now().UnixNano())
		}
		if cap(buf) > 4*outboundLimit {
			buf = nil // do not keep a buffer grown for one huge message
		}
		spare = buf
		if closing {
			o.mu.Lock()
			empty := len(o.buf) == 0
			o.mu.Unlock()
			if empty {
				return
			}
			o.signal()
		}
	}
}

// close makes the writer drain what is pending and exit, and waits for it
// up to timeout.
func (o *outbound) close(timeout time.Duration) {
	o.mu.Lock()
	o.closing = true
	o.waiters = nil
	o.mu.Unlock()
	o.signal()
	select {
	case <-o.done:
	case <-time.After(timeout):
	}
}
