package mgmt

import (
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

type queueRow struct {
	vhost string
	q     *broker.Queue
}

// queueJSON renders RabbitMQ's queue object: declare flags, live counts,
// message_stats from the sampler.
func (a *API) queueJSON(x queueRow) map[string]any {
	q := x.q
	in := q.Info()
	c, rt, active, _ := a.stats.queueStats(q)
	pol, opPol, effective := a.queuePolicies(q)
	m := map[string]any{
		"name": q.Name(), "vhost": x.vhost, "durable": q.Durable(), "auto_delete": q.AutoDelete(),
		"exclusive": q.Exclusive(), "arguments": jsonTable(q.Args()), "node": a.d.Node,
		"type": q.Type(), "state": "running",
		"messages": in.Ready + in.Unacked, "messages_ready": in.Ready, "messages_unacknowledged": in.Unacked,
		"message_bytes": in.ReadyBytes, "message_bytes_ready": in.ReadyBytes, "message_bytes_unacknowledged": 0,
		"consumers": in.Consumers, "consumer_capacity": boolFloat(in.Consumers > 0), "consumer_utilisation": boolFloat(in.Consumers > 0),
		"exclusive_consumer_tag": nil, "policy": pol, "operator_policy": opPol,
		"effective_policy_definition": effective, "head_message_timestamp": nil,
		"message_stats": messageStats(c, rt),
	}
	if in.Consumers == 0 && !active.IsZero() {
		m["idle_since"] = rabbitTime(active)
	}
	return m
}

// queuePolicies returns the names of the policy and operator policy that
// apply to q (nil when none) and RabbitMQ's effective_policy_definition:
// the policy's definition with the operator policy's keys merged in, the
// lower value winning where both set one.
func (a *API) queuePolicies(q *broker.Queue) (pol, opPol any, effective map[string]any) {
	effective = map[string]any{}
	up, op := q.VHost().EffectivePolicies(q.Name(), "queues")
	if up != nil {
		pol = up.Name
		for k, v := range up.Definition {
			effective[k] = v
		}
	}
	if op != nil {
		opPol = op.Name
		for k, v := range op.Definition {
			cur, set := effective[k]
			a, aok := jsonFloat(cur)
			b, bok := jsonFloat(v)
			if set && aok && bok && b >= a {
				continue // the policy's lower value stands
			}
			effective[k] = v
		}
	}
	return pol, opPol, effective
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// queueKey extracts sort keys without rendering; the common sort fields
// cost one queue lock or one map lookup.
func (a *API) queueKey(x queueRow, f string) (skey, bool) {
	q := x.q
	switch f {
	case "name":
		return sk(q.Name()), true
	case "vhost":
		return sk(x.vhost), true
	case "durable":
		return sk(q.Durable()), true
	case "auto_delete":
		return sk(q.AutoDelete()), true
	case "exclusive":
		return sk(q.Exclusive()), true
	case "messages", "messages_ready", "messages_unacknowledged", "consumers", "message_bytes":
		in := q.Info()
		switch f {
		case "messages":
			return sk(in.Ready + in.Unacked), true
		case "messages_ready":
			return sk(in.Ready), true
		case "messages_unacknowledged":
			return sk(in.Unacked), true
		case "consumers":
			return sk(in.Consumers), true
		}
		return sk(in.ReadyBytes), true
	case "type":
		return sk(q.Type()), true
	case "state":
		return sk("running"), true
	case "node":
		return sk(a.d.Node), true
	case "policy":
		if up, _ := q.VHost().EffectivePolicies(q.Name(), "queues"); up != nil {
			return sk(up.Name), true
		}
		return sk(""), true
	}
	if len(f) > len("message_stats.") && f[:len("message_stats.")] == "message_stats." {
		c, rt, _, _ := a.stats.queueStats(q)
		return messageStatsKey(c, rt, f)
	}
	return skey{}, false
}

func (a *API) queueLister() lister[queueRow] {
	return lister[queueRow]{
		name:   func(x queueRow) string { return x.q.Name() },
		key:    a.queueKey,
		render: a.queueJSON,
	}
}

func (a *API) getQueues(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost := r.PathValue("vhost")
	vs, ok := a.visibleVHosts(w, p, vhost, vhost != "")
	if !ok {
		return
	}
	n := 0
	qss := make([][]*broker.Queue, len(vs))
	for i, v := range vs {
		qss[i] = v.Queues()
		n += len(qss[i])
	}
	rows := make([]queueRow, 0, n)
	for i, v := range vs {
		for _, q := range qss[i] {
			rows = append(rows, queueRow{v.Name(), q})
		}
	}
	serveList(w, r, rows, a.queueLister())
}

// queueParam resolves {vhost}/{name} for reading, writing 404s.
func (a *API) queueParam(w http.ResponseWriter, r *http.Request, p *principal) (*broker.VHost, *broker.Queue, bool) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVisible(w, p, vhost) {
		return nil, nil, false
	}
	q := v.Queue(r.PathValue("name"))
	if q == nil {
		notFound(w)
		return nil, nil, false
	}
	return v, q, true
}

func (a *API) getQueue(w http.ResponseWriter, r *http.Request, p *principal) {
	v, q, ok := a.queueParam(w, r, p)
	if !ok {
		return
	}
	m := a.queueJSON(queueRow{v.Name(), q})
	var details []map[string]any
	for _, c := range q.Consumers() {
		details = append(details, a.consumerJSON(consumerOf(c, q)))
	}
	m["consumer_details"] = orEmpty(details)
	m["deliveries"], m["incoming"] = []any{}, []any{}
	reply(w, r, m)
}

func (a *API) putQueue(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	name := r.PathValue("name")
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	spec, err := queueSpec(name, body)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if !a.checkResource(w, p, vhost, auth.Configure, "queue", name) {
		return
	}
	_, isNew, err := v.DeclareQueue(spec)
	if err != nil {
		brokerError(w, err)
		return
	}
	created(w, isNew)
}

// queueSpec reads a queue body; defaults are queue.declare's. A queue
// declared over HTTP has no owning connection, so it cannot be exclusive.
func queueSpec(name string, body map[string]any) (broker.QueueSpec, error) {
	s := broker.QueueSpec{Name: name}
	var err error
	if s.Durable, err = boolField(body, "durable"); err != nil {
		return s, err
	}
	if s.AutoDelete, err = boolField(body, "auto_delete"); err != nil {
		return s, err
	}
	s.Args, err = tableFromJSON(body["arguments"])
	return s, err
}

func (a *API) deleteQueue(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	name := r.PathValue("name")
	if v.Queue(name) == nil {
		notFound(w)
		return
	}
	if !a.checkResource(w, p, vhost, auth.Configure, "queue", name) {
		return
	}
	if _, err := v.DeleteQueue(name, nil, queryBool(r, "if-unused"), queryBool(r, "if-empty")); err != nil {
		brokerError(w, err)
		return
	}
	noContent(w)
}

// queueAction accepts RabbitMQ's mirror sync actions; classic queues on
// one node have nothing to sync.
func (a *API) queueAction(w http.ResponseWriter, r *http.Request, p *principal) {
	if _, _, ok := a.queueParam(w, r, p); !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	switch str(body, "action") {
	case "sync", "cancel_sync":
		noContent(w)
	default:
		badRequest(w, "Unknown action")
	}
}
