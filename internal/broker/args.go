package broker

import (
	"fmt"
	"reflect"
	"slices"
	"time"
)

// The arguments RabbitMQ compares on a redeclare; others are ignored, as
// there, so clients that add informational arguments still redeclare.
var (
	queueArgsChecked = []string{
		"x-expires", "x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key",
		"x-max-length", "x-max-length-bytes", "x-max-priority", "x-overflow", "x-queue-mode",
		"x-single-active-consumer", "x-queue-type", "x-delivery-limit", "x-consumer-timeout",
	}
	// queueArgsCheckedButType is queueArgsChecked when both declares
	// mean the same queue type.
	queueArgsCheckedButType = slices.DeleteFunc(slices.Clone(queueArgsChecked), func(k string) bool { return k == "x-queue-type" })
	exchangeArgsChecked     = []string{"alternate-exchange"}
)

func checkArgsEquivalent(kind, name, vhost string, keys []string, recv, cur Table) error {
	for _, k := range keys {
		rv, rok := recv[k]
		cv, cok := cur[k]
		if !rok && !cok {
			continue
		}
		if rok && cok && argEqual(rv, cv) {
			continue
		}
		return errorf(CodePreconditionFailed, "inequivalent arg '%s' for %s '%s' in vhost '%s': received %s but current is %s",
			k, kind, name, vhost, describeArg(rv, rok), describeArg(cv, cok))
	}
	return nil
}

// argEqual compares argument values the way RabbitMQ's equivalence check
// does in practice: integers compare by value whatever their width, since
// clients differ in which integer type they send.
func argEqual(a, b any) bool {
	if ai, ok := toInt64(a); ok {
		bi, ok := toInt64(b)
		return ok && ai == bi
	}
	return reflect.DeepEqual(a, b)
}

// IntArg reads an integer argument of any AMQP integer type (uint64 only
// when it fits), for adapters that validate arguments the same way.
func IntArg(v any) (int64, bool) { return toInt64(v) }

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int8:
		return int64(n), true
	case uint8:
		return int64(n), true
	case int16:
		return int64(n), true
	case uint16:
		return int64(n), true
	case int32:
		return int64(n), true
	case uint32:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n > 1<<63-1 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}

func describeArg(v any, ok bool) string {
	if !ok {
		return "none"
	}
	return fmt.Sprintf("the value '%v' of type '%s'", argValueString(v), argTypeName(v))
}

func argValueString(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// argTypeName names a value's AMQP type as RabbitMQ's messages do.
func argTypeName(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case int8:
		return "byte"
	case uint8:
		return "unsignedbyte"
	case int16:
		return "short"
	case uint16:
		return "unsignedshort"
	case int32:
		return "signedint"
	case uint32:
		return "unsignedint"
	case int64, int:
		return "long"
	case uint64:
		return "unsignedlong"
	case float32:
		return "float"
	case float64:
		return "double"
	case string:
		return "longstr"
	case []byte:
		return "binary"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	case time.Time:
		return "timestamp"
	case nil:
		return "void"
	}
	return "table"
}
