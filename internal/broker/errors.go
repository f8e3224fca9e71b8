package broker

import "fmt"

// Reply codes the core reports. They are AMQP's because RabbitMQ's semantics
// are the contract; other protocol adapters map them to their own errors.
const (
	CodeAccessRefused      = 403
	CodeNotFound           = 404
	CodeResourceLocked     = 405
	CodePreconditionFailed = 406
	CodeCommandInvalid     = 503
	CodeNotAllowed         = 530
	CodeNotImplemented     = 540
	CodeInternalError      = 541
)

// Error is a broker operation's failure: a reply code and RabbitMQ's text
// (without the code-name prefix, which the adapter adds).
type Error struct {
	Code uint16
	Text string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Text) }

func errorf(code uint16, format string, args ...any) *Error {
	return &Error{Code: code, Text: fmt.Sprintf(format, args...)}
}

func errNoQueue(vhost, name string) *Error {
	return errorf(CodeNotFound, "no queue '%s' in vhost '%s'", name, vhost)
}

func errNoExchange(vhost, name string) *Error {
	return errorf(CodeNotFound, "no exchange '%s' in vhost '%s'", name, vhost)
}

func errLocked(vhost, name string) *Error {
	return errorf(CodeResourceLocked, "cannot obtain exclusive access to locked queue '%s' in vhost '%s'. "+
		"It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.", name, vhost)
}

func errInequivalent(arg, kind, name, vhost, received, current string) *Error {
	return errorf(CodePreconditionFailed, "inequivalent arg '%s' for %s '%s' in vhost '%s': received '%s' but current is '%s'",
		arg, kind, name, vhost, received, current)
}
