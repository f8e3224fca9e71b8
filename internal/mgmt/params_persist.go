package mgmt

import (
	"encoding/json"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/meta"
)

// Policies, operator policies and limits live in the API's store and are
// persisted as meta params, so they survive restarts.

const (
	paramPolicy         = "policy"
	paramOperatorPolicy = "operator_policy"
	paramVHostLimit     = "vhost-limits"
	paramUserLimit      = "user-limits"
	paramTopicPerm      = "topic-permission"
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
	for i, m := range a.mem.limits {
		for owner, vals := range m {
			for name, v := range vals {
				items = append(items, item{limitComponent(i == 1), owner, name, v})
			}
		}
	}
	a.mu.Unlock()
	for _, it := range items {
		if err := a.persistParam(it.c, it.o, it.n, it.v); err != nil {
			return err
		}
	}
	return nil
}

// Restore loads persisted policies and limits and applies them to the
// broker and the adapter. The embedding server calls it once at startup.
func (a *API) Restore(params map[[3]string]*meta.Param) {
	owners := map[[2]string]bool{} // (component, owner) touched
	a.mu.Lock()
	for _, p := range params {
		switch p.Component {
		case paramPolicy, paramOperatorPolicy:
			var pol policy
			if json.Unmarshal(p.Value, &pol) != nil {
				continue
			}
			a.mem.policies[idx(p.Component == paramOperatorPolicy)][[2]string{p.Owner, p.Name}] = pol
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
			m := a.mem.limits[idx(p.Component == paramUserLimit)]
			if m[p.Owner] == nil {
				m[p.Owner] = map[string]any{}
			}
			m[p.Owner][p.Name] = normJSON(v)
		}
		owners[[2]string{p.Component, p.Owner}] = true
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
