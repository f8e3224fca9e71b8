package mgmt

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
)

// applyToValues are RabbitMQ 3.10's apply-to values (3.12's
// classic_queues, quorum_queues and streams are not: Warren's queues all
// match "queues").
var applyToValues = map[string]bool{"all": true, "queues": true, "exchanges": true}

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

// parsePolicy validates a policy (or operator policy) body as RabbitMQ
// does: pattern and definition are required, priority defaults to 0 and
// apply-to to "all"; every failing field is reported (see
// policy_validate.go). needPriority is for operator policies set as
// runtime parameters, where RabbitMQ requires the priority.
func parsePolicy(body map[string]any, vhost, name string, operator, needPriority bool) (policy, error) {
	pol := policy{VHost: vhost, Name: name, ApplyTo: "all"}
	pat, ok := body["pattern"].(string)
	if !ok {
		return pol, fmt.Errorf("[{key_missing,pattern}]")
	}
	def, ok := body["definition"].(map[string]any)
	if _, present := body["definition"]; !present {
		return pol, fmt.Errorf("[{key_missing,definition}]")
	}
	var errs []string
	if !ok {
		errs = append(errs, "definition must be a dictionary: "+erlangTerm(body["definition"]))
	} else if msg := validateDefinition(def, operator); msg != "" {
		errs = append(errs, msg)
	}
	if at, ok := body["apply-to"]; ok {
		s, isStr := at.(string)
		if !isStr || !applyToValues[s] {
			errs = append(errs, fmt.Sprintf("apply-to '%v' unrecognised; should be 'queues', 'exchanges' or 'all'", at))
		} else {
			pol.ApplyTo = s
		}
	}
	if _, err := regexp.Compile(pat); err != nil {
		errs = append(errs, "pattern should be regular expression but is invalid: "+err.Error())
	}
	pol.Pattern = pat
	switch prio, present := body["priority"]; {
	case !present && needPriority:
		errs = append(errs, fmt.Sprintf("Key \"priority\" not found in %s", name))
	case !present || prio == nil:
	default:
		if n, ok := jsonInt(prio); ok {
			pol.Priority = n
		} else if f, ok := jsonFloat(prio); ok {
			pol.Priority = int64(math.Floor(f)) // RabbitMQ takes any number; Warren keeps integers
		} else {
			errs = append(errs, "priority should be a number, actually was "+erlangTerm(prio))
		}
	}
	if len(errs) > 0 {
		return pol, fmt.Errorf("%s", validationFailed(errs, !operator))
	}
	pol.Definition = normJSON(def).(map[string]any)
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
		a.putPolicyBody(w, body, vhost, name, operator, false)
	}
}

// putPolicyBody validates, stores and applies a policy given as a JSON object
// (the policy endpoints' body, or an operator_policy parameter's value)
// and answers the request.
func (a *API) putPolicyBody(w http.ResponseWriter, body map[string]any, vhost, name string, operator, needPriority bool) {
	pol, err := parsePolicy(body, vhost, name, operator, needPriority)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	existed, err := a.storePolicy(operator, pol)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	created(w, !existed)
}

// storePolicy persists, stores and applies a validated policy.
func (a *API) storePolicy(operator bool, pol policy) (existed bool, err error) {
	if err := a.persistParam(policyComponent(operator), pol.VHost, pol.Name, pol); err != nil {
		return false, err
	}
	a.mu.Lock()
	k := [2]string{pol.VHost, pol.Name}
	_, existed = a.mem.policies[idx(operator)][k]
	a.mem.policies[idx(operator)][k] = pol
	a.mu.Unlock()
	a.syncPolicies(pol.VHost, operator)
	return existed, nil
}

// removePolicy deletes a policy; it reports whether it existed.
func (a *API) removePolicy(operator bool, vhost, name string) (existed bool, err error) {
	if err := a.persistParam(policyComponent(operator), vhost, name, nil); err != nil {
		return false, err
	}
	a.mu.Lock()
	k := [2]string{vhost, name}
	_, existed = a.mem.policies[idx(operator)][k]
	delete(a.mem.policies[idx(operator)], k)
	a.mu.Unlock()
	if existed {
		a.syncPolicies(vhost, operator)
	}
	return existed, nil
}

func (a *API) deletePolicy(operator bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		vhost, name := r.PathValue("vhost"), r.PathValue("name")
		if !a.requirePolicyWrite(w, p, operator, vhost) {
			return
		}
		existed, err := a.removePolicy(operator, vhost, name)
		deleted(w, existed, err)
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

// Runtime parameters. Warren implements two of RabbitMQ's components:
// vhost-limits (a vhost's limits, as the one parameter "limits", also
// served at /api/vhost-limits) and operator_policy (also served at
// /api/operator-policies). As in RabbitMQ, the "policy" component cannot
// be set here, and the components of plugins (federation-upstream,
// shovel, ...) are refused: Warren has none of them.
const (
	componentVHostLimits    = "vhost-limits"
	componentOperatorPolicy = "operator_policy"
)

// paramList returns the runtime parameters, sorted by vhost, component
// and name. a.mu must be held.
func (a *API) paramList() []parameter {
	var out []parameter
	for _, vhost := range sortedKeys(a.mem.limits[0]) {
		out = append(out, parameter{Component: componentVHostLimits, VHost: vhost, Name: vhostLimitsParam,
			Value: a.mem.limits[0][vhost].json()})
	}
	for _, pol := range a.mem.policyList(true) {
		out = append(out, parameter{Component: componentOperatorPolicy, VHost: pol.VHost, Name: pol.Name,
			Value: operatorPolicyValue(pol)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if x.VHost != y.VHost {
			return x.VHost < y.VHost
		}
		if x.Component != y.Component {
			return x.Component < y.Component
		}
		return x.Name < y.Name
	})
	return out
}

// operatorPolicyValue is an operator policy as a parameter value.
func operatorPolicyValue(pol policy) map[string]any {
	return map[string]any{"pattern": pol.Pattern, "definition": pol.Definition, "priority": pol.Priority, "apply-to": pol.ApplyTo}
}

func (a *API) getParameters(w http.ResponseWriter, r *http.Request, p *principal) {
	comp, vhost := r.PathValue("component"), r.PathValue("vhost")
	if vhost != "" && a.d.Broker.VHost(vhost) == nil {
		vhostNotFound(w)
		return
	}
	a.mu.RLock()
	all := a.paramList()
	a.mu.RUnlock()
	var out []parameter
	for _, x := range all {
		if (comp == "" || x.Component == comp) && (vhost == "" || x.VHost == vhost) &&
			(p.monitor || (p.policymaker && a.canSee(p, x.VHost))) &&
			(x.Component != componentOperatorPolicy || p.admin) {
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
	all := a.paramList()
	a.mu.RUnlock()
	for _, x := range all {
		if x.Component == k[0] && x.VHost == k[1] && x.Name == k[2] && (x.Component != componentOperatorPolicy || p.admin) {
			reply(w, r, x.json())
			return
		}
	}
	notFound(w)
}

// componentError checks that Warren implements a parameter component; it
// returns RabbitMQ's refusal otherwise.
func componentError(comp string) string {
	switch comp {
	case componentVHostLimits, componentOperatorPolicy:
		return ""
	case "policy":
		return "policies may not be set using this method"
	}
	return validationFailed([]string{"component " + comp + " not found"}, false)
}

// parseVHostLimitsParam validates a vhost-limits parameter value: an
// object of limits, or [] for none.
func parseVHostLimitsParam(name string, val any) (limitSet, error) {
	if name != vhostLimitsParam {
		return nil, fmt.Errorf("%s", validationFailed([]string{fmt.Sprintf("vhost-limits parameter must be named '%s', not '%s'", vhostLimitsParam, name)}, false))
	}
	set, ok := limitSetOf(val)
	if !ok {
		return nil, fmt.Errorf("%s", validationFailed([]string{"limits must be a JSON object, not " + erlangTerm(val)}, false))
	}
	if msg := validateLimits(set, false); msg != "" {
		return nil, fmt.Errorf("%s", validationFailed([]string{msg}, false))
	}
	for i, kv := range set {
		if n, ok := jsonInt(kv.value); ok {
			set[i].value = n
		} else if f, ok := jsonFloat(kv.value); ok {
			set[i].value = int64(f)
		}
	}
	return set, nil
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
	if msg := componentError(k[0]); msg != "" {
		badRequest(w, msg)
		return
	}
	// Both components are administrators' business elsewhere in the API
	// (/api/operator-policies, /api/vhost-limits): so they are here.
	if !a.requireAdmin(w, p) {
		return
	}
	if k[0] == componentOperatorPolicy {
		m, ok := val.(map[string]any)
		if !ok {
			badRequest(w, validationFailed([]string{"operator_policy value must be a JSON object"}, false))
			return
		}
		a.putPolicyBody(w, m, k[1], k[2], true, true)
		return
	}
	set, err := parseVHostLimitsParam(k[2], val)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	a.mu.Lock()
	_, existed := a.mem.limits[0][k[1]]
	err = a.persistVHostLimits(k[1], true, set)
	if err == nil {
		a.mem.limits[0][k[1]] = set
	}
	a.mu.Unlock()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	a.applyLimits(false, k[1])
	created(w, !existed)
}

func (a *API) deleteParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	k := [3]string{r.PathValue("component"), r.PathValue("vhost"), r.PathValue("name")}
	if !a.requirePolicies(w, p, k[1]) {
		return
	}
	var existed bool
	var err error
	if (k[0] == componentOperatorPolicy || k[0] == componentVHostLimits) && !a.requireAdmin(w, p) {
		return
	}
	switch {
	case k[0] == componentOperatorPolicy:
		existed, err = a.removePolicy(true, k[1], k[2])
	case k[0] == componentVHostLimits && k[2] == vhostLimitsParam:
		a.mu.Lock()
		if _, existed = a.mem.limits[0][k[1]]; existed {
			if err = a.persistVHostLimits(k[1], false, nil); err == nil {
				delete(a.mem.limits[0], k[1])
			}
		}
		a.mu.Unlock()
		if existed && err == nil {
			a.applyLimits(false, k[1])
		}
	}
	deleted(w, existed, err)
}
