package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with the given
// common name and returns the cert and key paths.
func writeCert(t *testing.T, dir, cn string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cp, kp := filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	os.WriteFile(cp, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kp, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
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
