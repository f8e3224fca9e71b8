package mgmt

import (
	"fmt"
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// canSee reports whether p may read objects in a vhost: monitoring users
// (and administrators) see everything, others the vhosts they have
// permissions on.
func (a *API) canSee(p *principal, vhost string) bool {
	return p.monitor || a.perms.CanAccessVHost(p.user.Name, vhost)
}

// canUse is RabbitMQ's is_authorized_vhost: administrators, or users with
// permissions on the vhost. The operation may still be refused by the
// user's configure/write/read patterns.
func (a *API) canUse(p *principal, vhost string) bool {
	return p.admin || a.perms.CanAccessVHost(p.user.Name, vhost)
}

func (a *API) requireAdmin(w http.ResponseWriter, p *principal) bool {
	if !p.admin {
		notAuthorised(w, "Not administrator user")
		return false
	}
	return true
}

func (a *API) requireMonitor(w http.ResponseWriter, p *principal) bool {
	if !p.monitor {
		notAuthorised(w, "Not monitor user")
		return false
	}
	return true
}

func (a *API) requireVisible(w http.ResponseWriter, p *principal, vhost string) bool {
	if !a.canSee(p, vhost) {
		notAuthorised(w, "User not authorised to access virtual host")
		return false
	}
	return true
}

func (a *API) requireVHost(w http.ResponseWriter, p *principal, vhost string) bool {
	if !a.canUse(p, vhost) {
		notAuthorised(w, "User not authorised to access virtual host")
		return false
	}
	return true
}

// requirePolicies is RabbitMQ's is_authorized_policies.
func (a *API) requirePolicies(w http.ResponseWriter, p *principal, vhost string) bool {
	if p.admin || (p.policymaker && a.perms.CanAccessVHost(p.user.Name, vhost)) {
		return true
	}
	notAuthorised(w, "User not authorised to access object")
	return false
}

// checkResource applies the user's configure/write/read pattern to a
// queue or exchange, as RabbitMQ's channel does for the API's requests.
func (a *API) checkResource(w http.ResponseWriter, p *principal, vhost string, acc auth.Access, kind, name string) bool {
	if kind == "exchange" {
		name = permName(name)
	}
	if a.perms.Check(p.user.Name, vhost, acc, name) {
		return true
	}
	notAuthorised(w, fmt.Sprintf("access to %s '%s' in vhost '%s' refused for user '%s'", kind, name, vhost, p.user.Name))
	return false
}

// visibleVHosts returns the vhosts p may read, sorted by name; with only
// set, just that one (nil and a 404 written when it does not exist).
func (a *API) visibleVHosts(w http.ResponseWriter, p *principal, only string, one bool) ([]*broker.VHost, bool) {
	if one {
		v := a.d.Broker.VHost(only)
		if v == nil {
			vhostNotFound(w)
			return nil, false
		}
		if !a.requireVisible(w, p, only) {
			return nil, false
		}
		return []*broker.VHost{v}, true
	}
	all := a.d.Broker.VHosts()
	out := all[:0:0]
	for _, v := range all {
		if a.canSee(p, v.Name()) {
			out = append(out, v)
		}
	}
	return out, true
}

// vhostParam returns the {vhost} path value and, with it, the vhost (a 404
// written when missing).
func (a *API) vhostParam(w http.ResponseWriter, r *http.Request) (string, *broker.VHost, bool) {
	name := r.PathValue("vhost")
	v := a.d.Broker.VHost(name)
	if v == nil {
		vhostNotFound(w)
		return name, nil, false
	}
	return name, v, true
}

// checkTopic applies topic permissions to a routing key on a topic
// exchange: write for publishing, read for binding, as the AMQP adapter
// does.
func (a *API) checkTopic(w http.ResponseWriter, p *principal, v *broker.VHost, exchange string, acc auth.Access, key string) bool {
	e := v.Exchange(exchange)
	if e == nil || e.Type() != broker.TypeTopic || a.perms.CheckTopic(p.user.Name, v.Name(), exchange, acc, key) {
		return true
	}
	notAuthorised(w, fmt.Sprintf("%s access to topic '%s' in exchange '%s' in vhost '%s' refused for user '%s'",
		acc, key, exchange, v.Name(), p.user.Name))
	return false
}
