package amqp091

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// Config is the adapter's configuration.
type Config struct {
	Broker *broker.Broker
	Users  *auth.Store
	Logger *slog.Logger

	// Limits offered in connection.tune; clients may ask for less.
	ChannelMax uint16        // default 2047, as RabbitMQ
	FrameMax   uint32        // default 131072
	Heartbeat  time.Duration // default 60 s
	// MaxMessageSize is the largest body accepted (default 128 MiB).
	MaxMessageSize uint64
	// HandshakeTimeout bounds the time from accept to connection.open-ok.
	HandshakeTimeout time.Duration
	// LoopbackUsers may connect only from a loopback address (RabbitMQ's
	// loopback_users; default ["guest"]).
	LoopbackUsers []string
	// Version is reported in server properties.
	Version string
	// Alarms, when set, blocks publishing connections while a resource
	// alarm is raised.
	Alarms *alarm.Set
	// UserLimits, when set, caps connections and channels per user.
	UserLimits *auth.Limits
	// Permissions, when set, are checked for every operation as RabbitMQ
	// does; nil allows everything.
	Permissions *auth.Permissions
	// ConsumerTimeout closes a channel whose delivery waits longer than
	// this for its ack (406, as RabbitMQ; default 30 minutes; a queue's
	// x-consumer-timeout overrides it; negative disables).
	ConsumerTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.ChannelMax == 0 {
		c.ChannelMax = 2047
	}
	if c.FrameMax == 0 {
		c.FrameMax = 131072
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 60 * time.Second
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = 128 << 20
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.ConsumerTimeout == 0 {
		c.ConsumerTimeout = 30 * time.Minute
	}
	if c.LoopbackUsers == nil {
		c.LoopbackUsers = []string{"guest"}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Version == "" {
		c.Version = "0.1.0"
	}
}

// Server runs AMQP 0-9-1 connections and keeps track of them.
type Server struct {
	cfg    Config
	nextID atomic.Uint64

	throttle authThrottle
	// Node-wide message counters for the management API (one atomic add
	// per event; rates are computed off the message path).
	published, confirmed, unroutable atomic.Uint64
	replies                          replyRegistry // direct reply-to tokens
	// clock is a coarse wall clock (unix nanos, updated every clockTick)
	// for the per-frame and per-delivery timestamps, which need no more
	// precision and would otherwise read the clock millions of times a
	// second.
	clock     atomic.Int64
	stopClock chan struct{}
	// infos holds each open connection's published snapshot (*conn →
	// *connInfo) for the management API; see info.go.
	infos sync.Map
	churn churnCounters // see info.go

	mu    sync.Mutex
	conns map[*conn]struct{} // guarded by mu
	wg    sync.WaitGroup
}

// NewServer returns a server for cfg.
func NewServer(cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{cfg: cfg, conns: make(map[*conn]struct{}), stopClock: make(chan struct{})}
	s.clock.Store(time.Now().UnixNano())
	go s.runClock()
	return s
}

// clockTick is the coarse clock's resolution.
const clockTick = 5 * time.Millisecond

func (s *Server) runClock() {
	t := time.NewTicker(clockTick)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.clock.Store(now.UnixNano())
		case <-s.stopClock:
			return
		}
	}
}

// now returns the coarse time.
func (s *Server) now() time.Time { return time.Unix(0, s.clock.Load()) }

// ServeConn runs one client connection until it ends. It closes nc.
func (s *Server) ServeConn(nc net.Conn) {
	c := newConn(s, nc)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	c.serve()
}

// Shutdown closes every connection with 320 CONNECTION_FORCED and waits for
// them to finish, or for ctx to end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	for c := range s.conns {
		c.forceClose("broker forced connection closure with reason 'shutdown'")
	}
	select {
	case <-s.stopClock:
	default:
		close(s.stopClock)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.conns {
			_ = c.nc.Close()
		}
		s.mu.Unlock()
		return ctx.Err()
	}
}

// ConnectionCount returns the number of open connections.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// MessageCounters returns cumulative counts since start: messages
// published (each publish once, however many queues took it), publisher
// confirms sent (acks), and publishes that reached no queue.
func (s *Server) MessageCounters() (published, confirmed, unroutable uint64) {
	return s.published.Load(), s.confirmed.Load(), s.unroutable.Load()
}
