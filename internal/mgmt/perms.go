package mgmt

import (
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/meta"
)

func permJSON(x auth.Permission) map[string]any {
	return map[string]any{"user": x.User, "vhost": x.VHost, "configure": x.Configure, "write": x.Write, "read": x.Read}
}

func topicPermJSON(x auth.TopicPermission) map[string]any {
	return map[string]any{"user": x.User, "vhost": x.VHost, "exchange": x.Exchange, "write": x.Write, "read": x.Read}
}

func (a *API) servePermissions(w http.ResponseWriter, r *http.Request, keep func(auth.Permission) bool) {
	var out []auth.Permission
	for _, x := range a.perms.List() {
		if keep(x) {
			out = append(out, x)
		}
	}
	serveList(w, r, out, lister[auth.Permission]{
		name: func(x auth.Permission) string { return x.User },
		key: func(x auth.Permission, f string) (skey, bool) {
			switch f {
			case "vhost":
				return sk(x.VHost), true
			case "name", "user":
				return sk(x.User), true
			}
			return skey{}, false
		},
		render: permJSON,
	})
}

func (a *API) serveTopicPermissions(w http.ResponseWriter, r *http.Request, keep func(auth.TopicPermission) bool) {
	var out []auth.TopicPermission
	for _, x := range a.perms.ListTopic() {
		if keep(x) {
			out = append(out, x)
		}
	}
	serveList(w, r, out, lister[auth.TopicPermission]{
		name: func(x auth.TopicPermission) string { return x.User },
		key: func(x auth.TopicPermission, f string) (skey, bool) {
			switch f {
			case "vhost":
				return sk(x.VHost), true
			case "name", "user":
				return sk(x.User), true
			case "exchange":
				return sk(x.Exchange), true
			}
			return skey{}, false
		},
		render: topicPermJSON,
	})
}

func (a *API) getPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	if a.requireAdmin(w, p) {
		a.servePermissions(w, r, func(auth.Permission) bool { return true })
	}
}

func (a *API) getPermission(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	x, ok := a.perms.Get(r.PathValue("user"), r.PathValue("vhost"))
	if !ok {
		notFound(w)
		return
	}
	reply(w, r, permJSON(x))
}

// userAndVHost checks that the {user} and {vhost} of a permission path
// exist; RabbitMQ refuses to set a permission for a missing one with 400
// vhost_or_user_not_found.
func (a *API) userAndVHost(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	user, vhost := r.PathValue("user"), r.PathValue("vhost")
	if a.d.Broker.VHost(vhost) == nil || a.d.Users.Get(user) == nil {
		badRequest(w, "vhost_or_user_not_found")
		return "", "", false
	}
	return user, vhost, true
}

func (a *API) putPermission(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	user, vhost, ok := a.userAndVHost(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	perm := auth.Permission{User: user, VHost: vhost}
	for _, f := range []struct {
		key string
		dst *string
	}{{"configure", &perm.Configure}, {"write", &perm.Write}, {"read", &perm.Read}} {
		s, ok := body[f.key].(string)
		if !ok {
			badRequest(w, "key_missing: "+f.key)
			return
		}
		*f.dst = s
	}
	if err := perm.Validate(); err != nil {
		badRequest(w, err.Error())
		return
	}
	_, existed := a.perms.Get(user, vhost)
	if err := a.putPermission0(perm); err != nil {
		brokerError(w, err)
		return
	}
	created(w, !existed)
}

func (a *API) deletePermission(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	user, vhost := r.PathValue("user"), r.PathValue("vhost")
	if _, ok := a.perms.Get(user, vhost); !ok {
		notFound(w)
		return
	}
	if err := a.persist(meta.Op{Kind: meta.OpPermissionClear, Permission: &meta.Permission{User: user, VHost: vhost}}); err != nil {
		brokerError(w, err)
		return
	}
	a.perms.Delete(user, vhost)
	noContent(w)
}

func (a *API) getTopicPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	if a.requireAdmin(w, p) {
		a.serveTopicPermissions(w, r, func(auth.TopicPermission) bool { return true })
	}
}

func (a *API) getTopicPermission(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	user, vhost := r.PathValue("user"), r.PathValue("vhost")
	var out []map[string]any
	for _, x := range a.perms.ListTopic() {
		if x.User == user && x.VHost == vhost {
			out = append(out, topicPermJSON(x))
		}
	}
	if len(out) == 0 {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// putTopicPermission stores a topic permission (in memory: the
// definitions log has no op for them yet).
func (a *API) putTopicPermission(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	user, vhost, ok := a.userAndVHost(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	tp := auth.TopicPermission{User: user, VHost: vhost}
	for _, f := range []struct {
		key string
		dst *string
	}{{"exchange", &tp.Exchange}, {"write", &tp.Write}, {"read", &tp.Read}} {
		s, ok := body[f.key].(string)
		if !ok {
			badRequest(w, "key_missing: "+f.key)
			return
		}
		*f.dst = s
	}
	existed := false
	for _, x := range a.perms.ListTopic() {
		if x.User == user && x.VHost == vhost && x.Exchange == tp.Exchange {
			existed = true
		}
	}
	if err := tp.Validate(); err != nil {
		badRequest(w, err.Error())
		return
	}
	if err := a.persistTopic(tp, false); err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
		return
	}
	if err := a.perms.PutTopic(tp); err != nil {
		badRequest(w, err.Error())
		return
	}
	created(w, !existed)
}

func (a *API) deleteTopicPermission(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	user, vhost, exchange := r.PathValue("user"), r.PathValue("vhost"), r.URL.Query().Get("exchange")
	var gone []auth.TopicPermission
	for _, x := range a.perms.ListTopic() {
		if x.User == user && x.VHost == vhost && (exchange == "" || x.Exchange == exchange) {
			gone = append(gone, x)
		}
	}
	if a.perms.DeleteTopic(user, vhost, exchange) == 0 {
		notFound(w)
		return
	}
	for _, tp := range gone {
		if err := a.persistTopic(tp, true); err != nil {
			writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
			return
		}
	}
	noContent(w)
}
