package broker

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/warrenmq/warren/internal/meta"
)

// Queue returns the named queue, or nil.
func (v *VHost) Queue(name string) *Queue {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.queues[name]
}

// Queues lists the queues.
func (v *VHost) Queues() []*Queue {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*Queue, 0, len(v.queues))
	for _, q := range v.queues {
		out = append(out, q)
	}
	return out
}

// QueueFor returns the named queue if owner may use it: 404 when missing,
// 405 when another connection holds it exclusively.
func (v *VHost) QueueFor(name string, owner any) (*Queue, error) {
	q := v.Queue(name)
	if q == nil {
		return nil, errNoQueue(v.name, name)
	}
	if !q.accessibleBy(owner) {
		return nil, errLocked(v.name, name)
	}
	return q, nil
}

// GenerateQueueName returns a server-generated name in RabbitMQ's form.
func GenerateQueueName() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "amq.gen-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// DeclareQueue creates a queue or checks that the existing one is
// equivalent. created reports which.
func (v *VHost) DeclareQueue(s QueueSpec) (q *Queue, created bool, err error) {
	if s.Name == "" {
		s.Name = GenerateQueueName()
	} else if strings.HasPrefix(s.Name, "amq.") {
		return nil, false, errorf(CodeAccessRefused, "queue name '%s' contains reserved prefix 'amq.*'", s.Name)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if q, ok := v.queues[s.Name]; ok {
		if !q.accessibleBy(s.Owner) || q.exclusive != s.Exclusive {
			return nil, false, errLocked(v.name, s.Name)
		}
		if err := q.checkEquivalent(s); err != nil {
			return nil, false, err
		}
		q.Touch()
		v.broker.queuesDeclared.Add(1)
		return q, false, nil
	}
	if err := checkQueueType(s, v.name); err != nil {
		return nil, false, err
	}
	if _, err := parseQueueArgs(s.Name, v.name, s.Args); err != nil {
		return nil, false, err
	}
	cfg := policyConfig(v.policies, s.Name, v.name, s.Args)
	if err := v.checkQueueLimitLocked(s.Name); err != nil {
		return nil, false, err
	}
	q = newQueue(v, s.Name, s.Durable, s.Exclusive, s.AutoDelete, s.Args, cfg)
	if s.Exclusive {
		q.owner = s.Owner
	}
	if q.persistent() && !v.restoring {
		if err := v.broker.persist(queueOp(meta.OpQueuePut, q)); err != nil {
			return nil, false, err
		}
	}
	v.queues[s.Name] = q
	v.broker.queuesDeclared.Add(1)
	v.broker.queuesCreated.Add(1)
	// Every queue is bound to the default exchange by its name; that
	// binding is implicit (see route.go) rather than stored.
	return q, true, nil
}

func (q *Queue) checkEquivalent(s QueueSpec) error {
	ineq := func(arg string, recv, cur bool) error {
		return errInequivalent(arg, "queue", q.name, q.vhost.name, boolStr(recv), boolStr(cur))
	}
	switch {
	case s.Durable != q.durable:
		return ineq("durable", s.Durable, q.durable)
	case s.AutoDelete != q.autoDelete:
		return ineq("auto_delete", s.AutoDelete, q.autoDelete)
	}
	keys := queueArgsChecked
	_, rHas := s.Args["x-queue-type"]
	_, cHas := q.args["x-queue-type"]
	switch rt, ct := queueType(s.Args), queueType(q.args); {
	case rt == ct:
		// As in RabbitMQ, no x-queue-type and "classic" are the same.
		keys = queueArgsCheckedButType
	case rHas && cHas:
		// RabbitMQ words a change of type apart from other arguments.
		return errorf(CodePreconditionFailed, "inequivalent arg 'x-queue-type' for queue '%s' in vhost '%s': received '%s' but current is '%s'",
			q.name, q.vhost.name, rt, ct)
	}
	if err := checkArgsEquivalent("queue", q.name, q.vhost.name, keys, s.Args, q.args); err != nil {
		return err
	}
	if q.stream != nil {
		return checkArgsEquivalent("queue", q.name, q.vhost.name, streamArgsChecked, s.Args, q.args)
	}
	return nil
}

// DeleteQueue deletes a queue, its bindings and its messages, cancelling
// its consumers. It returns the number of ready messages deleted.
func (v *VHost) DeleteQueue(name string, owner any, ifUnused, ifEmpty bool) (int, error) {
	v.mu.Lock()
	q, ok := v.queues[name]
	if !ok {
		v.mu.Unlock()
		return 0, errNoQueue(v.name, name)
	}
	if !q.accessibleBy(owner) {
		v.mu.Unlock()
		return 0, errLocked(v.name, name)
	}
	q.mu.Lock()
	if ifUnused && len(q.consumers) > 0 {
		q.mu.Unlock()
		v.mu.Unlock()
		return 0, errorf(CodePreconditionFailed, "queue '%s' in vhost '%s' in use", name, v.name)
	}
	if ifEmpty && q.readyLenLocked()+q.unacked > 0 {
		q.mu.Unlock()
		v.mu.Unlock()
		return 0, errorf(CodePreconditionFailed, "queue '%s' in vhost '%s' not empty", name, v.name)
	}
	q.mu.Unlock()
	n, cancelled, err := v.deleteQueueLocked(q)
	v.mu.Unlock()
	notifyCancelled(cancelled)
	return n, err
}

// deleteQueueLocked removes q from the vhost and its bindings, and marks it
// deleted. It returns the ready count and the consumers to notify once the
// caller has released the vhost lock.
func (v *VHost) deleteQueueLocked(q *Queue) (int, []*Consumer, error) {
	if q.persistent() {
		// Its bindings go with it when the log is replayed.
		if err := v.broker.persist(queueOp(meta.OpQueueDelete, q)); err != nil {
			return 0, nil, err
		}
	}
	delete(v.queues, q.name)
	v.broker.queuesDeleted.Add(1)
	for _, e := range v.exchanges {
		if len(e.bindings) > 0 {
			v.removeBindingsToLocked(e, q)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deleted = true
	n := q.purgeLocked()
	q.removeLogLocked()
	cancelled := q.consumers
	q.consumers = nil
	return n, cancelled, nil
}

func notifyCancelled(cs []*Consumer) {
	for _, c := range cs {
		c.sink.Cancelled(c)
	}
}

// autoDeleteQueue deletes an auto-delete queue whose last consumer left,
// unless a consumer arrived meanwhile.
func (v *VHost) autoDeleteQueue(q *Queue) {
	v.mu.Lock()
	if v.queues[q.name] != q {
		v.mu.Unlock()
		return
	}
	q.mu.Lock()
	still := len(q.consumers) == 0 && !q.deleted
	q.mu.Unlock()
	var cancelled []*Consumer
	if still {
		_, cancelled, _ = v.deleteQueueLocked(q) // a failure was logged
	}
	v.mu.Unlock()
	notifyCancelled(cancelled)
}

// DeleteExclusiveQueues deletes every exclusive queue owned by owner; the
// adapter calls it when a connection closes.
func (v *VHost) DeleteExclusiveQueues(owner any) {
	v.mu.Lock()
	var cancelled []*Consumer
	for _, q := range v.queues {
		if q.exclusive && q.owner == owner {
			_, cs, _ := v.deleteQueueLocked(q) // exclusive queues are never persisted
			cancelled = append(cancelled, cs...)
		}
	}
	v.mu.Unlock()
	notifyCancelled(cancelled)
}

// newQueue builds a queue with its levels and idle clock set up.
func newQueue(v *VHost, name string, durable, exclusive, autoDelete bool, args Table, cfg queueConfig) *Queue {
	q := &Queue{vhost: v, name: name, durable: durable, exclusive: exclusive, autoDelete: autoDelete, args: args}
	q.setCfgLocked(cfg) // not yet shared: no lock needed
	q.levels = make([]messageList, max(1, cfg.maxPriority+1))
	if q.typ = queueType(args); q.typ == TypeStream {
		q.stream = &streamState{}
	}
	q.lastUsed = nowMs(v.broker)
	if cfg.expires >= 0 {
		q.mu.Lock()
		q.scheduleLocked(q.lastUsed + cfg.expires)
		q.mu.Unlock()
	}
	return q
}
