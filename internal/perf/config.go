package perf

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Config is one load test, as given on the command line.
type Config struct {
	URI  string
	URIs []string // --uris: data connections go round-robin over them; URI is the first

	// Wait up to this long for every URI to accept a connection before
	// starting (--servers-startup-timeout); 0 fails at once.
	ServersStartupTimeout time.Duration

	Producers, Consumers               int
	ProducerChannels, ConsumerChannels int

	// Queues: one named queue, a numbered pattern, a count shortcut, or
	// none, in which case each consumer channel gets a server-named
	// exclusive queue bound with the routing key (PerfTest's default).
	Queue                            string
	QueuePattern                     string
	QueuePatternFrom, QueuePatternTo int
	Queues                           int
	Fanout                           int
	Exclusive                        bool // --exclusive: named queues are declared by their consumers' connections

	Exchange, ExchangeType string
	RoutingKey             string
	RandomRoutingKey       bool
	SkipBinding            bool
	Predeclared            bool
	AutoDelete             bool
	QueueArgs              amqp.Table
	ConsumerArgs           amqp.Table
	MessageTTL             int    // ms, declared as x-message-ttl
	MaxPriority            int    // declared as x-max-priority
	QuorumQueue            bool   // --quorum-queue
	StreamQueue            bool   // --stream-queue
	StreamOffset           string // --stream-consumer-offset: x-stream-offset

	Size         int
	BodySizes    []WeightedSize
	VariableSize []Step
	BodyFiles    []string // --body: bodies sent as they are, in turn
	ContentType  string   // --body-content-type
	bodies       [][]byte // BodyFiles' contents, read by ParseArgs

	Rate         float64 // per producer channel, 0 = unlimited
	VariableRate []Step
	ConsumerRate float64 // per consumer channel, 0 = unlimited

	Confirm        int           // outstanding confirms per producer channel; 0 = no confirms
	ConfirmTimeout time.Duration // longest wait for a confirm when the window is full; 0 = forever
	ProducerTx     int           // --ptxsize: commit every N publishes; 0 = no transactions
	ConsumerTx     int           // --ctxsize: commit every N acknowledged messages
	MultiAckEvery  int
	Qos            int
	GlobalQos      int
	AutoAck        bool
	Nack           bool

	Persistent, Mandatory bool
	Priority              int // -1: not set
	Expiration            string
	Properties            amqp.Publishing // from --message-properties

	Time            time.Duration // 0 = until the counts are reached or interrupted
	PMessages       int
	CMessages       int
	ConsumerLatency time.Duration
	VariableLatency []Step // --variable-latency, values in microseconds
	SlowStart       bool   // --slow-start: consumers start one by one, slowStartPause apart

	Churn            string // "", connections, channels, queues
	ChurnRate        float64
	ChurnConcurrency int

	ID              string
	Interval        time.Duration
	Heartbeat       time.Duration
	FrameMax        int
	ConnectTimeout  time.Duration
	ShutdownTimeout time.Duration
	Deadline        time.Duration // 0 = derived from Time
	IdleTimeout     time.Duration

	JSON       bool
	Report     string
	OutputFile string // --output-file: the samples as CSV
	UseMillis  bool   // --use-millis: latencies printed in milliseconds
}

// DefaultConfig returns PerfTest's defaults: one producer, one consumer,
// exchange "direct", auto-deleted queues, unlimited rate.
func DefaultConfig() *Config {
	return &Config{
		URI:       "amqp://guest:guest@localhost:5672/",
		Producers: 1, Consumers: 1,
		ProducerChannels: 1, ConsumerChannels: 1,
		QueuePatternFrom: 1,
		Exchange:         "direct", ExchangeType: "direct",
		AutoDelete:       true,
		Size:             HeaderSize,
		Priority:         -1,
		Interval:         time.Second,
		ConnectTimeout:   5 * time.Second,
		ConfirmTimeout:   30 * time.Second, // PerfTest's default
		ShutdownTimeout:  5 * time.Second,
		IdleTimeout:      15 * time.Second,
		ChurnConcurrency: 4,
	}
}

// validate checks the combination of options and fills in derived ones.
func (c *Config) validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Producers < 0 || c.Consumers < 0 {
		bad("--producers and --consumers must be >= 0")
	}
	if c.ProducerChannels < 1 || c.ConsumerChannels < 1 {
		bad("--producer-channel-count and --consumer-channel-count must be >= 1")
	}
	c.applyQueueType(bad)
	named := 0
	for _, set := range []bool{c.Queue != "", c.QueuePattern != "", c.Queues > 0, c.Fanout > 0} {
		if set {
			named++
		}
	}
	if named > 1 && !(c.QueuePattern != "" && (c.Queues > 0 || c.Fanout > 0)) {
		bad("use only one of --queue, --queue-pattern, --queues and --fanout")
	}
	if c.QueuePattern != "" && !strings.Contains(c.QueuePattern, "%") {
		bad("--queue-pattern %q has no %%d for the queue number", c.QueuePattern)
	}
	if c.QueuePattern != "" && c.Queues == 0 && c.Fanout == 0 && c.QueuePatternTo < c.QueuePatternFrom {
		bad("--queue-pattern needs --queue-pattern-to >= --queue-pattern-from (%d)", c.QueuePatternFrom)
	}
	if c.Fanout > 0 {
		if c.ExchangeType != "direct" && c.ExchangeType != "fanout" {
			bad("--fanout declares a fanout exchange; --type %s contradicts it", c.ExchangeType)
		}
		c.ExchangeType = "fanout"
		if c.Exchange == "direct" { // PerfTest's default is a direct exchange by that name
			c.Exchange = "perf-fanout"
		}
		c.Consumers = c.Fanout
		c.ConsumerChannels = 1
	}
	if c.Exchange == "" && c.queueNames() == nil && c.Producers > 0 {
		bad("the default exchange (--exchange \"\") routes by queue name: give --queue or --queue-pattern")
	}
	if c.Size < 0 {
		bad("--size must be >= 0")
	}
	for _, w := range c.BodySizes {
		if w.Size < 0 || w.Weight <= 0 {
			bad("--body-size-list entries need a size >= 0 and a weight > 0")
			break
		}
	}
	if c.Rate < 0 || c.ConsumerRate < 0 {
		bad("--rate and --consumer-rate must be >= 0")
	}
	if c.Confirm < 0 || c.MultiAckEvery < 0 || c.Qos < 0 || c.GlobalQos < 0 {
		bad("--confirm, --multi-ack-every and --qos must be >= 0")
	}
	if c.Priority > 255 || c.MaxPriority < 0 || c.MaxPriority > 255 {
		bad("--priority and --max-priority must be within 0..255")
	}
	if c.PMessages < 0 || c.CMessages < 0 || c.Time < 0 {
		bad("--pmessages, --cmessages and --time must be >= 0")
	}
	switch c.Churn {
	case "", "connections", "channels", "queues":
	default:
		bad("--churn %q: use connections, channels or queues", c.Churn)
	}
	if c.Churn != "" && c.ChurnRate <= 0 {
		bad("--churn needs --churn-rate N (operations per second, > 0)")
	}
	c.validateAdded(bad)
	if c.ChurnConcurrency < 1 {
		c.ChurnConcurrency = 1
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.ID == "" {
		now := time.Now() // PerfTest's form: test-HHMMSS-mmm
		c.ID = fmt.Sprintf("test-%s-%03d", now.Format("150405"), now.Nanosecond()/1e6)
	}
	if c.RoutingKey == "" && c.queueNames() == nil {
		c.RoutingKey = randomKey()
	}
	return errors.Join(errs...)
}

// queueNames lists the named queues of the test; nil means one
// server-named queue per consumer channel.
func (c *Config) queueNames() []string {
	pattern, from, to := c.QueuePattern, c.QueuePatternFrom, c.QueuePatternTo
	switch {
	case c.Fanout > 0:
		from, to = 1, c.Fanout
		if pattern == "" {
			pattern = "perf-fanout-%d"
		}
	case c.Queues > 0:
		from, to = 1, c.Queues
		if pattern == "" {
			pattern = "perf-test-%d"
		}
	case c.Queue != "":
		return []string{c.Queue}
	case pattern == "":
		return nil
	}
	var names []string
	for i := from; i <= to; i++ {
		names = append(names, fmt.Sprintf(pattern, i))
	}
	return names
}

// queueArgs merges --queue-args with the shortcuts that are arguments too.
func (c *Config) queueArgs() amqp.Table {
	args := amqp.Table{}
	for k, v := range c.QueueArgs {
		args[k] = v
	}
	if c.MessageTTL > 0 {
		args["x-message-ttl"] = int64(c.MessageTTL)
	}
	if c.MaxPriority > 0 {
		args["x-max-priority"] = int64(c.MaxPriority)
	}
	if len(args) == 0 {
		return nil
	}
	return args
}

// rateSchedule is the producer schedule: --variable-rate wins over --rate.
func (c *Config) rateSchedule() Schedule {
	return Schedule{Constant: c.Rate, Steps: c.VariableRate}
}

// latencySchedule is the simulated processing time per message, in
// microseconds: --variable-latency wins over --consumer-latency.
func (c *Config) latencySchedule() Schedule {
	return Schedule{Constant: float64(c.ConsumerLatency / time.Microsecond), Steps: c.VariableLatency}
}

// dataURI is the URI of the run's n-th data connection: --uris are used
// in turn (consumer connections first, then producers).
func (c *Config) dataURI(n int) string {
	if len(c.URIs) == 0 {
		return c.URI
	}
	return c.URIs[n%len(c.URIs)]
}

func randomKey() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "perf-" + hex.EncodeToString(b[:])
}

// applyQueueType sets what quorum queues and streams require, as PerfTest
// does for --quorum-queue and --stream-queue, and for an x-queue-type
// given in --queue-args: durable queues that are not auto-deleted and
// persistent messages; for streams also manual acks and a prefetch (200
// unless --qos says otherwise), without which brokers refuse a stream
// consumer.
func (c *Config) applyQueueType(bad func(string, ...any)) {
	if c.QuorumQueue && c.StreamQueue {
		bad("use only one of --quorum-queue and --stream-queue")
		return
	}
	if c.QuorumQueue || c.StreamQueue {
		if c.QueueArgs == nil {
			c.QueueArgs = amqp.Table{}
		}
		c.QueueArgs["x-queue-type"] = map[bool]string{true: "quorum", false: "stream"}[c.QuorumQueue]
	}
	t, _ := c.QueueArgs["x-queue-type"].(string)
	if t != "quorum" && t != "stream" {
		if c.StreamOffset != "" {
			bad("--stream-consumer-offset needs a stream: --stream-queue or --queue-args x-queue-type=stream")
		}
		return
	}
	c.Persistent, c.AutoDelete = true, false
	if c.queueNames() == nil && !c.Predeclared {
		bad("%s queues cannot be server-named (they are never exclusive): give --queue, --queue-pattern or --queues", t)
	}
	if t != "stream" {
		return
	}
	if c.AutoAck {
		bad("stream consumers acknowledge: drop --autoack")
	}
	if c.Qos == 0 {
		c.Qos = 200
	}
	if c.StreamOffset != "" {
		if _, err := streamOffsetValue(c.StreamOffset); err != nil {
			bad("--stream-consumer-offset: %v", err)
		}
	}
}

// streamOffsetValue is the x-stream-offset for --stream-consumer-offset:
// first, last or next, an offset, or an RFC 3339 timestamp.
func streamOffsetValue(s string) (any, error) {
	switch s {
	case "first", "last", "next":
		return s, nil
	}
	if n, err := strconv.ParseUint(s, 10, 63); err == nil {
		return int64(n), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return nil, fmt.Errorf("%q: want first, last, next, an offset or a timestamp like 2026-11-30T12:00:00Z", s)
}

// validateAdded checks the options added after the first PerfTest set:
// transactions, exclusive queues, bodies from files, several URIs.
func (c *Config) validateAdded(bad func(string, ...any)) {
	if len(c.URIs) > 0 {
		c.URI = c.URIs[0] // the setup connection, and the one errors name first
	}
	if c.ServersStartupTimeout < 0 {
		bad("--servers-startup-timeout must be >= 0")
	}
	c.validateTx(bad)
	c.validateExclusive(bad)
	if len(c.BodyFiles) > 0 && (c.Size != HeaderSize || len(c.BodySizes) > 0 || len(c.VariableSize) > 0) {
		bad("--body sends the files as they are: drop --size, --body-size-list and --variable-size")
	}
	if len(c.VariableLatency) > 0 && c.ConsumerLatency > 0 {
		c.ConsumerLatency = 0 // --variable-latency wins, as --variable-rate over --rate
	}
}
