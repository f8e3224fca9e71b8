package perf

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteReport writes the self-contained HTML report of a run, laid out
// like a Gatling report: global figures, latency table and ranges, charts
// over time, distribution, errors, and the per-interval samples. All
// styles, charts (inline SVG) and the small legend script are inside the
// file: it references nothing outside itself.
func WriteReport(w io.Writer, c *Config, r *Result) error {
	return reportTemplate.Execute(w, buildReport(c, r))
}

type kv struct{ K, V string }

type latRow struct {
	Name                                     string
	Count                                    uint64
	Min, P50, P75, P95, P99, P999, Max, Mean string
}

type chartBlock struct {
	Title, Note string
	SVG         template.HTML
}

type rangeSeg struct {
	Label, Class string
	Count        uint64
	Pct          float64
}

type reportData struct {
	ID, URI, Start, Generated, Status string
	Failed                            bool
	Cards                             []kv
	Latency                           []latRow
	Ranges                            []rangeSeg
	Charts                            []chartBlock
	Setup                             []kv
	Errors                            []ErrorEntry
	Samples                           []Sample
}

func latencyRow(name string, l Latency) latRow {
	return latRow{Name: name, Count: l.Count, Min: fmtMicros(l.Min), P50: fmtMicros(l.P50), P75: fmtMicros(l.P75),
		P95: fmtMicros(l.P95), P99: fmtMicros(l.P99), P999: fmtMicros(l.P999), Max: fmtMicros(l.Max), Mean: fmtMicros(l.Mean)}
}

// latencyRanges counts values under 1 ms, 1-10 ms, 10-100 ms and above,
// Gatling's "response time ranges" for a broker's scale.
func latencyRanges(h *Histogram) []rangeSeg {
	segs := []rangeSeg{{Label: "t < 1 ms", Class: "r0"}, {Label: "1 ms ≤ t < 10 ms", Class: "r1"},
		{Label: "10 ms ≤ t < 100 ms", Class: "r2"}, {Label: "t ≥ 100 ms", Class: "r3"}}
	if h == nil || h.Count() == 0 {
		return nil
	}
	for _, b := range h.Buckets() {
		i := 3
		switch {
		case b.Hi < int64(time.Millisecond):
			i = 0
		case b.Hi < int64(10*time.Millisecond):
			i = 1
		case b.Hi < int64(100*time.Millisecond):
			i = 2
		}
		segs[i].Count += b.Count
	}
	for i := range segs {
		segs[i].Pct = float64(segs[i].Count) * 100 / float64(h.Count())
	}
	return segs
}

func buildReport(c *Config, r *Result) reportData {
	d := reportData{ID: r.ID, URI: r.URI, Start: r.Start.Format(time.RFC3339),
		Generated: time.Now().Format(time.RFC3339), Status: "OK", Samples: r.Samples, Errors: r.Errors}
	if r.Error != "" {
		d.Failed, d.Status = true, "FAILED: "+r.Error
	}
	d.Cards = []kv{
		{"Duration", fmt.Sprintf("%.1f s", r.Duration)},
		{"Sent", fmt.Sprint(r.Sent)}, {"Received", fmt.Sprint(r.Received)},
		{"Confirmed", fmt.Sprint(r.Confirmed)}, {"Nacked", fmt.Sprint(r.Nacked)}, {"Returned", fmt.Sprint(r.Returned)},
		{"Send rate", fmt.Sprintf("%s msg/s", fmtNum(r.SendRate))}, {"Receive rate", fmt.Sprintf("%s msg/s", fmtNum(r.ReceiveRate))},
		{"Data sent", humanBytes(r.BytesSent)}, {"Errors", fmt.Sprint(len(r.Errors))},
	}
	if r.ConsumerLatency.Count > 0 {
		d.Latency = append(d.Latency, latencyRow("Consumer (publish → delivery)", r.ConsumerLatency))
	}
	if r.ConfirmLatency.Count > 0 {
		d.Latency = append(d.Latency, latencyRow("Confirm (publish → ack)", r.ConfirmLatency))
	}
	if r.Churn != nil && r.Churn.Latency.Count > 0 {
		d.Latency = append(d.Latency, latencyRow("Churn "+r.Churn.Kind+" (open + close)", r.Churn.Latency))
	}
	d.Ranges = latencyRanges(r.consumerHist)

	xs := make([]float64, len(r.Samples))
	pick := func(f func(Sample) float64) []float64 {
		out := make([]float64, len(r.Samples))
		for i, s := range r.Samples {
			xs[i], out[i] = s.T, f(s)
		}
		return out
	}
	thr := []series{
		{"sent", "#f37021", pick(func(s Sample) float64 { return s.Sent }), ""},
		{"received", "#2b7bb9", pick(func(s Sample) float64 { return s.Received }), "8 4"},
	}
	if c.Confirm > 0 {
		thr = append(thr, series{"confirmed", "#3aa655", pick(func(s Sample) float64 { return s.Confirmed }), "2 3"},
			series{"nacked", "#d62728", pick(func(s Sample) float64 { return s.Nacked }), ""})
	}
	if c.Mandatory {
		thr = append(thr, series{"returned", "#9467bd", pick(func(s Sample) float64 { return s.Returned }), ""})
	}
	msgs := func(v float64) string { return fmtNum(v) }
	if len(r.Samples) > 0 {
		d.Charts = append(d.Charts, chartBlock{"Throughput over time", "messages per second in each interval",
			lineChart("throughput", "Throughput over time", "msg/s", xs, thr, false, msgs)})
	}
	percentiles := func(f func(Sample) Latency) []series {
		return []series{
			{"min", "#9aa5b1", pick(func(s Sample) float64 { return f(s).Min }), ""},
			{"p50", "#2b7bb9", pick(func(s Sample) float64 { return f(s).P50 }), ""},
			{"p75", "#3aa655", pick(func(s Sample) float64 { return f(s).P75 }), ""},
			{"p95", "#f3b921", pick(func(s Sample) float64 { return f(s).P95 }), ""},
			{"p99", "#f37021", pick(func(s Sample) float64 { return f(s).P99 }), ""},
			{"p99.9", "#d62728", pick(func(s Sample) float64 { return f(s).P999 }), ""},
			{"max", "#6b2d5c", pick(func(s Sample) float64 { return f(s).Max }), ""},
		}
	}
	if r.ConsumerLatency.Count > 0 {
		d.Charts = append(d.Charts, chartBlock{"Consumer latency percentiles over time", "publish (intended time) → delivery, log scale",
			lineChart("latency", "Consumer latency percentiles over time", "latency", xs, percentiles(func(s Sample) Latency { return s.Consumer }), true, fmtMicros)})
		l := r.ConsumerLatency
		d.Charts = append(d.Charts, chartBlock{"Consumer latency distribution", fmt.Sprintf("%d messages", l.Count),
			barChart("distribution", "Consumer latency distribution", distribution(r.consumerHist, 40),
				[]mark{{"p50", l.P50}, {"p95", l.P95}, {"p99", l.P99}})})
	}
	if r.ConfirmLatency.Count > 0 {
		d.Charts = append(d.Charts, chartBlock{"Confirm latency percentiles over time", "publish (intended time) → broker ack, log scale",
			lineChart("confirm-latency", "Confirm latency percentiles over time", "latency", xs, percentiles(func(s Sample) Latency { return s.Confirm }), true, fmtMicros)})
	}
	if r.Churn != nil && len(r.Samples) > 0 {
		d.Charts = append(d.Charts, chartBlock{"Churn (" + r.Churn.Kind + ") over time", fmt.Sprintf("target %.1f/s, achieved %.1f/s", r.Churn.Target, r.Churn.Achieved),
			lineChart("churn", "Churn over time", "ops/s", xs, []series{
				{"ok", "#3aa655", pick(func(s Sample) float64 { return s.Churn }), ""},
				{"failed", "#d62728", pick(func(s Sample) float64 { return s.ChurnFailed }), ""}}, false, msgs)})
	}
	st := r.Setup
	d.Setup = []kv{
		{"URI", r.URI}, {"Producers × channels", fmt.Sprintf("%d × %d", st.Producers, st.ProducerChannels)},
		{"Consumers × channels", fmt.Sprintf("%d × %d", st.Consumers, st.ConsumerChannels)},
		{"Exchange", fmt.Sprintf("%q (%s)", st.Exchange, st.ExchangeType)}, {"Queues", queuesText(st.Queues)},
		{"Rate per producer", rateText(st.Rate, st.VariableRate)}, {"Body size", sizeText(st)},
		{"Confirm window", fmt.Sprint(st.Confirm)}, {"Auto-ack", fmt.Sprint(st.AutoAck)},
		{"Persistent / mandatory", fmt.Sprintf("%v / %v", st.Persistent, st.Mandatory)},
		{"Prefetch (qos)", fmt.Sprint(st.Qos)}, {"Time", fmt.Sprintf("%g s", st.Time)},
		{"Messages per producer / consumer", fmt.Sprintf("%d / %d", st.PMessages, st.CMessages)},
	}
	if r.Churn != nil {
		d.Setup = append(d.Setup, kv{"Churn", fmt.Sprintf("%s at %.1f/s: %d ok, %d failed", r.Churn.Kind, r.Churn.Target, r.Churn.OK, r.Churn.Failed)})
	}
	return d
}

func queuesText(q []string) string {
	switch {
	case len(q) == 0:
		return "one server-named queue per consumer"
	case len(q) <= 4:
		return fmt.Sprint(q)
	}
	return fmt.Sprintf("%d: %s … %s", len(q), q[0], q[len(q)-1])
}

func rateText(rate float64, steps []Step) string {
	if len(steps) > 0 {
		s := "variable:"
		for _, st := range steps {
			s += fmt.Sprintf(" %g/s for %v", st.Value, st.Duration)
		}
		return s
	}
	if rate == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%g msg/s", rate)
}

func sizeText(st Setup) string {
	if len(st.BodySizes) > 0 {
		s := ""
		for _, w := range st.BodySizes {
			s += fmt.Sprintf("%d B (weight %d) ", w.Size, w.Weight)
		}
		return s
	}
	return fmt.Sprintf("%d B", st.Size)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"us": fmtMicros, "num": fmtNum,
}).Parse(reportHTML))
