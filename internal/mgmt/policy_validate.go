package mgmt

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Policy validation with RabbitMQ 3.10's rules and messages. RabbitMQ
// validates a policy's fields (definition, apply-to, pattern, priority),
// reports every failing field, one line each, after "Validation
// failed\n\n"; within the definition the first failing key (in key
// order) is reported, then keys no validator knows.

// policyKeyCheck validates one definition value; it returns the error
// line or "".
type policyKeyCheck func(v any) string

func nonNegInt(what string) policyKeyCheck {
	return func(v any) string {
		if n, ok := jsonInt(v); ok && n >= 0 {
			return ""
		}
		return erlangTerm(v) + " is not a valid " + what
	}
}

func positiveInt(what string) policyKeyCheck {
	return func(v any) string {
		if n, ok := jsonInt(v); ok && n >= 1 {
			return ""
		}
		return erlangTerm(v) + " is not a valid " + what
	}
}

func isString(what string) policyKeyCheck {
	return func(v any) string {
		if _, ok := v.(string); ok {
			return ""
		}
		return erlangTerm(v) + " is not a valid " + what
	}
}

func oneOf(suffix string, values ...string) policyKeyCheck {
	return func(v any) string {
		s, ok := v.(string)
		for _, x := range values {
			if ok && s == x {
				return ""
			}
		}
		return erlangTerm(v) + suffix
	}
}

var maxAge = regexp.MustCompile(`^[0-9]+[YMDhms]$`)

// policyKeys are the definition keys RabbitMQ 3.10 (with no plugins
// beyond management) accepts in a policy. Warren applies message-ttl,
// expires, max-length, max-length-bytes, overflow, dead-letter-exchange,
// dead-letter-routing-key, delivery-limit and (to exchanges)
// alternate-exchange; the others (mirroring, queue mode and version,
// quorum and stream settings) are accepted and stored as RabbitMQ does,
// and have no effect. consumer-timeout is a policy key from RabbitMQ 3.12
// on, which Warren applies.
var policyKeys = map[string]policyKeyCheck{
	"alternate-exchange":            isString("alternate exchange name"),
	"dead-letter-exchange":          isString("dead letter exchange name"),
	"dead-letter-routing-key":       isString("dead letter routing key"),
	"dead-letter-strategy":          oneOf(" is not a valid dead letter strategy", "at-most-once", "at-least-once"),
	"message-ttl":                   nonNegInt("message TTL"),
	"expires":                       positiveInt("queue expiry"),
	"max-length":                    nonNegInt("maximum length"),
	"max-length-bytes":              nonNegInt("maximum length in bytes"),
	"max-in-memory-length":          nonNegInt("maximum memory in bytes"),
	"max-in-memory-bytes":           nonNegInt("maximum memory in bytes"),
	"delivery-limit":                nonNegInt("delivery limit"),
	"consumer-timeout":              nonNegInt("consumer timeout"),
	"initial-cluster-size":          nonNegInt("cluster size"),
	"stream-max-segment-size-bytes": nonNegInt("segment size"),
	"overflow":                      oneOf(" is not a valid overflow value", "drop-head", "reject-publish", "reject-publish-dlx"),
	"queue-mode":                    oneOf(" is not a valid queue-mode value", "default", "lazy"),
	"queue-master-locator":          oneOf(" invalid queue-master-locator value", "min-masters", "client-local", "random"),
	"queue-version": func(v any) string {
		if n, ok := jsonInt(v); ok && (n == 1 || n == 2) {
			return ""
		}
		return erlangTerm(v) + " is not a valid queue-version value"
	},
	"max-age": func(v any) string {
		if s, ok := v.(string); ok && maxAge.MatchString(s) {
			return ""
		}
		return erlangTerm(v) + " is not a valid max age"
	},
}

// operatorPolicyKeys are the keys an operator policy may set (limits
// only, each merged with the policy's value by taking the lower).
var operatorPolicyKeys = map[string]bool{
	"expires": true, "message-ttl": true, "max-length": true, "max-length-bytes": true,
	"max-in-memory-length": true, "max-in-memory-bytes": true, "delivery-limit": true,
}

var haKeys = map[string]bool{
	"ha-mode": true, "ha-params": true, "ha-sync-mode": true, "ha-sync-batch-size": true,
	"ha-promote-on-shutdown": true, "ha-promote-on-failure": true,
}

// validateHA checks the classic mirroring keys together, as RabbitMQ's
// mirroring validator does (Warren has no mirroring: they are stored
// only).
func validateHA(def map[string]any) string {
	mode, hasMode := def["ha-mode"]
	params, hasParams := def["ha-params"]
	if !hasMode {
		for _, k := range []string{"ha-params", "ha-sync-mode", "ha-promote-on-shutdown", "ha-promote-on-failure", "ha-sync-batch-size"} {
			if _, ok := def[k]; ok {
				return "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown"
			}
		}
		return ""
	}
	switch mode {
	case "all":
		if hasParams {
			return `ha-mode="all" does not take parameters`
		}
	case "exactly":
		if !hasParams {
			return `ha-mode="exactly" takes an integer, none given`
		}
		if n, ok := jsonInt(params); !ok || n < 1 {
			return `ha-mode="exactly" takes an integer, ` + erlangTerm(params) + " given"
		}
	case "nodes":
		if !hasParams {
			return `ha-mode="nodes" takes a list, none given`
		}
		l, ok := params.([]any)
		for _, x := range l {
			if _, isStr := x.(string); !isStr {
				ok = false
			}
		}
		if !ok || len(l) == 0 {
			return `ha-mode="nodes" takes a list, ` + erlangTerm(params) + " given"
		}
	default:
		return erlangTerm(mode) + " is not a valid ha-mode value"
	}
	if v, ok := def["ha-sync-mode"]; ok && v != "manual" && v != "automatic" {
		return `ha-sync-mode must be "manual" or "automatic", got ` + erlangTerm(v)
	}
	for _, k := range []string{"ha-promote-on-shutdown", "ha-promote-on-failure"} {
		if v, ok := def[k]; ok && v != "always" && v != "when-synced" {
			return k + ` must be "always" or "when-synced", got ` + erlangTerm(v)
		}
	}
	if v, ok := def["ha-sync-batch-size"]; ok {
		if n, isInt := jsonInt(v); !isInt || n < 1 {
			return "ha-sync-batch-size takes an integer greater than 0, " + erlangTerm(v) + " given"
		}
	}
	return ""
}

// validateDefinition returns the error line for a policy (or operator
// policy) definition, or "".
func validateDefinition(def map[string]any, operator bool) string {
	if len(def) == 0 {
		return "no policy provided"
	}
	keys := sortedKeys(def)
	var unknown []string
	for _, k := range keys {
		check, known := policyKeys[k]
		if operator && !operatorPolicyKeys[k] {
			known = false
		}
		switch {
		case known:
			if msg := check(def[k]); msg != "" {
				return msg
			}
		case haKeys[k] && !operator:
		default:
			unknown = append(unknown, k)
		}
	}
	if !operator {
		if msg := validateHA(def); msg != "" {
			return msg
		}
	}
	if len(unknown) > 0 {
		parts := make([]string, len(unknown))
		for i, k := range unknown {
			parts[i] = "{" + erlangTerm(k) + "," + erlangTerm(def[k]) + "}"
		}
		return "[" + strings.Join(parts, ",") + "] are not recognised policy settings"
	}
	return ""
}

// validationFailed formats RabbitMQ's "Validation failed" reason. The
// policy endpoints HTML-escape it (RabbitMQ 3.10 does, for the web UI);
// operator policies and parameters do not.
func validationFailed(lines []string, escape bool) string {
	s := "Validation failed\n\n" + strings.Join(lines, "\n") + "\n"
	if escape {
		s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	}
	return s
}

// jsonInt reads an integral JSON number (json.Number without fraction or
// exponent, or an integral float64 or int from stored values).
func jsonInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		s := string(n)
		if strings.ContainsAny(s, ".eE") {
			return 0, false
		}
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
		if strings.HasPrefix(s, "-") {
			return math.MinInt64, true
		}
		return math.MaxInt64, true // beyond int64: still an integer
	case float64:
		if n == math.Trunc(n) && !math.IsInf(n, 0) {
			return int64(n), true
		}
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

// jsonFloat reads any JSON number.
func jsonFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	if i, ok := jsonInt(v); ok {
		return float64(i), true
	}
	return 0, false
}

// erlangTerm renders a JSON value as Erlang's ~p prints its decoded form,
// for RabbitMQ's validation messages: strings as binaries <<"x">>,
// objects as maps, null as the atom null.
func erlangTerm(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return `<<"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(x) + `">>`
	case json.Number:
		if _, ok := jsonInt(x); ok {
			return string(x)
		}
		f, err := x.Float64()
		if err != nil {
			return string(x)
		}
		return erlangFloat(f)
	case float64:
		if _, ok := jsonInt(x); ok && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return erlangFloat(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = erlangTerm(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = erlangTerm(k) + " => " + erlangTerm(x[k])
		}
		return "#{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprint(v)
}

// erlangFloat formats a float as Erlang's shortest round-trip form does
// (io_lib_format:fwrite_g): 1.5, 100.0, 1.0e3, 1.0e-5.
func erlangFloat(f float64) string {
	if f == 0 {
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest digits and decimal exponent: f = 0.DIGITS × 10^place.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	place := x + 1
	l := len(digits)
	var out string
	switch {
	case place == 0:
		out = "0." + digits
	case place < 0 || place >= l:
		expL := strconv.Itoa(place - 1)
		expDot := 1
		if l == 1 {
			expDot = 2
		}
		expCost := len(expL) + 1 + expDot
		if place < 0 && 2-place <= expCost {
			out = "0." + strings.Repeat("0", -place) + digits
		} else if place >= l && place-l+2 <= expCost {
			out = digits + strings.Repeat("0", place-l) + ".0"
		} else if l == 1 {
			out = digits + ".0e" + expL
		} else {
			out = digits[:1] + "." + digits[1:] + "e" + expL
		}
	default:
		out = digits[:place] + "." + digits[place:]
	}
	return sign + out
}
