package broker

import "fmt"

// queueConfig is a queue's behaviour from its x-arguments (and, later,
// policies), parsed and validated once at declare.
type queueConfig struct {
	messageTTL     int64 // ms; -1 none
	expires        int64 // ms; -1 none
	maxLength      int64 // messages; -1 none
	maxLengthBytes int64 // bytes; -1 none
	overflow       string
	dlx            string // dead-letter exchange
	hasDLX         bool
	dlrk           string // dead-letter routing key
	hasDLRK        bool
	maxPriority    int   // 0 none
	deliveryLimit  int64 // -1 none
	single         bool  // single active consumer
	consumerTO     int64 // ms; -1: the broker default
	// Streams only: retention by age (ms; -1 none) and the log's segment
	// size (bytes; -1: the store's). A stream's x-max-length-bytes is
	// maxLengthBytes.
	maxAge  int64
	segSize int64
}

// Overflow behaviours.
const (
	OverflowDropHead         = "drop-head"
	OverflowRejectPublish    = "reject-publish"
	OverflowRejectPublishDLX = "reject-publish-dlx"
)

// parseQueueArgs validates a queue's arguments as RabbitMQ does, with its
// error text ("invalid arg 'x-message-ttl' for queue 'q' in vhost '/':
// {value_negative,-1}").
func parseQueueArgs(name, vhost string, args Table) (queueConfig, error) {
	c := queueConfig{messageTTL: -1, expires: -1, maxLength: -1, maxLengthBytes: -1,
		overflow: OverflowDropHead, deliveryLimit: -1, consumerTO: -1, maxAge: -1, segSize: -1}
	bad := func(arg, why string) error {
		return errorf(CodePreconditionFailed, "invalid arg '%s' for queue '%s' in vhost '%s': %s", arg, name, vhost, why)
	}
	intArg := func(arg string, min int64, dst *int64) error {
		v, ok := args[arg]
		if !ok {
			return nil
		}
		n, ok := toInt64(v)
		if !ok {
			return bad(arg, fmt.Sprintf("\"expected integer, got %s\"", argTypeName(v)))
		}
		if n < min {
			if n == 0 {
				return bad(arg, "{value_zero,0}")
			}
			return bad(arg, fmt.Sprintf("{value_negative,%d}", n))
		}
		*dst = n
		return nil
	}
	strArg := func(arg string, dst *string, has *bool) error {
		v, ok := args[arg]
		if !ok {
			return nil
		}
		switch s := v.(type) {
		case string:
			*dst = s
		case []byte:
			*dst = string(s)
		default:
			return bad(arg, fmt.Sprintf("\"expected string, got %s\"", argTypeName(v)))
		}
		if has != nil {
			*has = true
		}
		return nil
	}
	var prio int64
	for _, err := range []error{
		intArg("x-message-ttl", 0, &c.messageTTL),
		intArg("x-expires", 1, &c.expires),
		intArg("x-max-length", 0, &c.maxLength),
		intArg("x-max-length-bytes", 0, &c.maxLengthBytes),
		intArg("x-delivery-limit", 0, &c.deliveryLimit),
		intArg("x-consumer-timeout", 1, &c.consumerTO),
		intArg("x-max-priority", 0, &prio),
		strArg("x-overflow", &c.overflow, nil),
		strArg("x-dead-letter-exchange", &c.dlx, &c.hasDLX),
		strArg("x-dead-letter-routing-key", &c.dlrk, &c.hasDLRK),
	} {
		if err != nil {
			return c, err
		}
	}
	switch c.overflow {
	case OverflowDropHead, OverflowRejectPublish, OverflowRejectPublishDLX:
	default:
		return c, bad("x-overflow", "invalid_overflow")
	}
	if prio > 255 {
		return c, bad("x-max-priority", fmt.Sprintf("{value_too_large,%d,255}", prio))
	}
	c.maxPriority = int(prio)
	if v, ok := args["x-single-active-consumer"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return c, bad("x-single-active-consumer", fmt.Sprintf("\"expected bool, got %s\"", argTypeName(v)))
		}
		c.single = b
	}
	if v, ok := args["x-queue-type"]; ok {
		// Every type RabbitMQ knows is served by Warren's one queue
		// implementation; anything else is refused as RabbitMQ does.
		var t string
		switch s := v.(type) {
		case string:
			t = s
		case []byte:
			t = string(s)
		default:
			return c, bad("x-queue-type", fmt.Sprintf("{unacceptable_type,%s}", argTypeName(v)))
		}
		switch t {
		case "classic", "quorum", "stream":
		default:
			return c, bad("x-queue-type", fmt.Sprintf("\"unsupported queue type '%s'\"", t))
		}
	}
	if c.hasDLRK && !c.hasDLX {
		return c, errorf(CodePreconditionFailed, "invalid arg 'x-dead-letter-routing-key' for queue '%s' in vhost '%s': {missing_dead_letter_exchange}", name, vhost)
	}
	return c, nil
}

// DeliveryLimit returns the queue's effective delivery limit, or -1. It
// takes no lock (adapters call it while the queue delivers).
func (q *Queue) DeliveryLimit() int64 { return q.deliveryLimit.Load() }

// ConsumerTimeout returns the queue's consumer timeout in ms, or -1 for
// the broker default. It takes no lock.
func (q *Queue) ConsumerTimeout() int64 { return q.consumerTO.Load() }

// setCfgLocked installs an effective configuration, mirroring what
// adapters read without the lock.
func (q *Queue) setCfgLocked(c queueConfig) {
	q.cfg = c
	q.deliveryLimit.Store(c.deliveryLimit)
	q.consumerTO.Store(c.consumerTO)
}
