package metrics_test

import (
	"io"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/metrics"
	"github.com/warrenmq/warren/internal/mgmt"
)

// series gathers reg into "name{k=v,...}" → value, labels sorted.
func series(t *testing.T, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, lp := range m.GetLabel() {
				ls = append(ls, lp.GetName()+"="+lp.GetValue())
			}
			sort.Strings(ls)
			key := mf.GetName()
			if len(ls) > 0 {
				key += "{" + strings.Join(ls, ",") + "}"
			}
			switch {
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Histogram != nil:
				out[key+"_count"] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func want(t *testing.T, got map[string]float64, key string, v float64) {
	t.Helper()
	g, ok := got[key]
	if !ok {
		t.Errorf("%s missing", key)
		return
	}
	if g != v {
		t.Errorf("%s = %v, want %v", key, g, v)
	}
}

func absent(t *testing.T, got map[string]float64, prefix string) {
	t.Helper()
	for k := range got {
		if strings.HasPrefix(k, prefix) {
			t.Errorf("unexpected series %s", k)
		}
	}
}

// fixture is a broker with vhost "/" holding queue q1 (2 published, 1
// got unacked) and q2 (1 published), and vhost "v2" with queue q3.
func fixture(t *testing.T) (*broker.Broker, *broker.Queue) {
	t.Helper()
	b := broker.New(broker.Options{})
	v, err := b.AddVHost("/")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := b.AddVHost("v2")
	if err != nil {
		t.Fatal(err)
	}
	decl := func(v *broker.VHost, name string) *broker.Queue {
		q, _, err := v.DeclareQueue(broker.QueueSpec{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	q1, q2 := decl(v, "q1"), decl(v, "q2")
	decl(v2, "q3")
	pub := func(q *broker.Queue, body string) {
		if _, _, err := q.Publish(&message.Message{RoutingKey: q.Name(), Body: []byte(body), Expiration: -1}); err != nil {
			t.Fatal(err)
		}
	}
	pub(q1, "a")
	pub(q1, "bb")
	pub(q2, "c")
	if _, ok, _ := q1.Get(false); !ok {
		t.Fatal("get: empty")
	}
	return b, q2
}

func TestPerObject(t *testing.T) {
	b, _ := fixture(t)
	as := alarm.NewSet(nil)
	as.Raise(alarm.Memory, true)
	m := metrics.New(metrics.Options{PerObject: true, NoRuntime: true})
	if err := m.Register(metrics.Source{Broker: b, Alarms: as, MemoryLimit: 1000, DiskFreeLimit: 50, DataDir: t.TempDir(),
		Identity: func() (string, string) { return "warren@n", "c" }, Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Register(metrics.Source{}); err == nil {
		t.Error("second Register succeeded")
	}
	m.ObserveSync(3 * time.Millisecond)
	got := series(t, m.Registry())
	want(t, got, "rabbitmq_queues", 3)
	want(t, got, "rabbitmq_connections", 0)
	want(t, got, "warren_messages_ready", 2)
	want(t, got, "warren_messages_unacked", 1)
	want(t, got, "rabbitmq_global_messages_received_total{protocol=amqp091}", 3)
	want(t, got, "rabbitmq_global_messages_delivered_total{protocol=amqp091}", 1)
	want(t, got, "rabbitmq_queue_messages_ready{queue=q1,vhost=/}", 1)
	want(t, got, "rabbitmq_queue_messages_unacked{queue=q1,vhost=/}", 1)
	want(t, got, "rabbitmq_queue_messages{queue=q1,vhost=/}", 2)
	want(t, got, "rabbitmq_queue_messages_ready_bytes{queue=q1,vhost=/}", 2)
	want(t, got, "rabbitmq_queue_messages_published_total{queue=q1,vhost=/}", 2)
	want(t, got, "rabbitmq_queue_messages_delivered_total{queue=q1,vhost=/}", 1)
	want(t, got, "rabbitmq_queue_messages_ready{queue=q3,vhost=v2}", 0)
	want(t, got, "warren_vhost_queues{vhost=/}", 2)
	want(t, got, "warren_vhost_messages_ready{vhost=/}", 2)
	want(t, got, "warren_vhost_messages_published_total{vhost=/}", 3)
	want(t, got, "warren_vhost_queues{vhost=v2}", 1)
	want(t, got, "rabbitmq_alarms_memory_used_watermark", 1)
	want(t, got, "rabbitmq_alarms_free_disk_space_watermark", 0)
	want(t, got, "rabbitmq_resident_memory_limit_bytes", 1000)
	want(t, got, "rabbitmq_disk_space_available_limit_bytes", 50)
	want(t, got, "rabbitmq_identity_info{rabbitmq_cluster=c,rabbitmq_cluster_permanent_id=warren-warren@n,rabbitmq_node=warren@n}", 1)
	want(t, got, "warren_store_sync_duration_seconds_count", 1)
	if got["rabbitmq_process_resident_memory_bytes"] <= 0 {
		t.Error("no resident memory")
	}
	if got["rabbitmq_disk_space_available_bytes"] <= 0 {
		t.Error("no disk space")
	}
	absent(t, got, "go_")
	absent(t, got, "rabbitmq_queue_messages_ready ") // never unlabelled in per-object mode
}

func TestAggregated(t *testing.T) {
	b, _ := fixture(t)
	m := metrics.New(metrics.Options{PerObject: false})
	must(t, m.Register(metrics.Source{Broker: b}))
	got := series(t, m.Registry())
	want(t, got, "rabbitmq_queue_messages_ready", 2)
	want(t, got, "rabbitmq_queue_messages_unacked", 1)
	want(t, got, "rabbitmq_queue_messages_published_total", 3)
	want(t, got, "rabbitmq_queues", 3)
	absent(t, got, "rabbitmq_queue_messages_ready{")
	absent(t, got, "warren_vhost_")
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	if _, ok := got["process_resident_memory_bytes"]; !ok {
		t.Error("no process metrics")
	}
}

// TestCountersMonotonic checks that deleting a queue does not make the
// broker-wide and per-vhost counters go backwards.
func TestCountersMonotonic(t *testing.T) {
	b, q2 := fixture(t)
	m := metrics.New(metrics.Options{PerObject: true, NoRuntime: true})
	must(t, m.Register(metrics.Source{Broker: b}))
	series(t, m.Registry())
	q2.Publish(&message.Message{RoutingKey: "q2", Body: []byte("d"), Expiration: -1})
	got := series(t, m.Registry())
	want(t, got, "rabbitmq_global_messages_received_total{protocol=amqp091}", 4)
	if _, err := b.VHost("/").DeleteQueue("q2", nil, false, false); err != nil {
		t.Fatal(err)
	}
	got = series(t, m.Registry())
	want(t, got, "rabbitmq_global_messages_received_total{protocol=amqp091}", 4)
	want(t, got, "warren_vhost_messages_published_total{vhost=/}", 4)
	want(t, got, "rabbitmq_queues", 2)
	absent(t, got, "rabbitmq_queue_messages_ready{queue=q2")
	if err := b.DeleteVHost("v2"); err != nil {
		t.Fatal(err)
	}
	got = series(t, m.Registry())
	absent(t, got, "warren_vhost_queues{vhost=v2}")
	want(t, got, "rabbitmq_global_messages_received_total{protocol=amqp091}", 4)
}

func TestHandlerText(t *testing.T) {
	b, _ := fixture(t)
	m := metrics.New(metrics.Options{PerObject: true, NoRuntime: true})
	must(t, m.Register(metrics.Source{Broker: b}))
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !strings.Contains(string(body), `rabbitmq_queue_messages_ready{queue="q1",vhost="/"} 1`) {
		t.Errorf("per-queue series missing from:\n%s", body)
	}
}

func TestVersionMatchesMgmt(t *testing.T) {
	if metrics.RabbitMQVersion != mgmt.RabbitMQVersion {
		t.Errorf("metrics.RabbitMQVersion %q != mgmt.RabbitMQVersion %q", metrics.RabbitMQVersion, mgmt.RabbitMQVersion)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
