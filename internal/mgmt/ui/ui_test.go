package ui

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIndex(t *testing.T) {
	h := New()
	for _, p := range []string{"/", "/index.html"} {
		rec := get(t, h, "GET", p)
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d", p, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
		if rec.Header().Get("Content-Security-Policy") != CSP {
			t.Errorf("GET %s: no CSP", p)
		}
		if !strings.Contains(rec.Body.String(), `src="ui/js/app.js"`) {
			t.Errorf("GET %s: index does not load the app", p)
		}
	}
}

func TestAssets(t *testing.T) {
	h := New()
	want := map[string]string{
		"/ui/app.css":      "text/css; charset=utf-8",
		"/ui/js/app.js":    "text/javascript; charset=utf-8",
		"/ui/favicon.svg":  "image/svg+xml",
		"/ui/js/chart.js":  "text/javascript; charset=utf-8",
		"/ui/js/queues.js": "text/javascript; charset=utf-8",
	}
	for p, ct := range want {
		rec := get(t, h, "GET", p)
		if rec.Code != 200 || rec.Header().Get("Content-Type") != ct {
			t.Errorf("GET %s: %d %q, want 200 %q", p, rec.Code, rec.Header().Get("Content-Type"), ct)
		}
		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", p)
			continue
		}
		if rec := get(t, h, "GET", p, "If-None-Match", etag); rec.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: %d, want 304", p, rec.Code)
		}
	}
	if rec := get(t, h, "HEAD", "/ui/app.css"); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := New()
	for _, p := range []string{"/ui/", "/ui/js/", "/ui/missing.js", "/assets/index.html", "/js/app.js", "/favicon.ico", "/ui/../index.html"} {
		if rec := get(t, h, "GET", p); rec.Code != 404 {
			t.Errorf("GET %s: %d, want 404", p, rec.Code)
		}
	}
	rec := get(t, h, "POST", "/")
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
}

// TestImportsResolve checks that every module import and every asset the
// page references is served, so a renamed file fails here and not only
// in a browser.
func TestImportsResolve(t *testing.T) {
	h := New()
	served := map[string]bool{}
	for _, p := range h.Paths() {
		served[p] = true
	}
	imp := regexp.MustCompile(`from '\./([a-z_]+\.js)'`)
	for p := range served {
		if !strings.HasSuffix(p, ".js") {
			continue
		}
		body := get(t, h, "GET", p).Body.String()
		for _, m := range imp.FindAllStringSubmatch(body, -1) {
			if !served["/ui/js/"+m[1]] {
				t.Errorf("%s imports %s, which is not served", p, m[1])
			}
		}
	}
	ref := regexp.MustCompile(`(?:src|href)="(ui/[^"]+)"`)
	for _, m := range ref.FindAllStringSubmatch(get(t, h, "GET", "/").Body.String(), -1) {
		if !served["/"+m[1]] {
			t.Errorf("index.html references %s, which is not served", m[1])
		}
	}
}

// TestNoExternalReferences keeps the UI self-contained: no URL of another
// origin in any asset (the SVG namespace name is not a request).
func TestNoExternalReferences(t *testing.T) {
	h := New()
	url := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, p := range h.Paths() {
		body := get(t, h, "GET", p).Body.String()
		body = strings.ReplaceAll(body, `xmlns="http://www.w3.org/2000/svg"`, "")
		if m := url.FindString(body); m != "" {
			t.Errorf("%s refers to %s", p, m)
		}
	}
}

func TestFileSizes(t *testing.T) {
	h := New()
	for _, p := range h.Paths() {
		if n := strings.Count(get(t, h, "GET", p).Body.String(), "\n"); n >= 500 {
			t.Errorf("%s has %d lines; keep files under 500", p, n)
		}
	}
}
