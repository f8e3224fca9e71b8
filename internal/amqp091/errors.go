package amqp091

import (
	"errors"
	"fmt"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
)

// amqpError is a protocol exception: a channel or connection close with a
// reply code, RabbitMQ-style text and the method that caused it.
type amqpError struct {
	code     uint16
	text     string
	classID  uint16
	methodID uint16
}

func (e *amqpError) Error() string { return fmt.Sprintf("%d %s", e.code, e.text) }

// hard reports whether the error closes the connection (AMQP's hard-error
// class) rather than only the channel.
func (e *amqpError) hard() bool { return wire.IsHardError(e.code) }

func newErr(code uint16, format string, args ...any) *amqpError {
	return &amqpError{code: code, text: codeName(code) + " - " + fmt.Sprintf(format, args...)}
}

// fromBroker converts a core error into a protocol error for method m.
func fromBroker(err error, m wire.Method) *amqpError {
	var be *broker.Error
	if errors.As(err, &be) {
		e := &amqpError{code: be.Code, text: codeName(be.Code) + " - " + be.Text}
		if m != nil {
			e.classID, e.methodID = m.ClassID(), m.MethodID()
		}
		return e
	}
	var ae *amqpError
	if errors.As(err, &ae) {
		return ae
	}
	e := newErr(wire.InternalError, "%v", err)
	if m != nil {
		e.classID, e.methodID = m.ClassID(), m.MethodID()
	}
	return e
}

func (e *amqpError) on(m wire.Method) *amqpError {
	if m != nil {
		e.classID, e.methodID = m.ClassID(), m.MethodID()
	}
	return e
}

func codeName(code uint16) string {
	switch code {
	case wire.ReplySuccess:
		return "OK"
	case wire.ContentTooLarge:
		return "CONTENT_TOO_LARGE"
	case wire.NoRoute:
		return "NO_ROUTE"
	case wire.NoConsumers:
		return "NO_CONSUMERS"
	case wire.ConnectionForced:
		return "CONNECTION_FORCED"
	case wire.InvalidPath:
		return "INVALID_PATH"
	case wire.AccessRefused:
		return "ACCESS_REFUSED"
	case wire.NotFound:
		return "NOT_FOUND"
	case wire.ResourceLocked:
		return "RESOURCE_LOCKED"
	case wire.PreconditionFailed:
		return "PRECONDITION_FAILED"
	case wire.FrameError:
		return "FRAME_ERROR"
	case wire.SyntaxError:
		return "SYNTAX_ERROR"
	case wire.CommandInvalid:
		return "COMMAND_INVALID"
	case wire.ChannelError:
		return "CHANNEL_ERROR"
	case wire.UnexpectedFrame:
		return "UNEXPECTED_FRAME"
	case wire.ResourceError:
		return "RESOURCE_ERROR"
	case wire.NotAllowed:
		return "NOT_ALLOWED"
	case wire.NotImplemented:
		return "NOT_IMPLEMENTED"
	case wire.InternalError:
		return "INTERNAL_ERROR"
	}
	return "ERROR"
}
