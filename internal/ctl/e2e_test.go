package ctl_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/ctl"
)

// broker is an embedded broker with AMQP and the management API on
// loopback listeners, as test/e2e starts one.
type broker struct {
	amqp, http string
}

func startBroker(t *testing.T) *broker {
	t.Helper()
	srv, err := warren.New(warren.Config{DataDir: t.TempDir(), Version: "test", NodeName: "warren@ctl"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	go srv.ServeHTTP(hl)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	b := &broker{amqp: l.Addr().String(), http: "http://" + hl.Addr().String()}
	for i := 0; i < 100; i++ {
		if resp, err := http.Get(b.http + "/api/overview"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b
}

// run runs warren ctl against the broker as guest.
func (b *broker) run(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "WARREN_CTL_URL" {
			return b.http
		}
		return ""
	}
	code := ctl.Main(context.Background(), args, env, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

// ok runs a command that must succeed and returns its output.
func (b *broker) ok(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := b.run(t, nil, args...)
	if code != 0 {
		t.Fatalf("warren ctl %q: exit %d: %s", args, code, errs)
	}
	return out
}

// fail runs a command that must fail with code and an error containing
// want.
func (b *broker) fail(t *testing.T, code int, want string, args ...string) {
	t.Helper()
	c, _, errs := b.run(t, nil, args...)
	if c != code || !strings.Contains(errs, want) {
		t.Fatalf("warren ctl %q: exit %d %q, want exit %d with %q", args, c, errs, code, want)
	}
}

func (b *broker) dial(t *testing.T, user, pass, vhost string) (*amqp.Connection, error) {
	c, err := amqp.DialConfig(fmt.Sprintf("amqp://%s:%s@%s/", user, pass, b.amqp), amqp.Config{Vhost: vhost})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// hasRow reports whether a table has the line made of cells.
func hasRow(table string, cells ...string) bool {
	want := strings.Join(cells, "\t")
	for _, l := range strings.Split(table, "\n") {
		if l == want {
			return true
		}
	}
	return false
}

// eventually retries cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestVHostsUsersPermissions(t *testing.T) {
	b := startBroker(t)
	if out := b.ok(t, "add_vhost", "prod"); !strings.Contains(out, `Adding vhost "prod"`) {
		t.Errorf("add_vhost notice: %q", out)
	}
	if out := b.ok(t, "list_vhosts"); !hasRow(out, "name") || !hasRow(out, "prod") || !hasRow(out, "/") {
		t.Fatalf("list_vhosts:\n%s", out)
	}
	b.ok(t, "add_user", "alice", "s3cret")
	b.fail(t, 1, "user 'alice' already exists", "add_user", "alice", "x")
	if _, err := b.dial(t, "alice", "s3cret", "prod"); err == nil {
		t.Fatal("alice logged in to prod without permissions")
	}
	b.ok(t, "set_permissions", "-p", "prod", "alice", ".*", ".*", ".*")
	if _, err := b.dial(t, "alice", "s3cret", "prod"); err != nil {
		t.Fatalf("alice's login after set_permissions: %v", err)
	}
	if out := b.ok(t, "list_permissions", "-p", "prod"); !hasRow(out, "alice", ".*", ".*", ".*") {
		t.Fatalf("list_permissions:\n%s", out)
	}
	b.ok(t, "change_password", "alice", "n3w")
	if _, err := b.dial(t, "alice", "n3w", "prod"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	b.ok(t, "set_user_tags", "alice", "monitoring", "policymaker")
	if out := b.ok(t, "list_users"); !hasRow(out, "alice", `["monitoring","policymaker"]`) {
		t.Fatalf("list_users:\n%s", out)
	}
	b.fail(t, 1, "user 'nobody' not found (404)", "set_user_tags", "nobody", "x")
	b.fail(t, 1, "user 'nobody' not found (404)", "change_password", "nobody", "x")
	b.fail(t, 1, "vhost '/' or user 'nobody' not found (400)", "set_permissions", "nobody", ".*", ".*", ".*")
	b.fail(t, 1, "vhost 'nope' or user 'alice' not found (400)", "set_permissions", "-p", "nope", "alice", ".*", ".*", ".*")
	b.fail(t, 1, "vhost 'nope' not found (404)", "list_queues", "-p", "nope")
	b.ok(t, "delete_user", "alice")
	b.fail(t, 1, "user 'alice' not found (404)", "delete_user", "alice")
	b.ok(t, "delete_vhost", "prod")
	b.fail(t, 1, "vhost 'prod' not found (404)", "delete_vhost", "prod")
}

func TestPolicies(t *testing.T) {
	b := startBroker(t)
	b.ok(t, "set_policy", "--priority", "5", "--apply-to", "queues", "ttl", `^q\.`, `{"message-ttl": 1000}`)
	out := b.ok(t, "list_policies")
	if !hasRow(out, "/", "ttl", `^q\.`, "queues", `{"message-ttl":1000}`, "5") {
		t.Fatalf("list_policies:\n%s", out)
	}
	out = b.ok(t, "--format", "json", "list_policies", "name", "priority")
	if !strings.Contains(out, `"priority": 5`) || strings.Contains(out, "pattern") {
		t.Fatalf("list_policies json:\n%s", out)
	}
	b.fail(t, 1, "apply-to 'bogus' unrecognised; should be 'queues', 'exchanges' or 'all' (400)", "set_policy", "--apply-to", "bogus", "p", ".*", `{"max-length": 1}`)
	b.fail(t, 2, "DEFINITION_JSON must be a JSON object", "set_policy", "p", ".*", "[1]")
	b.ok(t, "clear_policy", "ttl")
	if out := b.ok(t, "list_policies"); strings.Contains(out, "ttl") {
		t.Fatalf("policy still listed:\n%s", out)
	}
	b.fail(t, 1, "policy 'ttl' in vhost '/' not found (404)", "clear_policy", "ttl")
}

func TestQueuesAndConnections(t *testing.T) {
	b := startBroker(t)
	conn, err := b.dial(t, "guest", "guest", "/")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"q1", "q2"} {
		if _, err := ch.QueueDeclare(q, true, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if err := ch.Publish("", "q1", false, false, amqp.Publishing{Body: []byte("m")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ch.Consume("q2", "ctag", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "queue counts", func() bool {
		out := b.ok(t, "list_queues")
		return hasRow(out, "name", "messages", "consumers") && hasRow(out, "q1", "3", "0") && hasRow(out, "q2", "0", "1")
	})
	out := b.ok(t, "list_queues", "name,durable", "message_stats.publish_details.rate")
	if !strings.HasPrefix(out, "name\tdurable\tmessage_stats.publish_details.rate\n") || !strings.Contains(out, "q1\ttrue\t") {
		t.Fatalf("list_queues columns:\n%s", out)
	}
	if out := b.ok(t, "--all-vhosts", "list_queues"); !hasRow(out, "/", "q1", "3", "0") {
		t.Fatalf("list_queues --all-vhosts:\n%s", out)
	}
	if out := b.ok(t, "list_consumers"); !strings.Contains(out, "q2\t") || !strings.Contains(out, "\tctag\t") {
		t.Fatalf("list_consumers:\n%s", out)
	}
	if out := b.ok(t, "list_exchanges"); !hasRow(out, "amq.topic", "topic") {
		t.Fatalf("list_exchanges:\n%s", out)
	}
	if out := b.ok(t, "list_bindings"); !hasRow(out, "", "queue", "q1", "q1", "{}") {
		t.Fatalf("list_bindings:\n%s", out)
	}
	if out := b.ok(t, "list_channels"); !strings.Contains(out, "\tguest\t/\t1\t") {
		t.Fatalf("list_channels:\n%s", out)
	}
	b.ok(t, "purge_queue", "q1")
	if out := b.ok(t, "list_queues"); !hasRow(out, "q1", "0", "0") {
		t.Fatalf("after purge:\n%s", out)
	}
	b.ok(t, "delete_queue", "q1")
	if out := b.ok(t, "list_queues"); strings.Contains(out, "q1") {
		t.Fatalf("after delete:\n%s", out)
	}
	b.fail(t, 1, "queue 'q1' in vhost '/' not found (404)", "purge_queue", "q1")
	b.fail(t, 1, "queue 'q1' in vhost '/' not found (404)", "delete_queue", "q1")

	// close_connection closes the AMQP client with 320 and the reason.
	out = b.ok(t, "list_connections", "name", "user")
	var name string
	for _, l := range strings.Split(out, "\n") {
		if n, ok := strings.CutSuffix(l, "\tguest"); ok {
			name = n
		}
	}
	if name == "" {
		t.Fatalf("no guest connection:\n%s", out)
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	b.ok(t, "close_connection", name, "maintenance window")
	select {
	case e := <-closed:
		if e == nil || e.Code != 320 || !strings.Contains(e.Reason, "maintenance window") {
			t.Fatalf("closed with %v, want 320 and the reason", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed")
	}
	// The broker drops the connection from its registry once the close
	// handshake ends; give it a moment before expecting the 404.
	for i := 0; i < 100; i++ {
		if out := b.ok(t, "list_connections", "name"); !strings.Contains(out, name) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.fail(t, 1, "connection '"+name+"' not found (404)", "close_connection", name)
}

func TestDefinitionsRoundTrip(t *testing.T) {
	src := startBroker(t)
	src.ok(t, "add_vhost", "app")
	src.ok(t, "add_user", "bob", "pw")
	src.ok(t, "set_permissions", "-p", "app", "bob", "^bob", ".*", ".*")
	src.ok(t, "set_policy", "-p", "app", "lim", ".*", `{"max-length": 10}`)
	conn, err := src.dial(t, "guest", "guest", "app")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare("orders", true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	file := t.TempDir() + "/defs.json"
	if out := src.ok(t, "export_definitions", file); !strings.Contains(out, "Exporting definitions") {
		t.Errorf("export notice: %q", out)
	}
	_, stdoutDefs, _ := src.run(t, nil, "export_definitions", "-")

	for _, how := range []string{"file", "stdin"} {
		dst := startBroker(t)
		if how == "file" {
			dst.ok(t, "import_definitions", file)
		} else if code, _, errs := dst.run(t, strings.NewReader(stdoutDefs), "import_definitions", "-"); code != 0 {
			t.Fatalf("import from stdin: %d %s", code, errs)
		}
		if out := dst.ok(t, "list_vhosts"); !hasRow(out, "app") {
			t.Fatalf("%s: vhosts:\n%s", how, out)
		}
		if out := dst.ok(t, "list_permissions", "-p", "app"); !hasRow(out, "bob", "^bob", ".*", ".*") {
			t.Fatalf("%s: permissions:\n%s", how, out)
		}
		if out := dst.ok(t, "list_policies", "-p", "app", "name", "definition"); !hasRow(out, "lim", `{"max-length":10}`) {
			t.Fatalf("%s: policies:\n%s", how, out)
		}
		if out := dst.ok(t, "list_queues", "-p", "app"); !hasRow(out, "orders", "0", "0") {
			t.Fatalf("%s: queues:\n%s", how, out)
		}
		if _, err := dst.dial(t, "bob", "pw", "app"); err != nil {
			t.Fatalf("%s: bob's login on the imported broker: %v", how, err)
		}
	}
	bad := t.TempDir() + "/bad.json"
	src.fail(t, 1, "no such file", "import_definitions", bad+".missing")
	if code, _, errs := src.run(t, strings.NewReader("[1,2]"), "import_definitions", "-"); code != 1 ||
		!strings.Contains(errs, "standard input is not a JSON definitions object") {
		t.Fatalf("import of a list: %d %s", code, errs)
	}
}

func TestStatusAndErrors(t *testing.T) {
	b := startBroker(t)
	out := b.ok(t, "status")
	for _, want := range []string{"Status of node warren@ctl", "Product:", "Warren test", "Object totals",
		"Queue totals", "messages_ready:", "Alarms\n  (none)"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if out := b.ok(t, "status", "--format", "json"); !strings.Contains(out, `"alarms": []`) ||
		!strings.Contains(out, `"object_totals"`) {
		t.Errorf("status json:\n%s", out)
	}

	code, _, errs := b.run(t, nil, "--password", "wrong", "list_queues")
	if code != 1 || errs != "Error: access refused: user 'guest' is not authorised (401)\n" {
		t.Fatalf("wrong password: exit %d %q", code, errs)
	}

	// An address nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	var o, e bytes.Buffer
	code = ctl.Main(context.Background(), []string{"--url", dead, "status"}, nil, nil, &o, &e)
	if code != 1 || !strings.Contains(e.String(), "unable to connect to "+dead+": connection refused") ||
		strings.Count(e.String(), "\n") != 1 {
		t.Fatalf("unreachable: exit %d %q", code, e.String())
	}

	code, out, errs = b.run(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) || !strings.Contains(errs, "list_queues") || out != "" {
		t.Fatalf("unknown verb: exit %d %q %q", code, out, errs)
	}
	if code, out, _ := b.run(t, nil, "help"); code != 0 || !strings.Contains(out, "usage: warren ctl") {
		t.Fatalf("help: %d %q", code, out)
	}
	b.fail(t, 2, "missing arguments", "add_user", "x")
}
