package perf

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// PerfTest's own short forms, as its documentation shows them.
func TestParsePerfTestShortForms(t *testing.T) {
	c, err := ParseArgs(strings.Fields(
		"-h amqp://u:p@host:5673/vh -x 2 -y 3 -X 2 -Y 4 -u q1 -a -f persistent -f mandatory -z 10 "+
			"-vr 100:5 -vr 0:2 -vs 1000:3 -qa x-max-length=1000,x-queue-type=classic,x-single-active-consumer=true "+
			"-ad false -c 50 -A 10 -q 20 -Q 30 -C 1000 -D 500 -R 300 -s 1000 -k rk -e ex -t topic "+
			"-mp priority=5,appId=perf,x-custom=7 -ca x-priority=10 -d myid -i 2 -b 30 -M 131072 "+
			"-L 100 -st 7 -p -sb -na -K"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("URI", c.URI, "amqp://u:p@host:5673/vh")
	check("producers", c.Producers, 2)
	check("consumers", c.Consumers, 3)
	check("producer channels", c.ProducerChannels, 2)
	check("consumer channels", c.ConsumerChannels, 4)
	check("queue", c.Queue, "q1")
	check("autoack", c.AutoAck, true)
	check("persistent", c.Persistent, true)
	check("mandatory", c.Mandatory, true)
	check("time", c.Time, 10*time.Second)
	check("variable rate", c.VariableRate, []Step{{100, 5 * time.Second}, {0, 2 * time.Second}})
	check("variable size", c.VariableSize, []Step{{1000, 3 * time.Second}})
	check("queue args", c.QueueArgs, amqp.Table{"x-max-length": int64(1000), "x-queue-type": "classic", "x-single-active-consumer": true})
	check("auto-delete", c.AutoDelete, false)
	check("confirm", c.Confirm, 50)
	check("multi-ack", c.MultiAckEvery, 10)
	check("qos", c.Qos, 20)
	check("global qos", c.GlobalQos, 30)
	check("pmessages", c.PMessages, 1000)
	check("cmessages", c.CMessages, 500)
	check("consumer rate", c.ConsumerRate, 300.0)
	check("size", c.Size, 1000)
	check("routing key", c.RoutingKey, "rk")
	check("exchange", c.Exchange, "ex")
	check("type", c.ExchangeType, "topic")
	check("priority property", c.Properties.Priority, uint8(5))
	check("appId property", c.Properties.AppId, "perf")
	check("header property", c.Properties.Headers, amqp.Table{"x-custom": int64(7)})
	check("consumer args", c.ConsumerArgs, amqp.Table{"x-priority": int64(10)})
	check("id", c.ID, "myid")
	check("interval", c.Interval, 2*time.Second)
	check("heartbeat", c.Heartbeat, 30*time.Second)
	check("framemax", c.FrameMax, 131072)
	check("consumer latency", c.ConsumerLatency, 100*time.Microsecond)
	check("shutdown timeout", c.ShutdownTimeout, 7*time.Second)
	check("predeclared", c.Predeclared, true)
	check("skip binding", c.SkipBinding, true)
	check("nack", c.Nack, true)
	check("random routing key", c.RandomRoutingKey, true)
}

func TestParseLongFormsAndDefaults(t *testing.T) {
	c, err := ParseArgs([]string{"--producers=4", "--consumers", "0", "--queue-pattern", "perf-%d",
		"--queue-pattern-from", "3", "--queue-pattern-to", "5", "--rate", "250.5", "--flag", "persistent,mandatory",
		"--body-size-list", "100:50,1000:50", "--message-ttl", "60000", "--max-priority", "10", "--priority", "4",
		"--expiration", "5000", "--churn", "channels", "--churn-rate", "50/s", "--deadline", "1m", "--json",
		"--report", "r.html", "--publishing-interval", "0.5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Producers != 4 || c.Consumers != 0 || !c.Persistent || !c.Mandatory || !c.JSON || c.Report != "r.html" {
		t.Errorf("parsed %+v", c)
	}
	if got := c.queueNames(); !reflect.DeepEqual(got, []string{"perf-3", "perf-4", "perf-5"}) {
		t.Errorf("queue names %v", got)
	}
	if c.Rate != 2 { // --publishing-interval 0.5 came last and wins
		t.Errorf("rate %v, want 2", c.Rate)
	}
	if !reflect.DeepEqual(c.BodySizes, []WeightedSize{{100, 50}, {1000, 50}}) {
		t.Errorf("body sizes %v", c.BodySizes)
	}
	if a := c.queueArgs(); a["x-message-ttl"] != int64(60000) || a["x-max-priority"] != int64(10) {
		t.Errorf("queue args %v", a)
	}
	if c.Priority != 4 || c.Expiration != "5000" || c.Churn != "channels" || c.ChurnRate != 50 || c.Deadline != time.Minute {
		t.Errorf("parsed %+v", c)
	}

	d, err := ParseArgs(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d.URI != "amqp://guest:guest@localhost:5672/" || d.Exchange != "direct" || d.ExchangeType != "direct" ||
		!d.AutoDelete || d.Producers != 1 || d.Consumers != 1 || d.Rate != 0 || d.Priority != -1 {
		t.Errorf("defaults %+v", d)
	}
	if !strings.HasPrefix(d.RoutingKey, "perf-") || !strings.HasPrefix(d.ID, "test-") {
		t.Errorf("generated routing key %q, id %q", d.RoutingKey, d.ID)
	}
}

func TestParseShortcuts(t *testing.T) {
	c, err := ParseArgs([]string{"--queues", "3", "-x", "2", "-y", "5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.queueNames(); !reflect.DeepEqual(got, []string{"perf-test-1", "perf-test-2", "perf-test-3"}) {
		t.Errorf("--queues names %v", got)
	}
	// Two producers over three queues: the first takes queues 1 and 3.
	if got := c.producerKeys(0); !reflect.DeepEqual(got, []string{"perf-test-1", "perf-test-3"}) {
		t.Errorf("producer 0 keys %v", got)
	}
	// Five consumers over three queues: the fourth shares queue 1.
	if got := c.consumerQueues(3); !reflect.DeepEqual(got, []string{"perf-test-1"}) {
		t.Errorf("consumer 3 queues %v", got)
	}

	f, err := ParseArgs([]string{"--fanout", "4"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if f.ExchangeType != "fanout" || f.Exchange != "perf-fanout" || f.Consumers != 4 || len(f.queueNames()) != 4 {
		t.Errorf("--fanout: %+v", f)
	}
}

func TestParseErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--nope"},
		{"-x", "many"},
		{"-f", "urgent"},
		{"-vr", "100"},
		{"-vr", "100:0"},
		{"--body-size-list", "100:0"},
		{"-qa", "novalue"},
		{"--churn", "exchanges", "--churn-rate", "5"},
		{"--churn", "connections"},
		{"-u", "q", "--queues", "3"},
		{"--queue-pattern", "noverb", "--queue-pattern-to", "3"},
		{"-e", ""},
		{"--priority", "300"},
		{"extra"},
	} {
		if _, err := ParseArgs(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	var help strings.Builder
	if _, err := ParseArgs([]string{"--help"}, &help); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	help.Reset()
	if _, err := ParseArgs([]string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) || help.Len() == 0 {
		t.Errorf("-h alone: %v", err)
	}
	for _, want := range []string{"-x, --producers N", "-vr, --variable-rate RATE:SECONDS", "--churn KIND"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

func TestRedactURI(t *testing.T) {
	if got := RedactURI("amqp://guest:secret@127.0.0.1:5672/"); strings.Contains(got, "secret") || !strings.Contains(got, "guest:xxxxx@127.0.0.1:5672") {
		t.Errorf("RedactURI = %q", got)
	}
}

// --quorum-queue and --stream-queue (or x-queue-type in --queue-args)
// declare what those types require, as PerfTest does.
func TestParseQueueTypes(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		typ        string
		qos        int
		offset     any
		wantErrSub string
	}{
		{[]string{"-u", "q", "--quorum-queue"}, "quorum", 0, nil, ""},
		{[]string{"-u", "q", "-qa", "x-queue-type=quorum", "-q", "10"}, "quorum", 10, nil, ""},
		{[]string{"-u", "q", "-sq"}, "stream", 200, nil, ""},
		{[]string{"-u", "q", "-sq", "-q", "5", "-sco", "first"}, "stream", 5, "first", ""},
		{[]string{"-u", "q", "-sq", "-sco", "42"}, "stream", 200, int64(42), ""},
		{[]string{"-u", "q", "-sq", "-sco", "2026-11-30T12:00:00Z"}, "stream", 200, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC), ""},
		{[]string{"-u", "q", "-sq", "-sco", "yesterday"}, "", 0, nil, "--stream-consumer-offset"},
		{[]string{"-u", "q", "-sco", "first"}, "", 0, nil, "needs a stream"},
		{[]string{"-sq"}, "", 0, nil, "cannot be server-named"},
		{[]string{"-u", "q", "-sq", "-qq"}, "", 0, nil, "only one of"},
		{[]string{"-u", "q", "-sq", "-a"}, "", 0, nil, "drop --autoack"},
	} {
		c, err := ParseArgs(tc.args, io.Discard)
		if tc.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrSub) {
				t.Errorf("%q: error %v, want one about %q", tc.args, err, tc.wantErrSub)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if c.QueueArgs["x-queue-type"] != tc.typ || !c.Persistent || c.AutoDelete || c.Qos != tc.qos {
			t.Errorf("%q: type %v persistent %v auto-delete %v qos %d", tc.args, c.QueueArgs["x-queue-type"], c.Persistent, c.AutoDelete, c.Qos)
		}
		if tc.offset != nil {
			if v, _ := streamOffsetValue(c.StreamOffset); !reflect.DeepEqual(v, tc.offset) {
				t.Errorf("%q: offset %#v, want %#v", tc.args, v, tc.offset)
			}
		}
	}
}

// The options added after the first set, in PerfTest's short forms.
func TestParseAddedShortForms(t *testing.T) {
	dir := t.TempDir()
	a, b := dir+"/a.json", dir+"/b.json"
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ParseArgs([]string{"-H", "amqp://h1/, amqp://h2/", "-sst", "7", "-m", "10", "-n", "5", "-E", "-u", "q",
		"-o", "out.csv", "-ms", "-ct", "12", "-B", a + "," + b, "-T", "application/json",
		"-L", "300", "-vl", "1000:2", "-vl", "0:1", "-S"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("uris", c.URIs, []string{"amqp://h1/", "amqp://h2/"})
	check("uri (the setup's)", c.URI, "amqp://h1/")
	check("servers startup timeout", c.ServersStartupTimeout, 7*time.Second)
	check("ptxsize", c.ProducerTx, 10)
	check("ctxsize", c.ConsumerTx, 5)
	check("exclusive", c.Exclusive, true)
	check("output file", c.OutputFile, "out.csv")
	check("use millis", c.UseMillis, true)
	check("confirm timeout", c.ConfirmTimeout, 12*time.Second)
	check("body files", c.BodyFiles, []string{a, b})
	check("bodies", c.bodies, [][]byte{[]byte(a), []byte(b)})
	check("content type", c.ContentType, "application/json")
	check("variable latency", c.VariableLatency, []Step{{1000, 2 * time.Second}, {0, time.Second}})
	check("consumer latency (variable wins)", c.ConsumerLatency, time.Duration(0))
	check("slow start", c.SlowStart, true)

	// Long forms, and the defaults they change.
	d, err := ParseArgs([]string{"--uris", "amqp://a/,amqp://b/,amqp://c/", "--servers-startup-timeout", "1m", "--ptxsize", "3",
		"--ctxsize", "4", "--exclusive", "--queues", "2", "-y", "2", "--output-file", "o.csv", "--use-millis",
		"--confirm-timeout", "-1", "--body", a, "--body-content-type", "text/plain", "--variable-latency", "50:1",
		"--slow-start"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d.ServersStartupTimeout != time.Minute || d.ProducerTx != 3 || d.ConsumerTx != 4 || !d.Exclusive ||
		d.OutputFile != "o.csv" || !d.UseMillis || d.ConfirmTimeout != 0 || len(d.bodies) != 1 ||
		d.ContentType != "text/plain" || len(d.VariableLatency) != 1 || !d.SlowStart {
		t.Errorf("long forms: %+v", d)
	}
	// Data connections go round-robin over --uris.
	for n, want := range []string{"amqp://a/", "amqp://b/", "amqp://c/", "amqp://a/"} {
		if got := d.dataURI(n); got != want {
			t.Errorf("connection %d: %s, want %s", n, got, want)
		}
	}
	def, err := ParseArgs(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if def.ConfirmTimeout != 30*time.Second || def.ServersStartupTimeout != 0 || def.dataURI(3) != def.URI {
		t.Errorf("defaults: confirm timeout %v, startup timeout %v", def.ConfirmTimeout, def.ServersStartupTimeout)
	}
	// --variable-latency cycles like --variable-rate; -L alone is constant.
	if v, _ := c.latencySchedule().At(2500 * time.Millisecond); v != 0 {
		t.Errorf("latency at 2.5 s = %v µs, want 0", v)
	}
	if v, _ := c.latencySchedule().At(3500 * time.Millisecond); v != 1000 {
		t.Errorf("latency at 3.5 s = %v µs, want 1000 (the cycle restarts)", v)
	}
	if l, _ := ParseArgs([]string{"-L", "250"}, io.Discard); l == nil || l.latencySchedule().Constant != 250 {
		t.Errorf("-L 250: %+v", l)
	}
}

func TestParseAddedErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	body := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(body, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-h", "amqp://a/", "-H", "amqp://b/"}, "only one of --uri and --uris"},
		{[]string{"-H", " , "}, "no URI"},
		{[]string{"-sst", "soon"}, "neither seconds"},
		{[]string{"-m", "10", "-c", "5"}, "transactional or in confirm mode"},
		{[]string{"-m", "-1"}, "must be >= 0"},
		{[]string{"-n", "5", "-a"}, "drop --autoack"},
		{[]string{"-n", "10", "-q", "5"}, "would stall"},
		{[]string{"-n", "10", "-Q", "5"}, "would stall"},
		{[]string{"-E", "-u", "q", "-y", "2"}, "two connections"},
		{[]string{"-E", "--queues", "2", "-y", "3"}, "two connections"},
		{[]string{"-E", "-u", "q", "-y", "0"}, "needs --consumers"},
		{[]string{"-E", "-u", "q", "-p"}, "--predeclared declares nothing"},
		{[]string{"-E", "-u", "q", "-qq"}, "cannot be exclusive"},
		{[]string{"-B", missing}, "not a readable body file"},
		{[]string{"-B", body, "-s", "100"}, "sends the files as they are"},
		{[]string{"-vl", "1000"}, "VALUE:SECONDS"},
		{[]string{"-ct", "never"}, "neither seconds"},
	} {
		_, err := ParseArgs(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one about %q", tc.args, err, tc.want)
		}
	}
	// Accepted: one consumer connection with two channels on the queue,
	// as many exclusive queues as consumers, server-named queues.
	for _, args := range [][]string{{"-E", "-u", "q", "-Y", "2"}, {"-E", "--queues", "2", "-y", "2"}, {"-E"}} {
		if _, err := ParseArgs(args, io.Discard); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	if _, err := ParseArgs([]string{"-v"}, io.Discard); !errors.Is(err, ErrVersion) {
		t.Errorf("-v: %v", err)
	}
	var help strings.Builder
	ParseArgs([]string{"--help"}, &help)
	for _, want := range []string{"-H, --uris URI,URI,...", "-m, --ptxsize N", "-n, --ctxsize N", "-E, --exclusive",
		"-o, --output-file FILE.csv", "-ms, --use-millis", "-ct, --confirm-timeout SECONDS", "-B, --body FILE,FILE,...",
		"-T, --body-content-type TYPE", "-vl, --variable-latency MICROSECONDS:SECONDS",
		"-sst, --servers-startup-timeout SECONDS", "-v, --version", "-S, --slow-start"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}
