package auth

import "sort"

// List returns every user, sorted by name. Users are replaced, never
// modified, by Put, so the returned values stay consistent; callers must
// not modify them.
func (s *Store) List() []*User {
	s.mu.RLock()
	out := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Delete removes a user and reports whether it existed. Connections the
// user already opened stay open, as in RabbitMQ.
func (s *Store) Delete(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.users[name]
	delete(s.users, name)
	return ok
}

// Len returns the number of users.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.users)
}

// HashWithSalt returns the RabbitMQ-format hash of password with the given
// 4-byte salt and algorithm, so callers (and tests) can produce the hashes
// RabbitMQ definitions carry.
func HashWithSalt(algorithm string, salt [4]byte, password string) string {
	return hashWithSalt(algorithm, salt[:], password)
}

// ValidHashAlgorithm reports whether algorithm is one Warren can check
// ("" means the default, SHA-256).
func ValidHashAlgorithm(algorithm string) bool {
	return algorithm == "" || algorithm == HashSHA256 || algorithm == HashSHA512
}
