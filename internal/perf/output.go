package perf

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Exit codes of `warren perf`.
const (
	ExitOK     = 0
	ExitFailed = 1 // could not connect, a channel or connection closed, deadline
	ExitUsage  = 2
)

// Main is `warren perf`: it parses args, runs the test until ctx is done
// at the latest, prints the summary (or JSON) and writes the report.
// version is the program's, printed by --version.
func Main(ctx context.Context, version string, args []string, stdout, stderr io.Writer) int {
	c, err := ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if errors.Is(err, ErrVersion) {
		fmt.Fprintf(stdout, "warren perf %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "warren perf: %v\nRun 'warren perf --help' for the options.\n", err)
		return ExitUsage
	}
	progress := stdout
	if c.JSON { // keep stdout a single JSON document
		progress = stderr
	}
	target := RedactURI(c.URI)
	if len(c.URIs) > 0 {
		var all []string
		for _, u := range c.URIs {
			all = append(all, RedactURI(u))
		}
		target = strings.Join(all, ", ")
	}
	fmt.Fprintf(progress, "id: %s, starting %d producer(s) and %d consumer(s) against %s\n",
		c.ID, c.Producers*c.ProducerChannels, c.Consumers*c.ConsumerChannels, target)
	res, runErr := Run(ctx, c, progress, stderr)
	code := ExitOK
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(stderr, "warren perf: writing JSON:", err)
			code = ExitFailed
		}
	} else if len(res.Samples) > 0 {
		PrintSummary(stdout, c, res)
	}
	if c.Report != "" {
		if err := writeReportFile(c.Report, c, res); err != nil {
			fmt.Fprintln(stderr, "warren perf: writing the report:", err)
			code = ExitFailed
		} else {
			fmt.Fprintf(stderr, "warren perf: report written to %s\n", c.Report)
		}
	}
	if runErr != nil {
		fmt.Fprintln(stderr, "warren perf:", runErr)
		return ExitFailed
	}
	return code
}

func writeReportFile(path string, c *Config, res *Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteReport(f, c, res); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// PrintSummary prints PerfTest's two closing lines, then the totals and
// the latency percentiles of the whole run.
func PrintSummary(w io.Writer, c *Config, r *Result) {
	fmt.Fprintf(w, "id: %s, sending rate avg: %.0f msg/s\n", r.ID, r.SendRate)
	fmt.Fprintf(w, "id: %s, receiving rate avg: %.0f msg/s\n", r.ID, r.ReceiveRate)
	fmt.Fprintf(w, "summary: %.3f s, sent %d, received %d, confirmed %d, nacked %d, returned %d, %s sent\n",
		r.Duration, r.Sent, r.Received, r.Confirmed, r.Nacked, r.Returned, humanBytes(r.BytesSent))
	if r.ProducerCommits > 0 || r.ConsumerCommits > 0 {
		fmt.Fprintf(w, "transactions: %d producer commits, %d consumer commits\n", r.ProducerCommits, r.ConsumerCommits)
	}
	div, unit := latencyUnit(c)
	num := "%.0f" // whole microseconds; milliseconds keep three decimals
	if c.UseMillis {
		num = "%.3f"
	}
	lat := func(name string, l Latency) {
		if l.Count == 0 {
			return
		}
		fmt.Fprintf(w, "%s latency (%s, %d values): min "+num+", p50 "+num+", p75 "+num+", p95 "+num+", p99 "+num+", p99.9 "+num+", max "+num+", mean "+num+"\n",
			name, unit, l.Count, l.Min/div, l.P50/div, l.P75/div, l.P95/div, l.P99/div, l.P999/div, l.Max/div, l.Mean/div)
	}
	lat("consumer", r.ConsumerLatency)
	lat("confirm", r.ConfirmLatency)
	if ch := r.Churn; ch != nil {
		fmt.Fprintf(w, "churn %s: %d ok, %d failed, %.1f/s achieved of %.1f/s target\n",
			ch.Kind, ch.OK, ch.Failed, ch.Achieved, ch.Target)
		lat("churn "+ch.Kind, ch.Latency)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error (%d×, first at %.1f s): %s\n", e.Count, e.First, e.Message)
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
