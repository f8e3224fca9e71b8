package mgmt

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// importer applies a definitions document in RabbitMQ's order: users,
// vhosts, permissions, topic permissions, parameters, global parameters,
// policies, queues, exchanges, bindings. Like RabbitMQ it adds and
// updates, never deletes, and stops at the first error.
type importer struct {
	a     *API
	vhost string // per-vhost import: every object goes there
	// limitVHosts are vhosts whose limits changed, applied once the
	// import no longer holds the API lock.
	limitVHosts []string
}

// objects returns the list under key as objects.
func objects(doc map[string]any, key string) ([]map[string]any, error) {
	raw, ok := doc[key]
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be a list", key)
	}
	out := make([]map[string]any, 0, len(list))
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: every entry must be an object", key)
		}
		out = append(out, m)
	}
	return out, nil
}

func (im *importer) vhostOf(m map[string]any) (string, *broker.VHost, error) {
	name := im.vhost
	if name == "" {
		name = str(m, "vhost")
	}
	v := im.a.d.Broker.VHost(name)
	if v == nil {
		return name, nil, fmt.Errorf("vhost '%s' does not exist", name)
	}
	return name, v, nil
}

func (im *importer) run(doc map[string]any) error {
	steps := []struct {
		key string
		fn  func(map[string]any) error
	}{
		{"users", im.user}, {"vhosts", im.vhostDef}, {"permissions", im.permission},
		{"topic_permissions", im.topicPermission}, {"parameters", im.parameter},
		{"global_parameters", im.global}, {"policies", im.policy}, {"queues", im.queue},
		{"exchanges", im.exchange}, {"bindings", im.binding},
	}
	for _, s := range steps {
		if im.vhost != "" && (s.key == "users" || s.key == "vhosts" || s.key == "permissions" ||
			s.key == "topic_permissions" || s.key == "global_parameters") {
			continue
		}
		list, err := objects(doc, s.key)
		if err != nil {
			return err
		}
		for _, m := range list {
			if err := s.fn(m); err != nil {
				return fmt.Errorf("%s: %v", s.key, err)
			}
		}
	}
	return nil
}

func (im *importer) user(m map[string]any) error {
	name := str(m, "name")
	if name == "" {
		return fmt.Errorf("a user has no name")
	}
	u, err := userFromBody(name, m, im.a.d.Users.Get(name))
	if err != nil {
		return err
	}
	if err := im.a.putUser0(u); err != nil {
		return err
	}
	if lim, ok := m["limits"].(map[string]any); ok && len(lim) > 0 {
		set, _ := limitSetOf(normJSON(lim))
		if msg := validateLimits(set, true); msg != "" {
			return fmt.Errorf("%s", validationFailed([]string{msg}, false))
		}
		im.a.mu.Lock()
		im.a.mem.limits[1][name] = set
		im.a.mu.Unlock()
		im.a.applyLimits(true, name)
	}
	return nil
}

func (im *importer) vhostDef(m map[string]any) error {
	name := str(m, "name")
	if name == "" {
		return fmt.Errorf("a vhost has no name")
	}
	body := m
	if md, ok := m["metadata"].(map[string]any); ok {
		body = copyMap(m)
		for k, v := range md {
			if _, top := body[k]; !top {
				body[k] = v
			}
		}
	}
	md, err := parseVHostMeta(body, im.a.vhostMeta(name))
	if err != nil {
		return err
	}
	_, err = im.a.addVHost(name, md)
	return err
}

func (im *importer) permission(m map[string]any) error {
	perm := auth.Permission{User: str(m, "user"), VHost: str(m, "vhost"), Configure: str(m, "configure"), Write: str(m, "write"), Read: str(m, "read")}
	if im.a.d.Users.Get(perm.User) == nil {
		return fmt.Errorf("user '%s' does not exist", perm.User)
	}
	if _, _, err := im.vhostOf(m); err != nil {
		return err
	}
	if err := perm.Validate(); err != nil {
		return err
	}
	return im.a.putPermission0(perm)
}

func (im *importer) topicPermission(m map[string]any) error {
	tp := auth.TopicPermission{User: str(m, "user"), VHost: str(m, "vhost"), Exchange: str(m, "exchange"), Write: str(m, "write"), Read: str(m, "read")}
	if im.a.d.Users.Get(tp.User) == nil {
		return fmt.Errorf("user '%s' does not exist", tp.User)
	}
	if _, _, err := im.vhostOf(m); err != nil {
		return err
	}
	if err := im.a.persistTopic(tp, false); err != nil {
		return err
	}
	return im.a.perms.PutTopic(tp)
}

// parameter imports a runtime parameter: the components Warren implements
// (vhost limits and operator policies, in RabbitMQ's format); others are
// refused as by RabbitMQ without the plugin that defines them.
func (im *importer) parameter(m map[string]any) error {
	vhost, _, err := im.vhostOf(m)
	if err != nil {
		return err
	}
	comp, name := str(m, "component"), str(m, "name")
	if msg := componentError(comp); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	if comp == componentVHostLimits {
		set, err := parseVHostLimitsParam(name, normJSON(m["value"]))
		if err != nil {
			return err
		}
		im.a.mu.Lock()
		im.a.mem.limits[0][vhost] = set
		im.a.mu.Unlock()
		im.limitVHosts = append(im.limitVHosts, vhost)
		return nil
	}
	body, ok := m["value"].(map[string]any)
	if !ok {
		return fmt.Errorf("operator_policy value must be an object")
	}
	pol, err := parsePolicy(body, vhost, name, true, false)
	if err != nil {
		return err
	}
	im.a.mu.Lock()
	im.a.mem.policies[1][[2]string{vhost, name}] = pol
	im.a.mu.Unlock()
	return nil
}

func (im *importer) global(m map[string]any) error {
	name := str(m, "name")
	im.a.mu.Lock()
	defer im.a.mu.Unlock()
	if name == "cluster_name" {
		if s, ok := m["value"].(string); ok {
			im.a.mem.clusterName = s
			return nil
		}
	}
	im.a.mem.globals[name] = normJSON(m["value"])
	return nil
}

func (im *importer) policy(m map[string]any) error {
	vhost, _, err := im.vhostOf(m)
	if err != nil {
		return err
	}
	pol, err := parsePolicy(m, vhost, str(m, "name"), false, false)
	if err != nil {
		return err
	}
	im.a.mu.Lock()
	im.a.mem.policies[0][[2]string{vhost, pol.Name}] = pol
	im.a.mu.Unlock()
	return nil
}

func (im *importer) queue(m map[string]any) error {
	_, v, err := im.vhostOf(m)
	if err != nil {
		return err
	}
	spec, err := queueSpec(str(m, "name"), m)
	if err != nil {
		return err
	}
	_, _, err = v.DeclareQueue(spec)
	return err
}

func (im *importer) exchange(m map[string]any) error {
	_, v, err := im.vhostOf(m)
	if err != nil {
		return err
	}
	name := str(m, "name")
	if predeclared(name) {
		return nil // every vhost has them; RabbitMQ skips them too
	}
	spec, err := exchangeSpec(name, m)
	if err != nil {
		return err
	}
	_, err = v.DeclareExchange(spec)
	return err
}

func (im *importer) binding(m map[string]any) error {
	_, v, err := im.vhostOf(m)
	if err != nil {
		return err
	}
	src := v.Exchange(str(m, "source"))
	if src == nil || src.Name() == "" {
		return fmt.Errorf("no source exchange '%s'", str(m, "source"))
	}
	var dst broker.Destination
	dn := str(m, "destination")
	if str(m, "destination_type") == "exchange" {
		if e := v.Exchange(dn); e != nil {
			dst = e
		}
	} else if q := v.Queue(dn); q != nil {
		dst = q
	}
	if dst == nil {
		return fmt.Errorf("no destination %s '%s'", str(m, "destination_type"), dn)
	}
	args, err := tableFromJSON(m["arguments"])
	if err != nil {
		return err
	}
	return v.Bind(src, dst, str(m, "routing_key"), args)
}

func (a *API) importDefinitions(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	im := &importer{a: a}
	if vh := r.PathValue("vhost"); vh != "" {
		if a.d.Broker.VHost(vh) == nil {
			vhostNotFound(w)
			return
		}
		im.vhost = vh
	}
	// RabbitMQ answers failed_to_parse_json for a definitions body that is
	// not a JSON object (where other endpoints say not_json).
	doc, ok := readBodyAs(w, r, "failed_to_parse_json")
	if !ok {
		return
	}
	if err := im.runAll(doc); err != nil {
		badRequest(w, err.Error())
		return
	}
	noContent(w)
}

// runAll imports doc and then applies and persists what the import put in
// the API's own store (limits, policies).
func (im *importer) runAll(doc map[string]any) error {
	err := im.run(doc)
	for _, v := range im.limitVHosts {
		im.a.applyLimits(false, v)
	}
	im.a.syncAllPolicies()
	if perr := im.a.persistAllParams(); perr != nil && err == nil {
		err = perr
	}
	return err
}

// ImportDefinitions imports a RabbitMQ-format definitions document, as
// POST /api/definitions does; the embedding server uses it for
// --definitions at boot (RabbitMQ's load_definitions).
func (a *API) ImportDefinitions(data []byte) error {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("definitions: %w", err)
	}
	return (&importer{a: a}).runAll(doc)
}
