package mgmt

import (
	"encoding/json"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/meta"
)

// Policies, operator policies, limits, topic permissions and global
// parameters live in the API's store and are persisted as meta params, so
// they survive restarts.

const (
	paramPolicy         = "policy"
	paramOperatorPolicy = "operator_policy"
	paramVHostLimit     = "vhost-limits"
	paramUserLimit      = "user-limits"
	paramTopicPerm      = "topic-permission"
	paramGlobal         = "global-parameter" // owner ""
)

// persistTopic records (or deletes) a topic permission: owner is the user,
// name the vhost and exchange.
func (a *API) persistTopic(tp auth.TopicPermission, remove bool) error {
	name := tp.VHost + "\x00" + tp.Exchange
	if remove {
		return a.persistParam(paramTopicPerm, tp.User, name, nil)
	}
	return a.persistParam(paramTopicPerm, tp.User, name, tp)
}

func policyComponent(operator bool) string {
	if operator {
		return paramOperatorPolicy
	}
	return paramPolicy
}

func limitComponent(user bool) string {
	if user {
		return paramUserLimit
	}
	return paramVHostLimit
}

// persistParam records (or, with v nil, deletes) one param.
func (a *API) persistParam(component, owner, name string, v any) error {
	if v == nil {
		return a.persist(meta.Op{Kind: meta.OpParamDelete, Param: &meta.Param{Component: component, Owner: owner, Name: name}})
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.persist(meta.Op{Kind: meta.OpParamPut, Param: &meta.Param{Component: component, Owner: owner, Name: name, Value: raw}})
}

// vhostLimitsParam is the name under which a vhost's limits are stored
// whole, in order (RabbitMQ's parameter vhost-limits/limits). Earlier
// versions stored one param per limit, named after it; Restore still reads
// those, and every write of the whole set deletes them.
const vhostLimitsParam = "limits"

// persistLimits records an owner's limits after the limit name changed
// (set is the new set; nil for a vhost means the parameter is gone).
func (a *API) persistLimits(user bool, owner string, set limitSet, name string) error {
	if user {
		if v, ok := set.get(name); ok {
			return a.persistParam(paramUserLimit, owner, name, v)
		}
		return a.persistParam(paramUserLimit, owner, name, nil)
	}
	return a.persistVHostLimits(owner, set != nil, set)
}

// persistVHostLimits writes (present) or deletes a vhost's limits
// parameter, and drops the older per-limit params.
func (a *API) persistVHostLimits(vhost string, present bool, set limitSet) error {
	var ops []meta.Op
	if present {
		pairs := make([][2]any, len(set))
		for i, kv := range set {
			pairs[i] = [2]any{kv.name, kv.value}
		}
		raw, err := json.Marshal(pairs)
		if err != nil {
			return err
		}
		ops = append(ops, meta.Op{Kind: meta.OpParamPut, Param: &meta.Param{Component: paramVHostLimit, Owner: vhost, Name: vhostLimitsParam, Value: raw}})
	} else {
		ops = append(ops, meta.Op{Kind: meta.OpParamDelete, Param: &meta.Param{Component: paramVHostLimit, Owner: vhost, Name: vhostLimitsParam}})
	}
	for _, n := range sortedKeys(limitNames[0]) {
		ops = append(ops, meta.Op{Kind: meta.OpParamDelete, Param: &meta.Param{Component: paramVHostLimit, Owner: vhost, Name: n}})
	}
	return a.persist(ops...)
}

// persistAllParams writes every policy and limit held in memory (after a
// definitions import, which fills the store directly).
func (a *API) persistAllParams() error {
	a.mu.Lock()
	type item struct {
		c, o, n string
		v       any
	}
	var items []item
	for i, m := range a.mem.policies {
		for k, p := range m {
			items = append(items, item{policyComponent(i == 1), k[0], k[1], p})
		}
	}
	for name, v := range a.mem.globals {
		items = append(items, item{paramGlobal, "", name, v})
	}
	for owner, set := range a.mem.limits[1] {
		for _, kv := range set {
			items = append(items, item{paramUserLimit, owner, kv.name, kv.value})
		}
	}
	vsets := make(map[string]limitSet, len(a.mem.limits[0]))
	for owner, set := range a.mem.limits[0] {
		vsets[owner] = append(limitSet{}, set...)
	}
	a.mu.Unlock()
	for _, it := range items {
		if err := a.persistParam(it.c, it.o, it.n, it.v); err != nil {
			return err
		}
	}
	for owner, set := range vsets {
		if err := a.persistVHostLimits(owner, true, set); err != nil {
			return err
		}
	}
	return nil
}

// Restore loads persisted policies and limits and applies them to the
// broker and the adapter. The embedding server calls it once at startup.
func (a *API) Restore(params map[[3]string]*meta.Param) {
	owners := map[[2]string]bool{} // (component, owner) touched
	wholeSets := map[string]limitSet{}
	a.mu.Lock()
	for _, p := range params {
		switch p.Component {
		case paramPolicy, paramOperatorPolicy:
			var pol policy
			if json.Unmarshal(p.Value, &pol) != nil {
				continue
			}
			a.mem.policies[idx(p.Component == paramOperatorPolicy)][[2]string{p.Owner, p.Name}] = pol
		case paramGlobal:
			var v any
			if json.Unmarshal(p.Value, &v) == nil {
				a.mem.globals[p.Name] = normJSON(v)
			}
			continue
		case paramTopicPerm:
			var tp auth.TopicPermission
			if json.Unmarshal(p.Value, &tp) == nil {
				if err := a.perms.PutTopic(tp); err != nil {
					a.log.Warn("ignoring invalid stored topic permission", "user", tp.User, "err", err)
				}
			}
			continue
		case paramVHostLimit, paramUserLimit:
			var v any
			if json.Unmarshal(p.Value, &v) != nil {
				continue
			}
			v = normJSON(v)
			user := p.Component == paramUserLimit
			if !user && p.Name == vhostLimitsParam {
				set := limitSet{}
				pairs, _ := v.([]any)
				for _, x := range pairs {
					if kv, ok := x.([]any); ok && len(kv) == 2 {
						if n, ok := kv[0].(string); ok {
							set = append(set, limitKV{n, kv[1]})
						}
					}
				}
				wholeSets[p.Owner] = set
				break
			}
			m := a.mem.limits[idx(user)]
			m[p.Owner] = m[p.Owner].with(p.Name, v, true) // older per-limit params: key order
		}
		owners[[2]string{p.Component, p.Owner}] = true
	}
	for owner, set := range wholeSets {
		a.mem.limits[0][owner] = set // authoritative over per-limit params
	}
	a.mu.Unlock()
	for k := range owners {
		switch k[0] {
		case paramVHostLimit:
			a.applyLimits(false, k[1])
		case paramUserLimit:
			a.applyLimits(true, k[1])
		}
	}
	a.syncAllPolicies()
}
