package route

import (
	"bytes"
	"reflect"
	"time"
)

// Field-table value equality, as HeadersMatch documents it. The common
// scalar cases are type switches, which cost no allocation; reflection is
// only reached for tables, arrays and unknown types.

// valueEqual is equality between a binding argument and a header value at
// the top level of a table, where RabbitMQ has dropped the AMQP type and
// compares bare Erlang terms. The reference broker (RabbitMQ 3.10, the
// version this project checks against) compares with ==, so an integer
// equals a float of the same value (1 == 1.0); 3.13 moved to =:=.
func valueEqual(a, b any) bool {
	if x, ok := intOf(a); ok {
		if y, ok := intOf(b); ok {
			return x == y
		}
	}
	if x, ok := numberOf(a); ok {
		y, ok := numberOf(b)
		return ok && x == y
	}
	switch x := a.(type) {
	case string:
		switch y := b.(type) {
		case string:
			return x == y
		case []byte:
			return x == string(y)
		}
		return false
	case []byte:
		switch y := b.(type) {
		case string:
			return string(x) == y
		case []byte:
			return bytes.Equal(x, y)
		}
		return false
	case float32:
		y, ok := floatOf(b)
		return ok && float64(x) == y
	case float64:
		y, ok := floatOf(b)
		return ok && x == y
	case int8, uint8, int16, uint16, int32, uint32, int64, uint64, int, uint:
		x1, _ := intOf(a)
		y, ok := intOf(b)
		return ok && x1 == y
	}
	if strictEqual(a, b) {
		return true
	}
	// Both tables and arrays decode to Erlang lists, so two empty ones are
	// the same term, [].
	return isEmptyList(a) && isEmptyList(b)
}

// intOf returns an integer value as the int64 RabbitMQ would hold. Unsigned
// 64-bit values are reinterpreted, because RabbitMQ decodes 'L' as signed.
func intOf(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		return int64(x), true
	case int: // not decoded from the wire, but a Go caller may bind with it
		return int64(x), true
	case uint:
		return int64(x), true
	}
	return 0, false
}

func floatOf(v any) (float64, bool) {
	switch x := v.(type) {
	case float32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// strictEqual is equality where the AMQP type is part of the value, as it
// is for values inside tables and arrays in RabbitMQ (and for binding
// identity): the Go types must agree, except that uint64 and int64 share
// RabbitMQ's 'long' type.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case int64, uint64:
		switch b.(type) {
		case int64, uint64:
			x1, _ := intOf(a)
			y, _ := intOf(b)
			return x1 == y
		}
		return false
	case bool, int8, uint8, int16, uint16, int32, uint32, float32, float64, int, uint:
		return a == b // interface equality: same dynamic type and value
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Unix() == y.Unix() // AMQP timestamps are whole seconds
	}
	if x, ok := asTable(a); ok {
		y, ok := asTable(b)
		return ok && tableIdentical(x, y)
	}
	if x, ok := asArray(a); ok {
		y, ok := asArray(b)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !strictEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// tableIdentical compares two tables with strictEqual values. A nil table
// equals an empty one, as both encode the same.
func tableIdentical(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || !strictEqual(x, y) {
			return false
		}
	}
	return true
}

var (
	tableType = reflect.TypeFor[map[string]any]()
	arrayType = reflect.TypeFor[[]any]()
)

// asTable returns v as a map[string]any if it is one or is of a named type
// defined as one (the broker's Table). Converting through reflect does not
// copy or allocate: the map header is reused.
func asTable(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || !rv.Type().ConvertibleTo(tableType) {
		return nil, false
	}
	return rv.Convert(tableType).Interface().(map[string]any), true
}

// asArray is asTable for arrays ([]any and named types defined as it).
func asArray(v any) ([]any, bool) {
	if s, ok := v.([]any); ok {
		return s, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || !rv.Type().ConvertibleTo(arrayType) {
		return nil, false
	}
	return rv.Convert(arrayType).Interface().([]any), true
}

func isEmptyList(v any) bool {
	if m, ok := asTable(v); ok {
		return len(m) == 0
	}
	if s, ok := asArray(v); ok {
		return len(s) == 0
	}
	return false
}

// amqpTypeName names v's field type as RabbitMQ does in error messages.
func amqpTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "void"
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
	case int64, uint64, int, uint:
		return "long"
	case float32:
		return "float"
	case float64:
		return "double"
	case []byte:
		return "binary"
	case time.Time:
		return "timestamp"
	}
	if _, ok := asTable(v); ok {
		return "table"
	}
	if _, ok := asArray(v); ok {
		return "array"
	}
	if t := reflect.TypeOf(v); t.Name() == "Decimal" {
		return "decimal"
	}
	return reflect.TypeOf(v).String()
}

// numberOf returns a numeric value as a float64 for Erlang's == between an
// integer and a float. Integer pairs are compared exactly before this.
func numberOf(v any) (float64, bool) {
	if i, ok := intOf(v); ok {
		return float64(i), true
	}
	return floatOf(v)
}
