package mgmt

import (
	"sort"
)

// policy is a policy or operator policy, with RabbitMQ's JSON fields.
type policy struct {
	VHost      string         `json:"vhost"`
	Name       string         `json:"name"`
	Pattern    string         `json:"pattern"`
	ApplyTo    string         `json:"apply-to"`
	Definition map[string]any `json:"definition"`
	Priority   int64          `json:"priority"`
}

func (p policy) json() map[string]any {
	return map[string]any{"vhost": p.VHost, "name": p.Name, "pattern": p.Pattern, "apply-to": p.ApplyTo,
		"definition": p.Definition, "priority": p.Priority}
}

// parameter is a runtime (per-vhost, per-component) parameter.
type parameter struct {
	Component, VHost, Name string
	Value                  any
}

func (p parameter) json() map[string]any {
	return map[string]any{"component": p.Component, "vhost": p.VHost, "name": p.Name, "value": p.Value}
}

// vhostMeta is a vhost's metadata, which the broker does not keep.
type vhostMeta struct {
	Description      string
	Tags             []string
	DefaultQueueType string
	Tracing          bool
}

// memStore holds what only the management API knows about, in memory
// (see the package comment). Guarded by API.mu.
type memStore struct {
	clusterName string
	policies    [2]map[[2]string]policy // [operator?] (vhost, name)
	globals     map[string]any
	limits      [2]map[string]limitSet // [user?] owner → limits (limits.go)
	vhostMeta   map[string]vhostMeta
}

func newMemStore() memStore {
	return memStore{
		policies:  [2]map[[2]string]policy{{}, {}},
		globals:   map[string]any{},
		limits:    [2]map[string]limitSet{{}, {}},
		vhostMeta: map[string]vhostMeta{},
	}
}

func idx(b bool) int {
	if b {
		return 1
	}
	return 0
}

// forgetVHost drops everything kept for a deleted vhost.
func (m *memStore) forgetVHost(vhost string) {
	for _, ps := range m.policies {
		for k := range ps {
			if k[0] == vhost {
				delete(ps, k)
			}
		}
	}
	delete(m.limits[0], vhost)
	delete(m.vhostMeta, vhost)
}

func (m *memStore) policyList(operator bool) []policy {
	out := make([]policy, 0, len(m.policies[idx(operator)]))
	for _, p := range m.policies[idx(operator)] {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].VHost != out[j].VHost {
			return out[i].VHost < out[j].VHost
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
