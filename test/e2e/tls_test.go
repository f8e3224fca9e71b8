package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/tlsconf"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	dir  string
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "warren test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, dir: t.TempDir()}
	writePEM(t, filepath.Join(ca.dir, "ca.pem"), "CERTIFICATE", der)
	return ca
}

// issue writes a certificate signed by the CA; server certificates get
// 127.0.0.1 as their address.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(ca.dir, cn+".crt"), filepath.Join(ca.dir, cn+".key")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", kb)
	return certFile, keyFile
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLS adds an AMQPS listener with the given client-auth policy to an
// embedded broker and returns its address.
func startTLS(t *testing.T, b *broker, ca *testCA, clientAuth string) string {
	t.Helper()
	cert, key := ca.issue(t, "server", true)
	r, err := tlsconf.New(tlsconf.Options{CertFile: cert, KeyFile: key, CAFile: filepath.Join(ca.dir, "ca.pem"), ClientAuth: clientAuth})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go b.srv.Serve(tls.NewListener(l, r.Config()))
	return l.Addr().String()
}

func (ca *testCA) clientConfig(t *testing.T, cn string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	c := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if cn != "" {
		cf, kf := ca.issue(t, cn, false)
		pair, err := tls.LoadX509KeyPair(cf, kf)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c
}

func TestTLSPlainAndExternal(t *testing.T) {
	if external() {
		t.Skip("starts its own TLS listener")
	}
	b := start(t)
	must(t, b.srv.PutUser("app", "unused-password"))
	must(t, b.srv.SetPermissions("app", "/", ".*", ".*", ".*"))
	ca := newTestCA(t)
	addr := startTLS(t, b, ca, "optional")

	// PLAIN over TLS, no client certificate.
	c, err := amqp.DialTLS(fmt.Sprintf("amqps://guest:guest@%s/", addr), ca.clientConfig(t, ""))
	must(t, err)
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	c.Close()

	// EXTERNAL: the certificate's CN is the user.
	c, err = amqp.DialTLS_ExternalAuth(fmt.Sprintf("amqps://%s/", addr), ca.clientConfig(t, "app"))
	must(t, err)
	if _, err := c.Channel(); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A certificate for a user that does not exist is refused.
	if _, err := amqp.DialTLS_ExternalAuth(fmt.Sprintf("amqps://%s/", addr), ca.clientConfig(t, "stranger")); err == nil {
		t.Fatal("unknown certificate subject accepted")
	}
}

func TestTLSClientCertificateRequired(t *testing.T) {
	if external() {
		t.Skip("starts its own TLS listener")
	}
	b := start(t)
	ca := newTestCA(t)
	addr := startTLS(t, b, ca, "required")
	if _, err := amqp.DialTLS(fmt.Sprintf("amqps://guest:guest@%s/", addr), ca.clientConfig(t, "")); err == nil {
		t.Fatal("connection without a client certificate accepted")
	}
	c, err := amqp.DialTLS(fmt.Sprintf("amqps://guest:guest@%s/", addr), ca.clientConfig(t, "someone"))
	must(t, err)
	c.Close()
}
