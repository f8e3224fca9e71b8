package perf

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// dial opens a connection named after its role, so it is recognisable in
// the broker's connection list, and keeps it for the end-of-run close.
// The raw socket is kept too: if the deadline passes while a close
// handshake hangs, closing the socket is what unblocks everything.
func (r *runner) dial(name string) (*amqp.Connection, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(name)
	props["product"] = "warren perf"
	var raw net.Conn
	var rawMu sync.Mutex
	base := amqp.DefaultDial(r.c.ConnectTimeout)
	cfg := amqp.Config{
		Heartbeat:  r.c.Heartbeat,
		FrameSize:  r.c.FrameMax,
		Properties: props,
		Dial: func(network, addr string) (net.Conn, error) {
			nc, err := base(network, addr)
			rawMu.Lock()
			raw = nc
			rawMu.Unlock()
			return nc, err
		},
	}
	if r.stopping.Load() {
		return nil, errStopping
	}
	conn, err := amqp.DialConfig(r.c.URI, cfg)
	if err != nil {
		return nil, dialError(r.c.URI, err)
	}
	rawMu.Lock()
	t := &tracked{conn: conn, raw: raw}
	rawMu.Unlock()
	r.mu.Lock()
	r.conns = append(r.conns, t)
	r.mu.Unlock()
	r.watchConnection(name, t)
	return conn, nil
}

// dialData opens a connection for producers or consumers, with the
// tool's own client (amqpc), tracked like the others for the end of the
// run and the hard deadline.
func (r *runner) dialData(name, uri string) (*amqpc.Conn, error) {
	if r.stopping.Load() {
		return nil, errStopping
	}
	t := &tracked{}
	conn, err := amqpc.Dial(uri, amqpc.Config{
		Name: name, Product: "warren perf", Heartbeat: r.c.Heartbeat, FrameMax: r.c.FrameMax,
		ConnectTimeout: r.c.ConnectTimeout,
		Dialed:         func(nc net.Conn) { t.raw = nc }, // called within Dial
		OnBlocked: func(reason string, active bool) {
			if active {
				r.st.errors.add(fmt.Errorf("connection %s blocked by the broker: %s", name, reason), false)
			}
		},
	})
	if err != nil {
		return nil, dialError(uri, err)
	}
	t.fast = conn
	r.mu.Lock()
	r.conns = append(r.conns, t)
	r.mu.Unlock()
	go func() {
		<-conn.Done()
		if e := conn.Err(); e != nil && !r.stopping.Load() && !t.closing.Load() {
			r.fail(closedError("connection "+name, e))
		}
	}()
	return conn, nil
}

// tracked is one of the run's connections: amqp091-go's (setup, churn)
// or amqpc's (producers and consumers).
type tracked struct {
	conn    *amqp.Connection
	fast    *amqpc.Conn
	raw     net.Conn
	closing atomic.Bool // closed by us: whatever NotifyClose says is no failure
}

// close closes the connection, within the deadline.
func (t *tracked) close(deadline time.Time) {
	if t.fast != nil {
		_ = t.fast.Close(time.Until(deadline))
		return
	}
	_ = t.conn.CloseDeadline(deadline)
}

// closeConn closes a connection the tool is done with, within the
// shutdown timeout.
func (r *runner) closeConn(conn *amqp.Connection) {
	r.mu.Lock()
	for _, t := range r.conns {
		if t.conn == conn {
			t.closing.Store(true)
		}
	}
	r.mu.Unlock()
	if err := conn.CloseDeadline(time.Now().Add(r.c.ShutdownTimeout)); err != nil && !closeRace(err) && !errors.Is(err, amqp.ErrClosed) {
		r.st.errors.add(opError("closing a connection", err), false)
	}
}

// closeRace tells the error amqp091-go may report for a close the client
// asked for: the broker closes the socket right after close-ok, and the
// library's reader can see the EOF before the close call returns.
func closeRace(err error) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.FrameError && strings.Contains(ae.Reason, "EOF")
}

// watchConnection turns an unexpected close into the run's failure and
// records flow control (connection.blocked) in the error table, where a
// throttled run explains itself.
func (r *runner) watchConnection(name string, t *tracked) {
	closed := t.conn.NotifyClose(make(chan *amqp.Error, 1))
	blocked := t.conn.NotifyBlocked(make(chan amqp.Blocking, 4))
	go func() {
		for b := range blocked { // read to the end: the library blocks on it
			if b.Active {
				r.st.errors.add(fmt.Errorf("connection %s blocked by the broker: %s", name, b.Reason), false)
			}
		}
	}()
	go func() {
		if e, ok := <-closed; ok && e != nil && !r.stopping.Load() && !t.closing.Load() {
			r.fail(closedError("connection "+name, e))
		}
	}()
}

// closeAll closes every connection, in parallel, each within the shutdown
// timeout, then closes the sockets of those that did not finish.
func (r *runner) closeAll() {
	r.mu.Lock()
	conns := r.conns
	r.conns = nil
	r.mu.Unlock()
	var wg sync.WaitGroup
	deadline := time.Now().Add(r.c.ShutdownTimeout)
	for _, t := range conns {
		t.closing.Store(true)
		wg.Go(func() {
			done := make(chan struct{})
			go func() {
				t.close(deadline)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(time.Until(deadline) + 100*time.Millisecond):
				if t.raw != nil {
					t.raw.Close()
				}
			}
		})
	}
	wg.Wait()
}

// forceClose closes every socket at once: the hard deadline has passed.
func (r *runner) forceClose() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.conns {
		if t.raw != nil {
			t.raw.Close()
		}
	}
}

// declare creates the exchange and the named queues and bindings, once,
// before any consumer or producer starts, so no message is published to
// a queue that does not exist yet. With --predeclared it only checks that
// the queues exist, to fail early with NOT_FOUND rather than mid-run.
func (r *runner) declare(conn *amqp.Connection) error {
	c := r.c
	ch, err := conn.Channel()
	if err != nil {
		return opError("opening a channel", err)
	}
	defer ch.Close()
	names := c.queueNames()
	if c.Predeclared {
		for _, q := range names {
			pc, err := conn.Channel() // a failed passive declare closes its channel
			if err != nil {
				return opError("opening a channel", err)
			}
			_, err = pc.QueueDeclarePassive(q, false, false, false, false, nil)
			if err != nil {
				return opError(fmt.Sprintf("checking predeclared queue %q", q), err)
			}
			pc.Close()
		}
		return nil
	}
	if declarableExchange(c.Exchange) {
		if err := ch.ExchangeDeclare(c.Exchange, c.ExchangeType, false, false, false, false, nil); err != nil {
			return opError(fmt.Sprintf("declaring exchange %q of type %s", c.Exchange, c.ExchangeType), err)
		}
	}
	if c.Exclusive {
		names = nil // declared by their consumers' connections (exclusive.go)
	}
	for _, q := range names {
		if _, err := ch.QueueDeclare(q, c.Persistent, c.AutoDelete, false, false, c.queueArgs()); err != nil {
			return opError(fmt.Sprintf("declaring queue %q", q), err)
		}
		if c.Exchange != "" && !c.SkipBinding {
			if err := ch.QueueBind(q, c.bindingKey(q), c.Exchange, false, nil); err != nil {
				return opError(fmt.Sprintf("binding queue %q to exchange %q", q, c.Exchange), err)
			}
		}
	}
	return nil
}

// declarableExchange: the default exchange and amq.* ones always exist and
// may not be declared by clients.
func declarableExchange(name string) bool {
	return name != "" && !strings.HasPrefix(name, "amq.")
}

// bindingKey is the key queue q is bound with: --routing-key if given,
// else the queue's own name, so producers address a queue by its name
// through a direct exchange just as through the default one.
func (c *Config) bindingKey(q string) string {
	if c.RoutingKey != "" {
		return c.RoutingKey
	}
	return q
}

// spread assigns items (queues) to workers: with at least as many workers
// as items, worker i takes item i mod items; with fewer, worker i takes
// every item j with j mod workers == i, so no queue is left out.
func spread(workers, items, i int) []int {
	if items == 0 {
		return nil
	}
	if workers >= items {
		return []int{i % items}
	}
	var out []int
	for j := i; j < items; j += workers {
		out = append(out, j)
	}
	return out
}

// producerKeys returns the routing keys producer channel g cycles through.
func (c *Config) producerKeys(g int) []string {
	names := c.queueNames()
	if names == nil || c.RoutingKey != "" {
		return []string{c.RoutingKey}
	}
	if c.ExchangeType == "fanout" && c.Exchange != "" {
		return []string{""} // every queue gets every message anyway
	}
	var keys []string
	for _, i := range spread(c.Producers*c.ProducerChannels, len(names), g) {
		keys = append(keys, names[i])
	}
	return keys
}

// consumerQueues returns the named queues consumer channel g consumes
// from; nil means it declares its own server-named queue.
func (c *Config) consumerQueues(g int) []string {
	names := c.queueNames()
	var out []string
	for _, i := range spread(c.Consumers*c.ConsumerChannels, len(names), g) {
		out = append(out, names[i])
	}
	return out
}
