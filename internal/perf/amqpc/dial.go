package amqpc

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// Config tunes a connection. The zero value works: 10 s to connect, the
// broker's heartbeat up to 10 s, 128 KiB frames.
type Config struct {
	// Name is sent as the connection_name client property (shown in the
	// broker's connection list).
	Name string
	// Product is the product client property.
	Product string
	// Heartbeat is the interval asked for; the smaller of it and the
	// broker's proposal is used. 0 asks for 10 s.
	Heartbeat time.Duration
	// FrameMax is the largest frame size asked for; 0 asks for 128 KiB.
	FrameMax int
	// ConnectTimeout bounds the TCP connect, TLS and AMQP handshakes.
	ConnectTimeout time.Duration
	// TLS is used for amqps URIs; nil builds one from the URI (server
	// name, cacertfile, certfile and keyfile parameters).
	TLS *tls.Config
	// Dialed, if set, sees the socket as soon as it is connected, so a
	// caller can close it to abort a handshake that hangs.
	Dialed func(net.Conn)
	// OnBlocked is called (on the reader goroutine) for
	// connection.blocked (active) and connection.unblocked.
	OnBlocked func(reason string, active bool)
}

// Dial connects to an amqp:// or amqps:// URI and logs in with PLAIN (or
// EXTERNAL, when the URI's auth_mechanism asks for it).
func Dial(uri string, cfg Config) (*Conn, error) {
	u, err := amqp.ParseURI(uri)
	if err != nil {
		return nil, err
	}
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	addr := net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if cfg.Dialed != nil {
		cfg.Dialed(nc)
	}
	if u.Scheme == "amqps" {
		tc, err := tlsConfig(u, cfg.TLS)
		if err != nil {
			nc.Close()
			return nil, err
		}
		tconn := tls.Client(nc, tc)
		_ = tconn.SetDeadline(time.Now().Add(timeout))
		if err := tconn.Handshake(); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tconn
	}
	c := &Conn{nc: nc, fr: wire.NewFrameReader(nc, 0), chans: map[uint16]*Channel{},
		done: make(chan struct{}), onBlocked: cfg.OnBlocked}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	if err := c.handshake(u, cfg); err != nil {
		nc.Close()
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	go c.readLoop()
	go c.heartbeats()
	return c, nil
}

func tlsConfig(u amqp.URI, base *tls.Config) (*tls.Config, error) {
	var tc *tls.Config
	if base != nil {
		tc = base.Clone()
	} else {
		tc = &tls.Config{}
	}
	if tc.ServerName == "" {
		tc.ServerName = u.Host
		if u.ServerName != "" {
			tc.ServerName = u.ServerName
		}
	}
	if u.CACertFile != "" {
		pem, err := os.ReadFile(u.CACertFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("amqpc: no certificate in %s", u.CACertFile)
		}
		tc.RootCAs = pool
	}
	if u.CertFile != "" && u.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(u.CertFile, u.KeyFile)
		if err != nil {
			return nil, err
		}
		tc.Certificates = append(tc.Certificates, cert)
	}
	return tc, nil
}

// handshake runs the protocol header, start, tune and open exchanges on
// the dialing goroutine, before the reader starts.
func (c *Conn) handshake(u amqp.URI, cfg Config) error {
	if _, err := c.nc.Write(wire.ProtocolHeader[:]); err != nil {
		return err
	}
	m, err := c.readMethod()
	if err != nil {
		return err
	}
	start, ok := m.(*wire.ConnectionStart)
	if !ok {
		return unexpected("connection.start", m)
	}
	mech, resp := "PLAIN", "\x00"+u.Username+"\x00"+u.Password
	for _, a := range u.AuthMechanism {
		if a == "EXTERNAL" {
			mech, resp = "EXTERNAL", ""
		}
	}
	if !offers(start.Mechanisms, mech) {
		return fmt.Errorf("amqpc: the broker does not offer %s authentication (it offers %q)", mech, start.Mechanisms)
	}
	props := wire.Table{
		"product":  orDefault(cfg.Product, "warren perf"),
		"platform": "Go",
		"capabilities": wire.Table{
			"publisher_confirms":           true,
			"basic.nack":                   true,
			"consumer_cancel_notify":       true,
			"connection.blocked":           true,
			"authentication_failure_close": true,
			"per_consumer_qos":             true,
			"exchange_exchange_bindings":   true,
		},
	}
	if cfg.Name != "" {
		props["connection_name"] = cfg.Name
	}
	if err := c.writeMethod(0, &wire.ConnectionStartOk{ClientProperties: props, Mechanism: mech,
		Response: resp, Locale: "en_US"}); err != nil {
		return err
	}
	if m, err = c.readMethod(); err != nil {
		return err
	}
	tune, ok := m.(*wire.ConnectionTune)
	if !ok {
		return unexpected("connection.tune", m)
	}
	frameMax := uint32(128 << 10)
	if cfg.FrameMax > 0 {
		frameMax = uint32(cfg.FrameMax)
	}
	frameMax = pick32(tune.FrameMax, frameMax)
	if frameMax < wire.FrameMinSize {
		frameMax = wire.FrameMinSize
	}
	channelMax := pick16(tune.ChannelMax, 2047)
	hb := uint16(10)
	if cfg.Heartbeat > 0 {
		hb = uint16(min(cfg.Heartbeat/time.Second, 65535))
	}
	hb = pick16(tune.Heartbeat, hb)
	c.frameMax, c.channelMax, c.heartbeat = frameMax, channelMax, time.Duration(hb)*time.Second
	c.fr.SetMaxFrameSize(frameMax)
	if err := c.writeMethod(0, &wire.ConnectionTuneOk{ChannelMax: channelMax, FrameMax: frameMax, Heartbeat: hb}); err != nil {
		return err
	}
	if err := c.writeMethod(0, &wire.ConnectionOpen{VirtualHost: u.Vhost}); err != nil {
		return err
	}
	if m, err = c.readMethod(); err != nil {
		return err
	}
	if _, ok := m.(*wire.ConnectionOpenOk); !ok {
		return unexpected("connection.open-ok", m)
	}
	return nil
}

// readMethod reads the next method on channel 0 during the handshake; a
// connection.close (bad credentials, unknown vhost) becomes its error.
func (c *Conn) readMethod() (wire.Method, error) {
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return nil, err
		}
		if f.Type == wire.FrameHeartbeat {
			continue
		}
		if f.Type != wire.FrameMethod || f.Channel != 0 {
			return nil, fmt.Errorf("amqpc: unexpected frame type %d on channel %d during the handshake", f.Type, f.Channel)
		}
		m, err := wire.DecodeMethod(f.Payload)
		if err != nil {
			return nil, err
		}
		if cl, ok := m.(*wire.ConnectionClose); ok {
			_ = c.writeMethod(0, &wire.ConnectionCloseOk{})
			return nil, &amqp.Error{Code: int(cl.ReplyCode), Reason: cl.ReplyText, Server: true}
		}
		return m, nil
	}
}

func (c *Conn) writeMethod(channel uint16, m wire.Method) error {
	_, err := c.nc.Write(wire.AppendMethodFrame(nil, channel, m))
	return err
}

func offers(mechanisms, mech string) bool {
	for i := 0; i < len(mechanisms); {
		j := i
		for j < len(mechanisms) && mechanisms[j] != ' ' {
			j++
		}
		if mechanisms[i:j] == mech {
			return true
		}
		i = j + 1
	}
	return false
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// pick16 and pick32 negotiate a limit: 0 means "no limit" on either side,
// otherwise the smaller one wins.
func pick16(server, client uint16) uint16 {
	if server == 0 || (client != 0 && client < server) {
		return client
	}
	return server
}

func pick32(server, client uint32) uint32 {
	if server == 0 || (client != 0 && client < server) {
		return client
	}
	return server
}
