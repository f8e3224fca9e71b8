package mgmt

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
)

// tableFromJSON turns JSON arguments into an AMQP table the way RabbitMQ
// does: integers become longs, other numbers doubles, strings longstrs,
// lists arrays, objects tables.
func tableFromJSON(v any) (broker.Table, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if len(v) == 0 {
			return nil, nil
		}
		t := make(broker.Table, len(v))
		for k, x := range v {
			val, err := valueFromJSON(x)
			if err != nil {
				return nil, err
			}
			t[k] = val
		}
		return t, nil
	case []any:
		if len(v) == 0 { // RabbitMQ's JSON encodes an empty proplist as []
			return nil, nil
		}
	}
	return nil, fmt.Errorf("arguments must be an object")
}

func valueFromJSON(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		f, err := v.Float64()
		if err != nil {
			return nil, err
		}
		return f, nil
	case float64:
		if v == float64(int64(v)) {
			return int64(v), nil
		}
		return v, nil
	case string, bool, nil:
		return v, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			val, err := valueFromJSON(x)
			if err != nil {
				return nil, err
			}
			out[i] = val
		}
		return out, nil
	case map[string]any:
		t, err := tableFromJSON(v)
		if t == nil && err == nil {
			t = broker.Table{}
		}
		return map[string]any(t), err
	}
	return nil, fmt.Errorf("unsupported argument value %v", v)
}

// jsonTable renders an AMQP table for JSON; never nil, so it encodes as {}.
func jsonTable(t map[string]any) map[string]any {
	out := make(map[string]any, len(t))
	for k, v := range t {
		out[k] = jsonValue(v)
	}
	return out
}

// jsonValue renders one AMQP value: byte arrays as strings, timestamps as
// seconds, decimals as numbers, nested tables as objects.
func jsonValue(v any) any {
	switch v := v.(type) {
	case []byte:
		return string(v)
	case time.Time:
		return v.Unix()
	case wire.Decimal:
		f := float64(v.Value)
		for i := uint8(0); i < v.Scale; i++ {
			f /= 10
		}
		return f
	case wire.Table:
		return jsonTable(v)
	case map[string]any:
		return jsonTable(v)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonValue(x)
		}
		return out
	}
	return v
}

// propertiesKey is RabbitMQ's binding properties_key: the routing key
// URL-quoted (with "~" escaped), plus "~" and a hash of the arguments when
// there are any. RabbitMQ hashes the Erlang term (phash2), which cannot be
// reproduced; clients treat the key as opaque, so any stable hash serves.
func propertiesKey(key string, args map[string]any) string {
	q := strings.ReplaceAll(url.QueryEscape(key), "~", "%7E")
	if len(args) == 0 {
		if key == "" {
			return "~"
		}
		return q
	}
	var b strings.Builder
	canonical(&b, args)
	sum := sha256.Sum256([]byte(b.String()))
	h := base64.RawURLEncoding.EncodeToString(sum[:4])
	return q + "~" + h
}

// canonical writes a deterministic rendering of a value (sorted keys,
// types included).
func canonical(b *strings.Builder, v any) {
	switch v := v.(type) {
	case map[string]any:
		canonicalTable(b, v)
	case wire.Table:
		canonicalTable(b, v)
	case []any:
		b.WriteByte('[')
		for _, x := range v {
			canonical(b, x)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	default:
		fmt.Fprintf(b, "%T:%v", v, v)
	}
}

func canonicalTable(b *strings.Builder, t map[string]any) {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteByte('{')
	for _, k := range keys {
		fmt.Fprintf(b, "%q=", k)
		canonical(b, t[k])
		b.WriteByte(',')
	}
	b.WriteByte('}')
}

// tagsFromJSON accepts RabbitMQ's two forms: a comma-separated string
// (older exports and the HTTP API) or a list (3.9+ exports).
func tagsFromJSON(v any) ([]string, error) {
	var tags []string
	switch v := v.(type) {
	case nil:
	case string:
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("tags must be strings")
			}
			if s = strings.TrimSpace(s); s != "" {
				tags = append(tags, s)
			}
		}
	default:
		return nil, fmt.Errorf("tags must be a string or a list")
	}
	return tags, nil
}

// strList renders tags for JSON; never nil, so it encodes as [].
func strList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
