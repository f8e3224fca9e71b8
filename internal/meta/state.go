package meta

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// Table is a decoded field table.
type Table = map[string]any

// Exchange is a durable exchange.
type Exchange struct {
	VHost      string `json:"vhost"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	AutoDelete bool   `json:"auto_delete,omitempty"`
	Internal   bool   `json:"internal,omitempty"`
	Args       Args   `json:"arguments,omitempty"`
}

// Queue is a durable queue.
type Queue struct {
	VHost      string `json:"vhost"`
	Name       string `json:"name"`
	AutoDelete bool   `json:"auto_delete,omitempty"`
	Args       Args   `json:"arguments,omitempty"`
}

// Binding is a binding between durable objects.
type Binding struct {
	VHost    string `json:"vhost"`
	Source   string `json:"source"`
	Dest     string `json:"destination"`
	DestType string `json:"destination_type"` // "queue" or "exchange"
	Key      string `json:"routing_key"`
	Args     Args   `json:"arguments,omitempty"`
}

// User is a user with its hashed password.
type User struct {
	Name          string   `json:"name"`
	PasswordHash  string   `json:"password_hash"`
	HashAlgorithm string   `json:"hashing_algorithm"`
	Tags          []string `json:"tags"`
}

// Permission is a user's configure/write/read patterns in a vhost.
type Permission struct {
	User      string `json:"user"`
	VHost     string `json:"vhost"`
	Configure string `json:"configure"`
	Write     string `json:"write"`
	Read      string `json:"read"`
}

// Args is a field table that marshals to JSON as base64 of its AMQP
// encoding, preserving every value's type.
type Args Table

// MarshalJSON implements json.Marshaler.
func (a Args) MarshalJSON() ([]byte, error) {
	b, err := wire.AppendTableChecked(nil, wire.Table(a))
	if err != nil {
		return nil, err
	}
	return []byte(`"` + base64.StdEncoding.EncodeToString(b) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *Args) UnmarshalJSON(data []byte) error {
	if len(data) < 2 || data[0] != '"' {
		return fmt.Errorf("meta: arguments must be a base64 string")
	}
	raw, err := base64.StdEncoding.DecodeString(string(data[1 : len(data)-1]))
	if err != nil {
		return err
	}
	if len(raw) < 4 || int(binary.BigEndian.Uint32(raw)) != len(raw)-4 {
		return fmt.Errorf("meta: bad arguments table")
	}
	t, _, err := wire.DecodeTable(raw)
	if err != nil {
		return err
	}
	*a = Args(t)
	return nil
}

// Param is a runtime setting kept as JSON: policies, operator policies,
// vhost and user limits, topic permissions — anything the management layer
// owns whose shape the store need not know.
type Param struct {
	Component string          `json:"component"` // e.g. "policy", "operator_policy", "vhost-limits", "user-limits", "topic-permission"
	Owner     string          `json:"owner"`     // vhost or user
	Name      string          `json:"name"`
	Value     json.RawMessage `json:"value,omitempty"`
}

// paramOfVHost reports whether p belongs to vhost and goes with it:
// policies, operator policies and vhost limits are owned by the vhost;
// a topic permission is owned by its user and named "vhost\x00exchange".
func paramOfVHost(p *Param, vhost string) bool {
	switch p.Component {
	case "policy", "operator_policy", "vhost-limits":
		return p.Owner == vhost
	case "topic-permission":
		return strings.HasPrefix(p.Name, vhost+"\x00")
	}
	return false
}

// Op is one logged change. Exactly one of the pointer fields is set,
// according to Kind.
type Op struct {
	Kind       string      `json:"op"`
	VHost      string      `json:"vhost,omitempty"` // vhost.put / vhost.delete
	Exchange   *Exchange   `json:"exchange,omitempty"`
	Queue      *Queue      `json:"queue,omitempty"`
	Binding    *Binding    `json:"binding,omitempty"`
	User       *User       `json:"user,omitempty"`
	UserName   string      `json:"user_name,omitempty"` // user.delete
	Permission *Permission `json:"permission,omitempty"`
	Param      *Param      `json:"param,omitempty"`
}

// Op kinds.
const (
	OpVHostPut        = "vhost.put"
	OpVHostDelete     = "vhost.delete"
	OpExchangePut     = "exchange.put"
	OpExchangeDelete  = "exchange.delete"
	OpQueuePut        = "queue.put"
	OpQueueDelete     = "queue.delete"
	OpBindingPut      = "binding.put"
	OpBindingDelete   = "binding.delete"
	OpUserPut         = "user.put"
	OpUserDelete      = "user.delete"
	OpPermissionPut   = "permission.put"
	OpPermissionClear = "permission.delete"
	OpParamPut        = "param.put"
	OpParamDelete     = "param.delete"
)

// State is the set of definitions, the result of replaying ops.
type State struct {
	VHosts      map[string]bool
	Exchanges   map[[2]string]*Exchange // (vhost, name)
	Queues      map[[2]string]*Queue
	Bindings    map[string]*Binding // key: bindingKey
	Users       map[string]*User
	Permissions map[[2]string]*Permission // (user, vhost)
	Params      map[[3]string]*Param      // (component, owner, name)
}

// NewState returns an empty State.
func NewState() *State {
	return &State{
		VHosts:      make(map[string]bool),
		Exchanges:   make(map[[2]string]*Exchange),
		Queues:      make(map[[2]string]*Queue),
		Bindings:    make(map[string]*Binding),
		Users:       make(map[string]*User),
		Permissions: make(map[[2]string]*Permission),
		Params:      make(map[[3]string]*Param),
	}
}

func bindingKey(b *Binding) string {
	args, _ := b.Args.MarshalJSON()
	return fmt.Sprintf("%q %q %q %q %q %s", b.VHost, b.Source, b.DestType, b.Dest, b.Key, args)
}

// Apply replays one op. Deleting a vhost, exchange or queue also drops what
// depended on it, mirroring the broker.
func (s *State) Apply(op *Op) error {
	switch op.Kind {
	case OpVHostPut:
		s.VHosts[op.VHost] = true
	case OpVHostDelete:
		delete(s.VHosts, op.VHost)
		for k := range s.Exchanges {
			if k[0] == op.VHost {
				delete(s.Exchanges, k)
			}
		}
		for k := range s.Queues {
			if k[0] == op.VHost {
				delete(s.Queues, k)
			}
		}
		for k, b := range s.Bindings {
			if b.VHost == op.VHost {
				delete(s.Bindings, k)
			}
		}
		for k := range s.Permissions {
			if k[1] == op.VHost {
				delete(s.Permissions, k)
			}
		}
		for k, p := range s.Params {
			if paramOfVHost(p, op.VHost) {
				delete(s.Params, k)
			}
		}
	case OpExchangePut:
		s.Exchanges[[2]string{op.Exchange.VHost, op.Exchange.Name}] = op.Exchange
	case OpExchangeDelete:
		e := op.Exchange
		delete(s.Exchanges, [2]string{e.VHost, e.Name})
		for k, b := range s.Bindings {
			if b.VHost == e.VHost && (b.Source == e.Name || (b.DestType == "exchange" && b.Dest == e.Name)) {
				delete(s.Bindings, k)
			}
		}
	case OpQueuePut:
		s.Queues[[2]string{op.Queue.VHost, op.Queue.Name}] = op.Queue
	case OpQueueDelete:
		q := op.Queue
		delete(s.Queues, [2]string{q.VHost, q.Name})
		for k, b := range s.Bindings {
			if b.VHost == q.VHost && b.DestType == "queue" && b.Dest == q.Name {
				delete(s.Bindings, k)
			}
		}
	case OpBindingPut:
		s.Bindings[bindingKey(op.Binding)] = op.Binding
	case OpBindingDelete:
		delete(s.Bindings, bindingKey(op.Binding))
	case OpUserPut:
		s.Users[op.User.Name] = op.User
	case OpUserDelete:
		delete(s.Users, op.UserName)
		for k := range s.Permissions {
			if k[0] == op.UserName {
				delete(s.Permissions, k)
			}
		}
	case OpPermissionPut:
		p := op.Permission
		s.Permissions[[2]string{p.User, p.VHost}] = p
	case OpPermissionClear:
		p := op.Permission
		delete(s.Permissions, [2]string{p.User, p.VHost})
	case OpParamPut:
		s.Params[[3]string{op.Param.Component, op.Param.Owner, op.Param.Name}] = op.Param
	case OpParamDelete:
		delete(s.Params, [3]string{op.Param.Component, op.Param.Owner, op.Param.Name})
	default:
		return fmt.Errorf("meta: unknown op %q", op.Kind)
	}
	return nil
}

// Ops returns the ops that rebuild s, in dependency order (vhosts, users,
// permissions, exchanges, queues, bindings), each group sorted so
// snapshots are deterministic.
func (s *State) Ops() []Op {
	var ops []Op
	vhosts := make([]string, 0, len(s.VHosts))
	for v := range s.VHosts {
		vhosts = append(vhosts, v)
	}
	sort.Strings(vhosts)
	for _, v := range vhosts {
		ops = append(ops, Op{Kind: OpVHostPut, VHost: v})
	}
	users := make([]string, 0, len(s.Users))
	for u := range s.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	for _, u := range users {
		ops = append(ops, Op{Kind: OpUserPut, User: s.Users[u]})
	}
	for _, k := range sortedKeys(s.Permissions) {
		ops = append(ops, Op{Kind: OpPermissionPut, Permission: s.Permissions[k]})
	}
	for _, k := range sortedKeys(s.Exchanges) {
		ops = append(ops, Op{Kind: OpExchangePut, Exchange: s.Exchanges[k]})
	}
	for _, k := range sortedKeys(s.Queues) {
		ops = append(ops, Op{Kind: OpQueuePut, Queue: s.Queues[k]})
	}
	pk := make([][3]string, 0, len(s.Params))
	for k := range s.Params {
		pk = append(pk, k)
	}
	sort.Slice(pk, func(i, j int) bool {
		a, b := pk[i], pk[j]
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		if a[1] != b[1] {
			return a[1] < b[1]
		}
		return a[2] < b[2]
	})
	for _, k := range pk {
		ops = append(ops, Op{Kind: OpParamPut, Param: s.Params[k]})
	}
	bk := make([]string, 0, len(s.Bindings))
	for k := range s.Bindings {
		bk = append(bk, k)
	}
	sort.Strings(bk)
	for _, k := range bk {
		ops = append(ops, Op{Kind: OpBindingPut, Binding: s.Bindings[k]})
	}
	return ops
}

func sortedKeys[V any](m map[[2]string]V) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	return keys
}
