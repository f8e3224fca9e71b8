package mgmt

import "github.com/warrenmq/warren/internal/broker"

// syncPolicies hands a vhost's stored policies (or operator policies) to
// the broker, which applies them to matching queues and exchanges. a.mu
// must not be held.
func (a *API) syncPolicies(vhost string, operator bool) {
	v := a.d.Broker.VHost(vhost)
	if v == nil {
		return
	}
	a.mu.Lock()
	var ps []broker.Policy
	for k, p := range a.mem.policies[idx(operator)] {
		if k[0] != vhost {
			continue
		}
		ps = append(ps, broker.Policy{Name: p.Name, Pattern: p.Pattern, ApplyTo: p.ApplyTo, Priority: p.Priority, Definition: p.Definition})
	}
	a.mu.Unlock()
	v.SetPolicies(ps, operator)
}

// syncAllPolicies pushes every vhost's policies, after an import.
func (a *API) syncAllPolicies() {
	for _, v := range a.d.Broker.VHosts() {
		a.syncPolicies(v.Name(), false)
		a.syncPolicies(v.Name(), true)
	}
}
