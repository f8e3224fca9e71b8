package amqp091

import (
	"errors"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// channelError ties a protocol error to the channel it happened on, so a
// soft error closes only that channel.
type channelError struct {
	ch  *channel
	err *amqpError
}

func (e *channelError) Error() string { return e.err.Error() }

// frame dispatches one inbound frame.
func (c *conn) frame(f wire.Frame) error {
	switch f.Type {
	case wire.FrameHeartbeat:
		if f.Channel != 0 {
			return newErr(wire.UnexpectedFrame, "heartbeat frame on non-zero channel %d", f.Channel)
		}
		if len(f.Payload) != 0 {
			return newErr(wire.FrameError, "heartbeat frame with a payload of %d bytes", len(f.Payload))
		}
		return nil
	case wire.FrameMethod:
		if f.Channel != 0 && c.state == stateRunning {
			// basic.publish, the one method sent per message, decodes
			// into the channel's reused struct without allocating.
			if ch := c.channels[f.Channel]; ch != nil {
				if ok, err := wire.DecodeBasicPublishInto(f.Payload, &ch.pubMethod); ok {
					if err != nil {
						return decodeError(err)
					}
					return c.publishMethod(ch, &ch.pubMethod)
				}
			}
		}
		m, err := wire.DecodeMethod(f.Payload)
		if err != nil {
			return decodeError(err)
		}
		panicHook(m)
		if f.Channel == 0 {
			if m.ClassID() != wire.ClassConnection {
				return newErr(wire.ChannelError, "method %s is not allowed on channel 0", m.Name()).on(m)
			}
			return c.connectionMethod(m)
		}
		if c.state != stateRunning {
			return newErr(wire.UnexpectedFrame, "channel %d used before connection.open", f.Channel).on(m)
		}
		if m.ClassID() == wire.ClassConnection {
			return newErr(wire.CommandInvalid, "connection method %s on channel %d", m.Name(), f.Channel).on(m)
		}
		if _, ok := m.(*wire.BasicPublish); ok {
			if err := c.waitAlarms(); err != nil {
				return err
			}
		}
		ch := c.channels[f.Channel]
		if ch == nil {
			switch m := m.(type) {
			case *wire.ChannelOpen:
				return c.openChannel(f.Channel, m)
			case *wire.ChannelCloseOk:
				return nil // late close-ok for a channel already gone
			}
			return newErr(wire.ChannelError, "expected 'channel.open' on channel %d", f.Channel).on(m)
		}
		return c.wrap(ch, ch.method(m))
	case wire.FrameHeader, wire.FrameBody:
		if c.state != stateRunning || f.Channel == 0 {
			return newErr(wire.UnexpectedFrame, "content frame on channel %d", f.Channel)
		}
		ch := c.channels[f.Channel]
		if ch == nil {
			return newErr(wire.ChannelError, "expected 'channel.open' on channel %d", f.Channel)
		}
		return c.wrap(ch, ch.content(f))
	}
	return newErr(wire.FrameError, "unknown frame type %d", f.Type)
}

// publishMethod handles a basic.publish on an open channel: a publisher
// waits here while a resource alarm is raised.
func (c *conn) publishMethod(ch *channel, m *wire.BasicPublish) error {
	panicHook(m)
	if err := c.waitAlarms(); err != nil {
		return err
	}
	return c.wrap(ch, ch.method(m))
}

// waitAlarms blocks the connection while a resource alarm is raised.
func (c *conn) waitAlarms() error {
	if c.cfg().Alarms == nil {
		return nil
	}
	if cleared, rs := c.cfg().Alarms.Active(); cleared != nil {
		return c.blockUntil(cleared, rs)
	}
	return nil
}

func (c *conn) wrap(ch *channel, err error) error {
	if err == nil || err == errConnDone {
		return err
	}
	var ae *amqpError
	if !errors.As(err, &ae) {
		ae = fromBroker(err, nil)
	}
	return &channelError{ch: ch, err: ae}
}

// decodeError maps codec errors to RabbitMQ's replies.
func decodeError(err error) error {
	var um *wire.UnknownMethodError
	if errors.As(err, &um) {
		// RabbitMQ drops the socket here (its decoder crashes); the spec's
		// answer for functionality the server lacks is 540.
		e := newErr(wire.NotImplemented, "unknown method class %d method %d", um.ClassID, um.MethodID)
		e.classID, e.methodID = um.ClassID, um.MethodID
		return e
	}
	// A method frame whose arguments do not parse is a framing error to
	// RabbitMQ (501), not 502.
	return newErr(wire.FrameError, "malformed method frame: %v", err)
}

func (c *conn) openChannel(id uint16, m *wire.ChannelOpen) error {
	if err := c.checkChannelLimit(); err != nil {
		return err.(*amqpError).on(m)
	}
	// RabbitMQ limits how many channels are open, not their numbers.
	if len(c.channels) >= int(c.channelMax) {
		return newErr(wire.NotAllowed, "number of channels opened (%d) has reached the negotiated channel_max (%d)", len(c.channels), c.channelMax).on(m)
	}
	ch := newChannel(c, id)
	c.channels[id] = ch
	c.infoChannelOpened(ch)
	c.send(id, &wire.ChannelOpenOk{})
	return nil
}
