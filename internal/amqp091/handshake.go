package amqp091

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"net"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/auth"
)

// connectionMethod handles a method on channel 0.
func (c *conn) connectionMethod(m wire.Method) error {
	switch m := m.(type) {
	case *wire.ConnectionStartOk:
		if c.state != stateStartOk {
			break
		}
		return c.startOk(m)
	case *wire.ConnectionTuneOk:
		if c.state != stateTuneOk {
			break
		}
		return c.tuneOk(m)
	case *wire.ConnectionOpen:
		if c.state != stateOpen {
			break
		}
		return c.open(m)
	case *wire.ConnectionClose:
		c.flushConfirms()
		c.release()
		c.send(0, &wire.ConnectionCloseOk{})
		return errConnDone
	case *wire.ConnectionCloseOk:
		return errConnDone
	case *wire.ConnectionBlocked, *wire.ConnectionUnblocked:
		return nil // only servers send these; RabbitMQ ignores them
	case *wire.ConnectionUpdateSecret:
		if c.state != stateRunning {
			break
		}
		// Password users have no expiring secret to refresh: accept it,
		// as RabbitMQ does for backends without token support.
		c.send(0, &wire.ConnectionUpdateSecretOk{})
		return nil
	}
	if c.state == stateRunning {
		// connection.open twice and the like: RabbitMQ answers 504.
		return newErr(wire.ChannelError, "unexpected method %s on channel 0 of an open connection", m.Name()).on(m)
	}
	return newErr(wire.CommandInvalid, "unexpected method %s in connection state %d", m.Name(), c.state).on(m)
}

func (c *conn) startOk(m *wire.ConnectionStartOk) error {
	c.clientProp = m.ClientProperties
	if caps, ok := m.ClientProperties["capabilities"].(wire.Table); ok {
		c.clientCaps = caps
	}
	if d := c.srv.throttle.delay(c.nc.RemoteAddr()); d > 0 {
		c.log.Warn("slowing down login after repeated failures", "delay", d)
		time.Sleep(d)
	}
	if m.Mechanism == "EXTERNAL" {
		return c.externalLogin(m)
	}
	user, pass, ok := saslCredentials(m.Mechanism, []byte(m.Response))
	if !ok {
		// An unknown mechanism or unparsable response is a broken client,
		// not a failed login: RabbitMQ drops the socket.
		c.log.Warn("authentication failed", "mechanism", m.Mechanism, "reason", "unsupported mechanism or malformed response")
		return errConnDone
	}
	u, err := c.cfg().Users.Authenticate(user, pass)
	if err != nil {
		return c.authFailure(m, newErr(wire.AccessRefused, "Login was refused using authentication mechanism %s. For details see the broker logfile.", m.Mechanism), "invalid credentials for user "+user)
	}
	if !isLoopback(c.nc.RemoteAddr()) {
		for _, lu := range c.cfg().LoopbackUsers {
			if lu == u.Name {
				return c.authFailure(m, newErr(wire.AccessRefused, "Login was refused using authentication mechanism %s. For details see the broker logfile.", m.Mechanism), "user '"+u.Name+"' can only connect via localhost")
			}
		}
	}
	return c.loggedIn(u)
}

// loggedIn completes authentication and sends connection.tune.
func (c *conn) loggedIn(u *auth.User) error {
	c.srv.throttle.succeeded(c.nc.RemoteAddr())
	c.user = u
	c.state = stateTuneOk
	c.send(0, &wire.ConnectionTune{
		ChannelMax: c.cfg().ChannelMax,
		FrameMax:   c.cfg().FrameMax,
		Heartbeat:  uint16(c.cfg().Heartbeat / time.Second),
	})
	return nil
}

// authFailure logs a refused login and closes: with connection.close when
// the client advertised authentication_failure_close, else by dropping the
// socket as the 0-9-1 spec says.
func (c *conn) authFailure(m wire.Method, e *amqpError, why string) error {
	c.srv.throttle.failed(c.nc.RemoteAddr())
	c.log.Warn("authentication failed", "mechanism", m.(*wire.ConnectionStartOk).Mechanism, "reason", why)
	if b, _ := c.clientCaps["authentication_failure_close"].(bool); b {
		e = e.on(m)
		c.send(0, &wire.ConnectionClose{ReplyCode: e.code, ReplyText: e.text, FailingClassID: e.classID, FailingMethodID: e.methodID})
	}
	return errConnDone
}

func (c *conn) tuneOk(m *wire.ConnectionTuneOk) error {
	cfg := c.cfg()
	// RabbitMQ refuses 0 ("no limit") for both: the server's limits stand.
	if m.ChannelMax == 0 {
		return newErr(wire.NotAllowed, "channel_max=0 < 1 min").on(m)
	}
	if m.FrameMax < wire.FrameMinSize {
		return newErr(wire.NotAllowed, "frame_max=%d < %d min size", m.FrameMax, wire.FrameMinSize).on(m)
	}
	if m.FrameMax > cfg.FrameMax {
		return newErr(wire.NotAllowed, "frame_max=%d > %d max size", m.FrameMax, cfg.FrameMax).on(m)
	}
	if m.ChannelMax > cfg.ChannelMax {
		return newErr(wire.NotAllowed, "channel_max=%d > %d max", m.ChannelMax, cfg.ChannelMax).on(m)
	}
	c.frameMax = m.FrameMax
	if c.frameMax == 0 {
		c.frameMax = cfg.FrameMax
	}
	c.channelMax = m.ChannelMax
	if c.channelMax == 0 {
		c.channelMax = cfg.ChannelMax
	}
	c.fr.SetMaxFrameSize(c.frameMax)
	// RabbitMQ uses the client's value: 0 disables heartbeats.
	c.heartbeat = time.Duration(m.Heartbeat) * time.Second
	c.out.hb <- c.heartbeat
	c.state = stateOpen
	return nil
}

func (c *conn) open(m *wire.ConnectionOpen) error {
	v := c.srv.cfg.Broker.VHost(m.VirtualHost)
	if v == nil {
		return newErr(wire.NotAllowed, "vhost %s not found", m.VirtualHost).on(m)
	}
	if p := c.cfg().Permissions; p != nil && !p.CanAccessVHost(c.user.Name, m.VirtualHost) {
		c.log.Warn("vhost access refused", "user", c.user.Name, "vhost", m.VirtualHost)
		return newErr(wire.NotAllowed, "access to vhost '%s' refused for user '%s'", m.VirtualHost, c.user.Name).on(m)
	}
	if err := c.checkConnectionLimits(m.VirtualHost); err != nil {
		return err.(*amqpError).on(m)
	}
	name, user := v.Name(), c.user.Name
	c.openVHost.Store(&name)
	c.openUser.Store(&user)
	c.vhost = v
	c.state = stateRunning
	c.publishInfo() // a snapshot for the management API (info.go)
	c.lastFrame = time.Now()
	c.deadline = time.Time{}
	c.armDeadline()
	c.send(0, &wire.ConnectionOpenOk{})
	c.log = c.log.With("user", c.user.Name, "vhost", v.Name())
	c.log.Info("connection opened")
	return nil
}

// saslCredentials extracts user and password for PLAIN ("\0user\0pass",
// with an optional authorization identity first) and AMQPLAIN (a field
// table without its length prefix, with LOGIN and PASSWORD).
func saslCredentials(mech string, resp []byte) (user, pass string, ok bool) {
	switch mech {
	case "PLAIN":
		parts := bytes.Split(resp, []byte{0})
		if len(parts) != 3 {
			return "", "", false
		}
		return string(parts[1]), string(parts[2]), true
	case "AMQPLAIN":
		buf := make([]byte, 4+len(resp))
		binary.BigEndian.PutUint32(buf, uint32(len(resp)))
		copy(buf[4:], resp)
		t, _, err := wire.DecodeTable(buf)
		if err != nil {
			return "", "", false
		}
		u, ok1 := t["LOGIN"].(string)
		p, ok2 := t["PASSWORD"].(string)
		return u, p, ok1 && ok2
	}
	return "", "", false
}

func isLoopback(a net.Addr) bool {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	case nil:
		return false
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// peerCertificate returns the verified client certificate of a TLS
// connection, or nil.
func (c *conn) peerCertificate() *tls.ConnectionState {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return nil
	}
	st := tc.ConnectionState()
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return nil
	}
	return &st
}

// mechanisms lists the SASL mechanisms offered: EXTERNAL too when the
// client presented a verified certificate.
func (c *conn) mechanisms() string {
	if c.peerCertificate() != nil {
		return "PLAIN AMQPLAIN EXTERNAL"
	}
	return "PLAIN AMQPLAIN"
}

// externalLogin authenticates with the client certificate: the user is
// the certificate's subject common name (or, without one, its first DNS
// or e-mail subject alternative name), as RabbitMQ's EXTERNAL mechanism
// does. The user needs no password.
func (c *conn) externalLogin(m *wire.ConnectionStartOk) error {
	refused := newErr(wire.AccessRefused, "Login was refused using authentication mechanism EXTERNAL. For details see the broker logfile.")
	st := c.peerCertificate()
	if st == nil {
		return c.authFailure(m, refused, "EXTERNAL without a verified client certificate")
	}
	leaf := st.PeerCertificates[0]
	name := leaf.Subject.CommonName
	if name == "" && len(leaf.DNSNames) > 0 {
		name = leaf.DNSNames[0]
	}
	if name == "" && len(leaf.EmailAddresses) > 0 {
		name = leaf.EmailAddresses[0]
	}
	u := c.cfg().Users.Get(name)
	if u == nil {
		return c.authFailure(m, refused, "no user for certificate subject '"+name+"'")
	}
	return c.loggedIn(u)
}
