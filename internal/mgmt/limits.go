package mgmt

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
)

type globalParam struct {
	name  string
	value any
}

// clusterIDParam is RabbitMQ's internal_cluster_id global parameter: an
// opaque identifier created once per cluster (here: on first use, then
// persisted), listed with the global parameters and exported.
const clusterIDParam = "internal_cluster_id"

// clusterID returns the internal_cluster_id, creating it if need be.
func (a *API) clusterID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if id, ok := a.mem.globals[clusterIDParam].(string); ok {
		return id
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := "warren-cluster-id-" + base64.RawURLEncoding.EncodeToString(b[:])
	if err := a.persistParam(paramGlobal, "", clusterIDParam, id); err != nil {
		a.log.Warn("could not persist the internal cluster id", "err", err)
	}
	a.mem.globals[clusterIDParam] = id
	return id
}

func (a *API) globalList() []globalParam {
	a.clusterID()
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]globalParam, 0, len(a.mem.globals))
	for _, k := range sortedKeys(a.mem.globals) {
		out = append(out, globalParam{k, a.mem.globals[k]})
	}
	return out
}

func globalJSON(g globalParam) map[string]any {
	return map[string]any{"name": g.name, "value": g.value}
}

func (a *API) getGlobalParameters(w http.ResponseWriter, r *http.Request, p *principal) {
	if !p.policymaker && !p.monitor {
		notAuthorised(w, "User not authorised to access object")
		return
	}
	serveList(w, r, a.globalList(), lister[globalParam]{
		name: func(g globalParam) string { return g.name },
		key: func(g globalParam, f string) (skey, bool) {
			if f == "name" {
				return sk(g.name), true
			}
			return skey{}, f == "vhost"
		},
		render: globalJSON,
	})
}

func (a *API) getGlobalParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	if !p.policymaker && !p.monitor {
		notAuthorised(w, "User not authorised to access object")
		return
	}
	name := r.PathValue("name")
	a.clusterID()
	a.mu.RLock()
	v, ok := a.mem.globals[name]
	a.mu.RUnlock()
	if !ok {
		notFound(w)
		return
	}
	reply(w, r, globalJSON(globalParam{name, v}))
}

func (a *API) putGlobalParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	if !p.policymaker {
		notAuthorised(w, "User not authorised to access object")
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
	name := r.PathValue("name")
	val = normJSON(val)
	if err := a.persistParam(paramGlobal, "", name, val); err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	a.mu.Lock()
	_, existed := a.mem.globals[name]
	a.mem.globals[name] = val
	a.mu.Unlock()
	created(w, !existed)
}

func (a *API) deleteGlobalParameter(w http.ResponseWriter, r *http.Request, p *principal) {
	if !p.policymaker {
		notAuthorised(w, "User not authorised to access object")
		return
	}
	name := r.PathValue("name")
	a.mu.Lock()
	_, existed := a.mem.globals[name]
	var err error
	if existed {
		if err = a.persistParam(paramGlobal, "", name, nil); err == nil {
			delete(a.mem.globals, name)
		}
	}
	a.mu.Unlock()
	deleted(w, existed, err)
}

// The limits RabbitMQ knows, for vhosts and for users.
var limitNames = [2]map[string]bool{
	{"max-connections": true, "max-queues": true},
	{"max-connections": true, "max-channels": true},
}

// limitKV is one limit.
type limitKV struct {
	name  string
	value any
}

// limitSet is a vhost's or a user's limits in RabbitMQ's order. A vhost's
// limits are RabbitMQ's runtime parameter vhost-limits/limits, a list
// where setting one limit puts it first (and a parameter set whole, from a
// JSON object, is in key order); a user's are a map, in key order.
type limitSet []limitKV

func (s limitSet) get(name string) (any, bool) {
	for _, kv := range s {
		if kv.name == name {
			return kv.value, true
		}
	}
	return nil, false
}

func (s limitSet) without(name string) limitSet {
	out := make(limitSet, 0, len(s))
	for _, kv := range s {
		if kv.name != name {
			out = append(out, kv)
		}
	}
	return out
}

// with sets one limit: first for a vhost, in key order for a user.
func (s limitSet) with(name string, v any, user bool) limitSet {
	out := append(limitSet{{name, v}}, s.without(name)...)
	if user {
		sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	}
	return out
}

// limitSetOf reads a limits object (sorted by key) or an empty list.
func limitSetOf(v any) (limitSet, bool) {
	switch m := v.(type) {
	case map[string]any:
		out := make(limitSet, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, limitKV{k, m[k]})
		}
		return out, true
	case []any:
		return limitSet{}, len(m) == 0
	}
	return nil, false
}

// json renders the set as a JSON object in its order; an empty set is
// [], as RabbitMQ renders the empty list.
func (s limitSet) json() any {
	if len(s) == 0 {
		return []any{}
	}
	return orderedObject(s)
}

// object renders the set as a map (for users, and anything unordered).
func (s limitSet) object() map[string]any {
	m := make(map[string]any, len(s))
	for _, kv := range s {
		m[kv.name] = kv.value
	}
	return m
}

// orderedObject is a JSON object that keeps its key order.
type orderedObject []limitKV

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(kv.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(kv.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// validateLimits checks a limits object as RabbitMQ's vhost-limits
// validator does; it returns the error line or "".
func validateLimits(s limitSet, user bool) string {
	for _, kv := range s {
		if !limitNames[idx(user)][kv.name] {
			return fmt.Sprintf("Unrecognised terms [{%s,%s}] in limits", erlangTerm(kv.name), erlangTerm(kv.value))
		}
	}
	for _, kv := range s {
		if _, ok := jsonFloat(kv.value); !ok {
			return fmt.Sprintf("%s should be a number, actually was %s", kv.name, erlangTerm(kv.value))
		}
	}
	return ""
}

type limitEntry struct {
	owner  string
	values limitSet
}

func (a *API) limitList(user bool, only string) []limitEntry {
	a.mu.RLock()
	defer a.mu.RUnlock()
	m := a.mem.limits[idx(user)]
	var out []limitEntry
	for _, k := range sortedKeys(m) {
		if only != "" && k != only {
			continue
		}
		out = append(out, limitEntry{k, append(limitSet(nil), m[k]...)})
	}
	return out
}

// getLimits lists vhost or user limits. A vhost whose limits were all
// removed keeps its (empty) vhost-limits parameter: RabbitMQ lists it
// with "value": [] among all vhosts' limits, but not for the vhost alone.
func (a *API) getLimits(user bool) handler {
	ownerKey := "vhost"
	if user {
		ownerKey = "user"
	}
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		owner := r.PathValue("owner")
		if user && !p.admin && owner != p.user.Name {
			notAuthorised(w, "Not administrator user")
			return
		}
		if !user && owner != "" {
			if a.d.Broker.VHost(owner) == nil {
				vhostNotFound(w)
				return
			}
			if !a.requireVisible(w, p, owner) {
				return
			}
		}
		var out []limitEntry
		for _, e := range a.limitList(user, owner) {
			if (user || a.canSee(p, e.owner)) && (owner == "" || len(e.values) > 0) {
				out = append(out, e)
			}
		}
		serveList(w, r, out, lister[limitEntry]{
			name: func(e limitEntry) string { return e.owner },
			key: func(e limitEntry, f string) (skey, bool) {
				if f == ownerKey {
					return sk(e.owner), true
				}
				return skey{}, f == "vhost" || f == "name"
			},
			render: func(e limitEntry) map[string]any {
				if user {
					return map[string]any{ownerKey: e.owner, "value": e.values.object()}
				}
				return map[string]any{ownerKey: e.owner, "value": e.values.json()}
			},
		})
	}
}

// limitOwnerExists answers 404 and returns false when the user (or
// vhost) whose limit a request names does not exist.
func (a *API) limitOwnerExists(w http.ResponseWriter, user bool, owner string) bool {
	switch {
	case user && a.d.Users.Get(owner) == nil:
		writeError(w, http.StatusNotFound, "not_found", "user_not_found")
		return false
	case !user && a.d.Broker.VHost(owner) == nil:
		vhostNotFound(w)
		return false
	}
	return true
}

func (a *API) putLimit(user bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		if !a.requireAdmin(w, p) {
			return
		}
		owner, name := r.PathValue("owner"), r.PathValue("name")
		if !a.limitOwnerExists(w, user, owner) {
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		val, has := body["value"]
		if !has {
			badRequest(w, "[{key_missing,value}]")
			return
		}
		if msg := validateLimits(limitSet{{name, val}}, user); msg != "" {
			badRequest(w, validationFailed([]string{msg}, false))
			return
		}
		v, err := intField(body, "value", 0)
		if err != nil {
			badRequest(w, "value must be an integer")
			return
		}
		a.mu.Lock()
		m := a.mem.limits[idx(user)]
		set := m[owner].with(name, v, user)
		err = a.persistLimits(user, owner, set, name)
		if err == nil {
			m[owner] = set
		}
		a.mu.Unlock()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
		a.applyLimits(user, owner)
		noContent(w)
	}
}

func (a *API) deleteLimit(user bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		if !a.requireAdmin(w, p) {
			return
		}
		owner, name := r.PathValue("owner"), r.PathValue("name")
		// Removing a limit that is not set is a 204 in RabbitMQ; a missing
		// user or vhost is still a 404 here.
		if !a.limitOwnerExists(w, user, owner) {
			return
		}
		a.mu.Lock()
		m := a.mem.limits[idx(user)]
		set := m[owner]
		_, existed := set.get(name)
		var err error
		if existed {
			set = set.without(name)
			if err = a.persistLimits(user, owner, set, name); err == nil {
				if user && len(set) == 0 {
					delete(m, owner) // a vhost keeps its (empty) vhost-limits parameter
				} else {
					m[owner] = set
				}
			}
		}
		a.mu.Unlock()
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
		if existed {
			a.applyLimits(user, owner)
		}
		noContent(w)
	}
}
