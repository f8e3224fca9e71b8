package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/warrenmq/warren/internal/ctl"
)

// ctlCommand is `warren ctl`, the operator command line (rabbitmqctl's
// verbs over the management HTTP API; `warren ctl help` lists them).
// Ctrl-C cancels the request in flight.
func ctlCommand(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return ctl.Main(ctx, args, getenv, os.Stdin, stdout, stderr)
}
