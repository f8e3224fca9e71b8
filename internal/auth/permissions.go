package auth

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Permission is a user's access to one vhost, as in RabbitMQ: three
// regular expressions matched (unanchored) against resource names. An
// empty expression grants nothing.
type Permission struct {
	User      string `json:"user"`
	VHost     string `json:"vhost"`
	Configure string `json:"configure"`
	Write     string `json:"write"`
	Read      string `json:"read"`
}

// TopicPermission limits the routing keys a user may publish with (write)
// or bind with (read) on one topic exchange of a vhost.
type TopicPermission struct {
	User     string `json:"user"`
	VHost    string `json:"vhost"`
	Exchange string `json:"exchange"`
	Write    string `json:"write"`
	Read     string `json:"read"`
}

// Access is the kind of access a permission check asks for.
type Access int

// The three RabbitMQ permission kinds.
const (
	Configure Access = iota
	Write
	Read
)

func (a Access) String() string {
	switch a {
	case Configure:
		return "configure"
	case Write:
		return "write"
	}
	return "read"
}

// permEntry keeps the compiled expressions beside the source text, so a
// check costs a regexp match and nothing else.
type permEntry struct {
	p   Permission
	res [3]*regexp.Regexp // by Access; nil = empty pattern = no access
}

// Permissions is the set of vhost permissions and topic permissions. It is
// safe for concurrent use.
type Permissions struct {
	mu    sync.RWMutex
	perms map[[2]string]*permEntry        // (user, vhost); guarded by mu
	topic map[[3]string]TopicPermission   // (user, vhost, exchange); guarded by mu
	tres  map[[3]string][2]*regexp.Regexp // compiled write, read; guarded by mu
}

// NewPermissions returns an empty set.
func NewPermissions() *Permissions {
	return &Permissions{
		perms: make(map[[2]string]*permEntry),
		topic: make(map[[3]string]TopicPermission),
		tres:  make(map[[3]string][2]*regexp.Regexp),
	}
}

func compilePattern(what, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid %s regular expression %q: %v", what, expr, err)
	}
	return re, nil
}

// Put adds or replaces a user's permissions on a vhost. It fails, changing
// nothing, when an expression does not compile.
func (p *Permissions) Put(perm Permission) error {
	e := &permEntry{p: perm}
	for i, expr := range []string{perm.Configure, perm.Write, perm.Read} {
		re, err := compilePattern(Access(i).String(), expr)
		if err != nil {
			return err
		}
		e.res[i] = re
	}
	p.mu.Lock()
	p.perms[[2]string{perm.User, perm.VHost}] = e
	p.mu.Unlock()
	return nil
}

// Get returns a user's permissions on a vhost.
func (p *Permissions) Get(user, vhost string) (Permission, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	e, ok := p.perms[[2]string{user, vhost}]
	if !ok {
		return Permission{}, false
	}
	return e.p, true
}

// Delete removes a user's permissions on a vhost and reports whether there
// were any.
func (p *Permissions) Delete(user, vhost string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := [2]string{user, vhost}
	_, ok := p.perms[k]
	delete(p.perms, k)
	return ok
}

// List returns every permission sorted by vhost, then user.
func (p *Permissions) List() []Permission {
	p.mu.RLock()
	out := make([]Permission, 0, len(p.perms))
	for _, e := range p.perms {
		out = append(out, e.p)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].VHost != out[j].VHost {
			return out[i].VHost < out[j].VHost
		}
		return out[i].User < out[j].User
	})
	return out
}

// HasAny reports whether the user has permissions on at least one vhost.
func (p *Permissions) HasAny(user string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for k := range p.perms {
		if k[0] == user {
			return true
		}
	}
	return false
}

// DeleteUser drops every permission and topic permission of a user.
func (p *Permissions) DeleteUser(user string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.perms {
		if k[0] == user {
			delete(p.perms, k)
		}
	}
	for k := range p.topic {
		if k[0] == user {
			delete(p.topic, k)
			delete(p.tres, k)
		}
	}
}

// DeleteVHost drops every permission and topic permission on a vhost.
func (p *Permissions) DeleteVHost(vhost string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.perms {
		if k[1] == vhost {
			delete(p.perms, k)
		}
	}
	for k := range p.topic {
		if k[1] == vhost {
			delete(p.topic, k)
			delete(p.tres, k)
		}
	}
}

// CanAccessVHost reports whether the user has any permission entry on the
// vhost: RabbitMQ's test for connection.open and for what the management
// API shows a non-monitoring user.
func (p *Permissions) CanAccessVHost(user, vhost string) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.perms[[2]string{user, vhost}]
	return ok
}

// Check reports whether the user may access the named resource (queue or
// exchange; the default exchange is "amq.default") in a vhost.
func (p *Permissions) Check(user, vhost string, a Access, resource string) bool {
	p.mu.RLock()
	e, ok := p.perms[[2]string{user, vhost}]
	p.mu.RUnlock()
	if !ok {
		return false
	}
	re := e.res[a]
	return re != nil && re.MatchString(resource)
}

// PutTopic adds or replaces a topic permission.
func (p *Permissions) PutTopic(tp TopicPermission) error {
	w, err := compilePattern("write", tp.Write)
	if err != nil {
		return err
	}
	r, err := compilePattern("read", tp.Read)
	if err != nil {
		return err
	}
	k := [3]string{tp.User, tp.VHost, tp.Exchange}
	p.mu.Lock()
	p.topic[k] = tp
	p.tres[k] = [2]*regexp.Regexp{w, r}
	p.mu.Unlock()
	return nil
}

// DeleteTopic removes a user's topic permissions on a vhost: for one
// exchange, or all of them when exchange is "". It returns how many went.
func (p *Permissions) DeleteTopic(user, vhost, exchange string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k := range p.topic {
		if k[0] == user && k[1] == vhost && (exchange == "" || k[2] == exchange) {
			delete(p.topic, k)
			delete(p.tres, k)
			n++
		}
	}
	return n
}

// ListTopic returns every topic permission sorted by vhost, user, exchange.
func (p *Permissions) ListTopic() []TopicPermission {
	p.mu.RLock()
	out := make([]TopicPermission, 0, len(p.topic))
	for _, tp := range p.topic {
		out = append(out, tp)
	}
	p.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.VHost != b.VHost {
			return a.VHost < b.VHost
		}
		if a.User != b.User {
			return a.User < b.User
		}
		return a.Exchange < b.Exchange
	})
	return out
}

// CheckTopic reports whether a routing key is allowed on a topic exchange.
// Without a topic permission for that exchange everything is allowed, as
// in RabbitMQ.
func (p *Permissions) CheckTopic(user, vhost, exchange string, a Access, routingKey string) bool {
	k := [3]string{user, vhost, exchange}
	p.mu.RLock()
	res, ok := p.tres[k]
	tp := p.topic[k]
	p.mu.RUnlock()
	if !ok {
		return true
	}
	re, src := res[0], tp.Write
	if a == Read {
		re, src = res[1], tp.Read
	}
	// RabbitMQ expands {username} and {vhost} in topic patterns with the
	// connection's values (quoted, so they match literally).
	if strings.Contains(src, "{username}") || strings.Contains(src, "{vhost}") {
		expanded := strings.NewReplacer("{username}", regexp.QuoteMeta(user), "{vhost}", regexp.QuoteMeta(vhost)).Replace(src)
		var err error
		if re, err = compilePattern(a.String(), expanded); err != nil {
			return false
		}
	}
	return re != nil && re.MatchString(routingKey)
}

// Validate checks that the permission's expressions compile.
func (perm Permission) Validate() error {
	for i, expr := range []string{perm.Configure, perm.Write, perm.Read} {
		if _, err := compilePattern(Access(i).String(), expr); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks that the topic permission's expressions compile.
func (tp TopicPermission) Validate() error {
	if _, err := compilePattern("write", tp.Write); err != nil {
		return err
	}
	_, err := compilePattern("read", tp.Read)
	return err
}
