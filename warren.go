package warren

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/meta"
	"github.com/warrenmq/warren/internal/metrics"
	"github.com/warrenmq/warren/internal/mgmt"
	"github.com/warrenmq/warren/internal/store"
	"github.com/warrenmq/warren/internal/vfs"
)

// Config configures an embedded broker. The zero value is usable: guest /
// guest, RabbitMQ's defaults for limits.
type Config struct {
	Logger *slog.Logger
	// DataDir is where definitions and messages are kept; empty keeps
	// everything in memory.
	DataDir string
	// DefaultUser and DefaultPass create the first user (default guest /
	// guest, loopback-only as in RabbitMQ).
	DefaultUser, DefaultPass string
	// LoopbackUsers may connect only from loopback (default ["guest"]).
	LoopbackUsers []string

	// SyncMode is when persistent messages are fsynced: "always" (the
	// default: before the publisher's confirm), "interval" (the same
	// guarantee, at most one fsync round per 10 ms), "none" (never: the
	// operating system writes them back; RabbitMQ's weaker guarantee).
	SyncMode string
	// MemoryHighWatermark is the memory use at which publishers are
	// blocked: a fraction of total RAM ("0.4", the default) or a size
	// ("2GiB"). "0" disables the memory alarm.
	MemoryHighWatermark string
	// DiskFreeLimit is the free space under DataDir below which
	// publishers are blocked (default "50MB"; "0" disables).
	DiskFreeLimit string

	// MessageMemoryLimit bounds the bytes of queued messages kept in
	// memory across queues (default 64 MiB), QueueMessageMemoryLimit
	// within one queue (8 MiB); the rest wait on disk.
	MessageMemoryLimit, QueueMessageMemoryLimit int64

	// FS is the filesystem under DataDir; nil means the operating
	// system's. Tests inject failing or crash-simulating filesystems
	// (internal/vfs).
	FS vfs.FS
	// DefinitionsFile is a RabbitMQ-format definitions file imported at
	// every start (RabbitMQ's load_definitions); empty for none.
	DefinitionsFile string
	// NodeName is the node's name in the management API (default
	// "warren@<hostname>", as RabbitMQ's rabbit@<hostname>).
	NodeName string
	// ConsumerTimeout closes a channel whose delivery waits longer than
	// this for its ack (default 30 minutes; negative disables).
	ConsumerTimeout time.Duration

	FrameMax         uint32
	ChannelMax       uint16
	Heartbeat        time.Duration
	MaxMessageSize   uint64
	HandshakeTimeout time.Duration
	Version          string

	// PerObjectMetrics exports per-queue and per-vhost series on
	// /metrics (nil means true); false exports queue metrics summed over
	// all queues, as RabbitMQ's default /metrics does.
	PerObjectMetrics *bool
}

// Server is a running broker.
type Server struct {
	log        *slog.Logger
	broker     *broker.Broker
	users      *auth.Store
	perms      *auth.Permissions
	userLimits *auth.Limits
	alarms     *alarm.Set
	monitor    *alarm.Monitor
	stopMon    chan struct{}
	meta       *meta.Log    // nil without a data directory
	store      *store.Store // nil without a data directory
	amqp       *amqp091.Server
	api        *mgmt.API // the management HTTP API
	metrics    *metrics.Metrics

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	https     map[*http.Server]net.Addr // management API servers, guarded by mu
	closed    bool
	wg        sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("warren: server closed")

// New creates a broker.
func New(cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.DefaultUser == "" {
		cfg.DefaultUser, cfg.DefaultPass = "guest", "guest"
	}
	fsys := cfg.FS
	if fsys == nil {
		fsys = vfs.OS()
	}
	users := auth.NewStore()
	var defs broker.Definitions
	var metaLog *meta.Log
	state := meta.NewState()
	if cfg.DataDir != "" {
		var err error
		metaLog, state, err = meta.Open(fsys, filepath.Join(cfg.DataDir, "meta"), log)
		if err != nil {
			return nil, fmt.Errorf("warren: opening definitions: %w", err)
		}
		defs = metaLog
	}
	mx := metrics.New(metrics.Options{PerObject: cfg.PerObjectMetrics == nil || *cfg.PerObjectMetrics})
	var msgStore *store.Store
	if cfg.DataDir != "" {
		mode, err := parseSyncMode(cfg.SyncMode)
		if err != nil {
			return nil, err
		}
		msgStore, err = store.Open(filepath.Join(cfg.DataDir, "queues"), store.Options{FS: fsys, Logger: log, SyncMode: mode, OnSync: mx.ObserveSync, OnCorrupt: mx.ObserveCorrupt})
		if err != nil {
			metaLog.Close()
			return nil, fmt.Errorf("warren: opening message store: %w", err)
		}
	}
	b := broker.New(broker.Options{Logger: log, Definitions: defs, Store: msgStore,
		HotLimit: cfg.MessageMemoryLimit, QueueHotLimit: cfg.QueueMessageMemoryLimit})
	s := &Server{
		log:        log,
		broker:     b,
		users:      users,
		perms:      auth.NewPermissions(),
		userLimits: auth.NewLimits(),
		meta:       metaLog,
		store:      msgStore,
		metrics:    mx,
		listeners:  make(map[net.Listener]struct{}),
		https:      make(map[*http.Server]net.Addr),
	}
	if err := s.restore(state, cfg); err != nil {
		s.closeStores()
		return nil, err
	}
	if err := s.startAlarms(cfg); err != nil {
		s.closeStores()
		return nil, err
	}
	s.amqp = amqp091.NewServer(amqp091.Config{
		Alarms:           s.alarms,
		Permissions:      s.perms,
		UserLimits:       s.userLimits,
		ConsumerTimeout:  cfg.ConsumerTimeout,
		Broker:           b,
		Users:            users,
		Logger:           log,
		ChannelMax:       cfg.ChannelMax,
		FrameMax:         cfg.FrameMax,
		Heartbeat:        cfg.Heartbeat,
		MaxMessageSize:   cfg.MaxMessageSize,
		HandshakeTimeout: cfg.HandshakeTimeout,
		LoopbackUsers:    cfg.LoopbackUsers,
		Version:          cfg.Version,
	})
	s.api = mgmt.New(mgmt.Deps{
		Broker: b, AMQP: s.amqp, Users: users, Permissions: s.perms, UserLimits: s.userLimits, Definitions: defs, // nil without a data directory
		Alarms: s.alarms, Logger: log, Version: cfg.Version, DataDir: cfg.DataDir, Node: cfg.NodeName,
		MemoryLimit: s.monitor.MemoryLimit, DiskFreeLimit: s.monitor.DiskFreeLimit,
		Listeners: s.listenerInfo, Metrics: mx.Handler(),
	})
	if err := mx.Register(metrics.Source{Broker: b, AMQP: s.amqp, Alarms: s.alarms, MemoryLimit: s.monitor.MemoryLimit,
		DiskFreeLimit: s.monitor.DiskFreeLimit, DataDir: cfg.DataDir, Identity: s.api.Identity, Version: cfg.Version}); err != nil {
		s.closeStores()
		return nil, fmt.Errorf("warren: metrics: %w", err)
	}
	s.api.Restore(state.Params)
	if cfg.DefinitionsFile != "" {
		data, err := os.ReadFile(cfg.DefinitionsFile)
		if err == nil {
			err = s.api.ImportDefinitions(data)
		}
		if err != nil {
			s.closeStores()
			return nil, fmt.Errorf("warren: loading definitions from %s: %w", cfg.DefinitionsFile, err)
		}
		log.Info("definitions loaded", "file", cfg.DefinitionsFile)
	}
	return s, nil
}

// HTTPHandler returns the management API (RabbitMQ's /api/...), the web
// UI ("/") and /metrics, for mounting on a server of the caller's own.
func (s *Server) HTTPHandler() http.Handler { return s.api.Handler() }

// MetricsHandler returns the Prometheus endpoint alone, for serving it on
// a listener of its own (RabbitMQ's is on port 15692).
func (s *Server) MetricsHandler() http.Handler { return s.metrics.Handler() }

// ServeHTTP serves the management API on l until Shutdown.
func (s *Server) ServeHTTP(l net.Listener) error {
	hs := &http.Server{Handler: s.api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.https[hs] = l.Addr()
	s.mu.Unlock()
	if err := hs.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ErrServerClosed
}

// listenerInfo lists the open listeners for /api/overview and the
// port-listener health checks.
func (s *Server) listenerInfo() []mgmt.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []mgmt.Listener
	add := func(proto string, a net.Addr) {
		if ta, ok := a.(*net.TCPAddr); ok {
			out = append(out, mgmt.Listener{Protocol: proto, IP: ta.IP.String(), Port: ta.Port})
		}
	}
	for l := range s.listeners {
		add("amqp", l.Addr())
	}
	for _, a := range s.https {
		add("http", a)
	}
	return out
}

// Serve accepts AMQP 0-9-1 connections on l until Shutdown or a listener
// error. It closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
		s.wg.Done()
	}()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: back off, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept error", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		go s.amqp.ServeConn(amqp091.CountBytes(nc))
	}
}

// Shutdown stops accepting, closes every client connection with 320
// CONNECTION_FORCED and waits for them, or until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for hs := range s.https {
		hs.Close()
	}
	s.mu.Unlock()
	s.api.Close()
	err := s.amqp.Shutdown(ctx)
	s.wg.Wait()
	s.stopAlarms()
	s.broker.StopDelayed() // no delayed-message timer outlives the server
	if cerr := s.closeStores(); err == nil {
		err = cerr
	}
	return err
}

func (s *Server) closeStores() error {
	var err error
	if s.store != nil {
		err = s.store.Close()
	}
	if s.meta != nil {
		if cerr := s.meta.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func parseSyncMode(m string) (store.SyncMode, error) {
	switch m {
	case "", "always":
		return store.SyncAlways, nil
	case "none":
		return store.SyncNone, nil
	case "interval":
		return store.SyncInterval, nil
	}
	return 0, fmt.Errorf("warren: unknown sync mode %q (always, interval, none)", m)
}

// ConnectionCount returns the number of open client connections.
func (s *Server) ConnectionCount() int { return s.amqp.ConnectionCount() }
