package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/testbroker"
)

// startBroker runs an embedded Warren on a loopback port for the test and
// returns its AMQP URI.
func startBroker(t *testing.T) (uri, addr string) {
	t.Helper()
	_, addr, _ = testbroker.Start(t, warren.Config{}, nil)
	return testbroker.URI(addr), addr
}

type perfRun struct {
	code           int
	stdout, stderr string
	took           time.Duration
	res            *Result // with --json
}

// runPerf runs `warren perf` in process, as the command would.
func runPerf(t *testing.T, args ...string) perfRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	start := time.Now()
	code := Main(ctx, "test-version", args, &out, &errb)
	r := perfRun{code: code, stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("warren perf %q did not finish in 30s", args)
	}
	for _, a := range args {
		if a == "--json" {
			r.res = new(Result)
			if err := json.Unmarshal(out.Bytes(), r.res); err != nil {
				t.Fatalf("--json output does not parse: %v\n%s", err, out.String())
			}
		}
	}
	return r
}

func TestE2EProducerConsumerConfirms(t *testing.T) {
	uri, _ := startBroker(t)
	report := filepath.Join(t.TempDir(), "report.html")
	r := runPerf(t, "--uri", uri, "-x", "1", "-y", "1", "-z", "2", "-r", "1000", "--confirm", "100", "--json", "--report", report)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	res := r.res
	t.Logf("sent %d received %d confirmed %d in %.2fs; consumer latency p50 %.0fµs p99 %.0fµs max %.0fµs; confirm p50 %.0fµs p99 %.0fµs; %d samples",
		res.Sent, res.Received, res.Confirmed, res.Duration, res.ConsumerLatency.P50, res.ConsumerLatency.P99,
		res.ConsumerLatency.Max, res.ConfirmLatency.P50, res.ConfirmLatency.P99, len(res.Samples))
	if res.Sent < 1500 || res.Sent > 2100 {
		t.Errorf("sent %d in 2 s at 1000 msg/s", res.Sent)
	}
	if res.Received > res.Sent || res.Received < res.Sent*95/100 { // only what was in flight at the end may miss
		t.Errorf("received %d, sent %d", res.Received, res.Sent)
	}
	if res.Confirmed != res.Sent || res.Nacked != 0 {
		t.Errorf("confirmed %d, nacked %d, sent %d", res.Confirmed, res.Nacked, res.Sent)
	}
	for name, l := range map[string]Latency{"consumer": res.ConsumerLatency, "confirm": res.ConfirmLatency} {
		if l.Count == 0 || l.Min <= 0 || l.P50 <= 0 || l.P99 < l.P50 || l.Max < l.P99 {
			t.Errorf("%s latency %+v", name, l)
		}
	}
	if len(res.Samples) < 2 || res.Samples[0].Sent == 0 || res.Samples[0].Consumer.P50 == 0 {
		t.Errorf("samples %+v", res.Samples)
	}
	if !strings.Contains(r.stderr, "sent: ") || !strings.Contains(r.stderr, "consumer latency") {
		t.Errorf("no progress lines on stderr with --json:\n%s", r.stderr)
	}
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(`<svg class="chart" id="throughput"`)) {
		t.Error("report has no throughput chart")
	}
}

func TestE2EMessageCounts(t *testing.T) {
	uri, _ := startBroker(t)
	t.Run("pmessages", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "--pmessages", "1000", "--json")
		if r.code != 0 || r.res.Sent != 1000 || r.res.Received != 1000 {
			t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
		}
		t.Logf("1000 messages in %v", r.took)
	})
	t.Run("pmessages and cmessages, named queue, multi-ack", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-C", "1000", "-D", "1000", "-u", "perf-counts", "-A", "10", "-q", "50", "--json")
		if r.code != 0 || r.res.Sent != 1000 || r.res.Received != 1000 {
			t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
		}
	})
	t.Run("fanout", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "--fanout", "3", "-C", "200", "--json")
		if r.code != 0 || r.res.Sent != 200 || r.res.Received != 600 {
			t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
		}
	})
	t.Run("queues spread", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "--queues", "2", "-x", "2", "-y", "4", "-C", "100", "--json")
		if r.code != 0 || r.res.Sent != 200 || r.res.Received != 200 {
			t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
		}
	})
	t.Run("priority, ttl, expiration, persistent", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-u", "perf-prio", "--max-priority", "10", "--priority", "5", "--message-ttl", "60000",
			"--expiration", "30000", "-f", "persistent", "-mp", "appId=perf,x-test=1", "-C", "100", "--json")
		if r.code != 0 || r.res.Sent != 100 || r.res.Received != 100 {
			t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-x", "0", "-u", "perf-idle", "-D", "10", "--idle-timeout", "0.5")
		if r.code != ExitFailed || !strings.Contains(r.stderr, "no progress") || r.took > 3*time.Second {
			t.Fatalf("exit %d after %v\n%s", r.code, r.took, r.stderr)
		}
	})
	t.Run("quorum queue", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-u", "perf-qq", "--quorum-queue", "-C", "200", "-D", "200", "-c", "50", "--json")
		if r.code != 0 || r.res.Sent != 200 || r.res.Received != 200 || r.res.Confirmed != 200 {
			t.Fatalf("exit %d, sent %d, received %d, confirmed %d\n%s", r.code, r.res.Sent, r.res.Received, r.res.Confirmed, r.stderr)
		}
	})
	t.Run("stream, read again from the first offset", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-u", "perf-sq", "--stream-queue", "-C", "300", "-D", "300", "--json")
		if r.code != 0 || r.res.Sent != 300 || r.res.Received != 300 {
			t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
		}
		// Consuming took nothing away: a consumer from "first" reads it all.
		r = runPerf(t, "--uri", uri, "-x", "0", "-u", "perf-sq", "--stream-queue", "--stream-consumer-offset", "first", "-D", "300", "--json")
		if r.code != 0 || r.res.Received != 300 {
			t.Fatalf("replay: exit %d, received %d\n%s", r.code, r.res.Received, r.stderr)
		}
		r = runPerf(t, "--uri", uri, "-u", "perf-sq", "--stream-queue", "-a", "-C", "1")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "drop --autoack") {
			t.Fatalf("autoack on a stream: exit %d\n%s", r.code, r.stderr)
		}
	})
	t.Run("mandatory returns", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-y", "0", "-e", "amq.direct", "-k", "nowhere", "-f", "mandatory", "-c", "10", "-C", "50", "--json")
		if r.code != 0 || r.res.Sent != 50 || r.res.Returned != 50 || r.res.Confirmed != 50 {
			t.Fatalf("exit %d, sent %d, returned %d, confirmed %d\n%s", r.code, r.res.Sent, r.res.Returned, r.res.Confirmed, r.stderr)
		}
	})
}

func TestE2EWrongPassword(t *testing.T) {
	_, addr := startBroker(t)
	r := runPerf(t, "--uri", "amqp://guest:wrong-secret@"+addr+"/", "-z", "10")
	t.Logf("took %v: %s", r.took, strings.TrimSpace(r.stderr))
	if r.code != ExitFailed {
		t.Errorf("exit %d, want %d", r.code, ExitFailed)
	}
	if !strings.Contains(r.stderr, "ACCESS_REFUSED (403)") || strings.Contains(r.stderr, "wrong-secret") {
		t.Errorf("stderr %q: want ACCESS_REFUSED and no password", r.stderr)
	}
	if r.took > 5*time.Second {
		t.Errorf("took %v to report a refused login", r.took)
	}
}

func TestE2EUnreachablePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	r := runPerf(t, "--uri", "amqp://guest:hunter2@"+addr+"/", "-z", "10")
	t.Logf("took %v: %s", r.took, strings.TrimSpace(r.stderr))
	if r.code != ExitFailed || !strings.Contains(r.stderr, "connection refused") ||
		!strings.Contains(r.stderr, "amqp://guest:xxxxx@"+addr) || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r.took > 2*time.Second {
		t.Errorf("took %v", r.took)
	}
}

func TestE2EChannelErrors(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "--predeclared", "-u", "no-such-queue", "-z", "10")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "NOT_FOUND (404)") || r.took > 5*time.Second {
		t.Errorf("exit %d after %v, stderr %q", r.code, r.took, r.stderr)
	}
	// Redeclaring a queue with other arguments: PRECONDITION_FAILED.
	runPerf(t, "--uri", uri, "-u", "perf-args", "--auto-delete", "false", "-C", "1", "--queue-args", "x-max-length=10")
	r = runPerf(t, "--uri", uri, "-u", "perf-args", "--auto-delete", "false", "-C", "1", "--queue-args", "x-max-length=20")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "PRECONDITION_FAILED (406)") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestE2EDeadline(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-z", "20", "-r", "100", "--deadline", "1")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "deadline") || r.took > 4*time.Second {
		t.Errorf("exit %d after %v, stderr %q", r.code, r.took, r.stderr)
	}
}

func TestE2EChurn(t *testing.T) {
	uri, _ := startBroker(t)
	for _, kind := range []string{"connections", "channels", "queues"} {
		t.Run(kind, func(t *testing.T) {
			r := runPerf(t, "--uri", uri, "-x", "0", "-y", "0", "--churn", kind, "--churn-rate", "40/s", "-z", "1", "--json")
			if r.code != 0 || r.res.Churn == nil {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			ch := r.res.Churn
			t.Logf("%s: %d ok, %d failed, %.1f/s, p50 %.0fµs p99 %.0fµs", kind, ch.OK, ch.Failed, ch.Achieved, ch.Latency.P50, ch.Latency.P99)
			if ch.OK < 20 || ch.Failed != 0 || ch.Latency.P50 <= 0 {
				t.Errorf("churn %+v", ch)
			}
		})
	}
}

func TestE2ETextOutput(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-z", "1", "-r", "200", "-vr", "200:1", "--body-size-list", "100:1,500:1", "-f", "persistent", "-c", "20")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"time: 1.0", "sent: 2", "received: ", "min/median/75th/95th/99th consumer latency: ",
		"confirm latency: ", "sending rate avg: ", "receiving rate avg: ", "consumer latency (µs"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestE2EConsumerRate(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-r", "400", "-R", "100", "-q", "10", "-z", "1.5", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("sent %d, received %d", r.res.Sent, r.res.Received)
	if r.res.Received < 100 || r.res.Received > 180 || r.res.Sent < 500 {
		t.Errorf("at -R 100 for 1.5 s: sent %d, received %d", r.res.Sent, r.res.Received)
	}
}

// A broker that goes away mid-run ends the run at once, with the reason.
func TestE2EBrokerShutdownMidRun(t *testing.T) {
	_, addr, stop := testbroker.Start(t, warren.Config{}, nil)
	go func() {
		time.Sleep(time.Second)
		stop()
	}()
	r := runPerf(t, "--uri", testbroker.URI(addr), "-z", "20", "-r", "500")
	t.Logf("took %v: %s", r.took, strings.TrimSpace(r.stderr))
	if r.code != ExitFailed || !strings.Contains(r.stderr, "CONNECTION_FORCED (320)") || r.took > 5*time.Second {
		t.Errorf("exit %d after %v", r.code, r.took)
	}
}

// A connection that breaks without an AMQP close (here a proxy in front
// of the broker drops every socket) ends the run at once, and says the
// connection was lost rather than quoting a reply code nobody sent.
func TestE2EConnectionLostMidRun(t *testing.T) {
	_, addr := startBroker(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var mu sync.Mutex
	var socks []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			socks = append(socks, c, b)
			mu.Unlock()
			go io.Copy(b, c)
			go io.Copy(c, b)
		}
	}()
	go func() {
		time.Sleep(time.Second)
		mu.Lock()
		defer mu.Unlock()
		for _, s := range socks {
			s.Close()
		}
	}()
	r := runPerf(t, "--uri", "amqp://guest:guest@"+l.Addr().String()+"/", "-z", "20", "-r", "500")
	t.Logf("took %v: %s", r.took, strings.TrimSpace(r.stderr))
	if r.code != ExitFailed || !strings.Contains(r.stderr, "connection to the broker was lost") || r.took > 5*time.Second {
		t.Errorf("exit %d after %v", r.code, r.took)
	}
}
