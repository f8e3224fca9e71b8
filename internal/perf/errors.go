package perf

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// replyNames are the AMQP 0-9-1 reply codes by their spec names, which is
// what people search for ("ACCESS_REFUSED"), not the numbers.
var replyNames = map[int]string{
	200: "REPLY_SUCCESS", 311: "CONTENT_TOO_LARGE", 312: "NO_ROUTE", 313: "NO_CONSUMERS",
	320: "CONNECTION_FORCED", 402: "INVALID_PATH", 403: "ACCESS_REFUSED", 404: "NOT_FOUND",
	405: "RESOURCE_LOCKED", 406: "PRECONDITION_FAILED", 501: "FRAME_ERROR", 502: "SYNTAX_ERROR",
	503: "COMMAND_INVALID", 504: "CHANNEL_ERROR", 505: "UNEXPECTED_FRAME", 506: "RESOURCE_ERROR",
	530: "NOT_ALLOWED", 540: "NOT_IMPLEMENTED", 541: "INTERNAL_ERROR",
}

// RedactURI hides the password of an AMQP URI so it can be printed.
func RedactURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	return u.Redacted()
}

// describeAMQP renders a broker error as "ACCESS_REFUSED (403): reason".
func describeAMQP(e *amqp.Error) string {
	name := replyNames[e.Code]
	if name == "" {
		name = "reply code"
	}
	return fmt.Sprintf("%s (%d): %s", name, e.Code, e.Reason)
}

// dialError explains why a connection could not be opened, naming the
// URI without its password.
func dialError(uri string, err error) error {
	where := RedactURI(uri)
	var ae *amqp.Error
	var ne net.Error
	switch {
	case errors.As(err, &ae) && ae.Code == amqp.AccessRefused:
		return fmt.Errorf("connecting to %s: %s (check the user name and password in --uri, and the user's access to the virtual host)", where, describeAMQP(ae))
	case errors.As(err, &ae):
		return fmt.Errorf("connecting to %s: %s", where, describeAMQP(ae))
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("connecting to %s: connection refused (is the broker running and listening on that port?)", where)
	case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("connecting to %s: timed out (see --connect-timeout): %v", where, err)
	case errors.Is(err, amqp.ErrSyntax), errors.Is(err, amqp.ErrCredentials):
		return fmt.Errorf("connecting to %s: %v", where, err)
	}
	return fmt.Errorf("connecting to %s: %v", where, err)
}

// closedError explains a connection or channel closed by the broker.
func closedError(what string, e *amqp.Error) error {
	if e == nil {
		return fmt.Errorf("%s closed", what)
	}
	if e.Server {
		return fmt.Errorf("%s closed by the broker: %s", what, describeAMQP(e))
	}
	if e.Code == amqp.FrameError {
		// Not a reply from the broker: the socket ended or broke (the
		// client libraries file that under 501).
		return fmt.Errorf("%s closed: the connection to the broker was lost (%s)", what, e.Reason)
	}
	return fmt.Errorf("%s closed: %s", what, describeAMQP(e))
}

// opError wraps the error of a declaration or other call on a channel.
func opError(op string, err error) error {
	var ae *amqp.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: %s", op, describeAMQP(ae))
	}
	return fmt.Errorf("%s: %w", op, err)
}

// ErrorEntry is one kind of error seen during the run.
type ErrorEntry struct {
	Message string  `json:"message"`
	Count   int     `json:"count"`
	First   float64 `json:"first_s"` // seconds since the start
	Last    float64 `json:"last_s"`
	Fatal   bool    `json:"fatal"`
}

// errorLog counts errors by message for the summary and report; the
// first of each kind is printed at once, repeats only counted, so a churn
// test that fails a thousand times does not flood the terminal.
type errorLog struct {
	mu      sync.Mutex
	start   time.Time
	entries map[string]*ErrorEntry
	print   func(msg string, fatal bool)
}

func newErrorLog(start time.Time, print func(msg string, fatal bool)) *errorLog {
	return &errorLog{start: start, entries: map[string]*ErrorEntry{}, print: print}
}

func (l *errorLog) add(err error, fatal bool) {
	msg := err.Error()
	l.mu.Lock()
	t := time.Since(l.start).Seconds()
	e := l.entries[msg]
	first := e == nil
	if first {
		e = &ErrorEntry{Message: msg, First: t}
		l.entries[msg] = e
	}
	e.Count++
	e.Last = t
	e.Fatal = e.Fatal || fatal
	l.mu.Unlock()
	if first && l.print != nil {
		l.print(msg, fatal)
	}
}

// restart moves time zero to the start of the load (after the setup).
func (l *errorLog) restart(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.entries {
		e.First, e.Last = e.First-t.Sub(l.start).Seconds(), e.Last-t.Sub(l.start).Seconds()
	}
	l.start = t
}

func (l *errorLog) list() []ErrorEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]ErrorEntry, 0, len(l.entries))
	for _, e := range l.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].First < out[j].First })
	return out
}
