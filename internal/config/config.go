package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the server's configuration.
type Config struct {
	AMQPListen       string
	HTTPListen       string
	DataDir          string
	LogLevel         slog.Level
	DefaultUser      string
	DefaultPass      string
	FrameMax         uint32
	ChannelMax       uint16
	Heartbeat        time.Duration
	MaxMessageSize   uint64
	HandshakeTimeout time.Duration
	SyncMode         string
	MetricsPerObject bool
	Definitions      string
	AMQPSListen      string
	TLSCertFile      string
	TLSKeyFile       string
	TLSCAFile        string
	TLSClientAuth    string
	TLSMinVersion    string
	ConsumerTimeout  time.Duration
	MemoryHighWater  string
	DiskFreeLimit    string
}

// Default returns the built-in defaults (RabbitMQ's where one exists).
func Default() Config {
	return Config{
		AMQPListen:       ":5672",
		HTTPListen:       ":15672",
		DataDir:          "./data",
		LogLevel:         slog.LevelInfo,
		DefaultUser:      "guest",
		DefaultPass:      "guest",
		FrameMax:         131072,
		ChannelMax:       2047,
		Heartbeat:        60 * time.Second,
		MaxMessageSize:   128 << 20,
		HandshakeTimeout: 10 * time.Second,
		SyncMode:         "always",
		MetricsPerObject: true,
		AMQPSListen:      ":5671",
		TLSClientAuth:    "none",
		TLSMinVersion:    "1.2",
		ConsumerTimeout:  30 * time.Minute,
		MemoryHighWater:  "0.4",
		DiskFreeLimit:    "50MB",
	}
}

// Validate checks values that flags' types cannot.
func (c *Config) Validate() error {
	if c.FrameMax < 4096 {
		return fmt.Errorf("frame-max %d is below the AMQP minimum 4096", c.FrameMax)
	}
	if c.MaxMessageSize == 0 || c.MaxMessageSize > 512<<20 {
		return fmt.Errorf("max-message-size %d must be between 1 and 536870912", c.MaxMessageSize)
	}
	if c.AMQPListen == "" {
		return errors.New("amqp-listen must not be empty")
	}
	return nil
}

// setting is one named option, settable as flag, env var and file key.
type setting struct {
	name  string // flag name; env WARREN_<NAME> with - → _; file key name or name with _
	usage string
	set   func(string) error
	def   string
}

func (c *Config) settings() []setting {
	return []setting{
		{"amqp-listen", "AMQP 0-9-1 listen address", strSetter(&c.AMQPListen), c.AMQPListen},
		{"http-listen", "management HTTP listen address", strSetter(&c.HTTPListen), c.HTTPListen},
		{"data-dir", "directory for the message store and definitions", strSetter(&c.DataDir), c.DataDir},
		{"log-level", "debug, info, warn or error", func(s string) error { return c.LogLevel.UnmarshalText([]byte(s)) }, strings.ToLower(c.LogLevel.String())},
		{"default-user", "user created on first start", strSetter(&c.DefaultUser), c.DefaultUser},
		{"default-pass", "password of the default user", strSetter(&c.DefaultPass), c.DefaultPass},
		{"frame-max", "largest frame offered to clients, bytes", uintSetter(func(v uint64) { c.FrameMax = uint32(v) }, 32), fmt.Sprint(c.FrameMax)},
		{"channel-max", "most channels per connection", uintSetter(func(v uint64) { c.ChannelMax = uint16(v) }, 16), fmt.Sprint(c.ChannelMax)},
		{"heartbeat", "heartbeat offered to clients (e.g. 60s; 0 disables)", durSetter(&c.Heartbeat), c.Heartbeat.String()},
		{"max-message-size", "largest message body accepted, bytes", uintSetter(func(v uint64) { c.MaxMessageSize = v }, 64), fmt.Sprint(c.MaxMessageSize)},
		{"handshake-timeout", "time allowed from accept to connection.open", durSetter(&c.HandshakeTimeout), c.HandshakeTimeout.String()},
		{"amqps-listen", "AMQP over TLS listen address (used when a certificate is configured)", strSetter(&c.AMQPSListen), c.AMQPSListen},
		{"tls-cert-file", "TLS certificate (PEM); enables the AMQPS listener", strSetter(&c.TLSCertFile), ""},
		{"tls-key-file", "TLS private key (PEM)", strSetter(&c.TLSKeyFile), ""},
		{"tls-ca-file", "CA certificates (PEM) that client certificates must chain to", strSetter(&c.TLSCAFile), ""},
		{"tls-client-auth", "client certificates: none, optional or required", strSetter(&c.TLSClientAuth), c.TLSClientAuth},
		{"tls-min-version", "minimum TLS version: 1.2 or 1.3", strSetter(&c.TLSMinVersion), c.TLSMinVersion},
		{"metrics-per-object", "per-queue and per-vhost series on /metrics (true or false)", boolSetter(&c.MetricsPerObject), "true"},
		{"definitions", "RabbitMQ-format definitions file imported at boot (load_definitions)", strSetter(&c.Definitions), ""},
		{"consumer-timeout", "ack timeout per delivery before its channel is closed (30m; negative disables)", durSetter(&c.ConsumerTimeout), c.ConsumerTimeout.String()},
		{"sync-mode", "fsync of persistent messages: always (before confirms), interval, none", strSetter(&c.SyncMode), c.SyncMode},
		{"memory-high-watermark", "memory use that blocks publishers: fraction of RAM (0.4) or size (2GiB)", strSetter(&c.MemoryHighWater), c.MemoryHighWater},
		{"disk-free-limit", "free disk under data-dir below which publishers are blocked (50MB)", strSetter(&c.DiskFreeLimit), c.DiskFreeLimit},
	}
}

func strSetter(p *string) func(string) error { return func(s string) error { *p = s; return nil } }

func boolSetter(p *bool) func(string) error {
	return func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*p = b
		return nil
	}
}

func durSetter(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*p = d
		return nil
	}
}

func uintSetter(set func(uint64), bits int) func(string) error {
	return func(s string) error {
		var v uint64
		if _, err := fmt.Sscan(s, &v); err != nil {
			return err
		}
		if bits < 64 && v >= 1<<bits {
			return fmt.Errorf("%s out of range", s)
		}
		set(v)
		return nil
	}
}

// Load builds a Config from defaults, the file named by --config (or
// WARREN_CONFIG), WARREN_* variables from getenv, and args.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Default()
	// First pass: only find --config, so the file can sit under env and flags.
	path := getenv("WARREN_CONFIG")
	for i, a := range args {
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				path = args[i+1]
			}
		case strings.HasPrefix(a, "--config="), strings.HasPrefix(a, "-config="):
			path = a[strings.Index(a, "=")+1:]
		}
	}
	set := c.settings()
	if path != "" {
		if err := loadFile(path, set); err != nil {
			return c, err
		}
	}
	for _, s := range set {
		env := "WARREN_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
		if v := getenv(env); v != "" {
			if err := s.set(v); err != nil {
				return c, fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	fs := flag.NewFlagSet("warren server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", path, "config file of 'key = value' lines (keys as the flags)")
	for _, s := range set {
		fs.Func(s.name, s.usage+" (default "+s.def+")", s.set)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return c, c.Validate()
}

// loadFile reads "key = value" lines; # starts a comment. Keys are the flag
// names, with '-' or '_' (and '.' as in rabbitmq.conf style) accepted.
func loadFile(path string, set []setting) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	byName := make(map[string]setting)
	for _, s := range set {
		byName[s.name] = s
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("%s:%d: expected key = value", path, n)
		}
		k = strings.NewReplacer("_", "-", ".", "-").Replace(strings.TrimSpace(k))
		s, ok := byName[k]
		if !ok {
			return fmt.Errorf("%s:%d: unknown setting %q", path, n, k)
		}
		if err := s.set(strings.Trim(strings.TrimSpace(v), `"`)); err != nil {
			return fmt.Errorf("%s:%d: %s: %w", path, n, k, err)
		}
	}
	return sc.Err()
}
