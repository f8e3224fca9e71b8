package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/meta"
	"github.com/warrenmq/warren/internal/vfs"
)

// rabbitHash computes a RabbitMQ password hash the documented way:
// base64(salt ‖ sha256(salt ‖ password)) with a 4-byte salt.
func rabbitHash(salt [4]byte, password string) string {
	sum := sha256.Sum256(append(salt[:], password...))
	return base64.StdEncoding.EncodeToString(append(salt[:], sum[:]...))
}

func errorType(t *testing.T, body []byte) (string, string) {
	t.Helper()
	var e map[string]string
	must(t, json.Unmarshal(body, &e))
	return e["error"], e["reason"]
}

func TestMgmtAuthentication(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/users/plain", map[string]any{"password": "p", "tags": ""}, http.StatusCreated)
	m.guest(t, "PUT", "/api/users/mon", map[string]any{"password": "p", "tags": "monitoring"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/users/mgr", map[string]any{"password": "p", "tags": []string{"management"}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/vhosts/mv", nil, http.StatusCreated)
	m.guest(t, "PUT", "/api/permissions/mv/mgr", map[string]any{"configure": "^mine-", "write": ".*", "read": ".*"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/mv/mine-1", `{}`, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/%2F/other", `{}`, http.StatusCreated)

	cases := []struct {
		name, method, path, user, pass string
		body                           any
		code                           int
		errType, reason                string
	}{
		{"no credentials", "GET", "/api/overview", "", "", nil, 401, "not_authorized", ""},
		{"wrong password", "GET", "/api/overview", "guest", "nope", nil, 401, "not_authorized", ""},
		{"unknown user", "GET", "/api/whoami", "ghost", "x", nil, 401, "not_authorized", ""},
		{"no management tag", "GET", "/api/overview", "plain", "p", nil, 401, "not_authorised", "Not management user"},
		{"monitoring reads", "GET", "/api/queues", "mon", "p", nil, 200, "", ""},
		{"monitoring reads a queue", "GET", "/api/queues/%2F/other", "mon", "p", nil, 200, "", ""},
		{"monitoring cannot add users", "PUT", "/api/users/x", "mon", "p", map[string]any{"password": "x", "tags": ""}, 401, "not_authorised", "Not administrator user"},
		{"monitoring cannot add vhosts", "PUT", "/api/vhosts/x", "mon", "p", nil, 401, "not_authorised", "Not administrator user"},
		{"monitoring cannot declare without permissions", "PUT", "/api/queues/%2F/x", "mon", "p", `{}`, 401, "not_authorised", ""},
		{"management: other vhost hidden", "GET", "/api/queues/%2F/other", "mgr", "p", nil, 401, "not_authorised", ""},
		{"management: own vhost", "GET", "/api/queues/mv/mine-1", "mgr", "p", nil, 200, "", ""},
		{"management: configure pattern allows", "PUT", "/api/queues/mv/mine-2", "mgr", "p", `{}`, 201, "", ""},
		{"management: configure pattern refuses", "PUT", "/api/queues/mv/theirs", "mgr", "p", `{}`, 401, "not_authorised", ""},
		{"management: no user admin", "GET", "/api/users", "mgr", "p", nil, 401, "not_authorised", "Not administrator user"},
		{"management: no definitions", "GET", "/api/definitions", "mgr", "p", nil, 401, "not_authorised", ""},
	}
	for _, c := range cases {
		code, body := m.call(t, c.method, c.path, c.user, c.pass, c.body)
		if code != c.code {
			t.Errorf("%s: %d %s, want %d", c.name, code, body, c.code)
			continue
		}
		if c.errType != "" {
			typ, reason := errorType(t, body)
			if typ != c.errType || (c.reason != "" && reason != c.reason) {
				t.Errorf("%s: error %q %q, want %q %q", c.name, typ, reason, c.errType, c.reason)
			}
		}
	}
	// A management user lists only its vhosts' queues.
	code, body := m.call(t, "GET", "/api/queues", "mgr", "p", nil)
	var qs []map[string]any
	must(t, json.Unmarshal(body, &qs))
	if code != 200 || len(qs) != 2 || qs[0]["vhost"] != "mv" {
		t.Errorf("mgr's queues: %d %v", code, qs)
	}
	var who map[string]any
	_, body = m.call(t, "GET", "/api/whoami", "mon", "p", nil)
	must(t, json.Unmarshal(body, &who))
	if who["name"] != "mon" || who["tags"].([]any)[0] != "monitoring" {
		t.Errorf("whoami: %v", who)
	}
}

func TestMgmtUsersAndPermissions(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/users/alice", map[string]any{"password": "secret", "tags": "management"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/users/alice", map[string]any{"password": "secret", "tags": "management,policymaker"}, http.StatusNoContent)
	u := m.obj(t, "/api/users/alice")
	if tags := u["tags"].([]any); len(tags) != 2 || u["hashing_algorithm"] != "rabbit_password_hashing_sha256" || u["password_hash"] == "" {
		t.Errorf("user: %v", u)
	}
	found := false
	for _, x := range m.list(t, "/api/users/without-permissions") {
		found = found || x["name"] == "alice"
	}
	if !found {
		t.Error("alice missing from users/without-permissions")
	}
	m.guest(t, "PUT", "/api/permissions/%2F/alice", map[string]any{"configure": ".*", "write": ".*"}, http.StatusBadRequest)
	m.guest(t, "PUT", "/api/permissions/%2F/alice", map[string]any{"configure": "(", "write": ".*", "read": ".*"}, http.StatusBadRequest)
	m.guest(t, "PUT", "/api/permissions/%2F/alice", map[string]any{"configure": ".*", "write": ".*", "read": ".*"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/permissions/%2F/ghost", map[string]any{"configure": ".*", "write": ".*", "read": ".*"}, http.StatusBadRequest) // vhost_or_user_not_found, as RabbitMQ
	if p := m.obj(t, "/api/permissions/%2F/alice"); p["user"] != "alice" || p["vhost"] != "/" || p["configure"] != ".*" {
		t.Errorf("permission: %v", p)
	}
	if n := len(m.list(t, "/api/users/alice/permissions")); n != 1 {
		t.Errorf("user permissions: %d", n)
	}
	if n := len(m.list(t, "/api/vhosts/%2F/permissions")); n != 2 {
		t.Errorf("vhost permissions: %d", n)
	}

	// The user logs in over AMQP; a new password replaces the old one.
	m.dialAs(t, "alice", "secret", "/")
	m.guest(t, "PUT", "/api/users/alice", map[string]any{"password": "changed", "tags": "management"}, http.StatusNoContent)
	if c, err := m.tryDial("alice", "secret", "/"); err == nil {
		c.Close()
		t.Error("old password still accepted")
	}
	m.dialAs(t, "alice", "changed", "/")

	// A hash computed by the client, RabbitMQ's format.
	m.guest(t, "PUT", "/api/users/hashed", map[string]any{"password_hash": rabbitHash([4]byte{1, 2, 3, 4}, "pw"),
		"hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []string{}}, http.StatusCreated)
	m.guest(t, "PUT", "/api/permissions/%2F/hashed", map[string]any{"configure": "", "write": "", "read": ""}, http.StatusCreated)
	m.dialAs(t, "hashed", "pw", "/")

	// Without permissions on the vhost connection.open is refused.
	m.guest(t, "DELETE", "/api/permissions/%2F/alice", nil, http.StatusNoContent)
	m.guest(t, "GET", "/api/permissions/%2F/alice", nil, http.StatusNotFound)
	if c, err := m.tryDial("alice", "changed", "/"); err == nil {
		c.Close()
		t.Error("login to a vhost without permissions accepted")
	}

	// Topic permissions are stored and listed.
	m.guest(t, "PUT", "/api/topic-permissions/%2F/alice", map[string]any{"exchange": "amq.topic", "write": "^a", "read": ".*"}, http.StatusCreated)
	if tp := m.list(t, "/api/topic-permissions/%2F/alice"); len(tp) != 1 || tp[0]["exchange"] != "amq.topic" {
		t.Errorf("topic permissions: %v", tp)
	}
	if n := len(m.list(t, "/api/topic-permissions")); n != 1 {
		t.Errorf("all topic permissions: %d", n)
	}
	m.guest(t, "DELETE", "/api/topic-permissions/%2F/alice", nil, http.StatusNoContent)

	// Deleting a user refuses its logins and closes its connections.
	m.guest(t, "PUT", "/api/permissions/%2F/alice", map[string]any{"configure": ".*", "write": ".*", "read": ".*"}, http.StatusCreated)
	c := m.dialAs(t, "alice", "changed", "/")
	closed := c.NotifyClose(make(chan *amqp.Error, 1))
	m.guest(t, "DELETE", "/api/users/alice", nil, http.StatusNoContent)
	m.guest(t, "GET", "/api/users/alice", nil, http.StatusNotFound)
	m.guest(t, "DELETE", "/api/users/alice", nil, http.StatusNotFound)
	if c, err := m.tryDial("alice", "changed", "/"); err == nil {
		c.Close()
		t.Error("deleted user logged in")
	}
	if m.connInfoPublished(t) {
		if e := <-closed; e == nil || e.Code != 320 {
			t.Errorf("deleted user's connection: %v", e)
		}
	}

	m.guest(t, "PUT", "/api/users/bob", map[string]any{"password": "x", "tags": ""}, http.StatusCreated)
	m.guest(t, "PUT", "/api/users/carol", map[string]any{"password": "x", "tags": ""}, http.StatusCreated)
	m.guest(t, "POST", "/api/users/bulk-delete", map[string]any{"users": []string{"bob", "carol"}}, http.StatusNoContent)
	m.guest(t, "GET", "/api/users/bob", nil, http.StatusNotFound)
	if n := len(m.list(t, "/api/users")); n != 2 { // guest, hashed
		t.Errorf("users left: %d", n)
	}
}

func TestMgmtVHosts(t *testing.T) {
	m := startWithMgmt(t)
	m.guest(t, "PUT", "/api/vhosts/v1", map[string]any{"description": "first", "tags": "a,b"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/vhosts/v1", map[string]any{"description": "first!"}, http.StatusNoContent)
	v := m.obj(t, "/api/vhosts/v1")
	if v["description"] != "first!" || len(v["tags"].([]any)) != 2 || v["default_queue_type"] != "classic" {
		t.Errorf("vhost: %v", v)
	}
	// Creating a vhost grants its creator full permissions, as RabbitMQ.
	m.guest(t, "GET", "/api/permissions/v1/guest", nil, http.StatusOK)
	c := m.dialAs(t, "guest", "guest", "v1")
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("vq", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Publish("", "vq", false, false, amqp.Publishing{Body: []byte("x")}))
	eventually(t, "vhost message count", func() bool { return num(t, m.obj(t, "/api/vhosts/v1"), "messages") == 1 })
	if n := len(m.list(t, "/api/vhosts")); n != 2 {
		t.Errorf("vhosts: %d", n)
	}
	closed := c.NotifyClose(make(chan *amqp.Error, 1))

	m.guest(t, "DELETE", "/api/vhosts/v1", nil, http.StatusNoContent)
	m.guest(t, "GET", "/api/vhosts/v1", nil, http.StatusNotFound)
	m.guest(t, "DELETE", "/api/vhosts/v1", nil, http.StatusNotFound)
	m.guest(t, "GET", "/api/queues/v1/vq", nil, http.StatusNotFound)
	m.guest(t, "GET", "/api/permissions/v1/guest", nil, http.StatusNotFound)
	if c, err := m.tryDial("guest", "guest", "v1"); err == nil {
		c.Close()
		t.Error("connected to a deleted vhost")
	}
	if m.connInfoPublished(t) {
		if e := <-closed; e == nil || e.Code != 320 {
			t.Errorf("vhost connection: %v", e)
		}
	}
	// Re-created, it starts empty.
	m.guest(t, "PUT", "/api/vhosts/v1", nil, http.StatusCreated)
	if n := len(m.list(t, "/api/queues/v1")); n != 0 {
		t.Errorf("recreated vhost has %d queues", n)
	}
}

// What the API changes is persisted: users, permissions and vhosts through
// the definitions log, durable queues through the broker.
func TestMgmtChangesPersisted(t *testing.T) {
	dir := t.TempDir()
	m := startWithMgmtAt(t, dir)
	m.guest(t, "PUT", "/api/vhosts/pv", nil, http.StatusCreated)
	m.guest(t, "PUT", "/api/vhosts/gone", nil, http.StatusCreated)
	m.guest(t, "PUT", "/api/users/pu", map[string]any{"password": "x", "tags": "monitoring"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/permissions/pv/pu", map[string]any{"configure": "a", "write": "b", "read": "c"}, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/pv/pq", map[string]any{"durable": true}, http.StatusCreated)
	m.guest(t, "PUT", "/api/queues/gone/gq", map[string]any{"durable": true}, http.StatusCreated)
	m.guest(t, "DELETE", "/api/vhosts/gone", nil, http.StatusNoContent)
	m.stop()

	log, st, err := meta.Open(vfs.OS(), filepath.Join(dir, "meta"), nil)
	must(t, err)
	defer log.Close()
	if !st.VHosts["pv"] || st.VHosts["gone"] || st.Users["pu"] == nil || st.Users["pu"].Tags[0] != "monitoring" {
		t.Errorf("vhosts %v, user %v", st.VHosts, st.Users["pu"])
	}
	if p := st.Permissions[[2]string{"pu", "pv"}]; p == nil || p.Configure != "a" || p.Read != "c" {
		t.Errorf("permission: %v", p)
	}
	if st.Queues[[2]string{"pv", "pq"}] == nil || st.Queues[[2]string{"gone", "gq"}] != nil || st.Permissions[[2]string{"guest", "gone"}] != nil {
		t.Errorf("queues %v", st.Queues)
	}
}
