package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/broker"
)

// Options configure a Metrics.
type Options struct {
	// PerObject exports per-queue and per-vhost series (labels vhost,
	// queue). Off, queue metrics are exported once, summed over all
	// queues, as RabbitMQ's default aggregated /metrics does.
	PerObject bool
	// NoRuntime leaves out the Go runtime and process collectors (tests
	// that compare exact output).
	NoRuntime bool
}

// Source is the broker state read at scrape time. Every field may be
// nil or zero; what is missing is not exported.
type Source struct {
	Broker *broker.Broker
	AMQP   *amqp091.Server
	Alarms *alarm.Set
	// MemoryLimit and DiskFreeLimit are the alarm thresholds in bytes (0:
	// disabled).
	MemoryLimit, DiskFreeLimit int64
	// DataDir is where free disk space is measured ("" skips it).
	DataDir string
	// Identity returns the node and cluster names for
	// rabbitmq_identity_info (nil: "warren@localhost" for both).
	Identity func() (node, cluster string)
	// Version is Warren's version, for rabbitmq_build_info.
	Version string
	// Started is when the broker started (zero: when Register ran).
	Started time.Time
}

// Metrics is one server's Prometheus registry: runtime collectors, the
// store sync histogram and, once Register ran, the broker collector.
type Metrics struct {
	opts    Options
	reg     *prometheus.Registry
	syncLat prometheus.Histogram
	corrupt prometheus.Counter
	handler http.Handler

	mu         sync.Mutex
	registered bool
}

// SyncBuckets are the upper bounds of the store sync latency histogram,
// in seconds: 50 µs to about 3.3 s, doubling.
var SyncBuckets = prometheus.ExponentialBuckets(50e-6, 2, 17)

// New creates the registry. It is safe to call ObserveSync and serve
// Handler before Register.
func New(o Options) *Metrics {
	m := &Metrics{opts: o, reg: prometheus.NewRegistry()}
	m.syncLat = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "warren_store_sync_duration_seconds",
		Help:    "Time one group-commit round of the message store spent in fdatasync",
		Buckets: SyncBuckets,
	})
	m.corrupt = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "warren_store_corrupt_records_total",
		Help: "Damaged records the message store skipped (recovery or reads), each also logged",
	})
	m.reg.MustRegister(m.syncLat, m.corrupt)
	if !o.NoRuntime {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
	})
	return m
}

// ObserveSync records one store commit round; pass it as
// store.Options.OnSync.
func (m *Metrics) ObserveSync(d time.Duration) { m.syncLat.Observe(d.Seconds()) }

// ObserveCorrupt counts a corrupt store record; pass it as
// store.Options.OnCorrupt.
func (m *Metrics) ObserveCorrupt(string, uint32, uint32, error) { m.corrupt.Inc() }

// Register adds the broker collector over src. It may be called once.
func (m *Metrics) Register(src Source) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.registered {
		return errAlreadyRegistered
	}
	if src.Started.IsZero() {
		src.Started = time.Now()
	}
	if err := m.reg.Register(newCollector(src, m.opts.PerObject)); err != nil {
		return err
	}
	m.registered = true
	return nil
}

// Handler serves the registry in the Prometheus text exposition format
// (OpenMetrics is not offered).
func (m *Metrics) Handler() http.Handler { return m.handler }

// Registry returns the registry, for callers that add collectors of
// their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

type regError string

func (e regError) Error() string { return string(e) }

const errAlreadyRegistered = regError("metrics: broker collector already registered")
