package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestUIMount checks what the management listener serves besides the
// API: the web UI at "/" with its assets under /ui/, and /metrics, all
// without credentials, while /api/... still needs them.
func TestUIMount(t *testing.T) {
	m := startWithMgmt(t)
	fetch := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(m.http + path)
		must(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		must(t, err)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	code, ct, body := fetch("/")
	if code != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "<title>Warren Management</title>") {
		t.Fatalf("GET /: %d %q", code, ct)
	}
	if code, ct, _ := fetch("/ui/js/app.js"); code != 200 || !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("GET /ui/js/app.js: %d %q", code, ct)
	}
	if code, _, _ := fetch("/ui/nope.js"); code != 404 {
		t.Errorf("GET /ui/nope.js: %d, want 404", code)
	}
	if code, ct, _ := fetch("/api/overview"); code != 401 || ct != "application/json" {
		t.Errorf("GET /api/overview without credentials: %d %q, want 401 JSON", code, ct)
	}
	if code, ct, _ := fetch("/api/no-such-endpoint"); code != 404 || ct != "application/json" {
		t.Errorf("GET /api/no-such-endpoint: %d %q, want the API's JSON 404", code, ct)
	}
	if code, _, body := fetch("/metrics"); code != 200 || !strings.Contains(body, "rabbitmq_connections ") {
		t.Errorf("GET /metrics: %d", code)
	}
	// The page's own API calls: basic auth in a header, as the UI sends it.
	if o := m.obj(t, "/api/whoami"); o["name"] != "guest" {
		t.Errorf("whoami: %v", o)
	}
}
