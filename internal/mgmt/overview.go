package mgmt

import (
	"math"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/warrenmq/warren/internal/alarm"
	"github.com/warrenmq/warren/internal/broker"
)

// knownExchangeTypes are RabbitMQ's exchange types (core and common
// plugins) with RabbitMQ's descriptions; /api/overview and /api/nodes list
// those the broker implements.
var knownExchangeTypes = []struct{ name, desc string }{
	{"direct", "AMQP direct exchange, as per the AMQP specification"},
	{"fanout", "AMQP fanout exchange, as per the AMQP specification"},
	{"headers", "AMQP headers exchange, as per the AMQP specification"},
	{"topic", "AMQP topic exchange, as per the AMQP specification"},
	{"x-consistent-hash", "Consistent Hashing Exchange"},
	{"x-delayed-message", "Delayed Message Exchange"},
	{"x-local-random", "Picks one random local binding (queue) to route via (to)."},
	{"x-random", "Picks one random binding (queue) to route via (to)."},
}

func exchangeTypes() []map[string]any {
	var out []map[string]any
	for _, t := range knownExchangeTypes {
		if broker.ValidExchangeType(t.name) {
			out = append(out, map[string]any{"name": t.name, "description": t.desc, "enabled": true})
		}
	}
	return out
}

func (a *API) listeners() []Listener {
	if a.d.Listeners == nil {
		return nil
	}
	return a.d.Listeners()
}

func (a *API) listenersJSON() ([]map[string]any, []map[string]any) {
	ls := []map[string]any{}
	ctxs := []map[string]any{}
	for _, l := range a.listeners() {
		ip := l.IP
		if ip == "" {
			ip = "::"
		}
		if l.Protocol == "http" {
			ctxs = append(ctxs, map[string]any{"node": a.d.Node, "description": "RabbitMQ Management",
				"path": "/", "ip": ip, "port": strconv.Itoa(l.Port)})
		}
		ls = append(ls, map[string]any{"node": a.d.Node, "protocol": l.Protocol, "ip_address": ip,
			"port": l.Port, "socket_opts": map[string]any{}})
	}
	return ls, ctxs
}

// queueTotals sums live counts over the vhosts.
func queueTotals(vs []*broker.VHost) (ready, unacked int, queues, exchanges int) {
	for _, v := range vs {
		ne, _ := v.Counts()
		exchanges += ne
		for _, q := range v.Queues() {
			in := q.Info()
			ready += in.Ready
			unacked += in.Unacked
			queues++
		}
	}
	return
}

func (a *API) getOverview(w http.ResponseWriter, r *http.Request, p *principal) {
	vs, _ := a.visibleVHosts(w, p, "", false)
	ready, unacked, queues, exchanges := queueTotals(vs)
	conns, chans := 0, 0
	if a.d.AMQP != nil {
		for _, c := range a.d.AMQP.Connections() {
			if p.monitor || (c.Opened && c.User == p.user.Name) {
				conns++
				chans += c.Channels
			}
		}
	}
	consumers := 0
	for _, v := range vs {
		for _, q := range v.Queues() {
			consumers += q.Info().Consumers
		}
	}
	snap := a.stats.current()
	var tot agg
	if p.monitor {
		tot = snap.total
	} else {
		for _, v := range vs {
			x := snap.vhosts[v.Name()]
			tot.cur.add(x.cur)
			tot.rate.add(x.rate)
		}
	}
	ls, ctxs := a.listenersJSON()
	a.mu.RLock()
	cluster := a.mem.clusterName
	a.mu.RUnlock()
	if cluster == "" {
		cluster = a.d.ClusterName
	}
	reply(w, r, map[string]any{
		"management_version":  RabbitMQVersion,
		"rabbitmq_version":    RabbitMQVersion,
		"product_name":        "Warren",
		"product_version":     a.d.Version,
		"rates_mode":          "basic",
		"disable_stats":       false,
		"enable_queue_totals": true,
		"cluster_name":        cluster,
		"node":                a.d.Node,
		"erlang_version":      runtime.Version(),
		"erlang_full_version": runtime.Version(),
		"exchange_types":      exchangeTypes(),
		"message_stats":       a.nodeMessageStats(tot.cur, tot.rate),
		"queue_totals": map[string]any{
			"messages": ready + unacked, "messages_ready": ready, "messages_unacknowledged": unacked,
		},
		"object_totals": map[string]any{
			"connections": conns, "channels": chans, "exchanges": exchanges, "queues": queues, "consumers": consumers,
		},
		"statistics_db_event_queue": 0,
		"listeners":                 ls,
		"contexts":                  ctxs,
		"churn_rates":               a.churnRates(),
		// RabbitMQ's web UI warns when a release series is out of
		// support; Warren's current release is supported.
		"release_series_support_status": "supported",
		"sample_retention_policies":     a.retentionPolicies(),
	})
}

// churnRates is RabbitMQ's churn_rates: connections and channels opened
// and closed, queues declared, created and deleted since start (live
// counts), each with its rate over the last sampling interval.
func (a *API) churnRates() map[string]any {
	cur, snap := a.stats.churn(), a.stats.current()
	m := make(map[string]any, 2*len(churnNames))
	for i, name := range churnNames {
		m[name] = cur[i]
		m[name+"_details"] = map[string]any{"rate": snap.churnRate[i]}
	}
	return m
}

// retentionPolicies is RabbitMQ's sample_retention_policies: for each
// policy, the ages (seconds) of the sample windows the statistics keep.
// Warren keeps no history: every rate is over the last sampling interval,
// the one window it reports (none while sampling is off).
func (a *API) retentionPolicies() map[string]any {
	ages := []int{}
	if iv := a.stats.interval; iv > 0 {
		ages = append(ages, int(math.Ceil(iv.Seconds())))
	}
	return map[string]any{"global": ages, "basic": ages, "detailed": ages}
}

func (a *API) getWhoami(w http.ResponseWriter, r *http.Request, p *principal) {
	writeJSON(w, http.StatusOK, map[string]any{"name": p.user.Name, "tags": strList(p.user.Tags)})
}

func (a *API) getClusterName(w http.ResponseWriter, r *http.Request, p *principal) {
	a.mu.RLock()
	name := a.mem.clusterName
	a.mu.RUnlock()
	if name == "" {
		name = a.d.ClusterName
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": name})
}

func (a *API) putClusterName(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireAdmin(w, p) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	name := str(body, "name")
	if name == "" {
		badRequest(w, "key_missing: name")
		return
	}
	a.mu.Lock()
	a.mem.clusterName = name
	a.mu.Unlock()
	noContent(w)
}

func (a *API) getExtensions(w http.ResponseWriter, r *http.Request, p *principal) {
	writeJSON(w, http.StatusOK, []any{})
}

// node renders the one node.
func (a *API) node() map[string]any {
	mem, _ := alarm.ResidentMemory()
	var diskFree int64
	if a.d.DataDir != "" {
		diskFree, _ = alarm.DiskFree(a.d.DataDir)
	}
	conns := 0
	if a.d.AMQP != nil {
		conns = a.d.AMQP.ConnectionCount()
	}
	fdUsed := 0
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		fdUsed = len(ents)
	}
	_, ctxs := a.listenersJSON()
	return map[string]any{
		"name":            a.d.Node,
		"type":            "disc",
		"running":         true,
		"being_drained":   false,
		"os_pid":          strconv.Itoa(os.Getpid()),
		"mem_used":        mem,
		"mem_limit":       a.d.MemoryLimit,
		"mem_alarm":       a.d.Alarms != nil && a.d.Alarms.Raised(alarm.Memory),
		"disk_free":       diskFree,
		"disk_free_limit": a.d.DiskFreeLimit,
		"disk_free_alarm": a.d.Alarms != nil && a.d.Alarms.Raised(alarm.Disk),
		"fd_used":         fdUsed,
		"fd_total":        fdTotal(),
		"sockets_used":    conns,
		"sockets_total":   fdTotal(),
		"proc_used":       runtime.NumGoroutine(),
		"proc_total":      1 << 20,
		"run_queue":       0,
		"processors":      runtime.NumCPU(),
		"uptime":          a.d.Now().Sub(a.started).Milliseconds(),
		"rates_mode":      "basic",
		"net_ticktime":    60,
		"partitions":      []any{},
		"applications":    []any{},
		"enabled_plugins": []string{"rabbitmq_management"},
		"exchange_types":  exchangeTypes(),
		"auth_mechanisms": []map[string]any{
			{"name": "PLAIN", "description": "SASL PLAIN authentication mechanism", "enabled": true},
			{"name": "AMQPLAIN", "description": "QPid AMQPLAIN mechanism", "enabled": true},
		},
		"contexts":     ctxs,
		"log_files":    []any{},
		"config_files": []any{},
		"db_dir":       a.d.DataDir,
	}
}

func (a *API) getNodes(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireMonitor(w, p) {
		return
	}
	serveList(w, r, []int{0}, lister[int]{
		name:   func(int) string { return a.d.Node },
		key:    func(_ int, f string) (skey, bool) { return skey{}, f == "vhost" },
		render: func(int) map[string]any { return a.node() },
	})
}

func (a *API) getNode(w http.ResponseWriter, r *http.Request, p *principal) {
	if !a.requireMonitor(w, p) {
		return
	}
	if r.PathValue("node") != a.d.Node {
		notFound(w)
		return
	}
	reply(w, r, a.node())
}

// checkAlarms is the alarms and local-alarms health checks: 503 while any
// resource alarm is raised.
func (a *API) checkAlarms(w http.ResponseWriter, r *http.Request, p *principal) {
	var raised []alarm.Resource
	if a.d.Alarms != nil {
		_, raised = a.d.Alarms.Active()
	}
	if len(raised) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
		return
	}
	list := make([]map[string]any, len(raised))
	for i, res := range raised {
		list[i] = map[string]any{"node": a.d.Node, "resource": string(res)}
	}
	reason := "There are alarms in effect in the cluster"
	if strings.HasSuffix(r.URL.Path, "/local-alarms") {
		reason = "There are alarms in effect on the node"
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "reason": reason, "alarms": list})
}

// checkOK answers the checks that always pass on a single node.
func (a *API) checkOK(w http.ResponseWriter, r *http.Request, p *principal) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

func (a *API) checkPortListener(w http.ResponseWriter, r *http.Request, p *principal) {
	port, err := strconv.Atoi(r.PathValue("port"))
	if err != nil {
		badRequest(w, "invalid port")
		return
	}
	ports := []int{}
	for _, l := range a.listeners() {
		if l.Port == port {
			writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "port": port})
			return
		}
		ports = append(ports, l.Port)
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "reason": "No active listener", "missing": port, "ports": ports})
}

// normProtocol maps protocol spellings to RabbitMQ's listener names.
func normProtocol(s string) string {
	switch s = strings.ToLower(s); s {
	case "amqp091", "amqp0-9-1", "amqp0.9.1", "amqp-0-9-1", "amqp":
		return "amqp"
	case "management", "http/web", "http":
		return "http"
	}
	return s
}

func (a *API) checkProtocolListener(w http.ResponseWriter, r *http.Request, p *principal) {
	want := normProtocol(r.PathValue("protocol"))
	protos := []string{}
	for _, l := range a.listeners() {
		if normProtocol(l.Protocol) == want {
			writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "protocol": want})
			return
		}
		protos = append(protos, l.Protocol)
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "failed", "reason": "No active listener", "missing": want, "protocols": protos})
}

// nodeMessageStats is the overview's message_stats: the queues' counters
// plus the adapter's confirm and unroutable counts, as RabbitMQ reports
// them (publish counts each publish once, not once per queue).
func (a *API) nodeMessageStats(c counters, r rates) map[string]any {
	m := messageStats(c, r)
	snap := a.stats.current()
	n, nr := snap.node, snap.nodeRate
	if n.published > 0 {
		m["publish"] = n.published
		m["publish_details"] = map[string]any{"rate": nr[0]}
	}
	m["confirm"] = n.confirmed
	m["confirm_details"] = map[string]any{"rate": nr[1]}
	m["drop_unroutable"] = n.unroutable
	m["drop_unroutable_details"] = map[string]any{"rate": nr[2]}
	return m
}
