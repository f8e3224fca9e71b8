package mgmt

import (
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/meta"
)

func (a *API) userJSON(u *auth.User) map[string]any {
	alg := u.HashAlgorithm
	if alg == "" {
		alg = auth.HashSHA256
	}
	a.mu.RLock()
	limits := a.mem.limits[1][u.Name].object()
	a.mu.RUnlock()
	return map[string]any{"name": u.Name, "password_hash": u.PasswordHash, "hashing_algorithm": alg,
		"tags": strList(u.Tags), "limits": limits}
}

func (a *API) userLister() lister[*auth.User] {
	return lister[*auth.User]{
		name: func(u *auth.User) string { return u.Name },
		key: func(u *auth.User, f string) (skey, bool) {
			switch f {
			case "name":
				return sk(u.Name), true
			case "vhost":
				return skey{}, true
			}
			return skey{}, false
		},
		render: a.userJSON,
	}
}

func (a *API) getUsers(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	serveList(w, r, a.d.Users.List(), a.userLister())
}

func (a *API) getUsersWithoutPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	var out []*auth.User
	for _, u := range a.d.Users.List() {
		if !a.perms.HasAny(u.Name) {
			out = append(out, u)
		}
	}
	serveList(w, r, out, a.userLister())
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	u := a.d.Users.Get(r.PathValue("user"))
	if u == nil {
		notFound(w)
		return
	}
	reply(w, r, a.userJSON(u))
}

// userFromBody builds the new state of a user from a PUT body or a
// definitions entry: password (hashed here) or password_hash with
// hashing_algorithm; without either an existing user keeps its hash and a
// new one gets none (it cannot log in with a password). Tags come as a
// list or a comma-separated string.
func userFromBody(name string, body map[string]any, old *auth.User) (*auth.User, error) {
	u := &auth.User{Name: name, HashAlgorithm: auth.HashSHA256}
	if old != nil {
		u.PasswordHash, u.HashAlgorithm, u.Tags = old.PasswordHash, old.HashAlgorithm, old.Tags
	}
	if _, ok := body["tags"]; ok {
		tags, err := tagsFromJSON(body["tags"])
		if err != nil {
			return nil, err
		}
		u.Tags = tags
	}
	if h, ok := body["password_hash"]; ok {
		hs, _ := h.(string)
		if hs != "" {
			if raw, err := base64.StdEncoding.DecodeString(hs); err != nil || len(raw) < 5 {
				return nil, fmt.Errorf("invalid password_hash")
			}
		}
		u.PasswordHash = hs
		u.HashAlgorithm = auth.HashSHA256
		if alg := str(body, "hashing_algorithm"); alg != "" {
			if !auth.ValidHashAlgorithm(alg) && alg != "rabbit_password_hashing_md5" {
				return nil, fmt.Errorf("unknown hashing_algorithm '%s'", alg)
			}
			u.HashAlgorithm = alg
		}
	} else if pw, ok := body["password"].(string); ok {
		u.PasswordHash, u.HashAlgorithm = auth.HashPassword(pw), auth.HashSHA256
	}
	return u, nil
}

func (a *API) putUser0(u *auth.User) error {
	if err := a.persist(meta.Op{Kind: meta.OpUserPut, User: &meta.User{Name: u.Name, PasswordHash: u.PasswordHash,
		HashAlgorithm: u.HashAlgorithm, Tags: u.Tags}}); err != nil {
		return err
	}
	a.d.Users.Put(u)
	return nil
}

func (a *API) putUser(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	name := r.PathValue("user")
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	old := a.d.Users.Get(name)
	u, err := userFromBody(name, body, old)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if err := a.putUser0(u); err != nil {
		brokerError(w, err)
		return
	}
	created(w, old == nil)
}

// removeUser deletes a user, its permissions and limits, and closes its
// connections, as RabbitMQ does.
func (a *API) removeUser(name string) (bool, error) {
	if a.d.Users.Get(name) == nil {
		return false, nil
	}
	if err := a.persist(meta.Op{Kind: meta.OpUserDelete, UserName: name}); err != nil {
		return true, err
	}
	a.d.Users.Delete(name)
	a.perms.DeleteUser(name)
	a.mu.Lock()
	delete(a.mem.limits[1], name)
	a.mu.Unlock()
	if a.d.AMQP != nil {
		a.d.AMQP.CloseUserConnections(name, fmt.Sprintf("user '%s' is deleted", name))
	}
	return true, nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	ok, err := a.removeUser(r.PathValue("user"))
	switch {
	case err != nil:
		brokerError(w, err)
	case !ok:
		notFound(w)
	default:
		noContent(w)
	}
}

func (a *API) bulkDeleteUsers(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	list, ok := body["users"].([]any)
	if !ok {
		badRequest(w, "key_missing: users")
		return
	}
	for _, x := range list {
		name, _ := x.(string)
		if _, err := a.removeUser(name); err != nil {
			brokerError(w, err)
			return
		}
	}
	noContent(w)
}

func (a *API) getUserPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	name := r.PathValue("user")
	if a.d.Users.Get(name) == nil {
		notFound(w)
		return
	}
	a.servePermissions(w, r, func(x auth.Permission) bool { return x.User == name })
}

func (a *API) getUserTopicPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	name := r.PathValue("user")
	if a.d.Users.Get(name) == nil {
		notFound(w)
		return
	}
	a.serveTopicPermissions(w, r, func(x auth.TopicPermission) bool { return x.User == name })
}
