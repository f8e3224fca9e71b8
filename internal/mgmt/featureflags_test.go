package mgmt

import (
	"net/http"
	"slices"
	"testing"

	"github.com/warrenmq/warren/internal/alarm"
)

// addTagged adds users named after their only tag ("plain" has none);
// the fixture's do sends the user name as password.
func addTagged(f *fixture) {
	f.api.d.Users.AddUser("plain", "plain")
	f.api.d.Users.AddUser("management", "management", "management")
	f.api.d.Users.AddUser("monitoring", "monitoring", "monitoring")
}

func TestFeatureFlagsList(t *testing.T) {
	f := newFixture(t)
	code, body := f.do(t, "GET", "/api/feature-flags", "guest", "")
	if code != http.StatusOK {
		t.Fatalf("GET /api/feature-flags: %d %s", code, body)
	}
	flags := decode[[]map[string]any](t, body)
	var names []string
	for _, fl := range flags {
		if len(fl) != 6 {
			t.Errorf("flag %v: %d keys, want name, desc, doc_url, state, stability, provided_by", fl, len(fl))
		}
		for _, k := range []string{"name", "desc", "doc_url", "state", "stability", "provided_by"} {
			if _, ok := fl[k].(string); !ok {
				t.Errorf("flag %v: %s is not a string", fl["name"], k)
			}
		}
		if fl["state"] != "enabled" {
			t.Errorf("flag %v: state %v", fl["name"], fl["state"])
		}
		if s := fl["stability"]; s != "stable" && s != "required" {
			t.Errorf("flag %v: stability %v", fl["name"], s)
		}
		names = append(names, fl["name"].(string))
	}
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("names not sorted and unique: %v", names)
	}
	for _, want := range []string{"quorum_queue", "stream_queue", "classic_mirrored_queue_version",
		"message_containers", "detailed_queues_endpoint", "empty_basic_get_metric"} {
		if !slices.Contains(names, want) {
			t.Errorf("missing %s in %v", want, names)
		}
	}
	for _, fl := range flags {
		switch fl["name"] {
		case "empty_basic_get_metric", "drop_unroutable_metric":
			if fl["provided_by"] != "rabbitmq_management_agent" {
				t.Errorf("%v provided by %v", fl["name"], fl["provided_by"])
			}
		case "quorum_queue":
			if fl["stability"] != "required" {
				t.Errorf("quorum_queue stability %v, want required (since 3.11)", fl["stability"])
			}
		}
	}
}

func TestFeatureFlagsSortAndColumns(t *testing.T) {
	f := newFixture(t)
	_, body := f.do(t, "GET", "/api/feature-flags?sort_reverse=true&columns=name,state", "guest", "")
	flags := decode[[]map[string]any](t, body)
	if len(flags) < 2 || flags[0]["name"] != "virtual_host_metadata" {
		t.Fatalf("reverse sort: first is %v", flags[0])
	}
	if len(flags[0]) != 2 {
		t.Errorf("columns=name,state kept %v", flags[0])
	}
	// RabbitMQ does not page this list: page parameters are ignored.
	_, body = f.do(t, "GET", "/api/feature-flags?page=1&page_size=2", "guest", "")
	if n := len(decode[[]map[string]any](t, body)); n != len(featureFlags()) {
		t.Errorf("paged request returned %d flags, want all %d", n, len(featureFlags()))
	}
}

func TestFeatureFlagsAccess(t *testing.T) {
	f := newFixture(t)
	addTagged(f)
	cases := []struct {
		method, path, user string
		code               int
		reason             string
	}{
		{"GET", "/api/feature-flags", "", 401, "Not_Authorized"},
		{"GET", "/api/feature-flags", "plain", 401, "Not management user"},
		{"GET", "/api/feature-flags", "management", 401, "Not administrator user"},
		{"GET", "/api/feature-flags", "monitoring", 401, "Not administrator user"},
		{"PUT", "/api/feature-flags/quorum_queue/enable", "monitoring", 401, "Not administrator user"},
		{"PUT", "/api/feature-flags/quorum_queue/enable", "guest", 204, ""},
		{"PUT", "/api/feature-flags/no_such_flag/enable", "guest", 400, "unsupported"},
		{"GET", "/api/feature-flags/quorum_queue/enable", "guest", 405, "Method Not Allowed"},
		{"DELETE", "/api/feature-flags", "guest", 405, "Method Not Allowed"},
		{"GET", "/api/deprecated-features", "monitoring", 401, "Not administrator user"},
		{"GET", "/api/deprecated-features/used", "management", 401, "Not administrator user"},
		{"POST", "/api/rebalance/queues", "guest", 204, ""},
		{"POST", "/api/rebalance/queues", "monitoring", 401, "Not administrator user"},
		{"GET", "/api/rebalance/queues", "guest", 405, "Method Not Allowed"},
	}
	for _, c := range cases {
		code, body := f.do(t, c.method, c.path, c.user, "")
		if code != c.code {
			t.Errorf("%s %s as %q: %d %s, want %d", c.method, c.path, c.user, code, body, c.code)
			continue
		}
		if c.reason != "" {
			if e := decode[map[string]string](t, body); e["reason"] != c.reason {
				t.Errorf("%s %s as %q: reason %q, want %q", c.method, c.path, c.user, e["reason"], c.reason)
			}
		}
	}
}

func TestDeprecatedFeaturesEmpty(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/api/deprecated-features", "/api/deprecated-features/used"} {
		code, body := f.do(t, "GET", path, "guest", "")
		if code != http.StatusOK || string(body) != "[]\n" {
			t.Errorf("GET %s: %d %q, want 200 []", path, code, body)
		}
	}
}

func TestAuthSettingsWithoutCredentials(t *testing.T) {
	f := newFixture(t)
	for _, user := range []string{"", "nobody", "guest"} {
		code, body := f.do(t, "GET", "/api/auth", user, "")
		if code != http.StatusOK {
			t.Fatalf("GET /api/auth as %q: %d %s", user, code, body)
		}
		got := decode[map[string]any](t, body)
		want := map[string]any{"oauth_enabled": false, "enable_uaa": false, "uaa_client_id": "", "uaa_location": ""}
		if len(got) != len(want) {
			t.Errorf("GET /api/auth: %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("GET /api/auth: %s = %v, want %v", k, got[k], v)
			}
		}
	}
	if code, _ := f.do(t, "POST", "/api/auth", "", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/auth: %d, want 405", code)
	}
	if code, _ := f.do(t, "OPTIONS", "/api/auth", "", ""); code != http.StatusOK {
		t.Errorf("OPTIONS /api/auth: %d, want 200", code)
	}
}

func TestNodeHealthcheck(t *testing.T) {
	f := newFixture(t)
	addTagged(f)
	for _, c := range []struct {
		path, user string
		code       int
	}{
		{"/api/healthchecks/node", "guest", 200},
		{"/api/healthchecks/node", "management", 200},
		{"/api/healthchecks/node/warren@test", "monitoring", 200},
		{"/api/healthchecks/node/rabbit@elsewhere", "guest", 404},
		{"/api/healthchecks/node", "", 401},
		{"/api/healthchecks/node", "plain", 401},
	} {
		code, body := f.do(t, "GET", c.path, c.user, "")
		if code != c.code {
			t.Errorf("GET %s as %q: %d %s, want %d", c.path, c.user, code, body, c.code)
		} else if code == 200 && string(body) != `{"status":"ok"}`+"\n" {
			t.Errorf("GET %s: %s", c.path, body)
		}
	}

	// Like RabbitMQ's, the old check reports an alarm in the body of a 200.
	f.api.d.Alarms = alarm.NewSet(nil)
	f.api.d.Alarms.Raise(alarm.Memory, true)
	f.api.d.Alarms.Raise(alarm.Disk, true)
	code, body := f.do(t, "GET", "/api/healthchecks/node", "guest", "")
	got := decode[map[string]any](t, body)
	want := "resource alarm(s) in effect:[{resource_limit,disk,warren@test},{resource_limit,memory,warren@test}]"
	if code != 200 || got["status"] != "failed" || got["reason"] != want {
		t.Errorf("with alarms: %d %s", code, body)
	}
}

func TestErlAtom(t *testing.T) {
	for in, want := range map[string]string{
		"memory":         "memory",
		"rabbit@host":    "rabbit@host",
		"warren@my-host": "'warren@my-host'",
		"Upper@x":        "'Upper@x'",
		"it's":           `'it\'s'`,
	} {
		if got := erlAtom(in); got != want {
			t.Errorf("erlAtom(%q) = %s, want %s", in, got, want)
		}
	}
}
