package mgmt

import (
	"fmt"
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
	"github.com/warrenmq/warren/internal/meta"
)

func (a *API) vhostMeta(name string) vhostMeta {
	a.mu.RLock()
	defer a.mu.RUnlock()
	m, ok := a.mem.vhostMeta[name]
	if !ok && name == "/" {
		m.Description = "Default virtual host"
	}
	if m.DefaultQueueType == "" {
		m.DefaultQueueType = "classic"
	}
	return m
}

func (a *API) vhostJSON(v *broker.VHost) map[string]any {
	md := a.vhostMeta(v.Name())
	ready, unacked := 0, 0
	for _, q := range v.Queues() {
		in := q.Info()
		ready += in.Ready
		unacked += in.Unacked
	}
	st := a.stats.current().vhosts[v.Name()]
	return map[string]any{
		"name": v.Name(), "description": md.Description, "tags": strList(md.Tags),
		"default_queue_type": md.DefaultQueueType, "tracing": md.Tracing,
		"metadata":      map[string]any{"description": md.Description, "tags": strList(md.Tags), "default_queue_type": md.DefaultQueueType},
		"cluster_state": map[string]any{a.d.Node: "running"},
		"messages":      ready + unacked, "messages_ready": ready, "messages_unacknowledged": unacked,
		"message_stats": messageStats(st.cur, st.rate),
	}
}

func (a *API) getVHosts(w http.ResponseWriter, r *http.Request, p *principal) {
	vs, _ := a.visibleVHosts(w, p, "", false)
	serveList(w, r, vs, lister[*broker.VHost]{
		name: (*broker.VHost).Name,
		key: func(v *broker.VHost, f string) (skey, bool) {
			switch f {
			case "name":
				return sk(v.Name()), true
			case "vhost":
				return skey{}, true
			}
			return skey{}, false
		},
		render: a.vhostJSON,
	})
}

func (a *API) getVHost(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVisible(w, p, vhost) {
		return
	}
	reply(w, r, a.vhostJSON(v))
}

// putVHost creates or updates a vhost. As RabbitMQ's API does, creating
// one grants the acting user full permissions on it.
func (a *API) putVHost(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	name := r.PathValue("vhost")
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	md, err := parseVHostMeta(body, a.vhostMeta(name))
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	isNew, err := a.addVHost(name, md)
	if err != nil {
		brokerError(w, err)
		return
	}
	if isNew {
		perm := auth.Permission{User: p.user.Name, VHost: name, Configure: ".*", Write: ".*", Read: ".*"}
		if err := a.putPermission0(perm); err != nil {
			brokerError(w, err)
			return
		}
	}
	created(w, isNew)
}

func parseVHostMeta(body map[string]any, md vhostMeta) (vhostMeta, error) {
	if d, ok := body["description"].(string); ok {
		md.Description = d
	}
	if _, ok := body["tags"]; ok {
		tags, err := tagsFromJSON(body["tags"])
		if err != nil {
			return md, err
		}
		md.Tags = tags
	}
	if t, ok := body["default_queue_type"].(string); ok && t != "" {
		md.DefaultQueueType = t
	}
	if _, ok := body["tracing"]; ok {
		tr, err := boolField(body, "tracing")
		if err != nil {
			return md, err
		}
		md.Tracing = tr
	}
	return md, nil
}

// addVHost creates a vhost (persisted by the broker) and records its
// metadata; it reports whether the vhost is new.
func (a *API) addVHost(name string, md vhostMeta) (bool, error) {
	isNew := a.d.Broker.VHost(name) == nil
	if _, err := a.d.Broker.AddVHost(name); err != nil {
		return false, err
	}
	a.mu.Lock()
	a.mem.vhostMeta[name] = md
	a.mu.Unlock()
	return isNew, nil
}

// deleteVHost deletes a vhost with everything in it and closes its
// connections, as RabbitMQ does.
func (a *API) deleteVHost(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	name := r.PathValue("vhost")
	if a.d.Broker.VHost(name) == nil {
		notFound(w)
		return
	}
	if err := a.d.Broker.DeleteVHost(name); err != nil {
		brokerError(w, err)
		return
	}
	if a.d.AMQP != nil {
		a.d.AMQP.CloseVHostConnections(name, fmt.Sprintf("vhost '%s' is deleted", name))
	}
	// The definitions log drops the vhost's permissions with vhost.delete.
	a.perms.DeleteVHost(name)
	a.mu.Lock()
	a.mem.forgetVHost(name)
	a.mu.Unlock()
	noContent(w)
}

func (a *API) getVHostPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, _, ok := a.vhostParam(w, r)
	if !ok || !a.requireAdmin(w, p) {
		return
	}
	a.servePermissions(w, r, func(x auth.Permission) bool { return x.VHost == vhost })
}

func (a *API) getVHostTopicPermissions(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, _, ok := a.vhostParam(w, r)
	if !ok || !a.requireAdmin(w, p) {
		return
	}
	a.serveTopicPermissions(w, r, func(x auth.TopicPermission) bool { return x.VHost == vhost })
}

// putPermission0 stores and persists a permission.
func (a *API) putPermission0(perm auth.Permission) error {
	if err := a.persist(meta.Op{Kind: meta.OpPermissionPut, Permission: &meta.Permission{User: perm.User, VHost: perm.VHost,
		Configure: perm.Configure, Write: perm.Write, Read: perm.Read}}); err != nil {
		return err
	}
	return a.perms.Put(perm)
}
