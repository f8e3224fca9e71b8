package ctl

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func decoded(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := decode([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLookupDotted(t *testing.T) {
	m := decoded(t, `{"name":"q","message_stats":{"publish_details":{"rate":1.5}},"a.b":{"c":7},"x":3}`)
	for path, want := range map[string]string{
		"name":                               "q",
		"message_stats.publish_details.rate": "1.5",
		"a.b.c":                              "7",
		"message_stats.publish_details":      `{"rate":1.5}`,
	} {
		v, ok := lookup(m, path)
		if got := cell(v, ok); !ok || got != want {
			t.Errorf("%s = %q (%v), want %q", path, got, ok, want)
		}
	}
	for _, path := range []string{"missing", "name.x", "x.y", "message_stats.deliver_details.rate"} {
		if v, ok := lookup(m, path); ok {
			t.Errorf("%s found: %v", path, v)
		}
	}
}

func TestCell(t *testing.T) {
	m := decoded(t, `{"n":12345678901234567890,"f":0.25,"b":true,"z":null,"s":"a\tb\nc\\d","l":["x","y"],"o":{},"e":""}`)
	for k, want := range map[string]string{
		"n": "12345678901234567890", "f": "0.25", "b": "true", "z": "",
		"s": `a\tb\nc\d`, "l": `["x","y"]`, "o": "{}", "e": "",
	} {
		if got := cell(m[k], true); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if cell("x", false) != "" {
		t.Error("missing field not empty")
	}
}

func TestWriteTable(t *testing.T) {
	var rows []map[string]any
	if err := decode([]byte(`[{"name":"q1","messages":3,"consumers":0},{"name":"q 2","messages":0}]`), &rows); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := writeTable(&b, []string{"name", "messages", "consumers"}, rows); err != nil {
		t.Fatal(err)
	}
	want := "name\tmessages\tconsumers\nq1\t3\t0\nq 2\t0\t\n"
	if b.String() != want {
		t.Fatalf("table:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestWriteKV(t *testing.T) {
	var b bytes.Buffer
	writeKV(&b, "  ", [][2]string{{"a", "1"}, {"longer", "2"}})
	if b.String() != "  a:      1\n  longer: 2\n" {
		t.Fatalf("%q", b.String())
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("Validation failed\n\n'x' is not a valid apply-to value\n"); got != "Validation failed: 'x' is not a valid apply-to value" {
		t.Fatalf("%q", got)
	}
}

// TestClientErrors maps API answers to the one-line messages.
func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/slow"):
			time.Sleep(300 * time.Millisecond)
		case strings.HasPrefix(r.URL.Path, "/api/denied"):
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"not_authorised","reason":"Not management user"}`))
		case r.URL.EscapedPath() == "/api/queues/%2F/q":
			w.WriteHeader(404)
			w.Write([]byte(`{"error":"not_found","reason":"Not Found"}`))
		case strings.HasPrefix(r.URL.Path, "/api/vh"):
			w.WriteHeader(404)
			w.Write([]byte(`{"error":"not_found","reason":"vhost_not_found"}`))
		case strings.HasPrefix(r.URL.Path, "/api/bad"):
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"bad_request","reason":"inequivalent arg 'durable'\nfor queue 'q'"}`))
		case strings.HasPrefix(r.URL.Path, "/api/html"):
			w.WriteHeader(502)
			w.Write([]byte(`<html>bad gateway</html>`))
		}
	}))
	defer srv.Close()
	c := newClient(srv.URL, "bob", "pw", 100*time.Millisecond)
	defer c.close()
	ctx := context.Background()
	for _, tc := range []struct {
		r    request
		want string
	}{
		{request{path: "/api/slow"}, "no answer from " + srv.URL + " within 100ms"},
		{request{path: "/api/denied"}, "access refused: user 'bob' is not authorised (401): Not management user"},
		{request{path: apiPath("queues", "/", "q"), what: "queue 'q' in vhost '/'"}, "queue 'q' in vhost '/' not found (404)"},
		{request{path: "/api/vh", vhost: "v1", what: "queue 'q' in vhost 'v1'"}, "vhost 'v1' not found (404)"},
		{request{path: "/api/bad"}, "inequivalent arg 'durable': for queue 'q' (400)"},
		{request{path: "/api/html"}, "GET " + srv.URL + "/api/html: 502 Bad Gateway"},
	} {
		tc.r.method = http.MethodGet
		_, _, err := c.do(ctx, tc.r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.r.path, err, tc.want)
		}
	}
}
