package perf

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium on a file with the flags that keep it
// off the network (the report must render offline anyway).
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromiumPath, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// TestReportInChromium renders the report of a real run in headless
// Chromium: the DOM after the page's script ran must hold the charts, and
// the screenshot must be a real picture. The screenshot and the report are
// kept in $WARREN_ARTIFACTS when set, to be looked at.
func TestReportInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping the rendering test")
	}
	dir := os.Getenv("WARREN_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	report, shot := filepath.Join(dir, "perf-report.html"), filepath.Join(dir, "perf-report.png")

	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-z", "3", "-r", "500", "-c", "50", "-x", "2", "--report", report)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}

	dom := chromium(t, "--dump-dom", "file://"+report)
	m := regexp.MustCompile(`<body data-charts="(\d+)"`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the page's script did not run (no data-charts on body):\n%.2000s", dom)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 4 {
		t.Errorf("%d charts rendered, want at least 4 (throughput, latency, distribution, confirm latency)", n)
	}
	for _, want := range []string{`id="throughput"`, `id="latency"`, `id="distribution"`, `<polyline`, `class="bar"`} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("rendered DOM lacks %s", want)
		}
	}

	chromium(t, "--screenshot="+shot, "--window-size=1280,2000", "file://"+report)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 1280 || b.Dy() != 2000 {
		t.Errorf("screenshot is %v", b)
	}
	// A blank or error page has a handful of colours; charts with
	// antialiased lines in several colours have hundreds.
	colours := map[uint32]bool{}
	accent := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			if r>>8 > 220 && g>>8 > 90 && g>>8 < 130 && bl>>8 < 60 { // the orange accent, #f37021
				accent++
			}
		}
	}
	if len(colours) < 100 || accent < 50 {
		t.Errorf("screenshot looks empty: %d colours, %d accent pixels", len(colours), accent)
	}
	t.Logf("screenshot %s: %d colours; report %s", shot, len(colours), report)
}
