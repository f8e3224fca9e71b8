// Command warren runs the Warren message broker and its tools.
//
//	warren [server] [flags]   run the broker (the default)
//	warren perf [flags]       load-test any AMQP 0-9-1 broker (see warren perf -h)
//	warren ctl VERB [args]    manage a broker over its HTTP API (see warren ctl help)
//	warren version            print the version
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/config"
	"github.com/warrenmq/warren/internal/tlsconf"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if os.Getenv("WARREN_PPROF_LISTEN") == "" {
		// Heap profiling samples every 512 KiB allocated by default and
		// keeps its buckets forever (over a MiB in a broker): only pay
		// for it when profiling is asked for.
		runtime.MemProfileRate = 0
	}
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "server"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "server":
		return server(args, getenv, stderr)
	case "perf":
		return perfCommand(args, stdout, stderr)
	case "ctl":
		return ctlCommand(args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "warren", version)
		return 0
	case "help":
		fmt.Fprintln(stdout, "usage: warren [server] [flags] | warren perf [flags] | warren ctl VERB | warren version; -h lists flags")
		return 0
	}
	fmt.Fprintf(stderr, "warren: unknown command %q\n", cmd)
	return 2
}

func server(args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "warren:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	srv, err := warren.New(warren.Config{
		Logger:              log,
		DataDir:             cfg.DataDir,
		DefaultUser:         cfg.DefaultUser,
		DefaultPass:         cfg.DefaultPass,
		FrameMax:            cfg.FrameMax,
		ChannelMax:          cfg.ChannelMax,
		Heartbeat:           cfg.Heartbeat,
		MaxMessageSize:      cfg.MaxMessageSize,
		HandshakeTimeout:    cfg.HandshakeTimeout,
		SyncMode:            cfg.SyncMode,
		ConsumerTimeout:     cfg.ConsumerTimeout,
		DefinitionsFile:     cfg.Definitions,
		PerObjectMetrics:    &cfg.MetricsPerObject,
		MemoryHighWatermark: cfg.MemoryHighWater,
		DiskFreeLimit:       cfg.DiskFreeLimit,
		Version:             version,
	})
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	// The process is the broker: tune the collector for it. A deep queue's
	// index is pointer-free and costs the collector nothing to scan, so a
	// lower GOGC trades little CPU for a much smaller heap; and the heap is
	// capped at the memory alarm's watermark, so the collector works
	// harder before publishers have to be blocked.
	if getenv("GOGC") == "" { // an operator's GOGC wins
		debug.SetGCPercent(50)
	}
	if wm := srv.MemoryHighWatermarkBytes(); wm > 0 {
		debug.SetMemoryLimit(wm)
	}
	l, err := net.Listen("tcp", cfg.AMQPListen)
	if err != nil {
		log.Error("listen failed", "addr", cfg.AMQPListen, "err", err)
		return 1
	}
	log.Info("warren started", "version", version, "amqp", l.Addr().String(), "data_dir", cfg.DataDir)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(l) }()
	if addr := getenv("WARREN_PPROF_LISTEN"); addr != "" {
		// Profiling for developers (see docs/BENCHMARKS.md), off by default.
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() { log.Info("pprof listening", "addr", addr, "err", http.ListenAndServe(addr, mux)) }()
	}
	hl, err := net.Listen("tcp", cfg.HTTPListen)
	if err != nil {
		log.Error("listen failed", "addr", cfg.HTTPListen, "err", err)
		return 1
	}
	log.Info("management HTTP API listening", "addr", hl.Addr().String())
	go func() {
		if err := srv.ServeHTTP(hl); err != nil && !errors.Is(err, warren.ErrServerClosed) {
			errc <- err
		}
	}()
	var reloader *tlsconf.Reloader
	if cfg.TLSCertFile != "" {
		reloader, err = tlsconf.New(tlsconf.Options{CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile,
			CAFile: cfg.TLSCAFile, ClientAuth: cfg.TLSClientAuth, MinVersion: cfg.TLSMinVersion})
		if err != nil {
			log.Error("TLS configuration", "err", err)
			return 1
		}
		tl, err := net.Listen("tcp", cfg.AMQPSListen)
		if err != nil {
			log.Error("listen failed", "addr", cfg.AMQPSListen, "err", err)
			return 1
		}
		log.Info("AMQPS listening", "addr", tl.Addr().String(), "client_auth", cfg.TLSClientAuth)
		go func() { errc <- srv.Serve(tls.NewListener(amqp091.CountListener(tl), reloader.Config())) }()
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for running := true; running; {
		select {
		case <-hup:
			if reloader != nil {
				if err := reloader.Reload(); err != nil {
					log.Error("TLS reload failed; keeping the previous certificates", "err", err)
				} else {
					log.Info("TLS certificates reloaded")
				}
			}
		case <-ctx.Done():
			log.Info("shutting down")
			running = false
		case err := <-errc:
			log.Error("listener failed", "err", err)
			return 1
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown incomplete", "err", err)
	}
	log.Info("stopped")
	return 0
}
