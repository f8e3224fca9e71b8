package warren

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/meta"
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

	FrameMax         uint32
	ChannelMax       uint16
	Heartbeat        time.Duration
	MaxMessageSize   uint64
	HandshakeTimeout time.Duration
	Version          string
}

// Server is a running broker.
type Server struct {
	log    *slog.Logger
	broker *broker.Broker
	users  *auth.Store
	meta   *meta.Log // nil without a data directory
	amqp   *amqp091.Server

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
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
	users := auth.NewStore()
	var defs broker.Definitions
	var metaLog *meta.Log
	state := meta.NewState()
	if cfg.DataDir != "" {
		var err error
		metaLog, state, err = meta.Open(vfs.OS(), filepath.Join(cfg.DataDir, "meta"), log)
		if err != nil {
			return nil, fmt.Errorf("warren: opening definitions: %w", err)
		}
		defs = metaLog
	}
	b := broker.New(broker.Options{Logger: log, Definitions: defs})
	s := &Server{
		log:       log,
		broker:    b,
		users:     users,
		meta:      metaLog,
		listeners: make(map[net.Listener]struct{}),
	}
	if err := s.restore(state, cfg); err != nil {
		if metaLog != nil {
			metaLog.Close()
		}
		return nil, err
	}
	s.amqp = amqp091.NewServer(amqp091.Config{
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
	return s, nil
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
		go s.amqp.ServeConn(nc)
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
	s.mu.Unlock()
	err := s.amqp.Shutdown(ctx)
	s.wg.Wait()
	if s.meta != nil {
		if cerr := s.meta.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// restore loads persisted definitions, or on first start creates the
// default vhost and user (only then: a deleted guest stays deleted).
func (s *Server) restore(st *meta.State, cfg Config) error {
	if len(st.VHosts) == 0 && len(st.Users) == 0 {
		if _, err := s.broker.AddVHost("/"); err != nil {
			return err
		}
		u := s.users.AddUser(cfg.DefaultUser, cfg.DefaultPass, "administrator")
		if s.meta != nil {
			err := s.meta.Apply(
				meta.Op{Kind: meta.OpUserPut, User: &meta.User{Name: u.Name, PasswordHash: u.PasswordHash, HashAlgorithm: u.HashAlgorithm, Tags: u.Tags}},
				meta.Op{Kind: meta.OpPermissionPut, Permission: &meta.Permission{User: u.Name, VHost: "/", Configure: ".*", Write: ".*", Read: ".*"}},
			)
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, u := range st.Users {
		s.users.Put(&auth.User{Name: u.Name, PasswordHash: u.PasswordHash, HashAlgorithm: u.HashAlgorithm, Tags: u.Tags})
	}
	if _, err := s.broker.Restore(st); err != nil {
		return fmt.Errorf("warren: restoring definitions: %w", err)
	}
	s.log.Info("definitions restored", "vhosts", len(st.VHosts), "exchanges", len(st.Exchanges), "queues", len(st.Queues), "bindings", len(st.Bindings), "users", len(st.Users))
	return nil
}

// ConnectionCount returns the number of open client connections.
func (s *Server) ConnectionCount() int { return s.amqp.ConnectionCount() }
