package mgmt

import (
	"net/http"
	"strings"
	"testing"
)

func TestPoliciesParametersLimits(t *testing.T) {
	f := newFixture(t)
	steps := []struct {
		method, path, body string
		code               int
	}{
		{"PUT", "/api/policies/%2F/ttl", `{"pattern":"^q","definition":{"message-ttl":1000},"priority":3,"apply-to":"queues"}`, 201},
		{"PUT", "/api/policies/%2F/ttl", `{"pattern":"^q","definition":{"message-ttl":2000}}`, 204},
		{"PUT", "/api/policies/%2F/bad", `{"pattern":"(","definition":{}}`, 400},
		{"PUT", "/api/policies/%2F/bad", `{"definition":{}}`, 400},
		{"PUT", "/api/policies/%2F/bad", `{"pattern":"x","definition":{},"apply-to":"nothing"}`, 400},
		{"PUT", "/api/policies/missing/p", `{"pattern":"x","definition":{}}`, 404},
		{"GET", "/api/policies/%2F/ttl", "", 200},
		{"GET", "/api/policies/%2F/none", "", 404},
		{"PUT", "/api/operator-policies/%2F/op", `{"pattern":".*","definition":{"max-length":10}}`, 201},
		{"PUT", "/api/parameters/shovel/%2F/s1", `{"value":{"src-uri":"amqp://"}}`, 400}, // no shovel plugin
		{"PUT", "/api/parameters/vhost-limits/%2F/limits", `{"value":{"max-connections":3}}`, 201},
		{"PUT", "/api/parameters/vhost-limits/%2F/limits", `{}`, 400},
		{"PUT", "/api/global-parameters/g", `{"value":[1,2]}`, 201},
		{"PUT", "/api/vhost-limits/%2F/max-queues", `{"value":5}`, 204},
		{"PUT", "/api/vhost-limits/%2F/max-bogus", `{"value":5}`, 400},
		{"PUT", "/api/user-limits/guest/max-channels", `{"value":"x"}`, 400},
		{"PUT", "/api/user-limits/guest/max-channels", `{"value":7}`, 204},
		{"PUT", "/api/cluster-name", `{"name":"c1"}`, 204},
	}
	for _, s := range steps {
		if code, body := f.do(t, s.method, s.path, "guest", s.body); code != s.code {
			t.Errorf("%s %s: %d %s, want %d", s.method, s.path, code, body, s.code)
		}
	}
	_, body := f.do(t, "GET", "/api/policies/%2F/ttl", "guest", "")
	pol := decode[map[string]any](t, body)
	if pol["priority"] != float64(0) || pol["apply-to"] != "all" || pol["definition"].(map[string]any)["message-ttl"] != float64(2000) {
		t.Errorf("policy after update: %v", pol)
	}
	// The global parameters include RabbitMQ's internal_cluster_id.
	for path, n := range map[string]int{"/api/policies": 1, "/api/operator-policies/%2F": 1, "/api/parameters/vhost-limits": 1,
		"/api/global-parameters": 2, "/api/vhost-limits": 1, "/api/user-limits/guest": 1} {
		_, body := f.do(t, "GET", path, "guest", "")
		if l := decode[[]map[string]any](t, body); len(l) != n {
			t.Errorf("%s: %v", path, l)
		}
	}
	if _, body := f.do(t, "GET", "/api/cluster-name", "guest", ""); decode[map[string]any](t, body)["name"] != "c1" {
		t.Errorf("cluster name: %s", body)
	}
	for _, p := range []string{"/api/policies/%2F/ttl", "/api/operator-policies/%2F/op", "/api/vhost-limits/%2F/max-queues",
		"/api/parameters/vhost-limits/%2F/limits", "/api/global-parameters/g", "/api/user-limits/guest/max-channels"} {
		if code, body := f.do(t, "DELETE", p, "guest", ""); code != http.StatusNoContent {
			t.Errorf("DELETE %s: %d %s", p, code, body)
		}
		// RabbitMQ answers 204 for a limit that is not set, 404 for
		// anything else that is gone.
		again := http.StatusNotFound
		if strings.Contains(p, "-limits/") && !strings.HasPrefix(p, "/api/parameters/") {
			again = http.StatusNoContent
		}
		if code, _ := f.do(t, "DELETE", p, "guest", ""); code != again {
			t.Errorf("second DELETE %s: %d, want %d", p, code, again)
		}
	}
}

func TestRouting(t *testing.T) {
	f := newFixture(t)
	// Names with "/" and spaces, the vhost "/" as %2F, HEAD and OPTIONS.
	if code, body := f.do(t, "PUT", "/api/queues/%2F/a%2Fb%20c", "guest", `{}`); code != 201 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, body := f.do(t, "GET", "/api/queues/%2F/a%2Fb%20c", "guest", ""); code != 200 || decode[map[string]any](t, body)["name"] != "a/b c" {
		t.Errorf("GET: %d %s", code, body)
	}
	if code, _ := f.do(t, "HEAD", "/api/queues/%2F/a%2Fb%20c", "guest", ""); code != 200 {
		t.Errorf("HEAD: %d", code)
	}
	if code, _ := f.do(t, "OPTIONS", "/api/queues/%2F/a%2Fb%20c", "", ""); code != 200 {
		t.Errorf("OPTIONS without credentials: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/queues/", "guest", ""); code != 200 {
		t.Errorf("trailing slash: %d", code)
	}
	if code, _ := f.do(t, "GET", "/api/users/without-permissions", "guest", ""); code != 200 {
		t.Errorf("literal beats wildcard: %d", code)
	}
}
