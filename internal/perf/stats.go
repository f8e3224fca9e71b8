package perf

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// stats is what all workers of a run report into. Counters are atomics so
// the hot paths take no lock; latencies go to mutex-guarded recorders.
type stats struct {
	start time.Time

	sent, confirmed, nacked, returned, received, bytesSent atomic.Int64
	churnOK, churnFailed                                   atomic.Int64
	producerCommits, consumerCommits                       atomic.Int64

	consumerLat, confirmLat, churnLat Recorder
	errors                            *errorLog

	mu      sync.Mutex
	samples []Sample

	onSample func(Sample) // --output-file's writer, on the sampler goroutine
}

// Sample is one sampling interval (a second by default). Rates are per
// second whatever the interval; latencies are for messages received (or
// confirmed) within the interval.
type Sample struct {
	T           float64 `json:"t_s"` // end of the interval, seconds since the start
	Sent        float64 `json:"sent_per_s"`
	Received    float64 `json:"received_per_s"`
	Confirmed   float64 `json:"confirmed_per_s"`
	Nacked      float64 `json:"nacked_per_s"`
	Returned    float64 `json:"returned_per_s"`
	Churn       float64 `json:"churn_per_s"`
	ChurnFailed float64 `json:"churn_failed_per_s"`
	Consumer    Latency `json:"consumer_latency"`
	Confirm     Latency `json:"confirm_latency"`
	ChurnOp     Latency `json:"churn_latency"`
}

type snapshot struct {
	t                                                        time.Time
	sent, confirmed, nacked, returned, received, churn, fail int64
}

func (s *stats) snap() snapshot {
	return snapshot{time.Now(), s.sent.Load(), s.confirmed.Load(), s.nacked.Load(),
		s.returned.Load(), s.received.Load(), s.churnOK.Load(), s.churnFailed.Load()}
}

// sample closes the interval that started at prev.
func (s *stats) sample(prev snapshot) (Sample, snapshot) {
	cur := s.snap()
	secs := cur.t.Sub(prev.t).Seconds()
	rate := func(a, b int64) float64 {
		if secs <= 0 {
			return 0
		}
		return math.Round(float64(a-b)/secs*10) / 10
	}
	smp := Sample{
		T:           math.Round(cur.t.Sub(s.start).Seconds()*1000) / 1000,
		Sent:        rate(cur.sent, prev.sent),
		Received:    rate(cur.received, prev.received),
		Confirmed:   rate(cur.confirmed, prev.confirmed),
		Nacked:      rate(cur.nacked, prev.nacked),
		Returned:    rate(cur.returned, prev.returned),
		Churn:       rate(cur.churn, prev.churn),
		ChurnFailed: rate(cur.fail, prev.fail),
		Consumer:    s.consumerLat.Interval(),
		Confirm:     s.confirmLat.Interval(),
		ChurnOp:     s.churnLat.Interval(),
	}
	s.mu.Lock()
	s.samples = append(s.samples, smp)
	s.mu.Unlock()
	return smp, cur
}

// sampler prints a progress line every interval until ctx is done, then
// closes the last (partial) interval so no message goes unreported.
func (s *stats) sampler(ctx context.Context, c *Config, w io.Writer, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	prev := s.snap()
	prev.t = s.start
	for {
		select {
		case <-ctx.Done():
			if time.Since(prev.t) > c.Interval/10 {
				smp, _ := s.sample(prev)
				s.report(w, c, smp)
			}
			return
		case <-t.C:
			var smp Sample
			smp, prev = s.sample(prev)
			s.report(w, c, smp)
		}
	}
}

func (s *stats) report(w io.Writer, c *Config, smp Sample) {
	progressLine(w, c, smp)
	if s.onSample != nil {
		s.onSample(smp)
	}
}

// latencyUnit is how latencies are printed: microseconds, as PerfTest
// does, or milliseconds with --use-millis (div divides microseconds).
func latencyUnit(c *Config) (div float64, unit string) {
	if c.UseMillis {
		return 1000, "ms"
	}
	return 1, "µs"
}

// progressLine prints a sample in PerfTest's format, so scripts written
// for PerfTest's output keep working.
func progressLine(w io.Writer, c *Config, s Sample) {
	div, unit := latencyUnit(c)
	l := s.Consumer
	line := fmt.Sprintf("id: %s, time: %.3f s, sent: %.0f msg/s, confirmed: %.0f msg/s, nacked: %.0f msg/s, returned: %.0f msg/s, received: %.0f msg/s, min/median/75th/95th/99th consumer latency: %.0f/%.0f/%.0f/%.0f/%.0f %s",
		c.ID, s.T, s.Sent, s.Confirmed, s.Nacked, s.Returned, s.Received, l.Min/div, l.P50/div, l.P75/div, l.P95/div, l.P99/div, unit)
	if c.Confirm > 0 {
		k := s.Confirm
		line += fmt.Sprintf(", confirm latency: %.0f/%.0f/%.0f/%.0f/%.0f %s", k.Min/div, k.P50/div, k.P75/div, k.P95/div, k.P99/div, unit)
	}
	if c.Churn != "" {
		line += fmt.Sprintf(", churn %s: %.0f ops/s (%.0f failed/s), p99 %.0f µs", c.Churn, s.Churn, s.ChurnFailed, s.ChurnOp.P99)
	}
	fmt.Fprintln(w, line)
}

// Result is the outcome of a run: the JSON summary and the report's data.
type Result struct {
	ID       string    `json:"id"`
	URI      string    `json:"uri"`            // password redacted
	URIs     []string  `json:"uris,omitempty"` // --uris, passwords redacted
	Start    time.Time `json:"start"`
	Duration float64   `json:"duration_s"`
	Setup    Setup     `json:"setup"`

	Sent      int64 `json:"sent"`
	Confirmed int64 `json:"confirmed"`
	Nacked    int64 `json:"nacked"`
	Returned  int64 `json:"returned"`
	Received  int64 `json:"received"`
	BytesSent int64 `json:"bytes_sent"`

	ProducerCommits int64 `json:"producer_commits,omitempty"` // --ptxsize
	ConsumerCommits int64 `json:"consumer_commits,omitempty"` // --ctxsize

	SendRate    float64 `json:"send_rate"` // msg/s averaged over the run
	ReceiveRate float64 `json:"receive_rate"`
	ConfirmRate float64 `json:"confirm_rate"`

	ConsumerLatency Latency      `json:"consumer_latency"`
	ConfirmLatency  Latency      `json:"confirm_latency"`
	Churn           *ChurnResult `json:"churn,omitempty"`

	Samples []Sample     `json:"samples"`
	Errors  []ErrorEntry `json:"errors"`
	Error   string       `json:"error,omitempty"` // why the run failed, if it did

	consumerHist, confirmHist *Histogram
}

// Setup echoes the options that shape the numbers.
type Setup struct {
	Producers        int            `json:"producers"`
	Consumers        int            `json:"consumers"`
	ProducerChannels int            `json:"producer_channels"`
	ConsumerChannels int            `json:"consumer_channels"`
	Exchange         string         `json:"exchange"`
	ExchangeType     string         `json:"exchange_type"`
	Queues           []string       `json:"queues"`
	Rate             float64        `json:"rate"`
	VariableRate     []Step         `json:"variable_rate,omitempty"`
	Size             int            `json:"size"`
	BodySizes        []WeightedSize `json:"body_sizes,omitempty"`
	Confirm          int            `json:"confirm"`
	AutoAck          bool           `json:"autoack"`
	Persistent       bool           `json:"persistent"`
	Mandatory        bool           `json:"mandatory"`
	Qos              int            `json:"qos"`
	Time             float64        `json:"time_s"`
	PMessages        int            `json:"pmessages"`
	CMessages        int            `json:"cmessages"`
}

// ChurnResult is the outcome of --churn.
type ChurnResult struct {
	Kind     string  `json:"kind"`
	Target   float64 `json:"target_per_s"`
	Achieved float64 `json:"achieved_per_s"` // successful operations per second
	OK       int64   `json:"ok"`
	Failed   int64   `json:"failed"`
	Latency  Latency `json:"latency"` // open+close, from the intended start

	hist *Histogram
}

func (s *stats) result(c *Config, end time.Time) *Result {
	d := end.Sub(s.start).Seconds()
	per := func(n int64) float64 {
		if d <= 0 {
			return 0
		}
		return math.Round(float64(n)/d*10) / 10
	}
	r := &Result{
		ID: c.ID, URI: RedactURI(c.URI), Start: s.start, Duration: math.Round(d*1000) / 1000,
		Setup: Setup{Producers: c.Producers, Consumers: c.Consumers, ProducerChannels: c.ProducerChannels,
			ConsumerChannels: c.ConsumerChannels, Exchange: c.Exchange, ExchangeType: c.ExchangeType,
			Queues: c.queueNames(), Rate: c.Rate, VariableRate: c.VariableRate, Size: max(c.Size, HeaderSize),
			BodySizes: c.BodySizes, Confirm: c.Confirm, AutoAck: c.AutoAck, Persistent: c.Persistent,
			Mandatory: c.Mandatory, Qos: c.Qos, Time: c.Time.Seconds(), PMessages: c.PMessages, CMessages: c.CMessages},
		Sent: s.sent.Load(), Confirmed: s.confirmed.Load(), Nacked: s.nacked.Load(),
		Returned: s.returned.Load(), Received: s.received.Load(), BytesSent: s.bytesSent.Load(),
		ProducerCommits: s.producerCommits.Load(), ConsumerCommits: s.consumerCommits.Load(),
		consumerHist: s.consumerLat.Total(), confirmHist: s.confirmLat.Total(),
		Errors: s.errors.list(),
	}
	for _, u := range c.URIs {
		r.URIs = append(r.URIs, RedactURI(u))
	}
	r.SendRate, r.ReceiveRate, r.ConfirmRate = per(r.Sent), per(r.Received), per(r.Confirmed)
	r.ConsumerLatency, r.ConfirmLatency = r.consumerHist.Summary(), r.confirmHist.Summary()
	if c.Churn != "" {
		h := s.churnLat.Total()
		ok := s.churnOK.Load()
		r.Churn = &ChurnResult{Kind: c.Churn, Target: c.ChurnRate, Achieved: per(ok), OK: ok,
			Failed: s.churnFailed.Load(), Latency: h.Summary(), hist: h}
	}
	s.mu.Lock()
	r.Samples = append([]Sample(nil), s.samples...)
	s.mu.Unlock()
	if r.Samples == nil {
		r.Samples = []Sample{}
	}
	return r
}
