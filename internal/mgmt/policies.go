package mgmt

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
)

var applyToValues = map[string]bool{"all": true, "queues": true, "exchanges": true,
	"classic_queues": true, "quorum_queues": true, "streams": true}

// normJSON replaces json.Number (kept while decoding so arguments keep
// integer types) by int64 or float64 in stored free-form values.
func normJSON(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normJSON(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normJSON(x)
		}
		return out
	}
	return v
}

func policyLister() lister[policy] {
	return lister[policy]{
		name: func(p policy) string { return p.Name },
		key: func(p policy, f string) (skey, bool) {
			switch f {
			case "vhost":
				return sk(p.VHost), true
			case "name":
				return sk(p.Name), true
			case "priority":
				return sk(p.Priority), true
			}
			return skey{}, false
		},
		render: policy.json,
	}
}

// policyAccess: policies are readable by anyone who sees the vhost;
// operator policies belong to administrators.
func (a *API) policyReadable(p *principal, operator bool, vhost string) bool {
	if operator {
		return p.admin
	}
	return a.canSee(p, vhost)
}

func (a *API) getPolicies(operator bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		if operator && !a.requireAdmin(w, p) {
			return
		}
		vhost, one := r.PathValue("vhost"), r.PathValue("vhost") != ""
		if one && a.d.Broker.VHost(vhost) == nil {
			vhostNotFound(w)
			return
		}
		a.mu.RLock()
		all := a.mem.policyList(operator)
		a.mu.RUnlock()
		var out []policy
		for _, pol := range all {
			if (!one || pol.VHost == vhost) && a.policyReadable(p, operator, pol.VHost) {
				out = append(out, pol)
			}
		}
		serveList(w, r, out, policyLister())
	}
}

func (a *API) getPolicy(operator bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		vhost, name := r.PathValue("vhost"), r.PathValue("name")
		if !a.policyReadable(p, operator, vhost) {
			notAuthorised(w, "User not authorised to access object")
			return
		}
		a.mu.RLock()
		pol, ok := a.mem.policies[idx(operator)][[2]string{vhost, name}]
		a.mu.RUnlock()
		if !ok {
			notFound(w)
			return
		}
		reply(w, r, pol.json())
	}
}

func (a *API) requirePolicyWrite(w http.ResponseWriter, p *principal, operator bool, vhost string) bool {
	if operator {
		return a.requireAdmin(w, p)
	}
	return a.requirePolicies(w, p, vhost)
}

// parsePolicy validates a policy body as RabbitMQ does: pattern and
// definition are required, priority defaults to 0 and apply-to to "all".
func parsePolicy(body map[string]any, vhost, name string) (policy, error) {
	pol := policy{VHost: vhost, Name: name, ApplyTo: "all"}
	pat, ok := body["pattern"].(string)
	if !ok {
		return pol, fmt.Errorf("key_missing: pattern")
	}
	if _, err := regexp.Compile(pat); err != nil {
		return pol, fmt.Errorf("Validation failed\n\n%q is not a valid regular expression", pat)
	}
	pol.Pattern = pat
	def, ok := body["definition"].(map[string]any)
	if !ok {
		return pol, fmt.Errorf("key_missing: definition")
	}
	pol.Definition = normJSON(def).(map[string]any)
	prio, err := intField(body, "priority", 0)
	if err != nil {
		return pol, err
	}
	pol.Priority = prio
	if at, ok := body["apply-to"].(string); ok && at != "" {
		if !applyToValues[at] {
			return pol, fmt.Errorf("Validation failed\n\n'%s' is not a valid apply-to value", at)
		}
		pol.ApplyTo = at
	}
	return pol, nil
}

func (a *API) putPolicy(operator bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		vhost, name := r.PathValue("vhost"), r.PathValue("name")
		if !a.requirePolicyWrite(w, p, operator, vhost) {
			return
		}
		if a.d.Broker.VHost(vhost) == nil {
			vhostNotFound(w)
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		pol, err := parsePolicy(body, vhost, name)
		if err != nil {
			badRequest(w, err.Error())
			return
		}
		if err := a.persistParam(policyComponent(operator), vhost, name, pol); err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
		a.mu.Lock()
		k := [2]string{vhost, name}
		_, existed := a.mem.policies[idx(operator)][k]
		a.mem.policies[idx(operator)][k] = pol
		a.mu.Unlock()
		a.syncPolicies(vhost, operator)
		created(w, !existed)
	}
}

func (a *API) deletePolicy(operator bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		vhost, name := r.PathValue("vhost"), r.PathValue("name")
		if !a.requirePolicyWrite(w, p, operator, vhost) {
			return
		}
		if err := a.persistParam(policyComponent(operator), vhost, name, nil); err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
		a.mu.Lock()
		k := [2]string{vhost, name}
		_, existed := a.mem.policies[idx(operator)][k]
		delete(a.mem.policies[idx(operator)], k)
		a.mu.Unlock()
		if !existed {
			notFound(w)
			return
		}
		a.syncPolicies(vhost, operator)
		noContent(w)
	}
}

func paramLister() lister[parameter] {
	return lister[parameter]{
		name: func(p parameter) string { return p.Name },
		key: func(p parameter, f string) (skey, bool) {
			switch f {
			case "vhost":
				return sk(p.VHost), true
			case "name":
				return sk(p.Name), true
			case "component":
				return sk(p.Component), true
			}
			return skey{}, false
		},
		render: parameter.json,
	}
}

func (a *API) getParameters(w http.ResponseWriter, r *http.Request, p *principal) {
	comp, vhost := r.PathValue("component"), r.PathValue("vhost")
	if vhost != "" && a.d.Broker.VHost(vhost) == nil {
		vhostNotFound(w)
		return
	}
	a.mu.RLock()
	all := a.mem.paramList()
	a.mu.RUnlock()
	var out []parameter
	for _, x := range all {
		if (comp == "" || x.Component == comp) && (vhost == "" || x.VHost == vhost) &&
			(p.monitor || (p.policymaker && a.canSee(p, x.VHost))) {
			out = append(out, x)
		}
	}
	serveList(w, r, out, paramLister())
}

func (a *API) getParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	k := [3]string{r.PathValue("component"), r.PathValue("vhost"), r.PathValue("name")}
	if !p.monitor && !a.requirePolicies(w, p, k[1]) {
		return
	}
	a.mu.RLock()
	x, ok := a.mem.params[k]
	a.mu.RUnlock()
	if !ok {
		notFound(w)
		return
	}
	reply(w, r, x.json())
}

func (a *API) putParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	k := [3]string{r.PathValue("component"), r.PathValue("vhost"), r.PathValue("name")}
	if !a.requirePolicies(w, p, k[1]) {
		return
	}
	if a.d.Broker.VHost(k[1]) == nil {
		vhostNotFound(w)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	val, ok := body["value"]
	if !ok {
		badRequest(w, "key_missing: value")
		return
	}
	a.mu.Lock()
	_, existed := a.mem.params[k]
	a.mem.params[k] = parameter{Component: k[0], VHost: k[1], Name: k[2], Value: normJSON(val)}
	a.mu.Unlock()
	created(w, !existed)
}

func (a *API) deleteParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	k := [3]string{r.PathValue("component"), r.PathValue("vhost"), r.PathValue("name")}
	if !a.requirePolicies(w, p, k[1]) {
		return
	}
	a.mu.Lock()
	_, existed := a.mem.params[k]
	delete(a.mem.params, k)
	a.mu.Unlock()
	if !existed {
		notFound(w)
		return
	}
	noContent(w)
}
