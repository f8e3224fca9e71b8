package mgmt

import (
	"encoding/json"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/warrenmq/warren/internal/broker"
)

// definitions is RabbitMQ's definitions document. Lists are always
// present (possibly empty), as in a RabbitMQ export. A per-vhost export
// has only rabbit_version, parameters, policies, queues, exchanges and
// bindings (RabbitMQ 3.10's key set).
type definitions struct {
	RabbitVersion    string           `json:"rabbit_version"`
	RabbitMQVersion  string           `json:"rabbitmq_version,omitempty"`
	ProductName      string           `json:"product_name,omitempty"`
	ProductVersion   string           `json:"product_version,omitempty"`
	Users            []map[string]any `json:"users,omitempty"`
	VHosts           []map[string]any `json:"vhosts,omitempty"`
	Permissions      []map[string]any `json:"permissions,omitempty"`
	TopicPermissions []map[string]any `json:"topic_permissions,omitempty"`
	Parameters       []map[string]any `json:"parameters"`
	GlobalParameters []map[string]any `json:"global_parameters,omitempty"`
	Policies         []map[string]any `json:"policies"`
	Queues           []map[string]any `json:"queues"`
	Exchanges        []map[string]any `json:"exchanges"`
	Bindings         []map[string]any `json:"bindings"`
}

// MarshalJSON writes the whole-broker lists even when empty (omitempty
// only drops them from a per-vhost export, whose global part is nil).
func (d *definitions) MarshalJSON() ([]byte, error) {
	type plain definitions
	if d.Users == nil {
		return json.Marshal((*plain)(d))
	}
	return json.Marshal(struct {
		*plain
		Users            []map[string]any `json:"users"`
		VHosts           []map[string]any `json:"vhosts"`
		Permissions      []map[string]any `json:"permissions"`
		TopicPermissions []map[string]any `json:"topic_permissions"`
		GlobalParameters []map[string]any `json:"global_parameters"`
	}{(*plain)(d), d.Users, d.VHosts, d.Permissions, d.TopicPermissions, d.GlobalParameters})
}

// predeclared reports the exchanges every vhost has, which definitions
// never carry.
func predeclared(name string) bool { return name == "" || strings.HasPrefix(name, "amq.") }

// export builds the definitions of every vhost, or of one (vhost set):
// then queues, exchanges and bindings carry no vhost field (parameters
// and policies keep theirs) and users, vhosts, permissions and global
// parameters are left out, as RabbitMQ's per-vhost export does.
func (a *API) export(one *broker.VHost) *definitions {
	d := &definitions{RabbitVersion: RabbitMQVersion,
		Parameters: []map[string]any{}, Policies: []map[string]any{}, Queues: []map[string]any{},
		Exchanges: []map[string]any{}, Bindings: []map[string]any{}}
	vs := a.d.Broker.VHosts()
	if one != nil {
		vs = []*broker.VHost{one}
	}
	in := make(map[string]bool, len(vs))
	for _, v := range vs {
		in[v.Name()] = true
	}
	strip := func(m map[string]any) map[string]any {
		if one != nil {
			delete(m, "vhost")
		}
		return m
	}
	if one == nil {
		d.RabbitMQVersion, d.ProductName, d.ProductVersion = RabbitMQVersion, "Warren", a.d.Version
		a.exportGlobal(d, vs)
	}
	a.mu.RLock()
	for _, p := range a.paramList() {
		if in[p.VHost] {
			d.Parameters = append(d.Parameters, paramDef(p))
		}
	}
	for _, p := range a.mem.policyList(false) {
		if in[p.VHost] {
			d.Policies = append(d.Policies, p.json())
		}
	}
	a.mu.RUnlock()
	for _, v := range vs {
		var qs []*broker.Queue
		for _, q := range v.Queues() {
			if q.Durable() && !q.Exclusive() {
				qs = append(qs, q)
			}
		}
		sort.Slice(qs, func(i, j int) bool { return qs[i].Name() < qs[j].Name() })
		for _, q := range qs {
			d.Queues = append(d.Queues, strip(map[string]any{"name": q.Name(), "vhost": v.Name(), "durable": true,
				"auto_delete": q.AutoDelete(), "arguments": jsonTable(q.Args())}))
		}
		es := v.Exchanges()
		sort.Slice(es, func(i, j int) bool { return es[i].Name() < es[j].Name() })
		for _, e := range es {
			if e.Durable() && !predeclared(e.Name()) {
				d.Exchanges = append(d.Exchanges, strip(map[string]any{"name": e.Name(), "vhost": v.Name(), "type": e.Type(),
					"durable": true, "auto_delete": e.AutoDelete(), "internal": e.Internal(), "arguments": jsonTable(e.Args())}))
			}
		}
		var rows []bindingRow
		for _, b := range v.AllBindings() {
			if durableBinding(b) {
				rows = append(rows, rowOf(v.Name(), b))
			}
		}
		sortRows(rows)
		for _, b := range rows {
			d.Bindings = append(d.Bindings, strip(map[string]any{"source": b.source, "vhost": b.vhost, "destination": b.dest,
				"destination_type": b.destType, "routing_key": b.key, "arguments": jsonTable(b.args)}))
		}
	}
	return d
}

// durableBinding reports whether a binding survives a restart (and so
// belongs in definitions): both ends durable, the queue not exclusive.
func durableBinding(b broker.Binding) bool {
	if !b.Source.Durable() || b.Source.Name() == "" {
		return false
	}
	switch d := b.Destination.(type) {
	case *broker.Queue:
		return d.Durable() && !d.Exclusive()
	case *broker.Exchange:
		return d.Durable()
	}
	return false
}

func (a *API) exportGlobal(d *definitions, vs []*broker.VHost) {
	for _, u := range a.d.Users.List() {
		d.Users = append(d.Users, a.userJSON(u))
	}
	for _, v := range vs {
		md := a.vhostMeta(v.Name())
		d.VHosts = append(d.VHosts, map[string]any{"name": v.Name(), "description": md.Description, "tags": strList(md.Tags),
			"default_queue_type": md.DefaultQueueType,
			"metadata":           map[string]any{"description": md.Description, "tags": strList(md.Tags), "default_queue_type": md.DefaultQueueType}})
	}
	for _, p := range a.perms.List() {
		d.Permissions = append(d.Permissions, permJSON(p))
	}
	for _, p := range a.perms.ListTopic() {
		d.TopicPermissions = append(d.TopicPermissions, topicPermJSON(p))
	}
	d.GlobalParameters = []map[string]any{}
	a.clusterID() // make sure it exists: RabbitMQ exports it
	for _, g := range a.globalList() {
		d.GlobalParameters = append(d.GlobalParameters, globalJSON(g))
	}
	a.mu.RLock()
	if a.mem.clusterName != "" {
		d.GlobalParameters = append(d.GlobalParameters, map[string]any{"name": "cluster_name", "value": a.mem.clusterName})
	}
	a.mu.RUnlock()
	if d.Users == nil {
		d.Users = []map[string]any{}
	}
	if d.VHosts == nil {
		d.VHosts = []map[string]any{}
	}
	if d.Permissions == nil {
		d.Permissions = []map[string]any{}
	}
	if d.TopicPermissions == nil {
		d.TopicPermissions = []map[string]any{}
	}
}

func paramDef(p parameter) map[string]any {
	return map[string]any{"vhost": p.VHost, "component": p.Component, "name": p.Name, "value": p.Value}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (a *API) exportDefinitions(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	var one *broker.VHost
	if r.PathValue("vhost") != "" {
		var ok bool
		if _, one, ok = a.vhostParam(w, r); !ok {
			return
		}
	}
	if name := r.URL.Query().Get("download"); name != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	writeJSON(w, http.StatusOK, a.export(one))
}
