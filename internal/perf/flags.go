package perf

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// funcValue adapts a setter to flag.Value, so each option is registered
// once under its long and its short name with a single parser.
type funcValue struct {
	set    func(string) error
	isBool bool
}

func (f *funcValue) String() string     { return "" }
func (f *funcValue) Set(s string) error { return f.set(s) }
func (f *funcValue) IsBoolFlag() bool   { return f.isBool }

type option struct{ short, long, arg, usage string }

// flags registers options on a flag.FlagSet. Go's flag package already
// accepts -name and --name alike, so PerfTest's multi-letter short forms
// (-vr, -qa, -ad) need nothing special.
type flags struct {
	fs      *flag.FlagSet
	options []option
}

func (f *flags) add(short, long, arg, usage string, set func(string) error) {
	v := &funcValue{set: set, isBool: arg == ""}
	f.fs.Var(v, long, usage)
	if short != "" {
		f.fs.Var(v, short, usage)
	}
	f.options = append(f.options, option{short, long, arg, usage})
}

func intSetter(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		*p = n
		return nil
	}
}

func floatSetter(p *float64) func(string) error {
	return func(s string) error {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		*p = n
		return nil
	}
}

func strSetter(p *string) func(string) error { return func(s string) error { *p = s; return nil } }
func boolSetter(p *bool) func(string) error {
	return func(s string) error {
		b, err := strconv.ParseBool(s)
		*p = b
		return err
	}
}
func secondsSetter(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := parseSeconds(s)
		*p = d
		return err
	}
}

// ErrVersion is what ParseArgs returns for -v and --version: the caller
// prints the version, which it knows, and exits 0.
var ErrVersion = errors.New("version requested")

// ParseArgs parses the command line of `warren perf`. It returns
// flag.ErrHelp after printing the usage for -?, -help and --help, and
// ErrVersion for -v and --version.
func ParseArgs(args []string, stderr io.Writer) (*Config, error) {
	c := DefaultConfig()
	f := &flags{fs: flag.NewFlagSet("warren perf", flag.ContinueOnError)}
	f.fs.SetOutput(io.Discard) // errors are reported once, by the caller
	var help, version, uriSet bool
	f.add("?", "help", "", "show this help", boolSetter(&help))
	f.add("v", "version", "", "print the version and exit", boolSetter(&version))

	f.add("h", "uri", "URI", "connection URI (default amqp://guest:guest@localhost:5672/)", func(s string) error {
		c.URI, uriSet = s, true
		return nil
	})
	f.add("H", "uris", "URI,URI,...", "several connection URIs (e.g. the nodes of a cluster): connections go to them in turn, consumers' first, then producers'; the topology is declared through the first", func(s string) error {
		c.URIs = nil
		for _, u := range strings.Split(s, ",") {
			if u = strings.TrimSpace(u); u != "" {
				c.URIs = append(c.URIs, u)
			}
		}
		if len(c.URIs) == 0 {
			return fmt.Errorf("no URI given")
		}
		return nil
	})
	f.add("sst", "servers-startup-timeout", "SECONDS", "wait up to SECONDS for the broker(s) to accept connections before starting, retrying refused ones; --deadline counts from then (default 0: fail at once)", secondsSetter(&c.ServersStartupTimeout))
	f.add("x", "producers", "N", "producer count (default 1)", intSetter(&c.Producers))
	f.add("y", "consumers", "N", "consumer count (default 1)", intSetter(&c.Consumers))
	f.add("X", "producer-channel-count", "N", "channels per producer connection, each publishing on its own (default 1)", intSetter(&c.ProducerChannels))
	f.add("Y", "consumer-channel-count", "N", "channels per consumer connection, each consuming on its own (default 1)", intSetter(&c.ConsumerChannels))

	f.add("u", "queue", "NAME", "queue name (default: a server-named queue per consumer channel)", strSetter(&c.Queue))
	f.add("qp", "queue-pattern", "PATTERN", "queue name pattern, e.g. perf-%d, numbered --queue-pattern-from..--queue-pattern-to", strSetter(&c.QueuePattern))
	f.add("qpf", "queue-pattern-from", "N", "first queue number, inclusive (default 1)", intSetter(&c.QueuePatternFrom))
	f.add("qpt", "queue-pattern-to", "N", "last queue number, inclusive", intSetter(&c.QueuePatternTo))
	f.add("", "queues", "N", "shortcut for N queues perf-test-1..N (or --queue-pattern 1..N)", intSetter(&c.Queues))
	f.add("", "fanout", "N", "fanout exchange perf-fanout with N queues perf-fanout-1..N, one consumer each", intSetter(&c.Fanout))
	f.add("e", "exchange", "NAME", "exchange name; \"\" is the default exchange (default direct)", strSetter(&c.Exchange))
	f.add("t", "type", "TYPE", "exchange type (default direct)", strSetter(&c.ExchangeType))
	f.add("k", "routing-key", "KEY", "routing key (default: the queue name, or a random key)", strSetter(&c.RoutingKey))
	f.add("K", "random-routing-key", "", "a random routing key per message (for topic/fanout/headers tests)", boolSetter(&c.RandomRoutingKey))
	f.add("sb", "skip-binding-queues", "", "do not bind queues to the exchange", boolSetter(&c.SkipBinding))
	f.add("p", "predeclared", "", "use existing queues and exchange, declare nothing", boolSetter(&c.Predeclared))
	f.add("ad", "auto-delete", "BOOL", "declare named queues auto-delete (default true)", boolSetter(&c.AutoDelete))
	f.add("E", "exclusive", "", "declare the named queues exclusive: each consumer declares its queues on its own connection, so a queue may have consumers on one connection only (use -Y for several); server-named queues are always exclusive", boolSetter(&c.Exclusive))
	f.add("qa", "queue-args", "K=V,...", "queue arguments, e.g. x-max-length=1000,x-queue-type=classic", tableSetter(&c.QueueArgs))
	f.add("ca", "consumer-args", "K=V,...", "consumer arguments, e.g. x-priority=10", tableSetter(&c.ConsumerArgs))
	f.add("", "message-ttl", "MS", "queue message TTL (declares x-message-ttl)", intSetter(&c.MessageTTL))
	f.add("", "max-priority", "N", "declare priority queues (x-max-priority)", intSetter(&c.MaxPriority))
	f.add("qq", "quorum-queue", "", "declare quorum queues (x-queue-type=quorum; durable, persistent, not auto-delete)", boolSetter(&c.QuorumQueue))
	f.add("sq", "stream-queue", "", "declare streams (x-queue-type=stream; durable, persistent, not auto-delete, --qos 200 by default)", boolSetter(&c.StreamQueue))
	f.add("sco", "stream-consumer-offset", "OFFSET", "where stream consumers start: first, last, next (default), an offset or an RFC 3339 timestamp", strSetter(&c.StreamOffset))

	f.add("s", "size", "BYTES", fmt.Sprintf("message body size; at least %d, the timestamp header (default %d)", HeaderSize, HeaderSize), intSetter(&c.Size))
	f.add("", "body-size-list", "SIZE:WEIGHT,...", "body sizes drawn with weights, e.g. 100:50,1000:50", func(s string) (err error) {
		c.BodySizes, err = parseSizeList(s)
		return err
	})
	f.add("vs", "variable-size", "BYTES:SECONDS", "body size for a time; repeat to build a cycle", stepSetter(&c.VariableSize))
	f.add("B", "body", "FILE,FILE,...", "message bodies from these files, sent as they are, each producer using them in turn; the send time then goes in a \"timestamp\" header (as PerfTest does), from which consumers measure the latency", func(s string) (err error) {
		c.BodyFiles, c.bodies, err = readBodyFiles(s)
		return err
	})
	f.add("T", "body-content-type", "TYPE", "content_type of the messages, e.g. application/json", strSetter(&c.ContentType))
	f.add("r", "rate", "MSG/S", "publishing rate per producer channel; 0 = unlimited (default)", floatSetter(&c.Rate))
	f.add("vr", "variable-rate", "RATE:SECONDS", "rate for a time; repeat to build a cycle; a rate of 0 pauses", stepSetter(&c.VariableRate))
	f.add("P", "publishing-interval", "SECONDS", "one message every SECONDS per producer channel (sets --rate)", func(s string) error {
		d, err := parseSeconds(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q: want seconds > 0", s)
		}
		c.Rate = float64(time.Second) / float64(d)
		return nil
	})
	f.add("R", "consumer-rate", "MSG/S", "consuming rate per consumer channel; 0 = unlimited", floatSetter(&c.ConsumerRate))
	f.add("c", "confirm", "N", "publisher confirms with at most N outstanding per channel; 0 = off", intSetter(&c.Confirm))
	f.add("ct", "confirm-timeout", "SECONDS", "with --confirm: fail when the window stays full this long without a confirm (default 30; 0 or -1 = wait forever)", func(s string) error {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n <= 0 {
			c.ConfirmTimeout = 0
			return nil
		}
		return secondsSetter(&c.ConfirmTimeout)(s)
	})
	f.add("m", "ptxsize", "N", "publish in transactions (tx.select), committing every N messages per producer channel; 0 = off", intSetter(&c.ProducerTx))
	f.add("n", "ctxsize", "N", "acknowledge in transactions, committing every N messages per consumer channel (pipelined, not waited for); 0 = off", intSetter(&c.ConsumerTx))
	f.add("A", "multi-ack-every", "N", "ack with multiple=true every N messages", intSetter(&c.MultiAckEvery))
	f.add("q", "qos", "N", "consumer prefetch count", intSetter(&c.Qos))
	f.add("Q", "global-qos", "N", "channel (global) prefetch count", intSetter(&c.GlobalQos))
	f.add("a", "autoack", "", "consume without acknowledgements", boolSetter(&c.AutoAck))
	f.add("na", "nack", "", "nack and requeue instead of ack", boolSetter(&c.Nack))
	f.add("f", "flag", "FLAG", "message flag: persistent or mandatory; repeat or comma-separate", func(s string) error {
		for _, fl := range strings.Split(s, ",") {
			switch strings.TrimSpace(fl) {
			case "persistent":
				c.Persistent = true
			case "mandatory":
				c.Mandatory = true
			default:
				return fmt.Errorf("%q: flags are persistent and mandatory", fl)
			}
		}
		return nil
	})
	f.add("", "priority", "N", "message priority (0..255)", intSetter(&c.Priority))
	f.add("", "expiration", "MS", "per-message expiration (TTL) in milliseconds", func(s string) error {
		if n, err := strconv.Atoi(s); err != nil || n < 0 {
			return fmt.Errorf("%q: want milliseconds >= 0", s)
		}
		c.Expiration = s
		return nil
	})
	f.add("mp", "message-properties", "K=V,...", "message properties, e.g. priority=5,appId=perf; unknown keys become headers", func(s string) error {
		return parseProperties(s, &c.Properties)
	})

	f.add("z", "time", "SECONDS", "run duration (default: until the counts are reached, or Ctrl-C)", secondsSetter(&c.Time))
	f.add("C", "pmessages", "N", "messages per producer channel, then stop", intSetter(&c.PMessages))
	f.add("D", "cmessages", "N", "messages per consumer channel, then stop", intSetter(&c.CMessages))
	f.add("L", "consumer-latency", "MICROSECONDS", "simulated processing time per message", func(s string) error {
		n, err := strconv.Atoi(s)
		c.ConsumerLatency = time.Duration(n) * time.Microsecond
		return err
	})
	f.add("vl", "variable-latency", "MICROSECONDS:SECONDS", "processing time for a time; repeat to build a cycle (wins over --consumer-latency)", stepSetter(&c.VariableLatency))
	f.add("S", "slow-start", "", "start consumers one by one, a second apart, as PerfTest does (producers start after them, as always)", boolSetter(&c.SlowStart))
	f.add("", "churn", "KIND", "also open and close connections, channels or queues at --churn-rate", strSetter(&c.Churn))
	f.add("", "churn-rate", "N/s", "churn operations (open+close) per second", func(s string) (err error) {
		c.ChurnRate, err = parseRate(s)
		return err
	})
	f.add("", "churn-concurrency", "N", "churn operations in flight at most (default 4)", intSetter(&c.ChurnConcurrency))

	f.add("d", "id", "ID", "test id printed on each line (default test-HHMMSS-mmm)", strSetter(&c.ID))
	f.add("i", "interval", "SECONDS", "sampling interval (default 1)", secondsSetter(&c.Interval))
	f.add("b", "heartbeat", "SECONDS", "heartbeat interval (default: the server's)", secondsSetter(&c.Heartbeat))
	f.add("M", "framemax", "BYTES", "frame max (default: the library's)", intSetter(&c.FrameMax))
	f.add("", "connect-timeout", "SECONDS", "TCP connect and AMQP handshake timeout (default 5)", secondsSetter(&c.ConnectTimeout))
	f.add("st", "shutdown-timeout", "SECONDS", "time allowed to drain confirms and close at the end (default 5)", secondsSetter(&c.ShutdownTimeout))
	f.add("", "deadline", "SECONDS", "hard limit for the whole run (default: --time + --shutdown-timeout + 2 × --connect-timeout + 2 s)", secondsSetter(&c.Deadline))
	f.add("", "idle-timeout", "SECONDS", "give up a count-bounded run after this long without progress (default 15; 0 = never)", secondsSetter(&c.IdleTimeout))
	f.add("", "json", "", "print a JSON summary with per-interval samples on stdout (progress goes to stderr)", boolSetter(&c.JSON))
	f.add("", "report", "FILE.html", "write a self-contained HTML report", strSetter(&c.Report))
	f.add("o", "output-file", "FILE.csv", "write the per-interval samples as CSV in PerfTest's columns: id, time (s), published, returned, confirmed, nacked, received (msg/s), then min, median, 75th, 95th, 99th percentile consumer latency and the same for confirms; a header row names them; columns that do not apply are empty", strSetter(&c.OutputFile))
	f.add("ms", "use-millis", "", "print latencies in milliseconds instead of microseconds (PerfTest's mode for producers and consumers in different processes; the send time here is wall-clock already; --json stays in µs)", boolSetter(&c.UseMillis))

	if len(args) == 1 && args[0] == "-h" { // -h is --uri, as in PerfTest, but alone it can only mean help
		help = true
		args = nil
	}
	err := f.fs.Parse(args)
	if help || errors.Is(err, flag.ErrHelp) {
		f.usage(stderr)
		return nil, flag.ErrHelp
	}
	if err != nil {
		return nil, err
	}
	if version {
		return nil, ErrVersion
	}
	if uriSet && len(c.URIs) > 0 {
		return nil, fmt.Errorf("use only one of --uri and --uris")
	}
	if f.fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", f.fs.Arg(0))
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func tableSetter(p *amqp.Table) func(string) error {
	return func(s string) error {
		if *p == nil {
			*p = amqp.Table{}
		}
		return parseTable(s, *p)
	}
}

func stepSetter(p *[]Step) func(string) error {
	return func(s string) error {
		st, err := parseStep(s)
		if err == nil {
			*p = append(*p, st)
		}
		return err
	}
}

func (f *flags) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: warren perf [options]   load-test an AMQP 0-9-1 broker (RabbitMQ PerfTest options)")
	fmt.Fprintln(w)
	for _, o := range f.options {
		names := "--" + o.long
		if o.short != "" {
			names = "-" + o.short + ", " + names
		}
		if o.arg != "" {
			names += " " + o.arg
		}
		fmt.Fprintf(w, "  %-46s %s\n", names, o.usage)
	}
}
