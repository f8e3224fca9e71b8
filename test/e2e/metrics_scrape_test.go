package e2e

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
)

// startMetricsBroker starts an embedded broker with AMQP and HTTP
// listeners and a configuration of the test's own.
func startMetricsBroker(t testing.TB, mutate func(*warren.Config)) *mgmtBroker {
	t.Helper()
	return startWithMgmtConfig(t, t.TempDir(), mutate)
}

// scrape fetches /metrics without credentials and returns each sample
// line's series ("name{labels}" as exposed, labels sorted by name) →
// value.
func scrape(t testing.TB, m *mgmtBroker) map[string]float64 {
	t.Helper()
	resp, err := http.Get(m.http + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q, want the text format", ct)
	}
	// Parse with the Prometheus text parser, then key each sample as
	// "name{labels}" (labels sorted by name, as exposed).
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET /metrics: not valid Prometheus text format: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, mt := range f.GetMetric() {
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(labels)
			key := func(n string) string {
				if len(labels) == 0 {
					return n
				}
				return n + "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case mt.Counter != nil:
				out[key(name)] = mt.GetCounter().GetValue()
			case mt.Gauge != nil:
				out[key(name)] = mt.GetGauge().GetValue()
			case mt.Untyped != nil:
				out[key(name)] = mt.GetUntyped().GetValue()
			case mt.Histogram != nil:
				out[key(name+"_count")] = float64(mt.GetHistogram().GetSampleCount())
				out[key(name+"_sum")] = mt.GetHistogram().GetSampleSum()
			case mt.Summary != nil:
				out[key(name+"_count")] = float64(mt.GetSummary().GetSampleCount())
				out[key(name+"_sum")] = mt.GetSummary().GetSampleSum()
			}
		}
	}
	return out
}

func wantSeries(t testing.TB, got map[string]float64, series string, v float64) {
	t.Helper()
	g, ok := got[series]
	if !ok {
		t.Errorf("%s missing", series)
	} else if g != v {
		t.Errorf("%s = %v, want %v", series, g, v)
	}
}

func TestMetricsScrapePerObject(t *testing.T) {
	m := startMetricsBroker(t, nil)
	ch, err := m.dial(t).Channel()
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, 3))
	_, err = ch.QueueDeclare("metrics-q1", true, false, false, false, nil)
	must(t, err)
	_, err = ch.QueueDeclare("metrics-q2", false, false, false, false, nil)
	must(t, err)
	for i := 0; i < 3; i++ {
		must(t, ch.Publish("", "metrics-q1", false, false, amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte("m" + strconv.Itoa(i))}))
	}
	for i := 0; i < 3; i++ {
		select {
		case c := <-confirms:
			if !c.Ack {
				t.Fatal("publish nacked")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no confirm")
		}
	}
	d, ok, err := ch.Get("metrics-q1", false)
	must(t, err)
	if !ok {
		t.Fatal("get: empty")
	}
	must(t, d.Ack(false))
	if _, ok, err = ch.Get("metrics-q1", false); err != nil || !ok { // left unacked
		t.Fatalf("second get: %v %v", ok, err)
	}
	_, err = ch.Consume("metrics-q2", "", false, false, false, false, nil)
	must(t, err)

	var got map[string]float64
	eventually(t, "the ack to be counted", func() bool {
		got = scrape(t, m)
		return got[`rabbitmq_queue_messages_acked_total{queue="metrics-q1",vhost="/"}`] == 1
	})
	q1 := `{queue="metrics-q1",vhost="/"}`
	wantSeries(t, got, "rabbitmq_queue_messages_ready"+q1, 1)
	wantSeries(t, got, "rabbitmq_queue_messages_unacked"+q1, 1)
	wantSeries(t, got, "rabbitmq_queue_messages"+q1, 2)
	wantSeries(t, got, "rabbitmq_queue_messages_published_total"+q1, 3)
	wantSeries(t, got, "rabbitmq_queue_messages_delivered_total"+q1, 2)
	wantSeries(t, got, "rabbitmq_queue_messages_redelivered_total"+q1, 0)
	wantSeries(t, got, "rabbitmq_queue_consumers"+q1, 0)
	wantSeries(t, got, `rabbitmq_queue_consumers{queue="metrics-q2",vhost="/"}`, 1)
	wantSeries(t, got, `warren_vhost_messages_ready{vhost="/"}`, 1)
	wantSeries(t, got, `warren_vhost_messages_unacked{vhost="/"}`, 1)
	wantSeries(t, got, `warren_vhost_queues{vhost="/"}`, 2)
	wantSeries(t, got, `warren_vhost_messages_published_total{vhost="/"}`, 3)

	wantSeries(t, got, "rabbitmq_connections", 1)
	wantSeries(t, got, "rabbitmq_channels", 1)
	wantSeries(t, got, "rabbitmq_consumers", 1)
	wantSeries(t, got, "rabbitmq_queues", 2)
	wantSeries(t, got, "warren_messages_ready", 1)
	wantSeries(t, got, "warren_messages_unacked", 1)
	wantSeries(t, got, `rabbitmq_global_messages_received_total{protocol="amqp091"}`, 3)
	wantSeries(t, got, `rabbitmq_global_messages_delivered_total{protocol="amqp091"}`, 2)
	wantSeries(t, got, `rabbitmq_global_messages_acknowledged_total{protocol="amqp091"}`, 1)
	wantSeries(t, got, `rabbitmq_global_messages_redelivered_total{protocol="amqp091"}`, 0)
	wantSeries(t, got, "rabbitmq_alarms_memory_used_watermark", 0)
	wantSeries(t, got, "rabbitmq_alarms_free_disk_space_watermark", 0)
	wantSeries(t, got, `rabbitmq_identity_info{rabbitmq_cluster="warren@e2e",rabbitmq_cluster_permanent_id="warren-warren@e2e",rabbitmq_node="warren@e2e"}`, 1)
	wantSeries(t, got, "rabbitmq_disk_space_available_limit_bytes", 50e6)
	for _, s := range []string{"rabbitmq_process_resident_memory_bytes", "rabbitmq_resident_memory_limit_bytes",
		"rabbitmq_disk_space_available_bytes", "go_goroutines", "process_resident_memory_bytes"} {
		if got[s] <= 0 {
			t.Errorf("%s = %v, want > 0", s, got[s])
		}
	}
	// Three persistent messages on a durable queue with confirms: at
	// least one fsync round was timed.
	if got["warren_store_sync_duration_seconds_count"] < 1 {
		t.Errorf("warren_store_sync_duration_seconds_count = %v, want >= 1", got["warren_store_sync_duration_seconds_count"])
	}
	if _, ok := got["rabbitmq_queue_messages_ready"]; ok {
		t.Error("an unlabelled rabbitmq_queue_messages_ready in per-object mode")
	}

	// Deleting a queue keeps the broker-wide counters.
	_, err = ch.QueueDelete("metrics-q1", false, false, false)
	must(t, err)
	got = scrape(t, m)
	wantSeries(t, got, `rabbitmq_global_messages_received_total{protocol="amqp091"}`, 3)
	wantSeries(t, got, "rabbitmq_queues", 1)
	if _, ok := got["rabbitmq_queue_messages_ready"+q1]; ok {
		t.Error("a deleted queue is still exported")
	}
}

func TestMetricsScrapeAggregated(t *testing.T) {
	off := false
	m := startMetricsBroker(t, func(c *warren.Config) { c.PerObjectMetrics = &off })
	ch, err := m.dial(t).Channel()
	must(t, err)
	for _, q := range []string{"metrics-agg-1", "metrics-agg-2"} {
		_, err = ch.QueueDeclare(q, false, false, false, false, nil)
		must(t, err)
		must(t, ch.Publish("", q, false, false, amqp.Publishing{Body: []byte("x")}))
	}
	var got map[string]float64
	eventually(t, "both messages to be counted", func() bool {
		got = scrape(t, m)
		return got["rabbitmq_queue_messages_ready"] == 2
	})
	wantSeries(t, got, "rabbitmq_queue_messages_published_total", 2)
	wantSeries(t, got, "rabbitmq_queue_messages", 2)
	wantSeries(t, got, "rabbitmq_queues", 2)
	wantSeries(t, got, "warren_messages_ready", 2)
	for s := range got {
		if strings.Contains(s, `queue="`) || strings.HasPrefix(s, "warren_vhost_") {
			t.Errorf("per-object series %s with per-object metrics off", s)
		}
	}
}

func TestMetricsMemoryAlarm(t *testing.T) {
	m := startMetricsBroker(t, func(c *warren.Config) { c.MemoryHighWatermark = "1MiB" })
	var got map[string]float64
	eventually(t, "the memory alarm", func() bool {
		got = scrape(t, m)
		return got["rabbitmq_alarms_memory_used_watermark"] == 1
	})
	wantSeries(t, got, "rabbitmq_resident_memory_limit_bytes", 1<<20)
	wantSeries(t, got, "rabbitmq_alarms_free_disk_space_watermark", 0)
}
