package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func TestAuthenticate(t *testing.T) {
	s := NewStore()
	s.AddUser("guest", "guest", "administrator")
	if _, err := s.Authenticate("guest", "guest"); err != nil {
		t.Fatalf("valid login refused: %v", err)
	}
	for _, c := range []struct{ user, pass string }{{"guest", "wrong"}, {"nobody", "guest"}, {"guest", ""}} {
		if _, err := s.Authenticate(c.user, c.pass); err == nil {
			t.Errorf("%q/%q accepted", c.user, c.pass)
		}
	}
}

// A hash computed the way RabbitMQ documents it must be accepted, so
// definitions exported from RabbitMQ import unchanged.
func TestRabbitMQHashFormat(t *testing.T) {
	salt := []byte{0x90, 0x8d, 0xc6, 0x0a}
	sum := sha256.Sum256(append(append([]byte{}, salt...), "test12"...))
	hash := base64.StdEncoding.EncodeToString(append(salt, sum[:]...))
	s := NewStore()
	s.Put(&User{Name: "u", PasswordHash: hash, HashAlgorithm: HashSHA256})
	if _, err := s.Authenticate("u", "test12"); err != nil {
		t.Fatal(err)
	}
	s.Put(&User{Name: "x", PasswordHash: hashWithSalt(HashSHA512, salt, "p"), HashAlgorithm: HashSHA512})
	if _, err := s.Authenticate("x", "p"); err != nil {
		t.Fatal(err)
	}
}
