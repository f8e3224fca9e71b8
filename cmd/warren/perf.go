package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/warrenmq/warren/internal/perf"
)

// perfCommand is `warren perf`, the load-testing tool (RabbitMQ PerfTest's
// options and more; `warren perf --help` lists them). Ctrl-C ends the run
// early but still prints the summary and writes the report.
func perfCommand(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return perf.Main(ctx, version, args, stdout, stderr)
}
