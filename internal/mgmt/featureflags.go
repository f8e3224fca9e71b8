package mgmt

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Endpoints that monitoring tools, Terraform providers and RabbitMQ's web
// UI call but that have nothing to manage on a single Warren node: feature
// flags (all enabled), deprecated features (none), the UI's auth settings
// (no OAuth), the node health check that /api/health/checks/... replaced,
// and queue leader rebalancing.
// Status codes, bodies and access rules are RabbitMQ's; see the package
// comment for the compatibility version.
func (a *API) registerFeatureFlags() {
	get, put, post := http.MethodGet, http.MethodPut, http.MethodPost
	a.handle("/api/feature-flags", methods{get: a.getFeatureFlags})
	a.handle("/api/feature-flags/{name}/enable", methods{put: a.enableFeatureFlag})
	a.handle("/api/deprecated-features", methods{get: a.getDeprecatedFeatures})
	a.handle("/api/deprecated-features/used", methods{get: a.getDeprecatedFeatures})
	a.handle("/api/healthchecks/node", methods{get: a.nodeHealthcheck})
	a.handle("/api/healthchecks/node/{node}", methods{get: a.nodeHealthcheck})
	a.handle("/api/rebalance/queues", methods{post: a.rebalanceQueues})
	// The web UI asks for its login settings before anyone has logged in,
	// so RabbitMQ serves this one without authentication.
	a.mux.add("/api/auth", withoutAuth(http.MethodGet, a.getAuthSettings))
}

// featureFlag is one entry of /api/feature-flags. Every flag is reported
// enabled: Warren has no mixed-version clusters to protect, and the
// behaviour each flag gates is either implemented or irrelevant to it.
type featureFlag struct {
	name, desc, docURL string
	stability          string // "required" or "stable", as RabbitMQ 3.13 marks it
	providedBy         string
}

// featureFlags lists what a RabbitMQ 3.13.7 node with the management
// plugin reports, sorted by name. The 3.10 flags keep the descriptions
// the 3.10 management API returns; the others use those of RabbitMQ's
// sources. Flags graduated to required by 3.11 or 3.12 are "required" in
// 3.13. khepri_db is left out: 3.13 reports it disabled and experimental,
// and Warren has no Khepri store that enabling it could switch to.
// MQTT plugin flags are left out as RabbitMQ lists a plugin's flags only
// while the plugin is enabled.
func featureFlags() []featureFlag {
	const (
		rabbit = "rabbit"
		agent  = "rabbitmq_management_agent"
		mgmt   = "rabbitmq_management"
		req    = "required"
		stable = "stable"
	)
	return []featureFlag{
		{"classic_mirrored_queue_version", "Support setting version for classic mirrored queues", "", req, rabbit},
		{"classic_queue_type_delivery_support", "Bug fix for classic queue deliveries using mixed versions",
			"https://github.com/rabbitmq/rabbitmq-server/issues/5931", req, rabbit},
		{"detailed_queues_endpoint", "Add a detailed queues HTTP API endpoint. Reduce number of metrics in the default endpoint.",
			"", stable, mgmt},
		{"direct_exchange_routing_v2", "v2 direct exchange routing implementation", "", req, rabbit},
		{"drop_unroutable_metric", "Count unroutable publishes to be dropped in stats", "", req, agent},
		{"empty_basic_get_metric", "Count AMQP `basic.get` on empty queues in stats", "", req, agent},
		{"feature_flags_v2", "Feature flags subsystem V2", "", req, rabbit},
		{"implicit_default_bindings", "Default bindings are now implicit, instead of being stored in the database", "", req, rabbit},
		{"listener_records_in_ets", "Store listener records in ETS instead of Mnesia", "", req, rabbit},
		{"maintenance_mode_status", "Maintenance mode status", "", req, rabbit},
		{"message_containers", "Message containers.", "", stable, rabbit},
		{"message_containers_deaths_v2", "Bug fix for dead letter cycle detection",
			"https://github.com/rabbitmq/rabbitmq-server/issues/11159", stable, rabbit},
		{"quorum_queue", "Support queues of type `quorum`", "https://www.rabbitmq.com/quorum-queues.html", req, rabbit},
		{"quorum_queue_non_voters", "Allows new quorum queue members to be added as non voters initially.", "", stable, rabbit},
		// RabbitMQ concatenates the two sentences without a space.
		{"restart_streams", "Support for restarting streams with optional preferred next leader argument." +
			"Used to implement stream leader rebalancing", "", stable, rabbit},
		{"stream_filtering", "Support for stream filtering.", "", stable, rabbit},
		{"stream_queue", "Support queues of type `stream`", "https://www.rabbitmq.com/stream.html", req, rabbit},
		{"stream_sac_coordinator_unblock_group", "Bug fix to unblock a group of consumers in a super stream partition",
			"https://github.com/rabbitmq/rabbitmq-server/issues/7743", stable, rabbit},
		{"stream_single_active_consumer", "Single active consumer for streams", "https://www.rabbitmq.com/docs/stream", req, rabbit},
		{"stream_update_config_command", "A new internal command that is used to update streams as part of a policy.",
			"", stable, rabbit},
		{"tracking_records_in_ets", "Store tracking records in ETS instead of Mnesia", "", req, rabbit},
		{"user_limits", "Configure connection and channel limits for a user", "", req, rabbit},
		{"virtual_host_metadata", "Virtual host metadata (description, tags, etc)", "", req, rabbit},
	}
}

func (f featureFlag) json() map[string]any {
	return map[string]any{"name": f.name, "desc": f.desc, "doc_url": f.docURL,
		"state": "enabled", "stability": f.stability, "provided_by": f.providedBy}
}

// getFeatureFlags is administrator-only, as in RabbitMQ (other management
// users get 401 "Not administrator user").
func (a *API) getFeatureFlags(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	flags := featureFlags()
	out := make([]map[string]any, len(flags))
	for i, f := range flags {
		out[i] = f.json()
	}
	replyUnpaged(w, r, out)
}

// enableFeatureFlag answers 204 for a known flag, as RabbitMQ does for one
// already enabled, and RabbitMQ's 400 "unsupported" for any other name. The
// body is not read: RabbitMQ ignores it too.
func (a *API) enableFeatureFlag(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	name := r.PathValue("name")
	if !slices.ContainsFunc(featureFlags(), func(f featureFlag) bool { return f.name == name }) {
		badRequest(w, "unsupported")
		return
	}
	noContent(w)
}

// getDeprecatedFeatures serves /api/deprecated-features and its /used
// variant (administrator-only in RabbitMQ 3.13). Both are empty: the
// features RabbitMQ deprecates (transient non-exclusive queues, global
// QoS, ...) are not deprecated in Warren, which has no plan to remove
// them, so listing them would also oblige /used to report their use.
func (a *API) getDeprecatedFeatures(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	writeJSON(w, http.StatusOK, []map[string]any{})
}

// getAuthSettings is the web UI's login configuration: no OAuth 2. It
// carries both RabbitMQ 3.13's key (oauth_enabled) and the UAA keys
// 3.10's UI reads, so either UI shows its basic-auth login form.
func (a *API) getAuthSettings(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"oauth_enabled": false,
		"enable_uaa":    false, "uaa_client_id": "", "uaa_location": "",
	})
}

// nodeHealthcheck is the health check RabbitMQ had before the
// /api/health/checks family (RabbitMQ 3.10 still serves it): any
// management user; 404 for a node other than this one; otherwise 200,
// with status "failed" while a resource alarm is raised (RabbitMQ reports
// that failure in the body, not in the status code).
func (a *API) nodeHealthcheck(w http.ResponseWriter, r *http.Request, p *principal) {
	if node := r.PathValue("node"); node != "" && node != a.d.Node {
		notFound(w)
		return
	}
	if reason := a.alarmsInEffect(); reason != "" {
		writeJSON(w, http.StatusOK, map[string]any{"status": "failed", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// alarmsInEffect is RabbitMQ's health check message for raised resource
// alarms, the list printed as the Erlang term rabbit:alarms() returns;
// "" when none is raised.
func (a *API) alarmsInEffect() string {
	if a.d.Alarms == nil {
		return ""
	}
	_, raised := a.d.Alarms.Active()
	if len(raised) == 0 {
		return ""
	}
	terms := make([]string, len(raised))
	for i, res := range raised {
		terms[i] = fmt.Sprintf("{resource_limit,%s,%s}", erlAtom(string(res)), erlAtom(a.d.Node))
	}
	slices.Sort(terms) // Active's order is arbitrary
	return "resource alarm(s) in effect:[" + strings.Join(terms, ",") + "]"
}

// erlAtom prints s as Erlang's ~p prints an atom: bare when it is a
// lowercase letter followed by letters, digits, _ and @, else quoted.
func erlAtom(s string) string {
	bare := s != "" && s[0] >= 'a' && s[0] <= 'z'
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '@') {
			bare = false
			break
		}
	}
	if bare {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// rebalanceQueues answers RabbitMQ's 204 (administrator only). RabbitMQ
// starts moving queue leaders in the background and answers at once; on a
// single node every leader is already local, so there is nothing to move.
func (a *API) rebalanceQueues(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	a.log.Info("queue rebalance requested; single node, nothing to move", "user", p.user.Name)
	noContent(w)
}

// replyUnpaged answers a list as RabbitMQ's reply_list does: sort,
// sort_reverse and columns apply, paging parameters are ignored.
func replyUnpaged(w http.ResponseWriter, r *http.Request, items []map[string]any) {
	qs := r.URL.Query()
	sorts := []string{"name"}
	if s := qs.Get("sort"); s != "" && s != "name" {
		sorts = []string{s, "name"}
	}
	sortItems(items, sorts, qs.Get("sort_reverse") == "true", lister[map[string]any]{
		key: func(m map[string]any, f string) (skey, bool) { return toSkey(dotted(m, f)), true },
	})
	cols := parseColumns(qs.Get("columns"))
	for i := range items {
		items[i] = pickColumns(items[i], cols)
	}
	writeJSON(w, http.StatusOK, items)
}

// withoutAuth serves one method (and HEAD for GET) with no credentials
// checked, answering OPTIONS and other methods as handle does.
func withoutAuth(method string, h http.HandlerFunc) http.HandlerFunc {
	allow := method + ", OPTIONS"
	if method == http.MethodGet {
		allow = "GET, HEAD, OPTIONS"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == method || (method == http.MethodGet && r.Method == http.MethodHead):
			h(w, r)
		case r.Method == http.MethodOptions:
			w.Header().Set("Allow", allow)
			w.WriteHeader(http.StatusOK)
		default:
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method Not Allowed")
		}
	}
}
