package main

import (
	"crypto/tls"
	"net"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/testcert"
)

// The binary serves AMQPS with the configured certificate and picks up a
// new one on SIGHUP without a restart.
func TestAMQPSCertificateReloadOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildWarren(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	testcert.WriteSelfSigned(t, cert, key, "first")
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
	testcert.WriteSelfSigned(t, cert, key, "second")
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("second")
}
