package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
)

// Hashing algorithms, named as in RabbitMQ definitions.
const (
	HashSHA256 = "rabbit_password_hashing_sha256"
	HashSHA512 = "rabbit_password_hashing_sha512"
)

// User is one broker user.
type User struct {
	Name          string
	PasswordHash  string // base64(salt ‖ hash(salt ‖ password)); "" = no password login
	HashAlgorithm string
	Tags          []string
}

// HasTag reports whether the user carries tag.
func (u *User) HasTag(tag string) bool {
	for _, t := range u.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Store is the set of users. It is safe for concurrent use.
type Store struct {
	mu    sync.RWMutex
	users map[string]*User // guarded by mu
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{users: make(map[string]*User)} }

// HashPassword returns RabbitMQ's salted SHA-256 hash of password.
func HashPassword(password string) string {
	var salt [4]byte
	_, _ = rand.Read(salt[:])
	return hashWithSalt(HashSHA256, salt[:], password)
}

func hashWithSalt(alg string, salt []byte, password string) string {
	buf := append(append([]byte{}, salt...), password...)
	var sum []byte
	switch alg {
	case HashSHA512:
		s := sha512.Sum512(buf)
		sum = s[:]
	default:
		s := sha256.Sum256(buf)
		sum = s[:]
	}
	return base64.StdEncoding.EncodeToString(append(append([]byte{}, salt...), sum...))
}

// Put adds or replaces a user.
func (s *Store) Put(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.Name] = u
}

// AddUser adds a user with a plain-text password, hashed before storing.
func (s *Store) AddUser(name, password string, tags ...string) *User {
	u := &User{Name: name, PasswordHash: HashPassword(password), HashAlgorithm: HashSHA256, Tags: tags}
	s.Put(u)
	return u
}

// Get returns the named user, or nil.
func (s *Store) Get(name string) *User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.users[name]
}

// ErrInvalidCredentials is returned for an unknown user or wrong password;
// the two are not distinguished, so a client cannot probe user names.
var ErrInvalidCredentials = errors.New("invalid credentials")

// Authenticate checks a user name and password.
func (s *Store) Authenticate(name, password string) (*User, error) {
	u := s.Get(name)
	if u == nil || u.PasswordHash == "" {
		return nil, ErrInvalidCredentials
	}
	raw, err := base64.StdEncoding.DecodeString(u.PasswordHash)
	if err != nil || len(raw) < 4 {
		return nil, ErrInvalidCredentials
	}
	want := hashWithSalt(u.HashAlgorithm, raw[:4], password)
	if subtle.ConstantTimeCompare([]byte(want), []byte(u.PasswordHash)) != 1 {
		return nil, ErrInvalidCredentials
	}
	return u, nil
}
