package main

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
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 with the
// given common name over certFile and keyFile.
func writeSelfSigned(t *testing.T, certFile, keyFile, cn string) {
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
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The binary serves AMQPS with the configured certificate and picks up a
// new one on SIGHUP without a restart.
func TestAMQPSCertificateReloadOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildWarren(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	writeSelfSigned(t, cert, key, "first")
	amqps := freePort(t)
	cmd := exec.Command(bin, "server", "--amqp-listen", freePort(t), "--http-listen", freePort(t), "--data-dir", dir,
		"--amqps-listen", amqps, "--tls-cert-file", cert, "--tls-key-file", key)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	peerCN := func() string {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: time.Second}, "tcp", amqps, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			return ""
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	waitFor := func(want string) {
		t.Helper()
		for i := 0; i < 100; i++ {
			if peerCN() == want {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("AMQPS listener never served the certificate %q (got %q)", want, peerCN())
	}
	waitFor("first")
	writeSelfSigned(t, cert, key, "second")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("second")
}
