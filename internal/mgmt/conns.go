package mgmt

import (
	"net/http"
	"strconv"

	"github.com/warrenmq/warren/internal/amqp091"
	"github.com/warrenmq/warren/internal/broker"
)

func (a *API) connections() []amqp091.ConnInfo {
	if a.d.AMQP == nil {
		return nil
	}
	return a.d.AMQP.Connections()
}

// connVisible: monitoring users see every connection, others their own.
func connVisible(p *principal, c *amqp091.ConnInfo) bool {
	return p.monitor || (c.Opened && c.User == p.user.Name)
}

func connState(c *amqp091.ConnInfo) string {
	switch {
	case c.Closing:
		return "closing"
	case !c.Opened:
		return "starting"
	}
	return "running"
}

func (a *API) connJSON(c amqp091.ConnInfo) map[string]any {
	cs := a.stats.current().conns[c.Name]
	m := map[string]any{
		"name": c.Name, "node": a.d.Node, "type": "network", "protocol": "AMQP 0-9-1",
		"host": c.Host, "port": c.Port, "peer_host": c.PeerHost, "peer_port": c.PeerPort,
		"state": connState(&c), "ssl": c.TLS, "auth_mechanism": "PLAIN",
		"channels": c.Channels, "recv_oct": c.RecvOct, "send_oct": c.SendOct,
		"recv_cnt": c.RecvCnt, "send_cnt": c.SendCnt, "send_pend": 0,
		"recv_oct_details": map[string]any{"rate": cs.recvRate},
		"send_oct_details": map[string]any{"rate": cs.sendRate},
	}
	if c.Opened {
		m["user"], m["vhost"], m["user_who_performed_action"] = c.User, c.VHost, c.User
		m["client_properties"] = jsonTable(c.ClientProperties)
		m["frame_max"], m["channel_max"] = c.FrameMax, c.ChannelMax
		m["timeout"] = int(c.Heartbeat.Seconds())
		m["connected_at"] = c.ConnectedAt.UnixMilli()
		if n, ok := c.ClientProperties["connection_name"].(string); ok {
			m["user_provided_name"] = n
		}
	}
	return m
}

var connLister = func(a *API) lister[amqp091.ConnInfo] {
	return lister[amqp091.ConnInfo]{
		name: func(c amqp091.ConnInfo) string { return c.Name },
		key: func(c amqp091.ConnInfo, f string) (skey, bool) {
			switch f {
			case "name":
				return sk(c.Name), true
			case "vhost":
				return sk(c.VHost), true
			case "user":
				return sk(c.User), true
			case "channels":
				return sk(c.Channels), true
			}
			return skey{}, false
		},
		render: a.connJSON,
	}
}

func (a *API) getConnections(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, ok := a.optionalVHost(w, r, p)
	if !ok {
		return
	}
	var out []amqp091.ConnInfo
	for _, c := range a.connections() {
		if connVisible(p, &c) && (vhost == "" || (c.Opened && c.VHost == vhost)) {
			out = append(out, c)
		}
	}
	serveList(w, r, out, connLister(a))
}

func (a *API) findConn(w http.ResponseWriter, r *http.Request, p *principal) (amqp091.ConnInfo, bool) {
	name := r.PathValue("name")
	for _, c := range a.connections() {
		if c.Name == name {
			if !connVisible(p, &c) {
				notAuthorised(w, "User not authorised to access object")
				return c, false
			}
			return c, true
		}
	}
	notFound(w)
	return amqp091.ConnInfo{}, false
}

func (a *API) getConnection(w http.ResponseWriter, r *http.Request, p *principal) {
	if c, ok := a.findConn(w, r, p); ok {
		reply(w, r, a.connJSON(c))
	}
}

// deleteConnection closes a connection with 320 CONNECTION_FORCED; the
// X-Reason header becomes the close text, as in RabbitMQ. Administrators
// may close any connection, other users their own.
func (a *API) deleteConnection(w http.ResponseWriter, r *http.Request, p *principal) {
	c, ok := a.findConn(w, r, p)
	if !ok {
		return
	}
	if !p.admin && c.User != p.user.Name {
		notAuthorised(w, "User not authorised to access object")
		return
	}
	reason := r.Header.Get("X-Reason")
	if reason == "" {
		reason = "Closed via management plugin"
	}
	if !a.d.AMQP.CloseConnection(c.Name, reason) {
		notFound(w)
		return
	}
	noContent(w)
}

func (a *API) chanJSON(c amqp091.ChannelInfo) map[string]any {
	m := map[string]any{
		"name": c.Name(), "number": c.Number, "node": a.d.Node, "state": "running",
		"connection_details": map[string]any{"name": c.Conn.Name, "peer_host": c.Conn.PeerHost, "peer_port": c.Conn.PeerPort},
		"vhost":              c.Conn.VHost, "user": c.Conn.User, "user_who_performed_action": c.Conn.User,
		"consumer_count": c.Consumers, "messages_unacknowledged": c.Unacked,
		"messages_unconfirmed": 0, "messages_uncommitted": 0, "acks_uncommitted": 0,
		"prefetch_count": c.Prefetch, "global_prefetch_count": c.GlobalPrefetch,
		"confirm": c.Confirm, "transactional": c.Transactional,
	}
	return m
}

func (a *API) channels(p *principal, match func(*amqp091.ChannelInfo) bool) []amqp091.ChannelInfo {
	if a.d.AMQP == nil {
		return nil
	}
	var out []amqp091.ChannelInfo
	for _, c := range a.d.AMQP.Channels() {
		if connVisible(p, &c.Conn) && match(&c) {
			out = append(out, c)
		}
	}
	return out
}

func (a *API) chanLister() lister[amqp091.ChannelInfo] {
	return lister[amqp091.ChannelInfo]{
		name: func(c amqp091.ChannelInfo) string { return c.Name() },
		key: func(c amqp091.ChannelInfo, f string) (skey, bool) {
			switch f {
			case "name":
				return sk(c.Name()), true
			case "vhost":
				return sk(c.Conn.VHost), true
			case "consumer_count":
				return sk(c.Consumers), true
			case "messages_unacknowledged":
				return sk(c.Unacked), true
			}
			return skey{}, false
		},
		render: a.chanJSON,
	}
}

func (a *API) getChannels(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, ok := a.optionalVHost(w, r, p)
	if !ok {
		return
	}
	out := a.channels(p, func(c *amqp091.ChannelInfo) bool { return vhost == "" || c.Conn.VHost == vhost })
	serveList(w, r, out, a.chanLister())
}

func (a *API) getConnectionChannels(w http.ResponseWriter, r *http.Request, p *principal) {
	c, ok := a.findConn(w, r, p)
	if !ok {
		return
	}
	out := a.channels(p, func(ch *amqp091.ChannelInfo) bool { return ch.Conn.Name == c.Name })
	serveList(w, r, out, a.chanLister())
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request, p *principal) {
	name := r.PathValue("name")
	chs := a.channels(p, func(c *amqp091.ChannelInfo) bool { return c.Name() == name })
	if len(chs) == 0 {
		notFound(w)
		return
	}
	m := a.chanJSON(chs[0])
	var details []map[string]any
	if v := a.d.Broker.VHost(chs[0].Conn.VHost); v != nil {
		for _, c := range a.consumers([]*broker.VHost{v}) {
			if c.ch.ConnName == chs[0].Conn.Name && c.ch.Number == chs[0].Number {
				details = append(details, a.consumerJSON(c))
			}
		}
	}
	m["consumer_details"] = orEmpty(details)
	reply(w, r, m)
}

// consumer is one consumer with its queue and channel.
type consumer struct {
	c  *broker.Consumer
	q  *broker.Queue
	ch amqp091.ConsumerChannel
}

func consumerOf(c *broker.Consumer, q *broker.Queue) consumer {
	ch, _ := amqp091.ConsumerDetails(c)
	return consumer{c: c, q: q, ch: ch}
}

func (a *API) consumers(vs []*broker.VHost) []consumer {
	var out []consumer
	for _, v := range vs {
		for _, q := range v.Queues() {
			for _, c := range q.Consumers() {
				out = append(out, consumerOf(c, q))
			}
		}
	}
	return out
}

func (a *API) consumerJSON(c consumer) map[string]any {
	return map[string]any{
		"consumer_tag": c.c.Tag(),
		"queue":        map[string]any{"name": c.q.Name(), "vhost": c.q.VHost().Name()},
		"channel_details": map[string]any{
			"name": c.ch.ConnName + " (" + strconv.Itoa(int(c.ch.Number)) + ")", "number": c.ch.Number,
			"connection_name": c.ch.ConnName, "peer_host": c.ch.PeerHost, "peer_port": c.ch.PeerPort,
			"user": c.ch.User, "node": a.d.Node,
		},
		"ack_required": !c.c.NoAck(), "exclusive": c.c.Exclusive(), "prefetch_count": c.ch.Prefetch,
		"active": true, "activity_status": "up", "arguments": map[string]any{}, "consumer_timeout": 1800000,
	}
}

func (a *API) getConsumers(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost := r.PathValue("vhost")
	vs, ok := a.visibleVHosts(w, p, vhost, vhost != "")
	if !ok {
		return
	}
	serveList(w, r, a.consumers(vs), lister[consumer]{
		name: func(c consumer) string { return c.c.Tag() },
		key: func(c consumer, f string) (skey, bool) {
			switch f {
			case "vhost", "queue.vhost":
				return sk(c.q.VHost().Name()), true
			case "name", "consumer_tag":
				return sk(c.c.Tag()), true
			case "queue.name":
				return sk(c.q.Name()), true
			}
			return skey{}, false
		},
		render: a.consumerJSON,
	})
}

func orEmpty(m []map[string]any) []map[string]any {
	if m == nil {
		return []map[string]any{}
	}
	return m
}

// optionalVHost reads the {vhost} of a list that may be scoped to one:
// "" for all, else an existing vhost the principal may see (otherwise the
// reply is written and ok is false).
func (a *API) optionalVHost(w http.ResponseWriter, r *http.Request, p *principal) (vhost string, ok bool) {
	vhost = r.PathValue("vhost")
	if vhost == "" {
		return "", true
	}
	if a.d.Broker.VHost(vhost) == nil {
		vhostNotFound(w)
		return "", false
	}
	return vhost, a.requireVisible(w, p, vhost)
}
