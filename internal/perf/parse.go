package perf

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// parseSeconds reads PerfTest's plain seconds ("10", "0.5") and also Go
// durations ("1m30s") for convenience.
func parseSeconds(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return 0, fmt.Errorf("negative duration %q", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither seconds nor a duration like 1m30s", s)
	}
	return d, nil
}

// parseStep reads VALUE:SECONDS (--variable-rate, --variable-size).
func parseStep(s string) (Step, error) {
	v, d, ok := strings.Cut(s, ":")
	if !ok {
		return Step{}, fmt.Errorf("%q: want VALUE:SECONDS, e.g. 100:60", s)
	}
	val, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || val < 0 {
		return Step{}, fmt.Errorf("%q: value must be a number >= 0", s)
	}
	dur, err := parseSeconds(strings.TrimSpace(d))
	if err != nil || dur <= 0 {
		return Step{}, fmt.Errorf("%q: duration must be > 0 seconds", s)
	}
	return Step{Value: val, Duration: dur}, nil
}

// parseSizeList reads --body-size-list "100:50,1000:50": sizes in bytes
// with relative weights (a missing weight counts 1).
func parseSizeList(s string) ([]WeightedSize, error) {
	var out []WeightedSize
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		sz, wt, hasWeight := strings.Cut(item, ":")
		size, err := strconv.Atoi(strings.TrimSpace(sz))
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%q: size must be an integer >= 0", item)
		}
		weight := 1
		if hasWeight {
			if weight, err = strconv.Atoi(strings.TrimSpace(wt)); err != nil || weight <= 0 {
				return nil, fmt.Errorf("%q: weight must be an integer > 0", item)
			}
		}
		out = append(out, WeightedSize{Size: size, Weight: weight})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty size list")
	}
	return out, nil
}

// parseTable reads key=value pairs separated by commas, as PerfTest's
// --queue-args: integers become integers (x-max-length must be a number
// to the broker), true/false booleans, anything else a string.
func parseTable(s string, into amqp.Table) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("%q: want key=value", item)
		}
		into[strings.TrimSpace(k)] = typedValue(strings.TrimSpace(v))
	}
	return nil
}

func typedValue(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if b, err := strconv.ParseBool(v); err == nil && (v == "true" || v == "false") {
		return b
	}
	return v
}

// applyProperty sets one --message-properties key on p. The keys are
// PerfTest's (the AMQP basic properties in camelCase); any other key
// becomes a header.
func applyProperty(p *amqp.Publishing, key, val string) error {
	num := func() (int64, error) { return strconv.ParseInt(val, 10, 64) }
	switch key {
	case "contentType":
		p.ContentType = val
	case "contentEncoding":
		p.ContentEncoding = val
	case "deliveryMode":
		n, err := num()
		if err != nil || (n != 1 && n != 2) {
			return fmt.Errorf("deliveryMode must be 1 or 2")
		}
		p.DeliveryMode = uint8(n)
	case "priority":
		n, err := num()
		if err != nil || n < 0 || n > 255 {
			return fmt.Errorf("priority must be within 0..255")
		}
		p.Priority = uint8(n)
	case "correlationId":
		p.CorrelationId = val
	case "replyTo":
		p.ReplyTo = val
	case "expiration":
		p.Expiration = val
	case "messageId":
		p.MessageId = val
	case "timestamp":
		t, err := time.Parse(time.RFC3339, val)
		if err != nil {
			n, nerr := num()
			if nerr != nil {
				return fmt.Errorf("timestamp must be RFC 3339 or Unix seconds")
			}
			t = time.Unix(n, 0)
		}
		p.Timestamp = t
	case "type":
		p.Type = val
	case "userId":
		p.UserId = val
	case "appId":
		p.AppId = val
	default:
		if p.Headers == nil {
			p.Headers = amqp.Table{}
		}
		p.Headers[key] = typedValue(val)
	}
	return nil
}

// parseProperties reads --message-properties "priority=5,appId=perf".
func parseProperties(s string, p *amqp.Publishing) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("%q: want key=value", item)
		}
		if err := applyProperty(p, strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("%q: %w", item, err)
		}
	}
	return nil
}

// parseRate reads --churn-rate "50" or "50/s".
func parseRate(s string) (float64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "/s")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q: want operations per second, e.g. 50 or 50/s", s)
	}
	return f, nil
}
