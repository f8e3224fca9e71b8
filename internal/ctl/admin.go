package ctl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

func init() {
	register(
		&verb{name: "add_vhost", synopsis: "NAME", min: 1, max: 1, run: addVHost},
		&verb{name: "delete_vhost", synopsis: "NAME", min: 1, max: 1, run: deleteVHost},
		&verb{name: "add_user", synopsis: "NAME PASSWORD", min: 2, max: 2, run: addUser},
		&verb{name: "delete_user", synopsis: "NAME", min: 1, max: 1, run: deleteUser},
		&verb{name: "change_password", synopsis: "NAME PASSWORD", min: 2, max: 2, run: changePassword},
		&verb{name: "set_user_tags", synopsis: "NAME [TAG...]", min: 1, max: -1, run: setUserTags},
		&verb{name: "set_permissions", synopsis: "USER CONF WRITE READ", min: 4, max: 4, vhost: true, run: setPermissions},
		&verb{name: "set_policy", synopsis: "NAME PATTERN DEFINITION_JSON", min: 3, max: 3, vhost: true, policy: true, run: setPolicy},
		&verb{name: "clear_policy", synopsis: "NAME", min: 1, max: 1, vhost: true, run: clearPolicy},
		&verb{name: "purge_queue", synopsis: "NAME", min: 1, max: 1, vhost: true, run: purgeQueue},
		&verb{name: "delete_queue", synopsis: "NAME", min: 1, max: 1, vhost: true, run: deleteQueue},
		&verb{name: "close_connection", synopsis: "NAME [REASON]", min: 1, max: 2, run: closeConnection},
	)
}

func addVHost(s *session, a []string) error {
	if err := nonEmpty("vhost name", a[0]); err != nil {
		return err
	}
	s.notice("Adding vhost %q ...", a[0])
	return s.c.send(s.ctx, http.MethodPut, request{path: apiPath("vhosts", a[0])}, map[string]any{})
}

func deleteVHost(s *session, a []string) error {
	if err := nonEmpty("vhost name", a[0]); err != nil {
		return err
	}
	s.notice("Deleting vhost %q ...", a[0])
	return s.c.send(s.ctx, http.MethodDelete, request{path: apiPath("vhosts", a[0]),
		what: "vhost '" + a[0] + "'"}, nil)
}

// userRequest addresses /api/users/NAME.
func userRequest(name string) request {
	return request{path: apiPath("users", name), what: "user '" + name + "'", user: name}
}

// userExists asks for the user first: a PUT to an unknown name would
// create a user, which change_password and set_user_tags must not do.
func userExists(s *session, name string) (bool, error) {
	var u map[string]any
	_, err := s.c.getJSON(s.ctx, userRequest(name), &u)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusNotFound {
		return false, nil
	}
	return err == nil, err
}

func addUser(s *session, a []string) error {
	if err := nonEmpty("user name", a[0]); err != nil {
		return err
	}
	s.notice("Adding user %q ...", a[0])
	ok, err := userExists(s, a[0])
	if err != nil {
		return err
	}
	if ok {
		return errorf("user '%s' already exists", a[0])
	}
	return s.c.send(s.ctx, http.MethodPut, userRequest(a[0]), map[string]any{"password": a[1], "tags": ""})
}

func deleteUser(s *session, a []string) error {
	if err := nonEmpty("user name", a[0]); err != nil {
		return err
	}
	s.notice("Deleting user %q ...", a[0])
	return s.c.send(s.ctx, http.MethodDelete, userRequest(a[0]), nil)
}

// updateUser changes an existing user (404 when there is none).
func updateUser(s *session, name string, body map[string]any) error {
	if err := nonEmpty("user name", name); err != nil {
		return err
	}
	ok, err := userExists(s, name)
	if err != nil {
		return err
	}
	if !ok {
		return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("user '%s' not found (404)", name)}
	}
	return s.c.send(s.ctx, http.MethodPut, userRequest(name), body)
}

func changePassword(s *session, a []string) error {
	s.notice("Changing password for user %q ...", a[0])
	return updateUser(s, a[0], map[string]any{"password": a[1]})
}

func setUserTags(s *session, a []string) error {
	tags := splitColumns(a[1:])
	s.notice("Setting tags for user %q to [%s] ...", a[0], strings.Join(tags, ", "))
	return updateUser(s, a[0], map[string]any{"tags": strings.Join(tags, ",")})
}

func setPermissions(s *session, a []string) error {
	if err := nonEmpty("user name", a[0]); err != nil {
		return err
	}
	v := s.o.vhost
	s.notice("Setting permissions for user %q in vhost %q ...", a[0], v)
	return s.c.send(s.ctx, http.MethodPut, request{path: apiPath("permissions", v, a[0]), vhost: v, user: a[0],
		what: fmt.Sprintf("user '%s' or vhost '%s'", a[0], v)},
		map[string]string{"configure": a[1], "write": a[2], "read": a[3]})
}

func policyRequest(s *session, name string) request {
	v := s.o.vhost
	return request{path: apiPath("policies", v, name), vhost: v,
		what: fmt.Sprintf("policy '%s' in vhost '%s'", name, v)}
}

func setPolicy(s *session, a []string) error {
	if err := nonEmpty("policy name", a[0]); err != nil {
		return err
	}
	var def map[string]any
	dec := json.NewDecoder(strings.NewReader(a[2]))
	dec.UseNumber()
	if err := dec.Decode(&def); err != nil || def == nil || dec.More() {
		return usagef("DEFINITION_JSON must be a JSON object, such as '{\"max-length\": 1000}'")
	}
	applyTo := s.o.applyTo
	if applyTo == "" {
		applyTo = "all"
	}
	s.notice("Setting policy %q for pattern %q to %q with priority %d for vhost %q ...",
		a[0], a[1], a[2], s.o.priority, s.o.vhost)
	r := policyRequest(s, a[0])
	r.what = "vhost '" + s.o.vhost + "'"
	return s.c.send(s.ctx, http.MethodPut, r, map[string]any{
		"pattern": a[1], "definition": def, "priority": s.o.priority, "apply-to": applyTo})
}

func clearPolicy(s *session, a []string) error {
	if err := nonEmpty("policy name", a[0]); err != nil {
		return err
	}
	s.notice("Clearing policy %q on vhost %q ...", a[0], s.o.vhost)
	return s.c.send(s.ctx, http.MethodDelete, policyRequest(s, a[0]), nil)
}

func queueRequest(s *session, name string, sub ...string) request {
	v := s.o.vhost
	return request{path: apiPath(append([]string{"queues", v, name}, sub...)...), vhost: v,
		what: fmt.Sprintf("queue '%s' in vhost '%s'", name, v)}
}

func purgeQueue(s *session, a []string) error {
	if err := nonEmpty("queue name", a[0]); err != nil {
		return err
	}
	s.notice("Purging queue %q in vhost %q ...", a[0], s.o.vhost)
	return s.c.send(s.ctx, http.MethodDelete, queueRequest(s, a[0], "contents"), nil)
}

func deleteQueue(s *session, a []string) error {
	if err := nonEmpty("queue name", a[0]); err != nil {
		return err
	}
	s.notice("Deleting queue %q in vhost %q ...", a[0], s.o.vhost)
	return s.c.send(s.ctx, http.MethodDelete, queueRequest(s, a[0]), nil)
}

func closeConnection(s *session, a []string) error {
	if err := nonEmpty("connection name", a[0]); err != nil {
		return err
	}
	reason := "Closed via warren ctl"
	if len(a) > 1 && a[1] != "" {
		reason = a[1]
	}
	if strings.ContainsAny(reason, "\r\n") {
		return usagef("REASON must be one line")
	}
	s.notice("Closing connection %q, reason: %s ...", a[0], reason)
	return s.c.send(s.ctx, http.MethodDelete, request{path: apiPath("connections", a[0]),
		what: "connection '" + a[0] + "'", header: http.Header{"X-Reason": {reason}}}, nil)
}

// jsonObject checks that data is one JSON object.
func jsonObject(data []byte) error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil || m == nil {
		if err == nil {
			err = errors.New("not an object")
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
