package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// maxResponse bounds a response body (definitions of large brokers are the
// big ones).
const maxResponse = 256 << 20

// client calls the management API with basic auth; every request is
// bounded by the timeout.
type client struct {
	base       string // URL without a trailing slash
	user, pass string
	timeout    time.Duration
	hc         *http.Client
}

func newClient(base, user, pass string, timeout time.Duration) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &client{base: strings.TrimRight(base, "/"), user: user, pass: pass, timeout: timeout,
		hc: &http.Client{Timeout: timeout, Transport: tr}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// request is one API call. what, vhost and user describe the object for
// a 404 ("queue 'q' in vhost '/'"); accept lists error statuses that are
// answers, not failures (the alarms health check's 503).
type request struct {
	method string
	path   string // escaped, from apiPath
	query  url.Values
	body   []byte // JSON
	header http.Header
	what   string
	vhost  string
	user   string
	accept []int
}

// apiPath builds /api/seg/seg/... escaping every segment, so the vhost "/"
// is "%2F" and names may contain any character.
func apiPath(segs ...string) string {
	var b strings.Builder
	b.WriteString("/api")
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Error is a failed command: Msg is printed after "Error: ".
type Error struct {
	Status int // HTTP status, 0 when there was no answer
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func errorf(format string, a ...any) *Error { return &Error{Msg: fmt.Sprintf(format, a...)} }

// do sends the request and returns the status and body of a 2xx (or
// accepted) answer; anything else becomes an *Error.
func (c *client) do(ctx context.Context, r request) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return 0, nil, errorf("invalid request %s %s: %v", r.method, u, err)
	}
	req.SetBasicAuth(c.user, c.pass)
	req.Header.Set("Accept", "application/json")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, nil, c.transportError(ctx, err)
	}
	if resp.StatusCode < 300 {
		return resp.StatusCode, data, nil
	}
	for _, s := range r.accept {
		if s == resp.StatusCode {
			return resp.StatusCode, data, nil
		}
	}
	return 0, nil, c.statusError(r, resp, data)
}

// transportError explains a request that got no answer.
func (c *client) transportError(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded ||
		(errors.As(err, &ne) && ne.Timeout()):
		return errorf("no answer from %s within %v (--timeout)", c.base, c.timeout)
	case errors.Is(err, context.Canceled):
		return errorf("interrupted")
	case errors.Is(err, syscall.ECONNREFUSED):
		return errorf("unable to connect to %s: connection refused (is the broker's management API listening there?)", c.base)
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return errorf("unable to connect to %s: cannot resolve host %q", c.base, de.Name)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return errorf("unable to connect to %s: %v", c.base, err)
}

// apiError is RabbitMQ's error body.
type apiError struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// statusError turns a 4xx/5xx answer into a one-line message.
func (c *client) statusError(r request, resp *http.Response, data []byte) error {
	var ae apiError
	_ = json.Unmarshal(data, &ae)
	reason := oneLine(ae.Reason)
	code := resp.StatusCode
	e := &Error{Status: code}
	switch {
	case code == http.StatusUnauthorized:
		e.Msg = fmt.Sprintf("access refused: user '%s' is not authorised (401)", c.user)
		if reason != "" && ae.Error != "not_authorized" && reason != "Not_Authorized" {
			e.Msg += ": " + reason
		}
	case code == http.StatusNotFound:
		e.Msg = notFoundMsg(r, reason)
	case reason == "vhost_or_user_not_found" && r.vhost != "" && r.user != "":
		// RabbitMQ's answer to a permission for a missing vhost or user
		// (400) does not say which.
		e.Msg = fmt.Sprintf("vhost '%s' or user '%s' not found (%d)", r.vhost, r.user, code)
	case reason != "":
		e.Msg = fmt.Sprintf("%s (%d)", reason, code)
	default:
		e.Msg = fmt.Sprintf("%s %s: %s", r.method, c.base+r.path, resp.Status)
	}
	return e
}

func notFoundMsg(r request, reason string) string {
	switch {
	case reason == "vhost_not_found" && r.vhost != "":
		return fmt.Sprintf("vhost '%s' not found (404)", r.vhost)
	case reason == "user_not_found" && r.user != "":
		return fmt.Sprintf("user '%s' not found (404)", r.user)
	case r.what != "":
		return r.what + " not found (404)"
	case reason != "" && reason != "Not Found":
		return reason + " (404)"
	}
	return fmt.Sprintf("%s not found (404): is this a management API URL?", r.path)
}

// oneLine folds a multi-line reason ("Validation failed\n\n...") into one
// line.
func oneLine(s string) string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ": ")
}

// getJSON fetches path and decodes it (numbers kept as json.Number).
func (c *client) getJSON(ctx context.Context, r request, out any) ([]byte, error) {
	r.method = http.MethodGet
	_, data, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := decode(data, out); err != nil {
		return nil, errorf("unexpected answer from %s%s: %v", c.base, r.path, err)
	}
	return data, nil
}

func decode(data []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(out)
}

// send issues a mutating request with a JSON body (nil: none).
func (c *client) send(ctx context.Context, method string, r request, body any) error {
	r.method = method
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return errorf("encoding the request: %v", err)
		}
		r.body = data
	}
	_, _, err := c.do(ctx, r)
	return err
}
