package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
)

// mgmtBroker is an embedded broker (warren.New, as any embedding program
// would start one) with AMQP and the management API on loopback listeners.
type mgmtBroker struct {
	srv     *warren.Server
	amqp    string // host:port of the AMQP listener
	http    string // base URL of the HTTP listener
	amqpURL string // guest's AMQP URL
	stop    func() // stops everything (also run at cleanup)
}

// startWithMgmt starts a broker (definitions persisted under a temporary
// directory) with AMQP and HTTP listeners on loopback.
func startWithMgmt(t testing.TB) *mgmtBroker {
	t.Helper()
	return startWithMgmtAt(t, t.TempDir())
}

// startWithMgmtAt keeps the broker's data under dir.
func startWithMgmtAt(t testing.TB, dir string) *mgmtBroker {
	t.Helper()
	return startWithMgmtConfig(t, dir, nil)
}

// startWithMgmtConfig also lets the test adjust the configuration.
func startWithMgmtConfig(t testing.TB, dir string, mutate func(*warren.Config)) *mgmtBroker {
	t.Helper()
	if external() {
		t.Skip("management API tests run against the embedded broker")
	}
	cfg := warren.Config{DataDir: dir, Version: "test", NodeName: "warren@e2e"}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := warren.New(cfg)
	must(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(l)
	go srv.ServeHTTP(hl)
	m := &mgmtBroker{srv: srv, amqp: l.Addr().String(), http: "http://" + hl.Addr().String()}
	m.amqpURL = fmt.Sprintf("amqp://guest:guest@%s/", m.amqp)
	var once sync.Once
	m.stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
		})
	}
	t.Cleanup(m.stop)
	// Wait for the HTTP listener to serve.
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(m.http + "/api/overview"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return m
}

// call sends a request with basic auth (user "" sends none) and a JSON
// body (a string is sent as is), returning status and body.
func (m *mgmtBroker) call(t testing.TB, method, path, user, pass string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		must(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, m.http+path, rd)
	must(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, data
}

// guest sends a request as guest and fails the test unless the status is
// want.
func (m *mgmtBroker) guest(t testing.TB, method, path string, body any, want int) []byte {
	t.Helper()
	code, data := m.call(t, method, path, "guest", "guest", body)
	if code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, code, data, want)
	}
	return data
}

// get fetches path as guest into out.
func (m *mgmtBroker) get(t testing.TB, path string, out any) {
	t.Helper()
	must(t, json.Unmarshal(m.guest(t, "GET", path, nil, http.StatusOK), out))
}

// obj fetches one JSON object as guest.
func (m *mgmtBroker) obj(t testing.TB, path string) map[string]any {
	t.Helper()
	var o map[string]any
	m.get(t, path, &o)
	return o
}

// list fetches a JSON list as guest.
func (m *mgmtBroker) list(t testing.TB, path string) []map[string]any {
	t.Helper()
	var l []map[string]any
	m.get(t, path, &l)
	return l
}

// dial opens an AMQP connection as guest, closed at cleanup.
func (m *mgmtBroker) dial(t testing.TB) *amqp.Connection {
	t.Helper()
	return m.dialAs(t, "guest", "guest", "/")
}

func (m *mgmtBroker) dialAs(t testing.TB, user, pass, vhost string) *amqp.Connection {
	t.Helper()
	c, err := m.tryDial(user, pass, vhost)
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (m *mgmtBroker) tryDial(user, pass, vhost string) (*amqp.Connection, error) {
	return amqp.DialConfig(fmt.Sprintf("amqp://%s:%s@%s/", user, pass, m.amqp), amqp.Config{Vhost: vhost})
}

// num reads a JSON number field (dotted path) as an int.
func num(t testing.TB, o map[string]any, path string) int {
	t.Helper()
	var v any = o
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object at %q in %v", path, k, o)
		}
		v = mm[k]
	}
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%s = %v (%T), want a number", path, v, v)
	}
	return int(f)
}

// eventually retries cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// connInfoPublished reports whether the AMQP adapter publishes
// per-connection details (user, vhost, channels) to the management API.
// That needs the reader-side hooks listed in internal/amqp091/info.go;
// tests of those details skip until they are installed.
func (m *mgmtBroker) connInfoPublished(t testing.TB) bool {
	t.Helper()
	for _, c := range m.list(t, "/api/connections") {
		if _, ok := c["user"]; ok {
			return true
		}
	}
	return false
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// callWithHeader sends a request as guest with one extra header.
func (m *mgmtBroker) callWithHeader(t testing.TB, method, path, key, value string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, m.http+path, nil)
	must(t, err)
	req.SetBasicAuth("guest", "guest")
	req.Header.Set(key, value)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, data
}
