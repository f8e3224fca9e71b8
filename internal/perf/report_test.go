package perf

import (
	"errors"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

// syntheticResult builds a result as a 30 s run with confirms, churn and
// errors would, without a broker.
func syntheticResult(t *testing.T) (*Config, *Result) {
	t.Helper()
	c, err := ParseArgs([]string{"-c", "100", "-f", "mandatory", "--churn", "connections", "--churn-rate", "10", "-d", "synthetic"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_700_000_000, 0)
	st := &stats{start: start, errors: newErrorLog(start, nil)}
	rng := rand.New(rand.NewPCG(3, 4))
	prev := snapshot{t: start}
	for sec := range 30 {
		n := 900 + rng.IntN(200)
		for range n {
			lat := int64(rng.ExpFloat64() * 300e3)
			if sec == 17 {
				lat += 40e6 // a stall
			}
			st.consumerLat.Record(lat)
			st.confirmLat.Record(lat / 2)
		}
		st.sent.Add(int64(n))
		st.received.Add(int64(n))
		st.confirmed.Add(int64(n))
		st.churnOK.Add(10)
		st.churnLat.Record(800e3)
		smp, cur := st.sample(prev)
		smp.T = float64(sec + 1) // sample() stamps wall-clock time
		st.samples[len(st.samples)-1] = smp
		prev = cur
	}
	st.errors.add(errors.New(`churn connections: <script>alert("x")</script> refused`), false)
	return c, st.result(c, start.Add(30*time.Second))
}

func TestReportIsSelfContained(t *testing.T) {
	c, res := syntheticResult(t)
	var b strings.Builder
	if err := WriteReport(&b, c, res); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	// Nothing may be fetched: no src or href at all, no CSS imports or
	// url(), no http(s) reference anywhere.
	for _, re := range []string{`(?i)\ssrc\s*=`, `(?i)\shref\s*=`, `(?i)@import`, `(?i)url\(`, `(?i)https?://`, `(?i)<link`, `(?i)<iframe`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("report contains %q (%s)", m, re)
		}
	}
	for _, id := range []string{"throughput", "latency", "distribution", "confirm-latency", "churn"} {
		if !strings.Contains(page, `<svg class="chart" id="`+id+`"`) {
			t.Errorf("chart %q missing", id)
		}
	}
	if strings.Contains(page, `<script>alert`) || !strings.Contains(page, "&lt;script&gt;alert") {
		t.Error("error messages are not escaped")
	}
	for _, want := range []string{"Global information", "p99.9", "Consumer latency ranges", "Errors", "synthetic"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestDistributionKeepsEveryValue(t *testing.T) {
	_, res := syntheticResult(t)
	var total uint64
	for _, b := range distribution(res.consumerHist, 40) {
		total += b.Count
	}
	if total != res.consumerHist.Count() {
		t.Errorf("bins hold %d values, histogram %d", total, res.consumerHist.Count())
	}
}
