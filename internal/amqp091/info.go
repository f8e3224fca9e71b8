package amqp091

import (
	"crypto/tls"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/broker"
)

// Monitoring views of connections, channels and consumers for the
// management API.
//
// Most connection fields belong to the reader goroutine and may not be
// read from another one. So the reader publishes what monitoring needs,
// once, when connection.open succeeds (publishInfo), and keeps a
// mutex-guarded list of its open channels (infoChannelOpened/Closed);
// everything here reads only those, the immutable net.Conn addresses, and
// channel state guarded by channel.dmu. The published values live in a
// side table keyed by connection so that the reader needs only four hook
// calls, none on the frame path:
//
//	handshake.go, open(), after c.state = stateRunning:  c.publishInfo()
//	frames.go, openChannel(), after c.channels[id] = ch:  c.infoChannelOpened(ch)
//	channel.go, cleanup(), after ch.closed = true:        ch.conn.infoChannelClosed(ch)
//	conn.go, teardown(), after c.channels = nil:          c.forgetInfo()
//
// Without them connections are still listed (by address, state
// "starting") and can be closed, but user, vhost and channels are unknown.

// connInfo is what a connection publishes when it opens. Fields other than
// mu and channels are immutable.
type connInfo struct {
	user        string
	vhost       string
	clientProps map[string]any
	frameMax    uint32
	channelMax  uint16
	heartbeat   time.Duration
	connectedAt time.Time

	mu       sync.Mutex
	channels map[uint16]*channel // guarded by mu
}

// Server.infos maps *conn to *connInfo for open connections (server.go).

// publishInfo is called by the reader once connection.open has succeeded.
func (c *conn) publishInfo() {
	c.srv.infos.Store(c, &connInfo{
		user:        c.user.Name,
		vhost:       c.vhost.Name(),
		clientProps: c.clientProp,
		frameMax:    c.frameMax,
		channelMax:  c.channelMax,
		heartbeat:   c.heartbeat,
		connectedAt: time.Now(),
		channels:    make(map[uint16]*channel),
	})
	c.srv.churn.connsOpened.Add(1)
}

func (c *conn) info() *connInfo {
	if v, ok := c.srv.infos.Load(c); ok {
		return v.(*connInfo)
	}
	return nil
}

// infoChannelOpened is called by the reader after it added ch.
func (c *conn) infoChannelOpened(ch *channel) {
	if ci := c.info(); ci != nil {
		ci.mu.Lock()
		ci.channels[ch.id] = ch
		ci.mu.Unlock()
		c.srv.churn.chansOpened.Add(1)
	}
}

// infoChannelClosed is called by the reader when ch stops being usable.
func (c *conn) infoChannelClosed(ch *channel) {
	if ci := c.info(); ci != nil {
		ci.mu.Lock()
		closed := ci.channels[ch.id] == ch
		if closed {
			delete(ci.channels, ch.id)
		}
		ci.mu.Unlock()
		if closed {
			c.srv.churn.chansClosed.Add(1)
		}
	}
}

// forgetInfo is called by the reader when the connection ends.
func (c *conn) forgetInfo() {
	v, ok := c.srv.infos.LoadAndDelete(c)
	if !ok {
		return
	}
	ci := v.(*connInfo)
	ci.mu.Lock()
	open := len(ci.channels)
	ci.mu.Unlock()
	c.srv.churn.connsClosed.Add(1)
	c.srv.churn.chansClosed.Add(uint64(open))
}

// churnCounters count connections (once connection.open succeeded) and
// channels opened and closed since start, for the management API's
// churn_rates; they are incremented only by the hooks above.
type churnCounters struct {
	connsOpened, connsClosed, chansOpened, chansClosed atomic.Uint64
}

// Churn returns the connections and channels opened and closed since
// start (a connection counts once connection.open has succeeded).
func (s *Server) Churn() (connsOpened, connsClosed, chansOpened, chansClosed uint64) {
	return s.churn.connsOpened.Load(), s.churn.connsClosed.Load(), s.churn.chansOpened.Load(), s.churn.chansClosed.Load()
}

// ConnInfo describes one client connection.
type ConnInfo struct {
	// Name is RabbitMQ's connection name: "peerhost:peerport -> host:port".
	Name           string
	PeerHost, Host string
	PeerPort, Port int
	// Opened says connection.open succeeded; the fields below are zero
	// until then.
	Opened           bool
	User, VHost      string
	ClientProperties map[string]any // read-only
	FrameMax         uint32
	ChannelMax       uint16
	Heartbeat        time.Duration
	ConnectedAt      time.Time
	Channels         int
	// Counted says the octet and call counters below are maintained (the
	// socket was wrapped by CountBytes).
	Counted                            bool
	RecvOct, SendOct, RecvCnt, SendCnt uint64
	// Closing says the connection was closed by the server and is
	// waiting for the client's close-ok.
	Closing bool
	// TLS says the client connected over TLS.
	TLS bool
}

func splitAddr(a net.Addr) (string, int) {
	if a == nil {
		return "", 0
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), 0
	}
	port, _ := strconv.Atoi(p)
	return h, port
}

// connName formats a connection name the way RabbitMQ does.
func connName(peerHost string, peerPort int, host string, port int) string {
	return net.JoinHostPort(peerHost, strconv.Itoa(peerPort)) + " -> " + net.JoinHostPort(host, strconv.Itoa(port))
}

// snapshot reads what may be read from a goroutine other than the reader.
func (c *conn) snapshot() ConnInfo {
	ph, pp := splitAddr(c.nc.RemoteAddr())
	h, p := splitAddr(c.nc.LocalAddr())
	ci := ConnInfo{Name: connName(ph, pp, h, p), PeerHost: ph, PeerPort: pp, Host: h, Port: p,
		Closing: c.forced.Load() != nil}
	if _, ok := c.nc.(*tls.Conn); ok {
		ci.TLS = true
	}
	if cc := counters(c.nc); cc != nil {
		ci.Counted = true
		ci.RecvOct, ci.SendOct = cc.recvOct.Load(), cc.sendOct.Load()
		ci.RecvCnt, ci.SendCnt = cc.recvCnt.Load(), cc.sendCnt.Load()
	}
	if in := c.info(); in != nil {
		ci.Opened = true
		ci.User, ci.VHost, ci.ClientProperties = in.user, in.vhost, in.clientProps
		ci.FrameMax, ci.ChannelMax, ci.Heartbeat = in.frameMax, in.channelMax, in.heartbeat
		ci.ConnectedAt = in.connectedAt
		in.mu.Lock()
		ci.Channels = len(in.channels)
		in.mu.Unlock()
	}
	return ci
}

func (s *Server) connList() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Connections returns a snapshot of every client connection, sorted by
// name.
func (s *Server) Connections() []ConnInfo {
	cs := s.connList()
	out := make([]ConnInfo, len(cs))
	for i, c := range cs {
		out[i] = c.snapshot()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// closeWhere force-closes (320 CONNECTION_FORCED) every connection match
// selects and returns how many it closed.
func (s *Server) closeWhere(reason string, match func(ConnInfo) bool) int {
	n := 0
	for _, c := range s.connList() {
		if match(c.snapshot()) {
			c.forceClose(reason)
			n++
		}
	}
	return n
}

// CloseConnection closes the named connection with 320 CONNECTION_FORCED
// and the given reason; it reports whether the connection existed.
func (s *Server) CloseConnection(name, reason string) bool {
	return s.closeWhere(reason, func(ci ConnInfo) bool { return ci.Name == name }) > 0
}

// CloseVHostConnections closes every connection open on a vhost.
func (s *Server) CloseVHostConnections(vhost, reason string) int {
	return s.closeWhere(reason, func(ci ConnInfo) bool { return ci.Opened && ci.VHost == vhost })
}

// CloseUserConnections closes every connection a user opened.
func (s *Server) CloseUserConnections(user, reason string) int {
	return s.closeWhere(reason, func(ci ConnInfo) bool { return ci.Opened && ci.User == user })
}

// ChannelInfo describes one channel.
type ChannelInfo struct {
	Conn           ConnInfo
	Number         uint16
	Consumers      int
	Unacked        int
	GlobalPrefetch uint32 // basic.qos global=true
	// Prefetch is the basic.qos global=false value: the limit of each
	// consumer created from now on (RabbitMQ's channel prefetch_count).
	Prefetch uint32
	// Confirm and Transactional say confirm.select or tx.select was sent.
	Confirm, Transactional bool
}

// Name is RabbitMQ's channel name: "connection name (number)".
func (ci *ChannelInfo) Name() string {
	return ci.Conn.Name + " (" + strconv.Itoa(int(ci.Number)) + ")"
}

// Channels returns a snapshot of every open channel, sorted by name.
func (s *Server) Channels() []ChannelInfo {
	var out []ChannelInfo
	for _, c := range s.connList() {
		in := c.info()
		if in == nil {
			continue
		}
		conn := c.snapshot()
		in.mu.Lock()
		chs := make([]*channel, 0, len(in.channels))
		for _, ch := range in.channels {
			chs = append(chs, ch)
		}
		in.mu.Unlock()
		for _, ch := range chs {
			ch.dmu.Lock()
			out = append(out, ChannelInfo{Conn: conn, Number: ch.id, Consumers: len(ch.consumers),
				Unacked: ch.unacked.Len(), GlobalPrefetch: ch.channelPrefetch,
				Prefetch: ch.infoPrefetch, Confirm: ch.infoConfirm, Transactional: ch.infoTx})
			ch.dmu.Unlock()
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Conn.Name != out[j].Conn.Name {
			return out[i].Conn.Name < out[j].Conn.Name
		}
		return out[i].Number < out[j].Number
	})
	return out
}

// ConsumerChannel is the channel a consumer was created on.
type ConsumerChannel struct {
	ConnName, PeerHost string
	PeerPort           int
	Number             uint16
	User               string
	// Prefetch is the consumer's own prefetch (basic.qos global=false).
	Prefetch uint32
}

// ConsumerDetails returns the channel of a consumer created by this
// adapter. c must come from broker.Queue.Consumers, whose lock orders this
// read after the reader filled in the consumer's state.
func ConsumerDetails(c *broker.Consumer) (ConsumerChannel, bool) {
	cs, ok := c.Data.(*consumerState)
	if !ok || cs.ch == nil {
		return ConsumerChannel{}, false
	}
	conn := cs.ch.conn
	ph, pp := splitAddr(conn.nc.RemoteAddr())
	h, p := splitAddr(conn.nc.LocalAddr())
	return ConsumerChannel{ConnName: connName(ph, pp, h, p), PeerHost: ph, PeerPort: pp,
		Number: cs.ch.id, User: conn.user.Name, Prefetch: cs.prefetch}, true
}

// LoopbackUsers returns the users allowed to connect only from loopback.
func (s *Server) LoopbackUsers() []string { return s.cfg.LoopbackUsers }
