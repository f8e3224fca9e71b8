package testbroker

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren"
)

// Start runs a broker with cfg until the test ends; an empty DataDir is a
// fresh temporary directory. wrap, if not nil, wraps the listener (e.g.
// tls.NewListener). It returns the server, its address and stop, which
// shuts it down (as the test's cleanup does): a test may call it early,
// from any goroutine, and later calls wait for the first to finish.
func Start(t testing.TB, cfg warren.Config, wrap func(net.Listener) net.Listener) (srv *warren.Server, addr string, stop func()) {
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
	addr = l.Addr().String()
	if wrap != nil {
		l = wrap(l)
	}
	go srv.Serve(l)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
		})
	}
	t.Cleanup(stop)
	return srv, addr, stop
}

// URI is the guest AMQP URI of a broker at addr.
func URI(addr string) string { return fmt.Sprintf("amqp://guest:guest@%s/", addr) }
