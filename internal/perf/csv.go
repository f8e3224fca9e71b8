package perf

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// --output-file (-o) writes the per-interval samples as CSV, one row per
// sampling interval as it ends, in PerfTest's column layout (id, time,
// the five rates, then five consumer and five confirm latency
// percentiles), so spreadsheets and scripts made for PerfTest's files
// read ours. PerfTest's documentation does not spell the layout out; it
// is taken from what PerfTest writes, and the header row names every
// column. A column that does not apply to the run (confirms without
// --confirm, returns without mandatory, ...) is left empty, as there.

// csvOutput is the open --output-file.
type csvOutput struct {
	f    *os.File
	c    *Config
	werr error // the first write error; later rows are not attempted
}

// openCSV creates (or truncates) the file and writes the header row.
func openCSV(c *Config) (*csvOutput, error) {
	f, err := os.Create(c.OutputFile)
	if err != nil {
		return nil, fmt.Errorf("--output-file: %v", err)
	}
	o := &csvOutput{f: f, c: c}
	_, unit := latencyUnit(c)
	cols := []string{"id", "time (s)", "published (msg/s)", "returned (msg/s)", "confirmed (msg/s)",
		"nacked (msg/s)", "received (msg/s)"}
	for _, kind := range []string{"consumer", "confirm"} {
		for _, p := range []string{"min", "median", "75th p.", "95th p.", "99th p."} {
			cols = append(cols, fmt.Sprintf("%s %s latency (%s)", p, kind, unit))
		}
	}
	o.write(cols)
	return o, o.werr
}

// row writes one sample; each row goes out at once, so the file can be
// followed while the test runs.
func (o *csvOutput) row(s Sample) {
	c := o.c
	producing, consuming := c.Producers > 0, c.Consumers > 0
	confirming := producing && c.Confirm > 0
	rate := func(v float64, shown bool) string {
		if !shown {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	div, _ := latencyUnit(c)
	lat := func(l Latency, shown bool) []string {
		if !shown {
			return []string{"", "", "", "", ""}
		}
		var out []string
		for _, v := range []float64{l.Min, l.P50, l.P75, l.P95, l.P99} {
			out = append(out, strconv.FormatFloat(v/div, 'f', 0, 64))
		}
		return out
	}
	cols := []string{csvField(c.ID), strconv.FormatFloat(s.T, 'f', 3, 64),
		rate(s.Sent, producing), rate(s.Returned, producing && c.Mandatory),
		rate(s.Confirmed, confirming), rate(s.Nacked, confirming), rate(s.Received, consuming)}
	cols = append(cols, lat(s.Consumer, consuming)...)
	o.write(append(cols, lat(s.Confirm, confirming)...))
}

func (o *csvOutput) write(cols []string) {
	if o.werr != nil {
		return
	}
	_, o.werr = o.f.WriteString(strings.Join(cols, ",") + "\n")
}

// close closes the file and reports the first write error.
func (o *csvOutput) close() error {
	if err := o.f.Close(); o.werr == nil {
		o.werr = err
	}
	if o.werr != nil {
		return fmt.Errorf("writing --output-file %s: %v", o.c.OutputFile, o.werr)
	}
	return nil
}

// csvField quotes a value that contains a separator, a quote or a line
// break (RFC 4180); the test id is the only free text in a row.
func csvField(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
