package mgmt

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// bindingRow is one binding, explicit or the default exchange's implicit
// binding of a queue to its name.
type bindingRow struct {
	vhost, source, dest, destType, key string
	args                               map[string]any
}

func rowOf(vhost string, b broker.Binding) bindingRow {
	dt := "queue"
	if _, ok := b.Destination.(*broker.Exchange); ok {
		dt = "exchange"
	}
	return bindingRow{vhost: vhost, source: b.Source.Name(), dest: b.Destination.DestName(), destType: dt, key: b.Key, args: b.Args}
}

func defaultBinding(vhost, queue string) bindingRow {
	return bindingRow{vhost: vhost, dest: queue, destType: "queue", key: queue}
}

func bindingJSON(b bindingRow) map[string]any {
	return map[string]any{
		"source": b.source, "vhost": b.vhost, "destination": b.dest, "destination_type": b.destType,
		"routing_key": b.key, "arguments": jsonTable(b.args), "properties_key": propertiesKey(b.key, b.args),
	}
}

func bindingLister() lister[bindingRow] {
	return lister[bindingRow]{
		name: func(b bindingRow) string { return b.source },
		key: func(b bindingRow, f string) (skey, bool) {
			switch f {
			case "vhost":
				return sk(b.vhost), true
			case "source":
				return sk(b.source), true
			case "destination":
				return sk(b.dest), true
			case "routing_key":
				return sk(b.key), true
			case "name":
				return skey{}, true // bindings have no name: keep the listing order
			}
			return skey{}, false
		},
		render: bindingJSON,
	}
}

// vhostBindings lists a vhost's bindings, the default exchange's first
// (one per queue), then the explicit ones ordered by source, destination
// and key.
func vhostBindings(v *broker.VHost, keep func(bindingRow) bool) []bindingRow {
	var out []bindingRow
	for _, q := range v.Queues() {
		if b := defaultBinding(v.Name(), q.Name()); keep(b) {
			out = append(out, b)
		}
	}
	for _, b := range v.AllBindings() {
		if row := rowOf(v.Name(), b); keep(row) {
			out = append(out, row)
		}
	}
	sortRows(out)
	return out
}

func sortRows(rows []bindingRow) {
	l := lister[bindingRow]{
		key: func(b bindingRow, f string) (skey, bool) {
			switch f {
			case "source":
				return sk(b.source), true
			case "destination":
				return sk(b.dest), true
			case "destination_type":
				return sk(b.destType), true
			}
			return sk(b.key), true
		},
	}
	sortItems(rows, []string{"source", "destination_type", "destination", "key"}, false, l)
}

func all(bindingRow) bool { return true }

func (a *API) getBindings(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost := r.PathValue("vhost")
	vs, ok := a.visibleVHosts(w, p, vhost, vhost != "")
	if !ok {
		return
	}
	var out []bindingRow
	for _, v := range vs {
		out = append(out, vhostBindings(v, all)...)
	}
	serveList(w, r, out, bindingLister())
}

func (a *API) getExchangeBindings(source bool) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		v, e, ok := a.exchangeParam(w, r, p)
		if !ok {
			return
		}
		out := vhostBindings(v, func(b bindingRow) bool {
			if source {
				return b.source == e.Name()
			}
			return b.destType == "exchange" && b.dest == e.Name()
		})
		serveList(w, r, out, bindingLister())
	}
}

func (a *API) getQueueBindings(w http.ResponseWriter, r *http.Request, p *principal) {
	v, q, ok := a.queueParam(w, r, p)
	if !ok {
		return
	}
	out := vhostBindings(v, func(b bindingRow) bool { return b.destType == "queue" && b.dest == q.Name() })
	serveList(w, r, out, bindingLister())
}

// bindingEnds resolves {vhost}/e/{src}/(q|e)/{dst}.
func (a *API) bindingEnds(w http.ResponseWriter, r *http.Request, p *principal, d string) (*broker.VHost, *broker.Exchange, broker.Destination, bool) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVisible(w, p, vhost) {
		return nil, nil, nil, false
	}
	src := v.Exchange(exchangeName(r.PathValue("src")))
	if src == nil {
		notFound(w)
		return nil, nil, nil, false
	}
	var dst broker.Destination
	if d == "q" {
		if q := v.Queue(r.PathValue("dst")); q != nil {
			dst = q
		}
	} else if e := v.Exchange(exchangeName(r.PathValue("dst"))); e != nil {
		dst = e
	}
	if dst == nil {
		notFound(w)
		return nil, nil, nil, false
	}
	return v, src, dst, true
}

func between(src *broker.Exchange, dst broker.Destination, d string) func(bindingRow) bool {
	dt := "queue"
	if d == "e" {
		dt = "exchange"
	}
	return func(b bindingRow) bool {
		return b.source == src.Name() && b.destType == dt && b.dest == dst.DestName()
	}
}

func (a *API) getBindingsBetween(d string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		v, src, dst, ok := a.bindingEnds(w, r, p, d)
		if !ok {
			return
		}
		serveList(w, r, vhostBindings(v, between(src, dst, d)), bindingLister())
	}
}

// checkBind applies RabbitMQ's binding permissions: write on the
// destination, read on the source.
func (a *API) checkBind(w http.ResponseWriter, p *principal, vhost string, src *broker.Exchange, dst broker.Destination, d string) bool {
	kind := "queue"
	if d == "e" {
		kind = "exchange"
	}
	return a.requireVHost(w, p, vhost) &&
		a.checkResource(w, p, vhost, auth.Write, kind, dst.DestName()) &&
		a.checkResource(w, p, vhost, auth.Read, "exchange", src.Name())
}

func (a *API) postBinding(d string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		v, src, dst, ok := a.bindingEnds(w, r, p, d)
		if !ok {
			return
		}
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		args, err := tableFromJSON(body["arguments"])
		if err != nil {
			badRequest(w, err.Error())
			return
		}
		key := str(body, "routing_key")
		if src.Name() == "" {
			notAuthorised(w, "operation not permitted on the default exchange")
			return
		}
		if !a.checkBind(w, p, v.Name(), src, dst, d) || !a.checkTopic(w, p, v, src.Name(), auth.Read, key) {
			return
		}
		if err := v.Bind(src, dst, key, args); err != nil {
			brokerError(w, err)
			return
		}
		w.Header().Set("Location", r.URL.EscapedPath()+"/"+url.PathEscape(propertiesKey(key, args)))
		w.WriteHeader(http.StatusCreated)
	}
}

// findBinding returns the binding between the ends whose properties_key
// is {props}. The router has unescaped the segment once; a client that
// escaped the properties_key for the URL (double-encoded, "a.%252A.c")
// sends it intact, one that escaped the routing key once (rabbitmqadmin:
// "a.%2A.c" for properties_key "a.%2A.c" of key "a.*.c") sends the key
// itself. RabbitMQ unquotes the segment again and accepts both; so does
// this, preferring an exact properties_key match.
func (a *API) findBinding(w http.ResponseWriter, r *http.Request, p *principal, d string) (*broker.VHost, *broker.Exchange, broker.Destination, bindingRow, bool) {
	v, src, dst, ok := a.bindingEnds(w, r, p, d)
	if !ok {
		return nil, nil, nil, bindingRow{}, false
	}
	props := r.PathValue("props")
	rows := vhostBindings(v, between(src, dst, d))
	for _, b := range rows {
		if propertiesKey(b.key, b.args) == props {
			return v, src, dst, b, true
		}
	}
	for _, b := range rows {
		if unquotedPropertiesKey(propertiesKey(b.key, b.args)) == props {
			return v, src, dst, b, true
		}
	}
	notFound(w)
	return nil, nil, nil, bindingRow{}, false
}

// unquotedPropertiesKey is a properties_key with its routing key part
// unescaped: "a.%2A.c~hash" → "a.*.c~hash". The quoted key never
// contains "~" (it is escaped), so the first "~" separates the hash.
func unquotedPropertiesKey(pk string) string {
	key, hash, found := strings.Cut(pk, "~")
	if k, err := url.QueryUnescape(key); err == nil {
		key = k
	}
	if found {
		return key + "~" + hash
	}
	return key
}

func (a *API) getBinding(d string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		if _, _, _, b, ok := a.findBinding(w, r, p, d); ok {
			reply(w, r, bindingJSON(b))
		}
	}
}

func (a *API) deleteBinding(d string) handler {
	return func(w http.ResponseWriter, r *http.Request, p *principal) {
		v, src, dst, b, ok := a.findBinding(w, r, p, d)
		if !ok {
			return
		}
		if src.Name() == "" {
			notAuthorised(w, "operation not permitted on the default exchange")
			return
		}
		if !a.checkBind(w, p, v.Name(), src, dst, d) {
			return
		}
		if err := v.Unbind(src, dst, b.key, b.args); err != nil {
			brokerError(w, err)
			return
		}
		noContent(w)
	}
}
