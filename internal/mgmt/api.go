package mgmt

import (
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/meta"
	"github.com/warrenmq/warren/internal/mgmt/ui"
)

// RabbitMQVersion is the RabbitMQ version the API reports for tool
// compatibility (see the package comment).
const RabbitMQVersion = "3.13.7"

// Definitions persists definition changes (implemented by *meta.Log).
type Definitions interface {
	Apply(ops ...meta.Op) error
}

// Listener is one protocol listener, for /api/overview and the
// port-listener health checks.
type Listener struct {
	Protocol string // "amqp", "http", ...
	IP       string
	Port     int
}

// Deps is what the API reads and changes.
type Deps struct {
	Broker *broker.Broker
	AMQP   *amqp091.Server
	Users  *auth.Store
	// Permissions are the vhost and topic permissions; nil starts an
	// empty set (the embedding server should pass the one it restored
	// from definitions and enforces at connection.open).
	Permissions *auth.Permissions
	// UserLimits receives per-user limits set through the API, for the
	// AMQP adapter to enforce; nil keeps them for display only.
	UserLimits *auth.Limits
	// Definitions persists users and permissions; nil keeps them in
	// memory. Vhosts, exchanges, queues and bindings persist through the
	// broker.
	Definitions Definitions
	Alarms      *alarm.Set // nil: no alarms
	Logger      *slog.Logger
	// Node is the node name (default "warren@<hostname>"), ClusterName
	// the cluster name (default Node).
	Node, ClusterName string
	// Version is Warren's version, reported as product_version.
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Listeners lists the open listeners; nil means none known.
	Listeners func() []Listener
	// DataDir is where disk free space is measured; "" skips it.
	DataDir string
	// MemoryLimit and DiskFreeLimit are the alarm thresholds in bytes,
	// reported by /api/nodes (0: unknown or disabled).
	MemoryLimit, DiskFreeLimit int64
	// SampleInterval is the rate sampler's period (default 5 s); a
	// negative value disables the goroutine (tests sample by hand).
	SampleInterval time.Duration
	// Metrics, when set, is served at /metrics without authentication
	// (as RabbitMQ's Prometheus endpoint); nil answers 404 there.
	Metrics http.Handler
}

// API serves the management HTTP API.
type API struct {
	d       Deps
	log     *slog.Logger
	perms   *auth.Permissions
	mux     *router
	top     http.Handler // /api → mux, /metrics → Deps.Metrics, the rest → the web UI
	stats   *sampler
	started time.Time

	// mu guards the definitions kept only in memory here (see store.go).
	mu  sync.RWMutex
	mem memStore
}

// New returns the API over d. Close stops its sampler.
func New(d Deps) *API {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Node == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "localhost"
		}
		d.Node = "warren@" + host
	}
	if d.ClusterName == "" {
		d.ClusterName = d.Node
	}
	if d.Version == "" {
		d.Version = "0.1.0"
	}
	if d.Users == nil {
		d.Users = auth.NewStore()
	}
	a := &API{d: d, log: d.Logger, perms: d.Permissions, started: d.Now()}
	if a.perms == nil {
		a.perms = auth.NewPermissions()
	}
	a.mem = newMemStore()
	interval := d.SampleInterval
	if interval == 0 {
		interval = 5 * time.Second
	}
	a.stats = newSampler(d.Broker, d.AMQP, d.Now, interval)
	if interval > 0 {
		a.stats.start()
	}
	a.routes()
	a.top = a.mount(ui.New())
	return a
}

// mount routes by the first path segment: /api/... to the API router,
// /metrics to the Prometheus handler, everything else to the web UI
// (which serves "/" and its assets under /ui/, and 404 otherwise).
func (a *API) mount(web http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz":
			a.mux.ServeHTTP(w, r)
		case p == "/metrics" && a.d.Metrics != nil:
			a.d.Metrics.ServeHTTP(w, r)
		default:
			web.ServeHTTP(w, r)
		}
	})
}

// Handler returns the HTTP handler serving /api/..., /metrics and the
// web UI.
func (a *API) Handler() http.Handler { return a.top }

// Identity returns the node and (current) cluster names.
func (a *API) Identity() (node, cluster string) {
	a.mu.RLock()
	cluster = a.mem.clusterName
	a.mu.RUnlock()
	if cluster == "" {
		cluster = a.d.ClusterName
	}
	return a.d.Node, cluster
}

// Close stops the rate sampler.
func (a *API) Close() { a.stats.stop() }

// Permissions returns the permission set the API manages.
func (a *API) Permissions() *auth.Permissions { return a.perms }

func (a *API) persist(ops ...meta.Op) error {
	if a.d.Definitions == nil {
		return nil
	}
	return a.d.Definitions.Apply(ops...)
}
