package mgmt

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/warrenmq/warren/internal/auth"
	"github.com/warrenmq/warren/internal/broker"
)

// maxBody is RabbitMQ's default max_http_body_size (20 MiB): definitions
// files are the large bodies.
const maxBody = 20 << 20

// principal is the authenticated user of a request.
type principal struct {
	user                        *auth.User
	admin, monitor, policymaker bool
}

type handler func(w http.ResponseWriter, r *http.Request, p *principal)

// methods maps HTTP methods to handlers for one path pattern.
type methods map[string]handler

// route is one registered path: literal segments and {name} wildcards.
type route struct {
	segs []string
	h    http.HandlerFunc
}

// router matches the escaped request path segment by segment, unescaping
// each segment only after splitting. Go's ServeMux cannot be used: it
// takes a segment that unescapes to "/" (the vhost "/" is "%2F" in every
// RabbitMQ path) for a trailing slash and skips single wildcards there.
type router struct {
	routes []*route // most specific first: literals before wildcards
}

func (rt *router) add(pattern string, h http.HandlerFunc) {
	nr := &route{segs: strings.Split(strings.TrimPrefix(pattern, "/"), "/"), h: h}
	i := sort.Search(len(rt.routes), func(i int) bool { return moreSpecific(nr, rt.routes[i]) })
	rt.routes = append(rt.routes, nil)
	copy(rt.routes[i+1:], rt.routes[i:])
	rt.routes[i] = nr
}

// moreSpecific orders routes: at the first position where one has a
// literal and the other a wildcard, the literal wins.
func moreSpecific(a, b *route) bool {
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		aw, bw := isWild(a.segs[i]), isWild(b.segs[i])
		if aw != bw {
			return !aw
		}
	}
	return false
}

func isWild(seg string) bool { return strings.HasPrefix(seg, "{") }

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	raw := strings.Split(strings.TrimPrefix(p, "/"), "/")
	parts := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			badRequest(w, "malformed path")
			return
		}
		parts[i] = u
	}
next:
	for _, rte := range rt.routes {
		if len(rte.segs) != len(parts) {
			continue
		}
		for i, s := range rte.segs {
			if isWild(s) {
				if parts[i] == "" {
					continue next
				}
			} else if s != parts[i] {
				continue next
			}
		}
		for i, s := range rte.segs {
			if isWild(s) {
				r.SetPathValue(s[1:len(s)-1], parts[i])
			}
		}
		rte.h(w, r)
		return
	}
	notFound(w)
}

// handle registers a pattern. Dispatching by method here gives RabbitMQ's
// JSON 405 and answers OPTIONS without credentials, as cowboy_rest does
// for CORS pre-flight requests.
func (a *API) handle(pattern string, ms methods) {
	allow := make([]string, 0, len(ms)+2)
	for m := range ms {
		allow = append(allow, m)
	}
	if _, ok := ms[http.MethodGet]; ok {
		allow = append(allow, http.MethodHead)
	}
	allow = append(allow, http.MethodOptions)
	sort.Strings(allow)
	allowHdr := strings.Join(allow, ", ")
	a.mux.add(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			w.Header().Set("Allow", allowHdr)
			w.WriteHeader(http.StatusOK)
			return
		}
		m := r.Method
		if m == http.MethodHead {
			m = http.MethodGet
		}
		h, ok := ms[m]
		if !ok {
			w.Header().Set("Allow", allowHdr)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method Not Allowed")
			return
		}
		p, ok := a.authenticate(w, r)
		if !ok {
			return
		}
		h(w, r, p)
	})
}

// authenticate checks HTTP basic credentials as RabbitMQ does: unknown
// user or wrong password is 401 not_authorized with a challenge; a valid
// user without a management tag is 401 not_authorised.
func (a *API) authenticate(w http.ResponseWriter, r *http.Request) (*principal, bool) {
	name, pass, ok := r.BasicAuth()
	var u *auth.User
	if ok {
		u, _ = a.d.Users.Authenticate(name, pass)
	}
	if u == nil {
		w.Header().Set("WWW-Authenticate", `Basic realm="RabbitMQ Management"`)
		writeError(w, http.StatusUnauthorized, "not_authorized", "Not_Authorized")
		return nil, false
	}
	if a.loopbackOnly(u.Name) && !remoteIsLoopback(r) {
		notAuthorised(w, "User can only log in via localhost")
		return nil, false
	}
	p := &principal{user: u}
	mgmt := false
	for _, t := range u.Tags {
		switch t {
		case "administrator":
			p.admin, p.monitor, p.policymaker, mgmt = true, true, true, true
		case "monitoring":
			p.monitor, mgmt = true, true
		case "policymaker":
			p.policymaker, mgmt = true, true
		case "management":
			mgmt = true
		}
	}
	if !mgmt {
		notAuthorised(w, "Not management user")
		return nil, false
	}
	return p, true
}

func (a *API) loopbackOnly(user string) bool {
	var lu []string
	if a.d.AMQP != nil {
		lu = a.d.AMQP.LoopbackUsers()
	}
	for _, n := range lu {
		if n == user {
			return true
		}
	}
	return false
}

func remoteIsLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeJSON writes v with RabbitMQ's headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error":"internal_server_error","reason":%q}`, err.Error())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError writes RabbitMQ's error body {"error": type, "reason": text}.
func writeError(w http.ResponseWriter, status int, typ, reason string) {
	writeJSON(w, status, map[string]string{"error": typ, "reason": reason})
}

func notFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "not_found", "Not Found")
}

func vhostNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "not_found", "vhost_not_found")
}

func badRequest(w http.ResponseWriter, reason string) {
	writeError(w, http.StatusBadRequest, "bad_request", reason)
}

func notAuthorised(w http.ResponseWriter, reason string) {
	writeError(w, http.StatusUnauthorized, "not_authorised", reason)
}

func noContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// deleted answers a DELETE: 500 when persisting the removal failed, 404
// when there was nothing to remove, else 204.
func deleted(w http.ResponseWriter, existed bool, err error) {
	switch {
	case err != nil:
		writeError(w, http.StatusInternalServerError, "internal_error", err.Error())
	case !existed:
		notFound(w)
	default:
		noContent(w)
	}
}

// created answers a PUT: 201 for a new object, 204 for an update.
func created(w http.ResponseWriter, isNew bool) {
	if isNew {
		w.WriteHeader(http.StatusCreated)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// brokerError maps a broker failure to RabbitMQ's HTTP answer: not found
// is 404, access refused 401, everything else (inequivalent arguments, in
// use, not empty, locked) 400 with the broker's text.
func brokerError(w http.ResponseWriter, err error) {
	var be *broker.Error
	if !errors.As(err, &be) {
		writeError(w, http.StatusInternalServerError, "internal_server_error", err.Error())
		return
	}
	switch be.Code {
	case broker.CodeNotFound:
		writeError(w, http.StatusNotFound, "not_found", be.Text)
	case broker.CodeAccessRefused, broker.CodeNotAllowed:
		notAuthorised(w, be.Text)
	case broker.CodeInternalError:
		writeError(w, http.StatusInternalServerError, "internal_server_error", be.Text)
	default:
		badRequest(w, be.Text)
	}
}

// readBody decodes a JSON object body; empty and "null" bodies are an
// empty object, as in RabbitMQ. Numbers stay json.Number so integers keep
// their type in arguments.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	return readBodyAs(w, r, "")
}

// readBodyAs is readBody with the reason given for a body that is not a
// JSON object ("" for RabbitMQ's usual answers: not_json, or the note on
// doubly-encoded input).
func readBodyAs(w http.ResponseWriter, r *http.Request, notObject string) (map[string]any, bool) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		badRequest(w, "could not read the request body")
		return nil, false
	}
	if len(data) > maxBody {
		badRequest(w, "Exceeded HTTP request body size limit")
		return nil, false
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" || string(data) == "undefined" {
		return map[string]any{}, true
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		badRequest(w, cmp.Or(notObject, "not_json"))
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		if notObject != "" {
			badRequest(w, notObject)
		} else if _, isStr := v.(string); isStr {
			badRequest(w, "invalid payload: the request body JSON-decoded to a string. Is the input doubly-JSON-encoded?")
		} else {
			badRequest(w, "not_json")
		}
		return nil, false
	}
	return m, true
}

// str returns a string field ("" when absent or not a string).
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// boolField reads a boolean that RabbitMQ also accepts as a string.
func boolField(m map[string]any, k string) (bool, error) {
	switch v := m[k].(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		switch v {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("%s must be a boolean", k)
}

// intField reads an integer that may come as a number or a string.
func intField(m map[string]any, k string, def int64) (int64, error) {
	switch v := m[k].(type) {
	case nil:
		return def, nil
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		if f, err := v.Float64(); err == nil && f == float64(int64(f)) {
			return int64(f), nil
		}
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s must be an integer", k)
}

// queryBool reads a query parameter such as if-unused=true.
func queryBool(r *http.Request, k string) bool {
	return r.URL.Query().Get(k) == "true"
}

// exchangeName maps RabbitMQ's path name for the default exchange.
func exchangeName(s string) string {
	if s == "amq.default" {
		return ""
	}
	return s
}

// permName is the resource name permission patterns are matched against.
func permName(exchange string) string {
	if exchange == "" {
		return "amq.default"
	}
	return exchange
}
