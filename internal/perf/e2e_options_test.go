package perf

import (
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// End-to-end tests of the options added after the first PerfTest set
// (transactions, exclusive queues, CSV output, several URIs, confirm
// timeout, bodies from files, startup wait, version, slow start, variable
// consumer latency), against the embedded broker as in e2e_test.go.

// queueDepth is the number of ready messages in q, through amqp091-go;
// err is the broker's answer when q does not exist (NOT_FOUND).
func queueDepth(t *testing.T, uri, q string) (int, error) {
	t.Helper()
	info, err := amqpChannel(t, uri).QueueDeclarePassive(q, false, false, false, false, nil)
	return info.Messages, err
}

// amqpChannel opens a channel through amqp091-go, an independent client,
// on a connection closed at the end of the test.
func amqpChannel(t *testing.T, uri string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// proxy forwards connections on a new loopback port to target and counts
// them; each broker-to-client frame goes through keep first, when set.
func proxy(t *testing.T, target string, keep func(typ byte, payload []byte) bool) (addr string, accepted *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = new(atomic.Int64)
	go serveProxy(l, target, keep, accepted)
	return l.Addr().String(), accepted
}

func serveProxy(l net.Listener, target string, keep func(byte, []byte) bool, accepted *atomic.Int64) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		accepted.Add(1)
		go func() { io.Copy(b, c); b.Close() }()
		go func() {
			if keep == nil {
				io.Copy(c, b)
			} else {
				copyFrames(c, b, keep)
			}
			c.Close()
		}()
	}
}

// copyFrames copies AMQP frames (type, channel, size, payload, end) from
// src to dst, leaving out those keep refuses.
func copyFrames(dst io.Writer, src io.Reader, keep func(byte, []byte) bool) {
	var head [7]byte
	for {
		if _, err := io.ReadFull(src, head[:]); err != nil {
			return
		}
		frame := make([]byte, 7+int(binary.BigEndian.Uint32(head[3:]))+1)
		copy(frame, head[:])
		if _, err := io.ReadFull(src, frame[7:]); err != nil {
			return
		}
		if !keep(head[0], frame[7:len(frame)-1]) {
			continue
		}
		if _, err := dst.Write(frame); err != nil {
			return
		}
	}
}

// --ptxsize and --ctxsize: commits every N messages and one for the rest;
// committed consumer acks stick (the queue is left empty but for the
// messages never consumed), while uncommitted ones would be rolled back
// and requeued when the channel closes.
func TestE2ETransactions(t *testing.T) {
	uri, _ := startBroker(t)
	t.Run("producer", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-u", "perf-ptx", "-m", "10", "-C", "105", "--json")
		if r.code != 0 || r.res.Sent != 105 || r.res.Received != 105 || r.res.ProducerCommits != 11 {
			t.Fatalf("exit %d, sent %d, received %d, producer commits %d\n%s", r.code, r.res.Sent, r.res.Received, r.res.ProducerCommits, r.stderr)
		}
	})
	t.Run("consumer", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-y", "0", "-u", "perf-ctx", "--auto-delete", "false", "-C", "100", "--json")
		if r.code != 0 || r.res.Sent != 100 {
			t.Fatalf("filling: exit %d, sent %d\n%s", r.code, r.res.Sent, r.stderr)
		}
		r = runPerf(t, "--uri", uri, "-x", "0", "-u", "perf-ctx", "--auto-delete", "false", "-D", "95", "-n", "10", "-q", "20", "--json")
		if r.code != 0 || r.res.Received != 95 || r.res.ConsumerCommits != 10 {
			t.Fatalf("exit %d, received %d, consumer commits %d\n%s", r.code, r.res.Received, r.res.ConsumerCommits, r.stderr)
		}
		if n, err := queueDepth(t, uri, "perf-ctx"); err != nil || n != 5 {
			t.Fatalf("queue holds %d messages (%v), want the 5 never consumed", n, err)
		}
	})
	t.Run("refused with confirms", func(t *testing.T) {
		r := runPerf(t, "--uri", uri, "-m", "10", "-c", "10", "-C", "1")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "transactional or in confirm mode") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	})
}

// --exclusive: the named queue is declared by the consumer's connection
// and goes with it, even though it is not auto-delete.
func TestE2EExclusive(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-u", "perf-excl", "-E", "--auto-delete", "false", "-C", "50", "-D", "50", "--json")
	if r.code != 0 || r.res.Sent != 50 || r.res.Received != 50 {
		t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
	}
	var ae *amqp.Error
	if _, err := queueDepth(t, uri, "perf-excl"); !errors.As(err, &ae) || ae.Code != amqp.NotFound {
		t.Fatalf("after the run: %v, want NOT_FOUND (an exclusive queue goes with its connection)", err)
	}
	r = runPerf(t, "--uri", uri, "--queues", "2", "-y", "2", "-x", "2", "-E", "-C", "20", "--json")
	if r.code != 0 || r.res.Sent != 40 || r.res.Received != 40 {
		t.Fatalf("two queues: exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
	}
	r = runPerf(t, "--uri", uri, "-u", "perf-excl", "-E", "-y", "2", "-C", "1")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "two connections") {
		t.Fatalf("one queue, two consumer connections: exit %d\n%s", r.code, r.stderr)
	}
}

// --output-file: a header row with PerfTest's columns, then one row per
// interval; --use-millis switches the latency unit in the file and on
// the terminal.
func TestE2EOutputFile(t *testing.T) {
	uri, _ := startBroker(t)
	for _, millis := range []bool{false, true} {
		unit := map[bool]string{false: "µs", true: "ms"}[millis]
		t.Run(unit, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "samples.csv")
			args := []string{"--uri", uri, "-z", "2", "-r", "200", "-c", "20", "-d", "csv,test", "-o", path}
			if millis {
				args = append(args, "-ms")
			}
			r := runPerf(t, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := "id,time (s),published (msg/s),returned (msg/s),confirmed (msg/s),nacked (msg/s),received (msg/s)," +
				"min consumer latency (U),median consumer latency (U),75th p. consumer latency (U),95th p. consumer latency (U),99th p. consumer latency (U)," +
				"min confirm latency (U),median confirm latency (U),75th p. confirm latency (U),95th p. confirm latency (U),99th p. confirm latency (U)"
			if got := strings.Join(rows[0], ","); got != strings.ReplaceAll(want, "U", unit) {
				t.Fatalf("header\n%s\nwant\n%s", got, strings.ReplaceAll(want, "U", unit))
			}
			if len(rows) < 3 {
				t.Fatalf("%d rows, want the header and two intervals", len(rows))
			}
			first := rows[1]
			published, err := strconv.ParseFloat(first[2], 64)
			if first[0] != "csv,test" || !strings.HasPrefix(first[1], "1.0") || err != nil || published < 180 || published > 220 ||
				first[3] != "" || first[4] == "" || first[6] == "" || first[7] == "" || first[16] == "" {
				t.Errorf("first interval %q", first)
			}
			for _, row := range rows[1:] {
				if len(row) != 17 {
					t.Errorf("row %q has %d columns", row, len(row))
				}
			}
			if !strings.Contains(r.stdout, "consumer latency: ") || !strings.Contains(r.stdout, " "+unit+"\n") ||
				!strings.Contains(r.stdout, "consumer latency ("+unit+", ") {
				t.Errorf("terminal output not in %s:\n%s", unit, r.stdout)
			}
		})
	}
}

// --uris: data connections go to the URIs in turn; here the second is a
// proxy in front of the same broker, which sees every other connection.
func TestE2EURIs(t *testing.T) {
	uri, addr := startBroker(t)
	paddr, accepted := proxy(t, addr, nil)
	second := "amqp://guest:guest@" + paddr + "/"
	r := runPerf(t, "-H", uri+","+second, "-x", "2", "-y", "2", "-C", "50", "--json")
	if r.code != 0 || r.res.Sent != 100 || r.res.Received != 200 {
		t.Fatalf("exit %d, sent %d, received %d\n%s", r.code, r.res.Sent, r.res.Received, r.stderr)
	}
	// Four data connections (consumers 1 and 2, producers 1 and 2), the
	// second and fourth through the proxy; the setup goes to the first.
	if n := accepted.Load(); n != 2 {
		t.Fatalf("the second URI got %d connections, want 2", n)
	}
	if len(r.res.URIs) != 2 || !strings.Contains(r.stderr, paddr) {
		t.Fatalf("uris %q; stderr %s", r.res.URIs, r.stderr)
	}
}

// --confirm-timeout: a broker that never confirms (a proxy drops its
// basic.ack frames) fails the run once the window has been full that
// long, instead of stalling it.
func TestE2EConfirmTimeout(t *testing.T) {
	_, addr := startBroker(t)
	dropAcks := func(typ byte, payload []byte) bool {
		return !(typ == 1 && len(payload) >= 4 && binary.BigEndian.Uint16(payload) == 60 && binary.BigEndian.Uint16(payload[2:]) == 80)
	}
	paddr, _ := proxy(t, addr, dropAcks)
	r := runPerf(t, "--uri", "amqp://guest:guest@"+paddr+"/", "-y", "0", "-c", "10", "-ct", "1", "-z", "20")
	t.Logf("took %v: %s", r.took, strings.TrimSpace(r.stderr))
	if r.code != ExitFailed || !strings.Contains(r.stderr, "no publisher confirm for 1s with 10 messages outstanding (see --confirm-timeout)") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if r.took < time.Second || r.took > 5*time.Second {
		t.Fatalf("took %v", r.took)
	}
}

// --body: the files' contents, in turn and untouched, with the content
// type of --body-content-type and the send time in a "timestamp" header,
// from which consumers measure the latency.
func TestE2EBodyFiles(t *testing.T) {
	uri, _ := startBroker(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := os.WriteFile(a, []byte(`{"n":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(`{"name":"second body"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := runPerf(t, "--uri", uri, "-y", "0", "-u", "perf-body", "--auto-delete", "false", "-C", "4",
		"-B", a+","+b, "-T", "application/json", "--json")
	if r.code != 0 || r.res.Sent != 4 || r.res.BytesSent != 2*(7+22) {
		t.Fatalf("exit %d, sent %d, %d bytes\n%s", r.code, r.res.Sent, r.res.BytesSent, r.stderr)
	}
	ch := amqpChannel(t, uri)
	for i, want := range []string{`{"n":1}`, `{"name":"second body"}`, `{"n":1}`, `{"name":"second body"}`} {
		d, ok, err := ch.Get("perf-body", true)
		if err != nil || !ok {
			t.Fatalf("message %d: %v, %v", i, ok, err)
		}
		ts, _ := d.Headers["timestamp"].(int64)
		if string(d.Body) != want || d.ContentType != "application/json" ||
			ts < start.UnixNano() || ts > time.Now().UnixNano() {
			t.Fatalf("message %d: body %q, content type %q, timestamp %v (headers %v)", i, d.Body, d.ContentType, ts, d.Headers)
		}
	}
	r = runPerf(t, "--uri", uri, "-u", "perf-body-2", "-C", "50", "-B", a+","+b, "--json")
	if l := r.res.ConsumerLatency; r.code != 0 || r.res.Received != 50 || l.Count != 50 || l.P50 <= 0 {
		t.Fatalf("exit %d, received %d, consumer latency %+v\n%s", r.code, r.res.Received, l, r.stderr)
	}
}

// --servers-startup-timeout: the run waits for a broker that starts
// listening late; past the timeout it fails, saying why.
func TestE2EServersStartupTimeout(t *testing.T) {
	_, addr := startBroker(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	late := l.Addr().String()
	l.Close() // nothing listens there until the goroutine below
	const delay = 800 * time.Millisecond
	go func() {
		time.Sleep(delay)
		l, err := net.Listen("tcp", late)
		if err != nil {
			t.Errorf("listening late: %v", err)
			return
		}
		t.Cleanup(func() { l.Close() })
		serveProxy(l, addr, nil, new(atomic.Int64))
	}()
	r := runPerf(t, "--uri", "amqp://guest:guest@"+late+"/", "-sst", "10", "-C", "20", "--json")
	if r.code != 0 || r.res.Sent != 20 || r.res.Received != 20 || r.took < delay {
		t.Fatalf("exit %d after %v, sent %d, received %d\n%s", r.code, r.took, r.res.Sent, r.res.Received, r.stderr)
	}

	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	never := l.Addr().String()
	l.Close()
	r = runPerf(t, "--uri", "amqp://guest:guest@"+never+"/", "--servers-startup-timeout", "0.5", "-C", "20")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "within 500ms (see --servers-startup-timeout)") ||
		!strings.Contains(r.stderr, "connection refused") || r.took < 500*time.Millisecond || r.took > 3*time.Second {
		t.Fatalf("exit %d after %v\n%s", r.code, r.took, r.stderr)
	}
}

func TestE2EVersion(t *testing.T) {
	for _, arg := range []string{"-v", "--version"} {
		r := runPerf(t, arg)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "warren perf test-version (go") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", arg, r.code, r.stdout, r.stderr)
		}
	}
}

// --slow-start: three consumers a second apart, so the setup alone takes
// two seconds; each still gets every message.
func TestE2ESlowStart(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-y", "3", "-S", "-C", "20", "--json")
	if r.code != 0 || r.res.Sent != 20 || r.res.Received != 60 || r.took < 2*time.Second {
		t.Fatalf("exit %d after %v, sent %d, received %d\n%s", r.code, r.took, r.res.Sent, r.res.Received, r.stderr)
	}
}

// --variable-latency: 10 ms per message caps a consumer near 100 msg/s.
func TestE2EVariableLatency(t *testing.T) {
	uri, _ := startBroker(t)
	r := runPerf(t, "--uri", uri, "-r", "400", "-vl", "10000:5", "-q", "10", "-z", "1.5", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("sent %d, received %d", r.res.Sent, r.res.Received)
	if r.res.Received < 80 || r.res.Received > 170 || r.res.Sent < 500 {
		t.Errorf("at 10 ms per message for 1.5 s: sent %d, received %d", r.res.Sent, r.res.Received)
	}
}
