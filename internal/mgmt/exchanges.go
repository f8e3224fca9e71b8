package mgmt

import (
	"net/http"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

type exchangeRow struct {
	vhost string
	e     *broker.Exchange
}

// exchangeJSON renders RabbitMQ's exchange object; "policy" names the
// policy applying to the exchange and, as in RabbitMQ, is absent when
// none does.
func exchangeJSON(x exchangeRow) map[string]any {
	e := x.e
	m := map[string]any{
		"name": e.Name(), "vhost": x.vhost, "type": e.Type(), "durable": e.Durable(),
		"auto_delete": e.AutoDelete(), "internal": e.Internal(), "arguments": jsonTable(e.Args()),
		"user_who_performed_action": "rmq-internal",
	}
	if up, _ := e.VHost().EffectivePolicies(e.Name(), "exchanges"); up != nil {
		m["policy"] = up.Name
	}
	return m
}

func exchangeLister() lister[exchangeRow] {
	return lister[exchangeRow]{
		name: func(x exchangeRow) string { return x.e.Name() },
		key: func(x exchangeRow, f string) (skey, bool) {
			switch f {
			case "name":
				return sk(x.e.Name()), true
			case "vhost":
				return sk(x.vhost), true
			case "type":
				return sk(x.e.Type()), true
			case "durable":
				return sk(x.e.Durable()), true
			}
			return skey{}, false
		},
		render: exchangeJSON,
	}
}

func (a *API) getExchanges(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost := r.PathValue("vhost")
	vs, ok := a.visibleVHosts(w, p, vhost, vhost != "")
	if !ok {
		return
	}
	var rows []exchangeRow
	for _, v := range vs {
		for _, e := range v.Exchanges() {
			rows = append(rows, exchangeRow{v.Name(), e})
		}
	}
	serveList(w, r, rows, exchangeLister())
}

// exchangeParam resolves {vhost}/{name}, writing 404s.
func (a *API) exchangeParam(w http.ResponseWriter, r *http.Request, p *principal) (*broker.VHost, *broker.Exchange, bool) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVisible(w, p, vhost) {
		return nil, nil, false
	}
	e := v.Exchange(exchangeName(r.PathValue("name")))
	if e == nil {
		notFound(w)
		return nil, nil, false
	}
	return v, e, true
}

func (a *API) getExchange(w http.ResponseWriter, r *http.Request, p *principal) {
	v, e, ok := a.exchangeParam(w, r, p)
	if !ok {
		return
	}
	reply(w, r, exchangeJSON(exchangeRow{v.Name(), e}))
}

func (a *API) putExchange(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	name := exchangeName(r.PathValue("name"))
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	spec, err := exchangeSpec(name, body)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	if !a.checkResource(w, p, vhost, auth.Configure, "exchange", name) {
		return
	}
	existed := v.Exchange(name) != nil
	if _, err := v.DeclareExchange(spec); err != nil {
		brokerError(w, err)
		return
	}
	created(w, !existed)
}

// exchangeSpec reads an exchange body; defaults are exchange.declare's.
func exchangeSpec(name string, body map[string]any) (broker.ExchangeSpec, error) {
	s := broker.ExchangeSpec{Name: name, Type: str(body, "type")}
	if s.Type == "" {
		s.Type = broker.TypeDirect
	}
	var err error
	if s.Durable, err = boolField(body, "durable"); err != nil {
		return s, err
	}
	if s.AutoDelete, err = boolField(body, "auto_delete"); err != nil {
		return s, err
	}
	if s.Internal, err = boolField(body, "internal"); err != nil {
		return s, err
	}
	s.Args, err = tableFromJSON(body["arguments"])
	return s, err
}

func (a *API) deleteExchange(w http.ResponseWriter, r *http.Request, p *principal) {
	vhost, v, ok := a.vhostParam(w, r)
	if !ok || !a.requireVHost(w, p, vhost) {
		return
	}
	name := exchangeName(r.PathValue("name"))
	if v.Exchange(name) == nil {
		notFound(w)
		return
	}
	if !a.checkResource(w, p, vhost, auth.Configure, "exchange", name) {
		return
	}
	if err := v.DeleteExchange(name, queryBool(r, "if-unused")); err != nil {
		brokerError(w, err)
		return
	}
	noContent(w)
}
