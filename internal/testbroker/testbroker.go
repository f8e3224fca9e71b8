package testbroker

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/warrenmq/warren"
)

// Start runs a broker with cfg until the test ends; an empty DataDir is a
// fresh temporary directory. wrap, if not nil, wraps the listener (e.g.
// tls.NewListener). It returns the server (Shutdown may be called early)
// and its address.
func Start(t testing.TB, cfg warren.Config, wrap func(net.Listener) net.Listener) (*warren.Server, string) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	srv, err := warren.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if wrap != nil {
		l = wrap(l)
	}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv, addr
}

// URI is the guest AMQP URI of a broker at addr.
func URI(addr string) string { return fmt.Sprintf("amqp://guest:guest@%s/", addr) }
