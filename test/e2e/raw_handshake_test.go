package e2e

// Hostile handshakes: methods out of order, bad tuning, bad credentials,
// silent and idle peers. Expected replies are RabbitMQ 3.10's.

import (
	"testing"
	"time"

	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

func TestRawHandshakeOutOfOrder(t *testing.T) {
	t.Parallel()
	b := start(t)
	t.Run("open-before-start-ok", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
		c.expectEOF()
	})
	t.Run("tune-ok-before-start-ok", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072})
		c.expectEOF()
	})
	t.Run("open-before-tune-ok", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.startHandshake()
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
		c.expectEOF()
	})
	t.Run("channel-open-before-connection-open", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		tune := c.startHandshake()
		c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax})
		c.sendMethod(1, &wire.ChannelOpen{})
		c.expectConnectionClose(wire.UnexpectedFrame)
	})
	t.Run("start-ok-twice", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.startHandshake()
		c.sendMethod(0, rawStartOk("guest", "guest", rawClientProperties()))
		c.expectEOF()
	})
	t.Run("open-twice", func(t *testing.T) {
		t.Parallel()
		c := rawOpen(t, b)
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
		c.expectConnectionClose(wire.ChannelError)
	})
	t.Cleanup(func() { assertHealthy(t, b) })
}

func TestRawTuneOkLimits(t *testing.T) {
	t.Parallel()
	b := start(t)
	for _, tc := range []struct {
		name string
		tune func(server *wire.ConnectionTune) *wire.ConnectionTuneOk
	}{
		{"frame-max-below-4096", func(s *wire.ConnectionTune) *wire.ConnectionTuneOk {
			return &wire.ConnectionTuneOk{ChannelMax: s.ChannelMax, FrameMax: 1024}
		}},
		{"frame-max-above-server", func(s *wire.ConnectionTune) *wire.ConnectionTuneOk {
			return &wire.ConnectionTuneOk{ChannelMax: s.ChannelMax, FrameMax: s.FrameMax + 1}
		}},
		{"frame-max-zero", func(s *wire.ConnectionTune) *wire.ConnectionTuneOk {
			return &wire.ConnectionTuneOk{ChannelMax: s.ChannelMax, FrameMax: 0}
		}},
		{"channel-max-above-server", func(s *wire.ConnectionTune) *wire.ConnectionTuneOk {
			return &wire.ConnectionTuneOk{ChannelMax: s.ChannelMax + 1, FrameMax: s.FrameMax}
		}},
		{"channel-max-zero", func(s *wire.ConnectionTune) *wire.ConnectionTuneOk {
			return &wire.ConnectionTuneOk{ChannelMax: 0, FrameMax: s.FrameMax}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawDial(t, b)
			tune := c.startHandshake()
			c.sendMethod(0, tc.tune(tune))
			c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
			// RabbitMQ 3.10 logs "failed to negotiate connection
			// parameters" and drops the socket (after 3 s) without a
			// connection.close.
			c.expectEOF()
		})
	}
	t.Run("frame-max-4096-is-fine", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		tune := c.startHandshake()
		c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: 4096})
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
		expectMethod[*wire.ConnectionOpenOk](c, 0)
		c.openChannel(1)
		// A frame over the client's smaller frame_max is now too large.
		c.mustSend(wire.AppendFrame(nil, wire.FrameBody, 1, make([]byte, 5000)))
		c.expectConnectionClose(wire.FrameError)
	})
	t.Cleanup(func() { assertHealthy(t, b) })
}

func TestRawBadCredentials(t *testing.T) {
	t.Parallel()
	b := start(t)
	t.Run("with-authentication-failure-close", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		c.sendMethod(0, rawStartOk("guest", "wrong", rawClientProperties()))
		c.expectConnectionClose(wire.AccessRefused)
	})
	t.Run("unknown-user", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		c.sendMethod(0, rawStartOk("nobody-raw", "guest", rawClientProperties()))
		c.expectConnectionClose(wire.AccessRefused)
	})
	t.Run("without-authentication-failure-close", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		c.sendMethod(0, rawStartOk("guest", "wrong", wire.Table{"product": "old-client"}))
		c.expectEOF()
	})
	t.Run("malformed-plain-response", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		m := rawStartOk("guest", "guest", rawClientProperties())
		m.Response = "guest"
		c.sendMethod(0, m)
		c.expectEOF() // RabbitMQ: a syntax error, not a refused login: no close
	})
	t.Run("unknown-mechanism", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		c.sendHeader()
		expectMethod[*wire.ConnectionStart](c, 0)
		m := rawStartOk("guest", "guest", rawClientProperties())
		m.Mechanism = "NOPE"
		c.sendMethod(0, m)
		c.expectEOF()
	})
	t.Run("unknown-vhost", func(t *testing.T) {
		t.Parallel()
		c := rawDial(t, b)
		tune := c.startHandshake()
		c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax})
		c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "no-such-vhost-raw"})
		c.expectConnectionClose(wire.NotAllowed)
	})
	t.Cleanup(func() { assertHealthy(t, b) })
}

// A peer that connects and then goes quiet is dropped after the handshake
// timeout. Warren only: RabbitMQ's timeout is 10 s, too slow for the suite.
func TestRawHandshakeTimeout(t *testing.T) {
	t.Parallel()
	b := start(t, func(c *warren.Config) { c.HandshakeTimeout = 500 * time.Millisecond })
	for _, tc := range []struct {
		name  string
		steps func(c *rawConn)
	}{
		{"silent", func(*rawConn) {}},
		{"partial-header", func(c *rawConn) { c.mustSend([]byte("AMQ")) }},
		{"header-only", func(c *rawConn) {
			c.sendHeader()
			expectMethod[*wire.ConnectionStart](c, 0)
		}},
		{"after-start-ok", func(c *rawConn) { c.startHandshake() }},
		{"after-tune-ok", func(c *rawConn) {
			tune := c.startHandshake()
			c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := rawDial(t, b)
			begin := time.Now()
			tc.steps(c)
			c.expectEOFWithin(3 * time.Second)
			if d := time.Since(begin); d < 400*time.Millisecond {
				t.Errorf("closed after %v, before the 500ms handshake timeout", d)
			}
		})
	}
	t.Cleanup(func() { assertHealthy(t, b) })
}

// With heartbeat=1 negotiated and nothing sent, the server must drop the
// connection after about two missed intervals.
func TestRawMissedHeartbeats(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpenHeartbeat1(t, b)
	begin := time.Now()
	heartbeats := 0
	for {
		f, err := c.nextFrame(5 * time.Second)
		if err != nil {
			if !rawIsClosed(err) {
				t.Fatalf("want the socket closed, got %v after %v", err, time.Since(begin))
			}
			break
		}
		if f.Type == wire.FrameHeartbeat {
			heartbeats++
			continue
		}
		m, _ := wire.DecodeMethod(f.Payload)
		t.Fatalf("unexpected frame %v after %v", rawMethod{ch: f.Channel, m: m}, time.Since(begin))
	}
	d := time.Since(begin)
	t.Logf("closed after %v; %d heartbeats received", d, heartbeats)
	if d < time.Second || d > 4*time.Second {
		t.Errorf("closed after %v, want 1–4 s for heartbeat=1", d)
	}
	if heartbeats == 0 {
		t.Errorf("the server sent no heartbeats before closing")
	}
	assertHealthy(t, b)
}

// A client that keeps sending heartbeats is not dropped.
func TestRawHeartbeatsKeepAlive(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpenHeartbeat1(t, b)
	for i := 0; i < 8; i++ {
		time.Sleep(400 * time.Millisecond)
		c.mustSend(wire.AppendHeartbeat(nil))
	}
	c.expectAlive()
}

// A client that only publishes (no confirms, so the broker has nothing
// else to say) still gets the broker's heartbeats, and one that holds an
// unacknowledged delivery past the periodic checks stays connected: the
// reader's read deadline, used as a wake-up, must not break reading.
func TestRawHeartbeatsToBusyPublisher(t *testing.T) {
	t.Parallel()
	b := start(t)
	c := rawOpenHeartbeat1(t, b)
	c.sendMethod(1, &wire.ChannelOpen{})
	expectMethod[*wire.ChannelOpenOk](c, 1)
	c.sendMethod(1, &wire.QueueDeclare{Queue: "hb-busy", Exclusive: true})
	expectMethod[*wire.QueueDeclareOk](c, 1)
	c.sendMethod(1, &wire.BasicConsume{Queue: "hb-busy", ConsumerTag: "c"})
	expectMethod[*wire.BasicConsumeOk](c, 1)
	props := (&wire.Properties{}).Append(nil)
	publish := func() {
		var m []byte
		m = wire.AppendMethodFrame(m, 1, &wire.BasicPublish{RoutingKey: "nowhere"})
		m = wire.AppendHeaderFrame(m, 1, wire.ClassBasic, 2, props)
		m = wire.AppendBodyFrames(m, 1, []byte("hi"), 0)
		c.mustSend(m)
	}
	// One delivery, never acknowledged: the connection now has periodic
	// consumer-timeout checks as well.
	var m []byte
	m = wire.AppendMethodFrame(m, 1, &wire.BasicPublish{RoutingKey: "hb-busy"})
	m = wire.AppendHeaderFrame(m, 1, wire.ClassBasic, 2, props)
	m = wire.AppendBodyFrames(m, 1, []byte("hi"), 0)
	c.mustSend(m)
	heartbeats := 0
	deadline := time.Now().Add(3500 * time.Millisecond)
	for time.Now().Before(deadline) {
		publish() // unroutable, not mandatory: the broker answers nothing
		f, err := c.nextFrame(100 * time.Millisecond)
		if err != nil {
			if rawIsClosed(err) {
				t.Fatalf("connection closed after %d heartbeats", heartbeats)
			}
			continue // no frame within 100 ms
		}
		if f.Type == wire.FrameHeartbeat {
			heartbeats++
		}
	}
	if heartbeats < 3 {
		t.Fatalf("%d heartbeats from the broker in 3.5 s at heartbeat=1, want at least 3", heartbeats)
	}
	c.expectAlive()
}

// rawOpenHeartbeat1 opens a raw connection that negotiated heartbeat=1 s.
func rawOpenHeartbeat1(t *testing.T, b *broker) *rawConn {
	t.Helper()
	c := rawDial(t, b)
	tune := c.startHandshake()
	c.sendMethod(0, &wire.ConnectionTuneOk{ChannelMax: tune.ChannelMax, FrameMax: tune.FrameMax, Heartbeat: 1})
	c.sendMethod(0, &wire.ConnectionOpen{VirtualHost: "/"})
	expectMethod[*wire.ConnectionOpenOk](c, 0)
	return c
}
