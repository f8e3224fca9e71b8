package e2e

import (
	"errors"
	"fmt"
	neturl "net/url"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// mURL returns the broker's URL with user info and vhost replaced.
func mURL(t *testing.T, b *broker, user *neturl.Userinfo, vhost string) string {
	t.Helper()
	u, err := neturl.Parse(b.url)
	must(t, err)
	u.User = user
	u.Path = "/" + vhost
	u.RawPath = "/" + neturl.PathEscape(vhost)
	return u.String()
}

func TestModelConnectionWrongPassword(t *testing.T) {
	b := mStart(t)
	for _, user := range []*neturl.Userinfo{
		neturl.UserPassword("guest", "wrong"),
		neturl.UserPassword("no-such-user", "guest"),
	} {
		t.Run(user.Username(), func(t *testing.T) {
			t.Parallel() // RabbitMQ delays the refusal by 3 s
			c, err := amqp.Dial(mURL(t, b, user, ""))
			if err == nil {
				c.Close()
				t.Fatalf("%s: connected with bad credentials", user)
			}
			// A 403: amqp091-go's ErrCredentials when the broker drops the
			// socket (RabbitMQ 3.10, after 3 s), or the broker's own
			// connection.close 403 if it sends one.
			e := mErr(t, err, amqp.AccessRefused, "")
			if !errors.Is(err, amqp.ErrCredentials) && e.Reason != "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile." {
				t.Fatalf("%v", err)
			}
		})
	}
	// The right password still works.
	mAlive(t, b.dial(t))
}

func TestModelConnectionMissingVhost(t *testing.T) {
	b := mStart(t)
	vhost := mName(t, "vhost")
	c, err := amqp.Dial(mURL(t, b, neturl.UserPassword("guest", "guest"), vhost))
	if err == nil {
		c.Close()
		t.Fatal("connected to a missing vhost")
	}
	mErr(t, err, amqp.NotAllowed, fmt.Sprintf("NOT_ALLOWED - vhost %s not found", vhost))
}

func TestModelConnectionChannelMax(t *testing.T) {
	b := mStart(t)
	c, err := amqp.DialConfig(b.url, amqp.Config{ChannelMax: 5})
	must(t, err)
	defer c.Close()
	if c.Config.ChannelMax != 5 {
		t.Fatalf("negotiated channel max %d, want 5", c.Config.ChannelMax)
	}
	var chans []*amqp.Channel
	for i := 1; i <= 5; i++ {
		ch, err := c.Channel()
		if err != nil {
			t.Fatalf("channel %d of 5: %v", i, err)
		}
		chans = append(chans, ch)
	}
	if _, err := c.Channel(); !errors.Is(err, amqp.ErrChannelMax) {
		t.Fatalf("channel 6 of 5: %v, want %v", err, amqp.ErrChannelMax)
	}
	// Closing one frees its number.
	must(t, chans[2].Close())
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
}

// The server enforces the channel_max the client chose in tune-ok.
func TestModelConnectionChannelMaxServer(t *testing.T) {
	b := mStart(t)
	r, tune := mRawOpen(t, b, 5)
	if tune.ChannelMax == 0 || tune.ChannelMax < 5 {
		t.Fatalf("server proposed channel_max %d", tune.ChannelMax)
	}
	for ch := uint16(1); ch <= 5; ch++ {
		r.method(ch, &wire.ChannelOpen{})
		mRawExpect[*wire.ChannelOpenOk](r, ch)
	}
	r.method(6, &wire.ChannelOpen{})
	cl := mRawExpect[*wire.ConnectionClose](r, 0)
	if want := "NOT_ALLOWED - number of channels opened (5) has reached the negotiated channel_max (5)"; cl.ReplyCode != amqp.NotAllowed || cl.ReplyText != want {
		t.Fatalf("channel 6 of 5: connection.close %d %q, want 530 %q", cl.ReplyCode, cl.ReplyText, want)
	}
}

func TestModelConnectionHeartbeat(t *testing.T) {
	b := mStart(t)
	c, err := amqp.DialConfig(b.url, amqp.Config{Heartbeat: time.Second})
	must(t, err)
	defer c.Close()
	if c.Config.Heartbeat != time.Second {
		t.Fatalf("negotiated heartbeat %v, want 1s", c.Config.Heartbeat)
	}
	closes := c.NotifyClose(make(chan *amqp.Error, 1))
	// Idle for three heartbeat intervals: with heartbeats flowing both ways
	// neither side may give up on the other.
	select {
	case e := <-closes:
		t.Fatalf("idle connection closed: %v", e)
	case <-time.After(3 * time.Second):
	}
	mAlive(t, c)
}

// The server proposes RabbitMQ's default limits in connection.tune.
func TestModelConnectionTuneDefaults(t *testing.T) {
	b := mStart(t)
	_, tune := mRawOpen(t, b, 0)
	if tune.ChannelMax != 2047 || tune.FrameMax != 131072 || tune.Heartbeat != 60 {
		t.Fatalf("tune %+v, want channel_max 2047 frame_max 131072 heartbeat 60", *tune)
	}
	// amqp091-go asks for a 10 s heartbeat; the lower value wins.
	c := b.dial(t)
	if c.Config.Heartbeat != 10*time.Second || c.Config.ChannelMax != 2047 || c.Config.FrameSize != 131072 {
		t.Fatalf("negotiated heartbeat %v channel max %d frame size %d", c.Config.Heartbeat, c.Config.ChannelMax, c.Config.FrameSize)
	}
}
