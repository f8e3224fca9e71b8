package broker

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Queue types as RabbitMQ names them in x-queue-type.
const (
	TypeClassic = "classic"
	TypeQuorum  = "quorum"
	TypeStream  = "stream"
)

// queueType returns a declare's x-queue-type ("classic" when absent,
// empty or not a string; parseQueueArgs rejects the last two).
func queueType(args Table) string {
	if t, ok := argString(args["x-queue-type"]); ok && t != "" {
		return t
	}
	return TypeClassic
}

// Type is the queue's x-queue-type, "classic" without one. Quorum queues
// are served by the classic engine with quorum rules where clients see
// them; tools and definitions expect the type the queue was declared with.
func (q *Queue) Type() string { return q.typ }

// streamArgsRefused are the arguments RabbitMQ 3.10 refuses on a stream
// ("invalid arg ... of queue type rabbit_stream_queue"). Others unknown to
// it are ignored, as everywhere.
var streamArgsRefused = []string{
	"x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
	"x-max-length", "x-max-priority", "x-overflow", "x-queue-mode", "x-queue-version",
	"x-single-active-consumer", "x-delivery-limit", "x-dead-letter-strategy",
	"x-max-in-memory-length", "x-max-in-memory-bytes", "x-quorum-initial-group-size",
	"x-consumer-timeout",
}

// IsQuorum reports whether the queue was declared x-queue-type=quorum
// (served by the classic implementation, with quorum semantics where
// clients see them).
func (q *Queue) IsQuorum() bool { return q.typ == TypeQuorum }

// quorumArgsRefused are the arguments RabbitMQ 3.10 refuses on a quorum
// queue.
var quorumArgsRefused = []string{"x-max-priority", "x-queue-mode", "x-queue-master-locator"}

// streamArgsChecked are the stream arguments a redeclare must repeat.
var streamArgsChecked = []string{"x-max-age", "x-stream-max-segment-size-bytes", "x-max-length-bytes"}

// checkQueueType refuses what a queue's type does not allow: quorum
// queues and streams are always durable, never exclusive or auto-delete,
// and streams take only their own arguments; RabbitMQ's texts.
func checkQueueType(s QueueSpec, vhost string) error {
	t := queueType(s.Args)
	if t != TypeQuorum && t != TypeStream {
		return nil
	}
	prop := func(p string) error {
		return errorf(CodePreconditionFailed, "invalid property '%s' for queue '%s' in vhost '%s'", p, s.Name, vhost)
	}
	switch { // in RabbitMQ's order, for a declare with several wrong
	case s.AutoDelete:
		return prop("auto-delete")
	case s.Exclusive:
		return prop("exclusive-owner")
	case !s.Durable:
		return prop("non-durable")
	}
	if t == TypeQuorum {
		for _, k := range quorumArgsRefused {
			if _, ok := s.Args[k]; ok {
				return errorf(CodePreconditionFailed, "invalid arg '%s' for queue '%s' in vhost '%s' of queue type rabbit_quorum_queue", k, s.Name, vhost)
			}
		}
		return nil
	}
	for _, k := range streamArgsRefused {
		if _, ok := s.Args[k]; ok {
			return errorf(CodePreconditionFailed, "invalid arg '%s' for queue '%s' in vhost '%s' of queue type rabbit_stream_queue", k, s.Name, vhost)
		}
	}
	_, err := streamConfig(s.Name, vhost, s.Args)
	return err
}

// streamConfig is a stream's configuration from its arguments: retention
// (maxLengthBytes, maxAge) and segment size; a stream has no other.
func streamConfig(name, vhost string, args Table) (queueConfig, error) {
	cfg, _ := parseQueueArgs(name, vhost, nil) // the defaults: no limits
	bad := func(arg, why string) error {
		return errorf(CodePreconditionFailed, "invalid arg '%s' for queue '%s' in vhost '%s': %s", arg, name, vhost, why)
	}
	if v, ok := args["x-max-age"]; ok {
		str, isStr := argString(v)
		if !isStr {
			return cfg, bad("x-max-age", fmt.Sprintf("{unacceptable_type,%s}", argTypeName(v)))
		}
		d, ok := parseStreamAge(str)
		if !ok {
			return cfg, bad("x-max-age", fmt.Sprintf("{invalid_max_age,%q}", str))
		}
		cfg.maxAge = d.Milliseconds()
	}
	for _, a := range []struct {
		key string
		dst *int64
	}{{"x-max-length-bytes", &cfg.maxLengthBytes}, {"x-stream-max-segment-size-bytes", &cfg.segSize}} {
		v, ok := args[a.key]
		if !ok {
			continue
		}
		n, isInt := toInt64(v)
		if !isInt {
			return cfg, bad(a.key, fmt.Sprintf("{unacceptable_type,%s}", argTypeName(v)))
		}
		if n < 0 {
			return cfg, bad(a.key, fmt.Sprintf("{value_negative,%d}", n))
		}
		*a.dst = n
	}
	return cfg, nil
}

// argsConfig is a queue's configuration from its arguments alone, as its
// type reads them.
func argsConfig(name, vhost string, args Table) (queueConfig, error) {
	if queueType(args) == TypeStream {
		return streamConfig(name, vhost, args)
	}
	return parseQueueArgs(name, vhost, args)
}

func argString(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// parseStreamAge reads RabbitMQ's age and interval syntax: a positive
// integer and one unit of Y, M, D, h, m or s ("7D", "12h", "30s"), as in
// x-max-age and the x-stream-offset interval form.
func parseStreamAge(s string) (time.Duration, bool) {
	if len(s) < 2 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
	if err != nil || n < 0 || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'Y':
		unit = 365 * 24 * time.Hour
	case 'M':
		unit = 30 * 24 * time.Hour
	case 'D':
		unit = 24 * time.Hour
	case 'h':
		unit = time.Hour
	case 'm':
		unit = time.Minute
	case 's':
		unit = time.Second
	default:
		return 0, false
	}
	if n > int64(1<<62)/int64(unit) {
		return 0, false
	}
	return time.Duration(n) * unit, true
}

// streamStartLocked resolves a consumer's x-stream-offset to the offset of
// its first delivery: "first", "last" (the newest message), "next" or
// absent (what is published from now on), an integer offset (below the
// first retained: the first; beyond the end: waits for it), a timestamp,
// or an interval back from now ("1h"), the last two meaning the first
// message enqueued at or after that time.
func (q *Queue) streamStartLocked(v any, has bool) (uint64, error) {
	s := q.stream
	if !has {
		return s.end(), nil
	}
	bad := func() error {
		return errorf(CodePreconditionFailed, "invalid arg 'x-stream-offset' for queue '%s' in vhost '%s': {unacceptable_offset,%s}",
			q.name, q.vhost.name, argTypeName(v))
	}
	switch x := v.(type) {
	case time.Time:
		return s.offsetAt(x.UnixMilli()), nil
	case string, []byte:
		str, _ := argString(x)
		switch str {
		case "first":
			return s.first, nil
		case "last":
			if len(s.idx) == 0 {
				return s.end(), nil
			}
			return s.end() - 1, nil
		case "next":
			return s.end(), nil
		}
		d, ok := parseStreamAge(str)
		if !ok {
			return 0, bad()
		}
		return s.offsetAt(nowMs(q.vhost.broker) - d.Milliseconds()), nil
	}
	n, ok := toInt64(v)
	if !ok {
		return 0, bad()
	}
	if n < 0 || uint64(n) < s.first {
		return s.first, nil
	}
	return uint64(n), nil
}

// offsetAt is the offset of the first message enqueued at or after ms, or
// the end when none was.
func (s *streamState) offsetAt(ms int64) uint64 {
	i := sort.Search(len(s.idx), func(i int) bool { return s.idx[i].ts >= ms })
	return s.first + uint64(i)
}
