package warren

import (
	"fmt"
	"time"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/meta"
)

// Startup: definitions and messages from the data directory.

// restore loads persisted definitions, or on first start creates the
// default vhost and user (only then: a deleted guest stays deleted).
func (s *Server) restore(st *meta.State, cfg Config) error {
	if len(st.VHosts) == 0 && len(st.Users) == 0 {
		if _, err := s.broker.AddVHost("/"); err != nil {
			return err
		}
		u := s.users.AddUser(cfg.DefaultUser, cfg.DefaultPass, "administrator")
		if err := s.perms.Put(auth.Permission{User: u.Name, VHost: "/", Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
			return err
		}
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
	for _, p := range st.Permissions {
		if err := s.perms.Put(auth.Permission{User: p.User, VHost: p.VHost, Configure: p.Configure, Write: p.Write, Read: p.Read}); err != nil {
			s.log.Warn("ignoring invalid stored permission", "user", p.User, "vhost", p.VHost, "err", err)
		}
	}
	queues, err := s.broker.Restore(st)
	if err != nil {
		return fmt.Errorf("warren: restoring definitions: %w", err)
	}
	s.log.Info("definitions restored", "vhosts", len(st.VHosts), "exchanges", len(st.Exchanges), "queues", len(st.Queues), "bindings", len(st.Bindings), "users", len(st.Users))
	return s.recoverMessages(queues)
}

// recoverMessages loads the persistent messages of restored durable
// queues and deletes the logs of queues that did not survive (non-durable
// and exclusive ones, whose messages die with the broker, as in RabbitMQ).
func (s *Server) recoverMessages(queues []*broker.Queue) error {
	if s.store == nil {
		return nil
	}
	start := time.Now()
	keep := make(map[string]bool, len(queues))
	total := 0
	for _, q := range queues {
		keep[broker.LogName(q.VHost().Name(), q.Name())] = true
		n, err := q.RecoverMessages()
		if err != nil {
			return fmt.Errorf("warren: recovering queue %q: %w", q.Name(), err)
		}
		total += n
	}
	delayed, nd, err := s.broker.RecoverDelayed()
	if err != nil {
		return fmt.Errorf("warren: recovering delayed messages: %w", err)
	}
	for _, n := range delayed {
		keep[n] = true
	}
	total += nd
	names, err := s.store.Logs()
	if err != nil {
		return err
	}
	for _, n := range names {
		if !keep[n] {
			if err := s.store.RemoveLog(n); err != nil {
				s.log.Warn("removing stale queue log", "log", n, "err", err)
			}
		}
	}
	s.log.Info("messages recovered", "queues", len(queues), "messages", total, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
