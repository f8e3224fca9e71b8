package warren

import (
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/meta"
)

// Administration for embedding programs: vhosts, users, permissions.

// AddVHost creates (and persists) a virtual host.
func (s *Server) AddVHost(name string) error {
	_, err := s.broker.AddVHost(name)
	return err
}

// PutUser creates or replaces a user with a password (stored as a salted
// hash) and tags, persisting it.
func (s *Server) PutUser(name, password string, tags ...string) error {
	u := &auth.User{Name: name, PasswordHash: auth.HashPassword(password), HashAlgorithm: auth.HashSHA256, Tags: tags}
	if s.meta != nil {
		if err := s.meta.Apply(meta.Op{Kind: meta.OpUserPut, User: &meta.User{Name: u.Name, PasswordHash: u.PasswordHash, HashAlgorithm: u.HashAlgorithm, Tags: u.Tags}}); err != nil {
			return err
		}
	}
	s.users.Put(u)
	return nil
}

// SetPermissions gives a user configure/write/read patterns on a vhost,
// persisting them.
func (s *Server) SetPermissions(user, vhost, configure, write, read string) error {
	p := auth.Permission{User: user, VHost: vhost, Configure: configure, Write: write, Read: read}
	if err := p.Validate(); err != nil {
		return err
	}
	if s.meta != nil {
		if err := s.meta.Apply(meta.Op{Kind: meta.OpPermissionPut, Permission: &meta.Permission{User: user, VHost: vhost, Configure: configure, Write: write, Read: read}}); err != nil {
			return err
		}
	}
	return s.perms.Put(p)
}

// SetTopicPermissions limits a user's routing keys on a topic exchange.
func (s *Server) SetTopicPermissions(user, vhost, exchange, write, read string) error {
	return s.perms.PutTopic(auth.TopicPermission{User: user, VHost: vhost, Exchange: exchange, Write: write, Read: read})
}
