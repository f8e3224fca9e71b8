//go:build unix

package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
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

// TestUIBrowser drives the web UI in headless Chromium (test/ui/smoke.mjs
// with playwright-core): log in as guest, create a queue, publish a
// message from the UI and see the queue's count become 1, peek at it,
// move it to another queue, screenshot the pages. It skips without node,
// Chromium or the npm package (make deps installs them).
func TestUIBrowser(t *testing.T) {
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
	uiDir, err := filepath.Abs(filepath.Join("..", "ui"))
	must(t, err)
	if _, err := os.Stat(filepath.Join(uiDir, "node_modules", "playwright-core", "package.json")); err != nil {
		t.Skip("playwright-core is not installed: run `npm ci --prefix test/ui` (make deps)")
	}
	m := startWithMgmt(t)
	out := artifactDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(uiDir, "smoke.mjs"), m.http+"/", out, browser)
	cmd.Dir = uiDir
	// Its own process group, so a timeout also ends the browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	output, err := cmd.CombinedOutput()
	t.Logf("smoke.mjs output:\n%s", output)
	t.Logf("screenshots in %s", out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("the browser test timed out")
	}
	if err != nil {
		t.Fatalf("browser test failed: %v", err)
	}

	// What the UI did, seen through the API.
	if q := m.obj(t, "/api/queues/%2F/ui-test-queue"); num(t, q, "messages") != 0 {
		t.Errorf("ui-test-queue holds %d messages after the move, want 0", num(t, q, "messages"))
	}
	if q := m.obj(t, "/api/queues/%2F/ui-test-target"); num(t, q, "messages") != 1 {
		t.Errorf("ui-test-target holds %d messages, want the moved one", num(t, q, "messages"))
	}
	if _, err := os.Stat(filepath.Join(out, "ui-queue.png")); err != nil {
		t.Errorf("no screenshot: %v", err)
	}
}
