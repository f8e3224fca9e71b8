package route

import (
	"fmt"
	"maps"
	"sort"
	"strings"
)

// Headers matches message headers against headers-exchange binding
// arguments; see HeadersMatch for the rules.
//
// Bindings are grouped by destination, so Match can stop at a destination's
// first matching binding and report it once. Each binding is compiled at
// Add time into the list of arguments that take part in matching, so Match
// neither re-parses x-match nor skips "x-" keys per message. A message still
// costs a pass over every binding, as in RabbitMQ: there is no index that
// serves "any" and "all" across arbitrary values.
type Headers[D comparable] struct {
	groups []headersGroup[D]
	index  map[D]int // position of dest's group in groups
	n      int
}

type headersGroup[D comparable] struct {
	dest     D
	bindings []headersBinding
}

type headersBinding struct {
	args    map[string]any // as bound; the binding's identity for Remove
	any     bool           // x-match is "any" or "any-with-x"
	entries []headerEntry  // the arguments that must (all) or may (any) match
}

type headerEntry struct {
	key   string
	value any // nil (void): the header only has to be present
}

// NewHeaders returns an empty headers matcher.
func NewHeaders[D comparable]() *Headers[D] {
	return &Headers[D]{index: make(map[D]int)}
}

// parseXMatch reads the x-match argument. Like RabbitMQ it treats a missing
// or unrecognised value as "all"; ValidateHeadersArgs is where bad values
// are refused.
func parseXMatch(args map[string]any) (anyMode, withX bool) {
	s, _ := args["x-match"].(string)
	switch s {
	case "any":
		return true, false
	case "any-with-x":
		return true, true
	case "all-with-x":
		return false, true
	}
	return false, false
}

// ValidateHeadersArgs checks a headers-exchange binding's x-match argument
// as RabbitMQ's validate_binding does. The broker should refuse a binding
// that fails it: RabbitMQ closes the channel with PRECONDITION_FAILED and
// this error's text, which is why it is capitalised and worded like
// RabbitMQ's.
func ValidateHeadersArgs(args map[string]any) error {
	v, ok := args["x-match"]
	if !ok {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("Invalid x-match field type %s (value %v); expected longstr", amqpTypeName(v), v)
	}
	switch s {
	case "all", "any", "all-with-x", "any-with-x":
		return nil
	}
	return fmt.Errorf("Invalid x-match field value <<%q>>; expected all, any, all-with-x, or any-with-x", s)
}

// takesPart reports whether the binding argument named key is compared
// against the headers. x-match never is; other "x-" arguments only with
// the *-with-x modes.
func takesPart(key string, withX bool) bool {
	return key != "x-match" && (withX || !strings.HasPrefix(key, "x-"))
}

func compileHeaders(args map[string]any) headersBinding {
	anyMode, withX := parseXMatch(args)
	b := headersBinding{args: maps.Clone(args), any: anyMode}
	for k, v := range args {
		if takesPart(k, withX) {
			b.entries = append(b.entries, headerEntry{k, v})
		}
	}
	// Sorted only so that matching work is the same from run to run.
	sort.Slice(b.entries, func(i, j int) bool { return b.entries[i].key < b.entries[j].key })
	return b
}

// entryMatches is the test for one binding argument: present, and either
// void in the binding or equal.
func entryMatches(bound any, headers map[string]any, key string) bool {
	v, ok := headers[key]
	return ok && (bound == nil || valueEqual(bound, v))
}

func (b *headersBinding) matches(headers map[string]any) bool {
	for i := range b.entries {
		if entryMatches(b.entries[i].value, headers, b.entries[i].key) == b.any {
			return b.any
		}
	}
	return !b.any
}

// HeadersMatch reports whether a message with the given headers matches a
// headers-exchange binding with the given arguments, following RabbitMQ 3.13
// and later:
//
//   - x-match "all" (also when absent or unrecognised) needs every argument
//     to match and "any" needs at least one, so "all" with no arguments
//     matches every message, even one without headers, and "any" with none
//     matches nothing. Arguments whose names start with "x-" are ignored,
//     except under "all-with-x" and "any-with-x"; x-match itself never takes
//     part.
//   - An argument whose value is nil (void) matches if the header is present,
//     whatever its value. Any other argument matches if the header is
//     present with an equal value.
//
// Equality is RabbitMQ 3.10's term equality (==) on decoded values, where
// an AMQP integer is just an integer and a string is just a binary:
//
//   - All integer types compare by value: int8(1), uint16(1) and int64(1) are
//     equal. uint64 (Warren's decoding of 'L') is read as the signed 64-bit
//     value RabbitMQ decodes 'L' to, so uint64(1<<64-1) equals int64(-1).
//   - An integer equals a float of the same value: int32(1) matches
//     float64(1), as 1 == 1.0 in Erlang (RabbitMQ 3.13 moved to =:=, where
//     it does not). float32 and float64 compare by value, so float32(0.5)
//     equals float64(0.5) but float32(0.1) does not equal float64(0.1).
//   - string and []byte are both binaries and compare by bytes.
//   - bool equals only bool, void only void, a Decimal only an equal Decimal.
//   - time.Time equals a time.Time in the same second. RabbitMQ 3.13+ routes
//     on header timestamps converted to milliseconds while binding arguments
//     stay in seconds, so there a timestamp argument can never match a
//     timestamp header; that looks accidental and is not reproduced.
//   - Tables and arrays compare element by element, and inside them each
//     value keeps its AMQP type, as RabbitMQ keeps type tags there: an array
//     holding int32(1) does not equal one holding int64(1). Tables compare as
//     maps, regardless of field order (RabbitMQ compares field lists in wire
//     order). An empty table equals an empty array, both being the empty list
//     to RabbitMQ.
//   - Any other type equals only a value of the same type by reflect.DeepEqual.
//
// Named table and array types (such as a Table defined as map[string]any)
// are accepted wherever map[string]any and []any are.
func HeadersMatch(args, headers map[string]any) bool {
	anyMode, withX := parseXMatch(args)
	for k, v := range args {
		if takesPart(k, withX) && entryMatches(v, headers, k) == anyMode {
			return anyMode
		}
	}
	return !anyMode
}

// Add binds dest with the binding arguments args. It reports false if dest
// already had a binding with equal arguments (equal as binding identities
// are: values of the same type, see tableIdentical). Add keeps a shallow
// copy of args; nested tables and arrays must not be modified afterwards.
func (h *Headers[D]) Add(args map[string]any, dest D) bool {
	if h.index == nil {
		h.index = make(map[D]int)
	}
	gi, ok := h.index[dest]
	if !ok {
		gi = len(h.groups)
		h.index[dest] = gi
		h.groups = append(h.groups, headersGroup[D]{dest: dest})
	}
	g := &h.groups[gi]
	for i := range g.bindings {
		if tableIdentical(g.bindings[i].args, args) {
			return false
		}
	}
	g.bindings = append(g.bindings, compileHeaders(args))
	h.n++
	return true
}

// Remove deletes dest's binding whose arguments equal args. It reports false
// if there was none.
func (h *Headers[D]) Remove(args map[string]any, dest D) bool {
	gi, ok := h.index[dest]
	if !ok {
		return false
	}
	g := &h.groups[gi]
	for i := range g.bindings {
		if !tableIdentical(g.bindings[i].args, args) {
			continue
		}
		last := len(g.bindings) - 1
		g.bindings[i] = g.bindings[last]
		g.bindings[last] = headersBinding{}
		g.bindings = g.bindings[:last]
		h.n--
		if last == 0 {
			h.removeGroup(gi)
		}
		return true
	}
	return false
}

func (h *Headers[D]) removeGroup(gi int) {
	delete(h.index, h.groups[gi].dest)
	last := len(h.groups) - 1
	if gi != last {
		h.groups[gi] = h.groups[last]
		h.index[h.groups[gi].dest] = gi
	}
	h.groups[last] = headersGroup[D]{}
	h.groups = h.groups[:last]
}

// Match calls fn once for each destination with at least one binding that
// the headers match. nil headers are a message without headers.
func (h *Headers[D]) Match(headers map[string]any, fn func(D)) {
	for gi := range h.groups {
		g := &h.groups[gi]
		for i := range g.bindings {
			if g.bindings[i].matches(headers) {
				fn(g.dest)
				break
			}
		}
	}
}

// Len returns the number of bindings.
func (h *Headers[D]) Len() int { return h.n }
