//go:build unix

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// findChromium returns the browser to drive: $WARREN_CHROMIUM, else the
// first of Debian's and other usual names on PATH.
func findChromium() (string, bool) {
	if p := os.Getenv("WARREN_CHROMIUM"); p != "" {
		return p, true
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, true
		}
	}
	return "", false
}

// artifactDir is where screenshots go: $WARREN_ARTIFACTS, else a new
// temporary directory that is kept (its path is logged).
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("WARREN_ARTIFACTS"); d != "" {
		must(t, os.MkdirAll(d, 0o755))
		return d
	}
	d, err := os.MkdirTemp("", "warren-ui-")
	must(t, err)
	return d
}

// browserEnv finds node, Chromium and the installed npm package, or
// skips the test saying what is missing.
func browserEnv(t *testing.T) (node, browser, uiDir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed; the browser test needs it (make deps)")
	}
	browser, ok := findChromium()
	if !ok {
		t.Skip("Chromium is not installed (apt-get install chromium, or set WARREN_CHROMIUM)")
	}
	uiDir, err = filepath.Abs(filepath.Join("..", "ui"))
	must(t, err)
	if _, err := os.Stat(filepath.Join(uiDir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Skip("playwright-core is not installed: run `npm ci --prefix test/ui` (make deps)")
	}
	return node, browser, uiDir
}

// runBrowserScript runs test/ui/<script> against the broker's HTTP
// listener and fails the test if it fails. It returns the directory the
// screenshots went to.
func runBrowserScript(t *testing.T, m *mgmtBroker, node, browser, uiDir, script string) string {
	t.Helper()
	out := artifactDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(uiDir, script), m.http+"/", out, browser)
	cmd.Dir = uiDir
	// Its own process group, so a timeout also ends the browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	output, err := cmd.CombinedOutput()
	t.Logf("%s output:\n%s", script, output)
	t.Logf("screenshots in %s", out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s timed out", script)
	}
	if err != nil {
		t.Fatalf("%s failed: %v", script, err)
	}
	return out
}

// TestUIBrowser drives the web UI in headless Chromium (test/ui/smoke.mjs
// with playwright-core): log in as guest, create a queue, publish a
// message from the UI and see the queue's count become 1, peek at it,
// move it to another queue, close a client connection, screenshot the
// pages. It skips without node, Chromium or the npm package (make deps
// installs them).
func TestUIBrowser(t *testing.T) {
	node, browser, uiDir := browserEnv(t)
	m := startWithMgmt(t)
	// A client connection for the Connections page to list and close.
	conn, err := amqp.DialConfig(m.amqpURL, amqp.Config{Properties: amqp.Table{"connection_name": "ui-test-conn"}})
	must(t, err)
	defer conn.Close()
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))

	out := runBrowserScript(t, m, node, browser, uiDir, "smoke.mjs")

	// What the UI did, seen through the API.
	if q := m.obj(t, "/api/queues/%2F/ui-test-queue"); num(t, q, "messages") != 0 {
		t.Errorf("ui-test-queue holds %d messages after the move, want 0", num(t, q, "messages"))
	}
	if q := m.obj(t, "/api/queues/%2F/ui-test-target"); num(t, q, "messages") != 1 {
		t.Errorf("ui-test-target holds %d messages, want the moved one", num(t, q, "messages"))
	}
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp.ConnectionForced {
			t.Errorf("connection closed with %v, want 320 CONNECTION_FORCED", e)
		}
	case <-time.After(5 * time.Second):
		t.Error("the UI's Close did not close the connection")
	}
	if _, err := os.Stat(filepath.Join(out, "ui-queue.png")); err != nil {
		t.Errorf("no screenshot: %v", err)
	}
}

// TestUIBrowserAdmin drives the other pages (test/ui/admin.mjs): vhosts,
// users, permissions, vhost and user limits, topic permissions, exchanges,
// bindings, queue paging and filtering, purge, delete, policies,
// definitions export and import.
func TestUIBrowserAdmin(t *testing.T) {
	node, browser, uiDir := browserEnv(t)
	m := startWithMgmt(t)
	ch, err := m.dial(t).Channel()
	must(t, err)
	for i := 0; i < 25; i++ {
		_, err := ch.QueueDeclare(fmt.Sprintf("page-q-%02d", i), false, false, false, false, nil)
		must(t, err)
	}
	out := runBrowserScript(t, m, node, browser, uiDir, "admin.mjs")

	if q := m.obj(t, "/api/queues/%2F/ui-imported"); q["durable"] != true {
		t.Errorf("imported queue: %v", q)
	}
	for _, path := range []string{"/api/queues/%2F/ui-bq", "/api/exchanges/%2F/ui-x", "/api/users/ui-user", "/api/vhosts/ui-vh", "/api/policies/%2F/ui-pol", "/api/topic-permissions/%2F/ui-user"} {
		if code, _ := m.call(t, "GET", path, "guest", "guest", nil); code != 404 {
			t.Errorf("GET %s: %d after the UI deleted it, want 404", path, code)
		}
	}
	if ls := m.list(t, "/api/vhost-limits/%2F"); len(ls) != 0 {
		t.Errorf("vhost limits of / after the UI cleared them: %v", ls)
	}
	for _, shot := range []string{"ui-limits.png", "ui-topic-permissions.png"} {
		if _, err := os.Stat(filepath.Join(out, shot)); err != nil {
			t.Errorf("no screenshot: %v", err)
		}
	}
}
