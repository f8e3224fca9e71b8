package ctl

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// scope is how a list relates to virtual hosts.
type scope int

const (
	nodeWide      scope = iota // vhosts, users: -p does not apply
	vhostScoped                // one vhost, "/" by default, as rabbitmqctl
	vhostOptional              // the whole node unless -p is given
)

// listDef is a list_* command: the API path for everything and for one
// vhost, and the default columns.
type listDef struct {
	name  string
	scope scope
	all   []string
	one   func(vhost string) []string
	cols  []string
}

var lists = []listDef{
	{"list_queues", vhostScoped, []string{"queues"}, func(v string) []string { return []string{"queues", v} },
		[]string{"name", "messages", "consumers"}},
	{"list_exchanges", vhostScoped, []string{"exchanges"}, func(v string) []string { return []string{"exchanges", v} },
		[]string{"name", "type"}},
	{"list_bindings", vhostScoped, []string{"bindings"}, func(v string) []string { return []string{"bindings", v} },
		[]string{"source", "destination_type", "destination", "routing_key", "arguments"}},
	{"list_consumers", vhostScoped, []string{"consumers"}, func(v string) []string { return []string{"consumers", v} },
		[]string{"queue.name", "channel_details.name", "consumer_tag", "ack_required", "prefetch_count", "active", "arguments"}},
	{"list_connections", vhostOptional, []string{"connections"}, func(v string) []string { return []string{"vhosts", v, "connections"} },
		[]string{"name", "user", "vhost", "state", "channels"}},
	{"list_channels", vhostOptional, []string{"channels"}, func(v string) []string { return []string{"vhosts", v, "channels"} },
		[]string{"name", "user", "vhost", "consumer_count", "messages_unacknowledged"}},
	{"list_permissions", vhostScoped, []string{"permissions"}, func(v string) []string { return []string{"vhosts", v, "permissions"} },
		[]string{"user", "configure", "write", "read"}},
	{"list_policies", vhostScoped, []string{"policies"}, func(v string) []string { return []string{"policies", v} },
		[]string{"vhost", "name", "pattern", "apply-to", "definition", "priority"}},
	{"list_vhosts", nodeWide, []string{"vhosts"}, nil, []string{"name"}},
	{"list_users", nodeWide, []string{"users"}, nil, []string{"name", "tags"}},
}

func init() {
	for _, d := range lists {
		register(&verb{name: d.name, synopsis: "[COLUMN...]", max: -1, vhost: d.scope != nodeWide, run: d.run})
	}
	register(&verb{name: "status", run: runStatus})
}

func (d listDef) run(s *session, args []string) error {
	if s.o.allVHosts && s.o.vhostSet {
		return usagef("use either -p or --all-vhosts")
	}
	cols := splitColumns(args)
	defaults := len(cols) == 0
	if defaults {
		cols = slices.Clone(d.cols)
	}
	segs := d.all
	r := request{}
	scoped := !s.o.allVHosts && (d.scope == vhostScoped || (d.scope == vhostOptional && s.o.vhostSet))
	if scoped {
		segs = d.one(s.o.vhost)
		r.vhost = s.o.vhost
		r.what = "vhost '" + s.o.vhost + "'"
	} else if defaults && d.scope != nodeWide && !slices.Contains(cols, "vhost") {
		cols = append([]string{"vhost"}, cols...)
	}
	r.path = apiPath(segs...)
	r.query = url.Values{"columns": {strings.Join(cols, ",")}}
	if s.o.format == "json" {
		r.method = http.MethodGet
		_, data, err := s.c.do(s.ctx, r)
		if err != nil {
			return err
		}
		return writeJSONOut(s.out, data)
	}
	var rows []map[string]any
	if _, err := s.c.getJSON(s.ctx, r, &rows); err != nil {
		return err
	}
	return writeTable(s.out, cols, rows)
}

// rateKeys are the overview's message rates shown by status.
var rateKeys = []string{"publish", "confirm", "deliver_get", "ack", "redeliver", "return_unroutable"}

// runStatus is rabbitmqctl status in brief: /api/overview and the alarms
// health check.
func runStatus(s *session, _ []string) error {
	var ov map[string]any
	if _, err := s.c.getJSON(s.ctx, request{path: apiPath("overview")}, &ov); err != nil {
		return err
	}
	var health struct {
		Status string           `json:"status"`
		Alarms []map[string]any `json:"alarms"`
	}
	_, err := s.c.getJSON(s.ctx, request{path: apiPath("health", "checks", "alarms"),
		accept: []int{http.StatusServiceUnavailable}}, &health)
	if err != nil {
		return err
	}
	alarms := health.Alarms
	if alarms == nil {
		alarms = []map[string]any{}
	}
	if s.o.format == "json" {
		ov["alarms"] = alarms
		_, err := s.out.Write(marshalOut(ov))
		return err
	}
	get := func(path string) string { v, ok := lookup(ov, path); return cell(v, ok) }
	w := s.out
	put := func(str string) { w.Write([]byte(str)) }
	put("Status of node " + get("node") + "\n\n")
	product := get("product_name") + " " + get("product_version")
	writeKV(w, "", [][2]string{
		{"Product", strings.TrimSpace(product)},
		{"API version", get("management_version") + " (RabbitMQ management API)"},
		{"Node", get("node")},
		{"Cluster name", get("cluster_name")},
		{"Runtime", get("erlang_version")},
		{"Listeners", listeners(ov)},
	})
	put("\nObject totals\n")
	var kv [][2]string
	for _, k := range []string{"connections", "channels", "exchanges", "queues", "consumers"} {
		kv = append(kv, [2]string{k, get("object_totals." + k)})
	}
	writeKV(w, "  ", kv)
	put("\nQueue totals\n")
	kv = nil
	for _, k := range []string{"messages", "messages_ready", "messages_unacknowledged"} {
		kv = append(kv, [2]string{k, get("queue_totals." + k)})
	}
	writeKV(w, "  ", kv)
	kv = nil
	for _, k := range rateKeys {
		if v, ok := lookup(ov, "message_stats."+k+"_details.rate"); ok {
			kv = append(kv, [2]string{k, cell(v, ok)})
		}
	}
	if len(kv) > 0 {
		put("\nMessage rates (per second)\n")
		writeKV(w, "  ", kv)
	}
	put("\nAlarms\n")
	if len(alarms) == 0 {
		put("  (none)\n")
	}
	for _, a := range alarms {
		put("  " + cell(a["resource"], true) + " on " + cell(a["node"], true) + "\n")
	}
	return nil
}

// listeners renders the overview's listeners: "amqp [::]:5672, ...".
func listeners(ov map[string]any) string {
	ls, _ := ov["listeners"].([]any)
	var out []string
	for _, l := range ls {
		m, ok := l.(map[string]any)
		if !ok {
			continue
		}
		ip := cell(m["ip_address"], true)
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		out = append(out, cell(m["protocol"], true)+" "+ip+":"+cell(m["port"], true))
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}
