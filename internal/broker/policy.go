package broker

import (
	"regexp"
	"sort"
)

// Policy is a RabbitMQ policy or operator policy: a definition applied to
// the queues and/or exchanges whose names match a pattern. Of the policies
// that match an object, the one with the highest priority applies.
type Policy struct {
	Name       string
	Pattern    string
	ApplyTo    string // "queues", "exchanges" or "all"
	Priority   int64
	Definition map[string]any
	re         *regexp.Regexp
}

// policySet is a vhost's policies and operator policies. Replaced whole,
// read under the vhost lock.
type policySet struct {
	user, operator []Policy // sorted by priority, highest first
}

// SetPolicies replaces the vhost's policies (operator=false) or operator
// policies, and re-applies them to every queue and exchange. A pattern
// that does not compile is skipped.
func (v *VHost) SetPolicies(ps []Policy, operator bool) {
	compiled := make([]Policy, 0, len(ps))
	for _, p := range ps {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			v.broker.log.Warn("policy pattern does not compile; ignored", "policy", p.Name, "err", err)
			continue
		}
		p.re = re
		compiled = append(compiled, p)
	}
	sort.SliceStable(compiled, func(i, j int) bool { return compiled[i].Priority > compiled[j].Priority })
	v.mu.Lock()
	if operator {
		v.policies.operator = compiled
	} else {
		v.policies.user = compiled
	}
	queues := make([]*Queue, 0, len(v.queues))
	for _, q := range v.queues {
		queues = append(queues, q)
	}
	exchanges := make([]*Exchange, 0, len(v.exchanges))
	for _, e := range v.exchanges {
		exchanges = append(exchanges, e)
	}
	set := v.policies
	v.mu.Unlock()
	for _, q := range queues {
		q.applyPolicies(set)
	}
	for _, e := range exchanges {
		e.applyPolicies(set)
	}
}

// EffectivePolicies returns the policy and the operator policy that apply
// to the queue (kind "queues") or exchange (kind "exchanges") of that
// name, chosen as SetPolicies applies them; nil where none matches. The
// policies returned must not be modified.
func (v *VHost) EffectivePolicies(name, kind string) (user, operator *Policy) {
	v.mu.RLock()
	set := v.policies
	v.mu.RUnlock()
	return match(set.user, name, kind), match(set.operator, name, kind)
}

// match returns the highest-priority policy of ps applying to name.
func match(ps []Policy, name, kind string) *Policy {
	for i := range ps {
		p := &ps[i]
		if (p.ApplyTo == "all" || p.ApplyTo == "" || p.ApplyTo == kind) && p.re.MatchString(name) {
			return p
		}
	}
	return nil
}

// applyPolicies recomputes the queue's effective configuration: its
// arguments, then the matching policy and operator policy. As in
// RabbitMQ, for limits (message-ttl, expires, max-length,
// max-length-bytes, delivery-limit) the lowest of argument, policy and
// operator policy wins; for the other keys an argument beats the policy.
func (q *Queue) applyPolicies(set policySet) {
	cfg := policyConfig(set, q.name, q.vhost.name, q.args)
	q.mu.Lock()
	q.setCfgLocked(cfg)
	if q.stream != nil {
		q.streamReconfigureLocked()
		q.mu.Unlock()
		return
	}
	if cfg.expires >= 0 && len(q.consumers) == 0 {
		q.scheduleLocked(q.lastUsed + cfg.expires)
	}
	q.enforceLimitsLocked()
	dead := q.takeDeadLocked()
	q.mu.Unlock()
	q.vhost.deadLetter(dead)
}

// policyConfig is a queue's effective configuration under set; arguments
// that fail validation are ignored (they were refused at declare).
func policyConfig(set policySet, name, vhost string, args Table) queueConfig {
	cfg, err := argsConfig(name, vhost, args)
	if err != nil {
		cfg, _ = parseQueueArgs(name, vhost, nil)
	}
	merged := cfg
	if p := match(set.user, name, "queues"); p != nil {
		mergePolicy(&merged, args, p.Definition, false)
	}
	if p := match(set.operator, name, "queues"); p != nil {
		mergePolicy(&merged, args, p.Definition, true)
	}
	if queueType(args) == TypeStream {
		// Only retention applies to a stream; a policy's other keys
		// (message-ttl, expires, max-length, dead-lettering) do not.
		cfg.maxLengthBytes, cfg.maxAge, cfg.segSize = merged.maxLengthBytes, merged.maxAge, merged.segSize
		return cfg
	}
	return merged
}

func mergePolicy(cfg *queueConfig, args Table, def map[string]any, operator bool) {
	lower := func(key string, dst *int64) {
		v, ok := def[key]
		if !ok {
			return
		}
		n, ok := toInt64(v)
		if !ok {
			if f, isF := v.(float64); isF { // policies arrive as JSON numbers
				n, ok = int64(f), true
			}
		}
		if ok && n >= 0 && (*dst < 0 || n < *dst) {
			*dst = n
		}
	}
	lower("message-ttl", &cfg.messageTTL)
	lower("expires", &cfg.expires)
	lower("max-length", &cfg.maxLength)
	lower("max-length-bytes", &cfg.maxLengthBytes)
	lower("delivery-limit", &cfg.deliveryLimit)
	lower("stream-max-segment-size-bytes", &cfg.segSize)
	if s, ok := def["max-age"].(string); ok {
		if d, ok := parseStreamAge(s); ok && (cfg.maxAge < 0 || d.Milliseconds() < cfg.maxAge) {
			cfg.maxAge = d.Milliseconds()
		}
	}
	if operator {
		return // operator policies only cap limits
	}
	str := func(key, arg string, dst *string, has *bool) {
		if _, set := args[arg]; set {
			return // the argument wins
		}
		if s, ok := def[key].(string); ok {
			*dst = s
			if has != nil {
				*has = true
			}
		}
	}
	str("dead-letter-exchange", "x-dead-letter-exchange", &cfg.dlx, &cfg.hasDLX)
	str("dead-letter-routing-key", "x-dead-letter-routing-key", &cfg.dlrk, &cfg.hasDLRK)
	str("overflow", "x-overflow", &cfg.overflow, nil)
	if _, set := args["x-consumer-timeout"]; !set {
		lower("consumer-timeout", &cfg.consumerTO)
	}
}

// applyPolicies records the policy that applies to the exchange (its
// alternate-exchange); exchanges have no other policy keys in Warren.
func (e *Exchange) applyPolicies(set policySet) {
	var ae string
	if p := match(set.user, e.name, "exchanges"); p != nil {
		ae, _ = p.Definition["alternate-exchange"].(string)
	}
	e.SetPolicyAlternate(ae)
}
