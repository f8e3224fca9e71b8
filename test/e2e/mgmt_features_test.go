package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// Endpoints kept for tools written against RabbitMQ: feature flags,
// deprecated features, the web UI's auth settings, the old node health
// check and queue rebalancing. Shapes and codes are RabbitMQ's.

func TestMgmtFeatureFlags(t *testing.T) {
	m := startWithMgmt(t)
	flags := m.list(t, "/api/feature-flags")
	byName := map[string]map[string]any{}
	for _, f := range flags {
		if len(f) != 6 {
			t.Errorf("flag %v: keys %v, want name, desc, doc_url, state, stability, provided_by", f["name"], f)
		}
		for _, k := range []string{"name", "desc", "doc_url", "state", "stability", "provided_by"} {
			if _, ok := f[k].(string); !ok {
				t.Errorf("flag %v: %s = %v, want a string", f["name"], k, f[k])
			}
		}
		if f["state"] != "enabled" {
			t.Errorf("flag %v: state %v, want enabled", f["name"], f["state"])
		}
		if s := f["stability"]; s != "stable" && s != "required" {
			t.Errorf("flag %v: stability %v", f["name"], s)
		}
		byName[f["name"].(string)] = f
	}
	for _, name := range []string{"quorum_queue", "stream_queue", "classic_mirrored_queue_version",
		"implicit_default_bindings", "virtual_host_metadata", "user_limits", "maintenance_mode_status",
		"empty_basic_get_metric", "drop_unroutable_metric", "message_containers", "stream_filtering"} {
		if byName[name] == nil {
			t.Errorf("flag %s missing", name)
		}
	}
	if f := byName["empty_basic_get_metric"]; f != nil && f["provided_by"] != "rabbitmq_management_agent" {
		t.Errorf("empty_basic_get_metric provided by %v", f["provided_by"])
	}
	if f := byName["quorum_queue"]; f != nil && (f["provided_by"] != "rabbit" || f["stability"] != "required") {
		t.Errorf("quorum_queue: %v", f)
	}

	// Administrator only, as in RabbitMQ.
	m.guest(t, "PUT", "/api/users/mon", map[string]any{"password": "p", "tags": "monitoring"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/users/plain", map[string]any{"password": "p", "tags": ""}, http.StatusCreated)
	for user, reason := range map[string]string{"mon": "Not administrator user", "plain": "Not management user"} {
		code, body := m.call(t, "GET", "/api/feature-flags", user, "p", nil)
		if typ, r := errorType(t, body); code != 401 || typ != "not_authorised" || r != reason {
			t.Errorf("GET /api/feature-flags as %s: %d %s, want 401 %q", user, code, body, reason)
		}
	}
}

func TestMgmtFeatureFlagEnable(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/feature-flags/quorum_queue/enable", `{}`, http.StatusNoContent)
	m.guest(t, "PUT", "/api/feature-flags/stream_queue/enable", nil, http.StatusNoContent)
	body := m.guest(t, "PUT", "/api/feature-flags/no_such_flag/enable", `{}`, http.StatusBadRequest)
	if typ, reason := errorType(t, body); typ != "bad_request" || reason != "unsupported" {
		t.Errorf("unknown flag: %s", body)
	}
	m.guest(t, "GET", "/api/feature-flags/quorum_queue/enable", nil, http.StatusMethodNotAllowed)
	m.guest(t, "PUT", "/api/users/mon", map[string]any{"password": "p", "tags": "monitoring"}, http.StatusCreated)
	if code, body := m.call(t, "PUT", "/api/feature-flags/quorum_queue/enable", "mon", "p", `{}`); code != 401 {
		t.Errorf("enable as monitoring: %d %s, want 401", code, body)
	}
	// Still all enabled.
	for _, f := range m.list(t, "/api/feature-flags") {
		if f["state"] != "enabled" {
			t.Errorf("after enable: %v", f)
		}
	}
}

func TestMgmtFeatureDeprecated(t *testing.T) {
	m := startWithMgmt(t)
	for _, path := range []string{"/api/deprecated-features", "/api/deprecated-features/used"} {
		var l []map[string]any
		m.get(t, path, &l)
		if l == nil || len(l) != 0 {
			t.Errorf("GET %s: %v, want []", path, l)
		}
	}
	m.guest(t, "PUT", "/api/users/mon", map[string]any{"password": "p", "tags": "monitoring"}, http.StatusCreated)
	if code, body := m.call(t, "GET", "/api/deprecated-features/used", "mon", "p", nil); code != 401 {
		t.Errorf("as monitoring: %d %s, want 401", code, body)
	}
}

func TestMgmtAuthSettings(t *testing.T) {
	m := startWithMgmt(t)
	// No credentials at all: the web UI reads this before its login form.
	resp, err := http.Get(m.http + "/api/auth")
	must(t, err)
	defer resp.Body.Close()
	var got map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&got))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/auth: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	want := map[string]any{"oauth_enabled": false, "enable_uaa": false, "uaa_client_id": "", "uaa_location": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (body %v)", k, got[k], v, got)
		}
	}
	// Bad credentials are not looked at either.
	if code, body := m.call(t, "GET", "/api/auth", "ghost", "x", nil); code != 200 {
		t.Errorf("with bad credentials: %d %s", code, body)
	}
	if code, _ := m.call(t, "POST", "/api/auth", "", "", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/auth: %d, want 405", code)
	}
}

func TestMgmtHealthcheckNode(t *testing.T) {
	m := startWithMgmt(t)
	node := m.obj(t, "/api/overview")["node"].(string)
	for _, path := range []string{"/api/healthchecks/node", "/api/healthchecks/node/" + node} {
		if o := m.obj(t, path); o["status"] != "ok" || len(o) != 1 {
			t.Errorf("GET %s: %v", path, o)
		}
	}
	m.guest(t, "GET", "/api/healthchecks/node/rabbit@elsewhere", nil, http.StatusNotFound)
	if code, _ := m.call(t, "GET", "/api/healthchecks/node", "", "", nil); code != 401 {
		t.Errorf("without credentials: %d, want 401", code)
	}
	// Any management user may run it.
	m.guest(t, "PUT", "/api/users/mgr", map[string]any{"password": "p", "tags": "management"}, http.StatusCreated)
	if code, body := m.call(t, "GET", "/api/healthchecks/node", "mgr", "p", nil); code != 200 {
		t.Errorf("as management: %d %s", code, body)
	}
	// RabbitMQ's old check reports alarms in a 200's body. (An alarm the
	// memory monitor does not own, so that it stays raised.)
	m.srv.RaiseAlarm("test", true)
	o := m.obj(t, "/api/healthchecks/node")
	if o["status"] != "failed" || o["reason"] != "resource alarm(s) in effect:[{resource_limit,test,"+node+"}]" {
		t.Errorf("with an alarm raised: %v", o)
	}
	m.srv.RaiseAlarm("test", false)
	if o := m.obj(t, "/api/healthchecks/node"); o["status"] != "ok" {
		t.Errorf("after the alarm cleared: %v", o)
	}
}

func TestMgmtRebalanceQueues(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "POST", "/api/rebalance/queues", nil, http.StatusNoContent)
	m.guest(t, "POST", "/api/rebalance/queues", `{}`, http.StatusNoContent)
	m.guest(t, "GET", "/api/rebalance/queues", nil, http.StatusMethodNotAllowed)
	m.guest(t, "PUT", "/api/users/mon", map[string]any{"password": "p", "tags": "monitoring"}, http.StatusCreated)
	if code, body := m.call(t, "POST", "/api/rebalance/queues", "mon", "p", nil); code != 401 {
		t.Errorf("as monitoring: %d %s, want 401", code, body)
	}
}

// The feature flags list detailed_queues_endpoint as enabled, so the
// endpoint it announces must answer: all queues, or one vhost's.
func TestMgmtFeatureDetailedQueues(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/queues/%2F/detailed-q", nil, http.StatusCreated)
	for _, path := range []string{"/api/queues/detailed", "/api/queues/detailed/%2F"} {
		found := false
		for _, q := range m.list(t, path) {
			found = found || q["name"] == "detailed-q"
		}
		if !found {
			t.Errorf("GET %s does not list the queue", path)
		}
	}
}
