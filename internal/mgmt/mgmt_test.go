package mgmt

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// fixture is an API over an in-memory broker with guest (administrator,
// full permissions on "/").
type fixture struct {
	api *API
	b   *broker.Broker
	h   http.Handler
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	b := broker.New(broker.Options{})
	if _, err := b.AddVHost("/"); err != nil {
		t.Fatal(err)
	}
	users := auth.NewStore()
	users.AddUser("guest", "guest", "administrator")
	perms := auth.NewPermissions()
	if err := perms.Put(auth.Permission{User: "guest", VHost: "/", Configure: ".*", Write: ".*", Read: ".*"}); err != nil {
		t.Fatal(err)
	}
	api := New(Deps{Broker: b, Users: users, Permissions: perms, Node: "warren@test", SampleInterval: -1})
	t.Cleanup(api.Close)
	return &fixture{api: api, b: b, h: api.Handler()}
}

// do sends a request as user:pass and returns the status and body.
func (f *fixture) do(t testing.TB, method, path, user, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "127.0.0.1:1234"
	if user != "" {
		req.SetBasicAuth(user, user)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

func TestAuthAndErrors(t *testing.T) {
	f := newFixture(t)
	f.api.d.Users.AddUser("plain", "plain")
	f.api.d.Users.AddUser("mon", "mon", "monitoring")
	cases := []struct {
		method, path, user string
		code               int
		errType            string
	}{
		{"GET", "/api/overview", "", 401, "not_authorized"},
		{"GET", "/api/overview", "nobody", 401, "not_authorized"},
		{"GET", "/api/overview", "plain", 401, "not_authorised"},
		{"GET", "/api/overview", "mon", 200, ""},
		{"PUT", "/api/vhosts/x", "mon", 401, "not_authorised"},
		{"GET", "/api/queues/%2F/missing", "guest", 404, "not_found"},
		{"GET", "/api/queues/novhost/q", "guest", 404, "not_found"},
		{"GET", "/api/nothing", "guest", 404, "not_found"},
		{"PATCH", "/api/overview", "guest", 405, "method_not_allowed"},
	}
	for _, c := range cases {
		code, body := f.do(t, c.method, c.path, c.user, "")
		if code != c.code {
			t.Errorf("%s %s as %q: %d %s, want %d", c.method, c.path, c.user, code, body, c.code)
			continue
		}
		if c.errType != "" {
			if e := decode[map[string]string](t, body); e["error"] != c.errType {
				t.Errorf("%s %s: error %q, want %q", c.method, c.path, e["error"], c.errType)
			}
		}
	}
}

func TestPropertiesKey(t *testing.T) {
	if k := propertiesKey("", nil); k != "~" {
		t.Errorf("empty key: %q", k)
	}
	if k := propertiesKey("a b~c/d", nil); k != "a+b%7Ec%2Fd" {
		t.Errorf("escaping: %q", k)
	}
	k1 := propertiesKey("k", map[string]any{"x": int64(1), "y": "z"})
	k2 := propertiesKey("k", map[string]any{"y": "z", "x": int64(1)})
	if k1 != k2 || !strings.HasPrefix(k1, "k~") || k1 == propertiesKey("k", map[string]any{"x": int64(2)}) {
		t.Errorf("argument hash: %q %q", k1, k2)
	}
}

func TestColumns(t *testing.T) {
	m := map[string]any{"name": "q", "vhost": "/", "message_stats": map[string]any{"publish": 1, "ack": 2}}
	got := pickColumns(m, parseColumns("name,message_stats.publish"))
	want := `{"message_stats":{"publish":1},"name":"q"}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("columns: %s, want %s", b, want)
	}
}

func TestSortOrder(t *testing.T) {
	// Erlang term order: numbers (missing = 0) < atoms < strings.
	keys := []skey{toSkey("a"), toSkey(true), toSkey(nil), toSkey(int64(5)), toSkey(false)}
	want := []skey{toSkey(nil), toSkey(int64(5)), toSkey(false), toSkey(true), toSkey("a")}
	l := lister[skey]{key: func(k skey, _ string) (skey, bool) { return k, true }}
	sortItems(keys, []string{"x"}, false, l)
	for i := range keys {
		if keys[i] != want[i] {
			t.Fatalf("sorted %v, want %v", keys, want)
		}
	}
}
