package tlsconf

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"

	"github.com/warrenmq/warren/internal/testcert"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// common name and returns the cert and key paths.
func writeCert(t *testing.T, dir, cn string) (string, string) {
	t.Helper()
	cp, kp := filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	testcert.WriteSelfSigned(t, cp, kp, cn)
	return cp, kp
}

func TestReloadServesNewCertificate(t *testing.T) {
	dir := t.TempDir()
	c1, k1 := writeCert(t, dir, "first")
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	copyFile(t, c1, cert)
	copyFile(t, k1, key)
	r, err := New(Options{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", r.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	peerCN := func() string {
		c, err := tls.Dial("tcp", l.Addr().String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if cn := peerCN(); cn != "first" {
		t.Fatalf("cn %q", cn)
	}
	c2, k2 := writeCert(t, dir, "second")
	copyFile(t, c2, cert)
	copyFile(t, k2, key)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if cn := peerCN(); cn != "second" {
		t.Fatalf("after reload cn %q", cn)
	}
	// A broken file keeps the old configuration.
	os.WriteFile(cert, []byte("garbage"), 0o600)
	if err := r.Reload(); err == nil {
		t.Fatal("reload of garbage succeeded")
	}
	if cn := peerCN(); cn != "second" {
		t.Fatalf("after failed reload cn %q", cn)
	}
}

func TestOptionErrors(t *testing.T) {
	dir := t.TempDir()
	c, k := writeCert(t, dir, "x")
	for _, o := range []Options{
		{CertFile: c, KeyFile: k, ClientAuth: "required"},
		{CertFile: c, KeyFile: k, ClientAuth: "bogus"},
		{CertFile: c, KeyFile: k, MinVersion: "1.0"},
		{CertFile: "missing", KeyFile: k},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
