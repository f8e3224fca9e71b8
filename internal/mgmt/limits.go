package mgmt

import (
	"fmt"
	"net/http"
)

type globalParam struct {
	name  string
	value any
}

func (a *API) globalList() []globalParam {
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
	a.mu.Lock()
	_, existed := a.mem.globals[name]
	a.mem.globals[name] = normJSON(val)
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
	delete(a.mem.globals, name)
	a.mu.Unlock()
	if !existed {
		notFound(w)
		return
	}
	noContent(w)
}

// The limits RabbitMQ knows, for vhosts and for users.
var limitNames = [2]map[string]bool{
	{"max-connections": true, "max-queues": true},
	{"max-connections": true, "max-channels": true},
}

type limitEntry struct {
	owner  string
	values map[string]any
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
		vals := make(map[string]any, len(m[k]))
		for n, v := range m[k] {
			vals[n] = v
		}
		out = append(out, limitEntry{k, vals})
	}
	return out
}

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
			if user || a.canSee(p, e.owner) {
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
			render: func(e limitEntry) map[string]any { return map[string]any{ownerKey: e.owner, "value": e.values} },
		})
	}
}

func (a *API) putLimit(user bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		if !a.requireAdmin(w, p) {
			return
		}
		owner, name := r.PathValue("owner"), r.PathValue("name")
		if user && a.d.Users.Get(owner) == nil {
			writeError(w, http.StatusNotFound, "not_found", "user_not_found")
			return
		}
		if !user && a.d.Broker.VHost(owner) == nil {
			vhostNotFound(w)
			return
		}
		if !limitNames[idx(user)][name] {
			badRequest(w, fmt.Sprintf("Validation failed\n\nUnrecognised terms [{<<\"%s\">>,...}] in limits", name))
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		v, err := intField(body, "value", 0)
		if _, has := body["value"]; !has || err != nil {
			badRequest(w, "value must be an integer")
			return
		}
		if err := a.persistParam(limitComponent(user), owner, name, v); err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
		a.mu.Lock()
		m := a.mem.limits[idx(user)]
		if m[owner] == nil {
			m[owner] = map[string]any{}
		}
		m[owner][name] = v
		a.mu.Unlock()
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
		if err := a.persistParam(limitComponent(user), owner, name, nil); err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
		a.mu.Lock()
		m := a.mem.limits[idx(user)]
		_, existed := m[owner][name]
		delete(m[owner], name)
		if len(m[owner]) == 0 {
			delete(m, owner)
		}
		a.mu.Unlock()
		if !existed {
			notFound(w)
			return
		}
		a.applyLimits(user, owner)
		noContent(w)
	}
}
