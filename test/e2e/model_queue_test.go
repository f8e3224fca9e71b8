package e2e

import (
	"fmt"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestModelQueueServerNamed(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q1, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	q2, err := ch.QueueDeclare("", false, false, false, false, nil)
	must(t, err)
	mCleanup(t, b, []string{q1.Name, q2.Name}, nil)
	for _, q := range []amqp.Queue{q1, q2} {
		if !strings.HasPrefix(q.Name, "amq.gen-") || len(q.Name) <= len("amq.gen-") {
			t.Fatalf("server-named queue %q, want an amq.gen- name", q.Name)
		}
		if q.Messages != 0 || q.Consumers != 0 {
			t.Fatalf("new queue %+v, want empty", q)
		}
	}
	if q1.Name == q2.Name {
		t.Fatalf("two server-named queues share the name %q", q1.Name)
	}
	// The name works like any other.
	mPub(t, ch, "", q2.Name, "hello")
	mGetBody(t, ch, q2.Name, true, "hello")
	if !mQueueExists(t, b, q2.Name) {
		t.Fatal("server-named queue not found by name")
	}
	// Redeclaring a server-named queue by its name falls under the amq.
	// prefix rule.
	_, err = ch.QueueDeclare(q2.Name, false, false, false, false, nil)
	mErr(t, err, amqp.AccessRefused, fmt.Sprintf("ACCESS_REFUSED - queue name '%s' contains reserved prefix 'amq.*'", q2.Name))
	mAlive(t, c)
}

func TestModelQueuePassive(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	missing := mName(t, "missing")
	_, err := ch.QueueDeclarePassive(missing, false, false, false, false, nil)
	mErr(t, err, amqp.NotFound, mNoQueue(missing))
	if !ch.IsClosed() {
		t.Fatal("channel still open after a 404")
	}
	mAlive(t, c)

	ch, err = c.Channel()
	must(t, err)
	name := mName(t, "q")
	mQueue(t, b, ch, name, true, false, false, nil)
	// A passive declare ignores the flags.
	q, err := ch.QueueDeclarePassive(name, false, true, false, false, nil)
	must(t, err)
	if q.Name != name {
		t.Fatalf("passive declare name %q, want %q", q.Name, name)
	}
}

func TestModelQueueDeclareOkCounts(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "q")
	mQueue(t, b, ch, name, false, false, false, nil)
	for i := 0; i < 3; i++ {
		mPub(t, ch, "", name, fmt.Sprint(i))
	}
	// RabbitMQ answers queue.declare ahead of publishes still in flight to
	// the queue (its stat call is prioritised), hence the polling.
	var q amqp.Queue
	mEventually(t, "declare-ok counts 3 messages", func() bool {
		var err error
		q, err = ch.QueueDeclare(name, false, false, false, false, nil)
		must(t, err)
		return q.Messages == 3
	})
	if q.Consumers != 0 {
		t.Fatalf("declare-ok %d consumers, want 0", q.Consumers)
	}

	// One consumer holding one unacked message: ready messages only.
	cch, err := c.Channel()
	must(t, err)
	must(t, cch.Qos(1, 0, false))
	ds, err := cch.Consume(name, "c1", false, false, false, false, nil)
	must(t, err)
	recv(t, ds)
	q = mInspect(t, c, name)
	if q.Messages != 2 || q.Consumers != 1 {
		t.Fatalf("declare-ok %d messages %d consumers, want 2 and 1", q.Messages, q.Consumers)
	}
	_, err = cch.Consume(name, "c2", false, false, false, false, nil)
	must(t, err)
	q = mInspect(t, c, name)
	if q.Consumers != 2 {
		t.Fatalf("declare-ok %d consumers, want 2", q.Consumers)
	}
	must(t, cch.Cancel("c1", false))
	must(t, cch.Cancel("c2", false))
	q = mInspect(t, c, name)
	if q.Consumers != 0 {
		t.Fatalf("declare-ok %d consumers, want 0", q.Consumers)
	}
}

func TestModelQueueFlags(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	for _, f := range []struct {
		name                           string
		durable, autoDelete, exclusive bool
	}{
		{"plain", false, false, false},
		{"durable", true, false, false},
		{"autodelete", false, true, false},
		{"exclusive", false, false, true},
		{"all", true, true, true},
	} {
		name := mName(t, f.name)
		mQueue(t, b, ch, name, f.durable, f.autoDelete, f.exclusive, nil)
		// An identical redeclare is fine.
		if _, err := ch.QueueDeclare(name, f.durable, f.autoDelete, f.exclusive, false, nil); err != nil {
			t.Fatalf("%s: redeclare: %v", f.name, err)
		}
		mPub(t, ch, "", name, f.name)
		mGetBody(t, ch, name, true, f.name)
	}
	mAlive(t, c)
}

func TestModelQueueInequivalent(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	name := mName(t, "q")
	mQueue(t, b, ch, name, false, false, false, nil)

	_, err = ch.QueueDeclare(name, true, false, false, false, nil)
	mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(
		"PRECONDITION_FAILED - inequivalent arg 'durable' for queue '%s' in vhost '/': received 'true' but current is 'false'", name))
	ch, err = c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare(name, false, true, false, false, nil)
	mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf(
		"PRECONDITION_FAILED - inequivalent arg 'auto_delete' for queue '%s' in vhost '/': received 'true' but current is 'false'", name))
	// Claiming a shared queue as exclusive is a lock failure.
	ch, err = c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare(name, false, false, true, false, nil)
	mErr(t, err, amqp.ResourceLocked, mLocked(name))
	mAlive(t, c)
}

func TestModelQueueReservedPrefix(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := "amq." + mName(t, "q")
	_, err := ch.QueueDeclare(name, false, false, false, false, nil)
	mErr(t, err, amqp.AccessRefused, fmt.Sprintf("ACCESS_REFUSED - queue name '%s' contains reserved prefix 'amq.*'", name))
	mAlive(t, c)
	// A passive declare of a missing amq. name is a plain 404.
	ch, err = c.Channel()
	must(t, err)
	_, err = ch.QueueDeclarePassive(name, false, false, false, false, nil)
	mErr(t, err, amqp.NotFound, mNoQueue(name))
}

func mLocked(name string) string {
	return fmt.Sprintf("RESOURCE_LOCKED - cannot obtain exclusive access to locked queue '%s' in vhost '/'. "+
		"It could be originally declared on another connection or the exclusive property value does not match that of the original declaration.", name)
}

func TestModelQueueExclusive(t *testing.T) {
	b := mStart(t)
	owner, och := b.channel(t)
	name := mName(t, "q")
	mQueue(t, b, och, name, false, false, true, nil)
	must(t, och.QueueBind(name, "k", "amq.direct", false, nil))
	mPub(t, och, "", name, "m")
	// A synchronous method after it on the same channel: the publish is
	// processed before the other connection's below (order across
	// connections is otherwise not defined).
	_, err := och.QueueDeclarePassive(name, false, false, true, false, nil)
	must(t, err)

	other := b.dial(t)
	ops := []struct {
		op string
		do func(ch *amqp.Channel) error
	}{
		{"declare", func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(name, false, false, true, false, nil)
			return err
		}},
		{"declare shared", func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare(name, false, false, false, false, nil)
			return err
		}},
		{"passive", func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclarePassive(name, false, false, true, false, nil)
			return err
		}},
		{"consume", func(ch *amqp.Channel) error {
			_, err := ch.Consume(name, "c", false, false, false, false, nil)
			return err
		}},
		{"get", func(ch *amqp.Channel) error { _, _, err := ch.Get(name, false); return err }},
		{"delete", func(ch *amqp.Channel) error { _, err := ch.QueueDelete(name, false, false, false); return err }},
		{"bind", func(ch *amqp.Channel) error { return ch.QueueBind(name, "k", "amq.direct", false, nil) }},
		{"unbind", func(ch *amqp.Channel) error { return ch.QueueUnbind(name, "k", "amq.direct", nil) }},
		{"purge", func(ch *amqp.Channel) error { _, err := ch.QueuePurge(name, false); return err }},
	}
	for _, op := range ops {
		ch, err := other.Channel()
		must(t, err)
		err = op.do(ch)
		if err == nil {
			t.Fatalf("%s from another connection: no error, want 405", op.op)
		}
		mErr(t, err, amqp.ResourceLocked, mLocked(name))
	}
	mAlive(t, other)
	// Publishing to it is not restricted.
	pch, err := other.Channel()
	must(t, err)
	must(t, pch.Confirm(false))
	for _, p := range []struct{ x, key, body string }{{"", name, "from other"}, {"amq.direct", "k", "from other via amq.direct"}} {
		dc, err := pch.PublishWithDeferredConfirm(p.x, p.key, false, false, amqp.Publishing{Body: []byte(p.body)})
		must(t, err)
		select {
		case <-dc.Done():
		case <-mAfter():
			t.Fatal("publish not confirmed")
		}
	}
	// Untouched for its owner.
	if got := mDrain(t, och, name); fmt.Sprint(got) != "[m from other from other via amq.direct]" {
		t.Fatalf("owner got %q", got)
	}

	// Deleted when the owning connection closes.
	must(t, owner.Close())
	mEventually(t, "the exclusive queue is deleted", func() bool { return !mQueueExists(t, b, name) })
}

func TestModelQueueAutoDelete(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "q")
	mQueue(t, b, ch, name, false, true, false, nil)
	// Never consumed from: it stays.
	mPub(t, ch, "", name, "m")
	mGetBody(t, ch, name, true, "m")
	if !mQueueExists(t, b, name) {
		t.Fatal("auto-delete queue without consumers was deleted")
	}
	ch2, err := c.Channel()
	must(t, err)
	_, err = ch.Consume(name, "c1", false, false, false, false, nil)
	must(t, err)
	_, err = ch2.Consume(name, "c2", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Cancel("c1", false))
	if !mQueueExists(t, b, name) {
		t.Fatal("auto-delete queue deleted while it still has a consumer")
	}
	// The last consumer goes with its channel.
	must(t, ch2.Close())
	mEventually(t, "the auto-delete queue is deleted", func() bool { return !mQueueExists(t, b, name) })

	// And by basic.cancel.
	name2 := mName(t, "q2")
	mQueue(t, b, ch, name2, false, true, false, nil)
	_, err = ch.Consume(name2, "c3", false, false, false, false, nil)
	must(t, err)
	must(t, ch.Cancel("c3", false))
	mEventually(t, "the auto-delete queue is deleted", func() bool { return !mQueueExists(t, b, name2) })
}

func TestModelQueueBindUnbind(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	x := mName(t, "x")
	mExchange(t, b, ch, x, "direct", false, false, false, nil)
	q := mQueue(t, b, ch, mName(t, "q"), false, false, false, nil)
	must(t, ch.QueueBind(q.Name, "k", x, false, nil))
	must(t, ch.QueueBind(q.Name, "k", x, false, nil)) // idempotent
	mPub(t, ch, x, "k", "bound")
	if got := mDrain(t, ch, q.Name); fmt.Sprint(got) != "[bound]" {
		t.Fatalf("got %q, want [bound]", got)
	}
	must(t, ch.QueueUnbind(q.Name, "k", x, nil))
	mPub(t, ch, x, "k", "unbound")
	mGetEmpty(t, ch, q.Name)
	// Unbinding a binding that does not exist is fine.
	must(t, ch.QueueUnbind(q.Name, "never", x, nil))

	missing := mName(t, "missing")
	err = ch.QueueBind(q.Name, "k", missing, false, nil)
	mErr(t, err, amqp.NotFound, mNoExchange(missing))
	ch, err = c.Channel()
	must(t, err)
	err = ch.QueueBind(missing, "k", x, false, nil)
	mErr(t, err, amqp.NotFound, mNoQueue(missing))
	mAlive(t, c)
}

func TestModelQueuePurge(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	name := mName(t, "q")
	mQueue(t, b, ch, name, false, false, false, nil)
	for i := 1; i <= 5; i++ {
		mPub(t, ch, "", name, fmt.Sprint(i))
	}
	mGetBody(t, ch, name, false, "1")
	d2 := mGetBody(t, ch, name, false, "2")
	n, err := ch.QueuePurge(name, false)
	must(t, err)
	if n != 3 {
		t.Fatalf("purge-ok %d, want 3 (unacked messages are not purged)", n)
	}
	mGetEmpty(t, ch, name)
	// The unacked ones come back when requeued.
	must(t, ch.Nack(d2.DeliveryTag, true, true))
	if got := mDrain(t, ch, name); fmt.Sprint(got) != "[1 2]" {
		t.Fatalf("after requeue got %q, want [1 2]", got)
	}
	n, err = ch.QueuePurge(name, false)
	must(t, err)
	if n != 0 {
		t.Fatalf("purge-ok %d on an empty queue", n)
	}
	missing := mName(t, "missing")
	_, err = ch.QueuePurge(missing, false)
	mErr(t, err, amqp.NotFound, mNoQueue(missing))
	mAlive(t, c)
}

func TestModelQueueDelete(t *testing.T) {
	b := mStart(t)
	c := b.dial(t)
	ch, err := c.Channel()
	must(t, err)
	name := mName(t, "q")
	mQueue(t, b, ch, name, false, false, false, nil)
	for i := 0; i < 4; i++ {
		mPub(t, ch, "", name, fmt.Sprint(i))
	}
	cch, err := c.Channel()
	must(t, err)
	_, err = cch.Consume(name, "c", true, false, false, false, nil)
	must(t, err)
	mEventually(t, "the consumer drains the queue", func() bool { return mInspect(t, c, name).Messages == 0 })
	mPub(t, ch, "", name, "x")
	_, err = ch.QueueDelete(name, true, false, false)
	mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf("PRECONDITION_FAILED - queue '%s' in vhost '/' in use", name))
	must(t, cch.Cancel("c", false))

	// if-empty with ready messages.
	name2 := mName(t, "q2")
	ch, err = c.Channel()
	must(t, err)
	mQueue(t, b, ch, name2, false, false, false, nil)
	for i := 0; i < 3; i++ {
		mPub(t, ch, "", name2, fmt.Sprint(i))
	}
	_, err = ch.QueueDelete(name2, false, true, false)
	mErr(t, err, amqp.PreconditionFailed, fmt.Sprintf("PRECONDITION_FAILED - queue '%s' in vhost '/' not empty", name2))
	if !mQueueExists(t, b, name2) {
		t.Fatal("queue deleted despite if-empty")
	}

	// delete-ok counts the ready messages, not the unacked one.
	ch, err = c.Channel()
	must(t, err)
	mGet(t, ch, name2, false)
	n, err := ch.QueueDelete(name2, true, false, false)
	must(t, err)
	if n != 2 {
		t.Fatalf("delete-ok %d messages, want 2", n)
	}
	if mQueueExists(t, b, name2) {
		t.Fatal("queue still exists after delete")
	}

	// Deleting a missing queue is not an error: delete-ok with 0.
	n, err = ch.QueueDelete(mName(t, "missing"), false, false, false)
	must(t, err)
	if n != 0 {
		t.Fatalf("delete-ok %d for a missing queue", n)
	}
	mAlive(t, c)
}

func TestModelQueueEmptyNameShortcut(t *testing.T) {
	b := mStart(t)
	c, ch := b.channel(t)
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	must(t, err)
	mCleanup(t, b, []string{q.Name}, nil)
	key := mName(t, "key")
	must(t, ch.QueueBind("", key, "amq.direct", false, nil))
	mPub(t, ch, "amq.direct", key, "one")
	mPub(t, ch, "", q.Name, "two")
	d := mGetBody(t, ch, "", true, "one")
	if d.MessageCount != 1 {
		t.Fatalf("get-ok message count %d, want 1", d.MessageCount)
	}
	ds, err := ch.Consume("", "c", true, false, false, false, nil)
	must(t, err)
	if d := recv(t, ds); string(d.Body) != "two" {
		t.Fatalf("consumed %q, want two", d.Body)
	}
	must(t, ch.Cancel("c", false))
	// Also for purge and delete (the last queue declared is q).
	mPub(t, ch, "", q.Name, "three")
	n, err := ch.QueuePurge("", false)
	must(t, err)
	if n != 1 {
		t.Fatalf("purge-ok %d, want 1", n)
	}
	mPub(t, ch, "", q.Name, "four")
	if n, err = ch.QueueDelete("", false, false, false); err != nil || n != 1 {
		t.Fatalf("delete-ok %d %v, want 1", n, err)
	}
	if mQueueExists(t, b, q.Name) {
		t.Fatal("queue still exists after delete of \"\"")
	}

	// With nothing declared on the channel, "" is a 404.
	for _, op := range []struct {
		op string
		do func(ch *amqp.Channel) error
	}{
		{"get", func(ch *amqp.Channel) error { _, _, err := ch.Get("", false); return err }},
		{"consume", func(ch *amqp.Channel) error {
			_, err := ch.Consume("", "c", false, false, false, false, nil)
			return err
		}},
		{"bind", func(ch *amqp.Channel) error { return ch.QueueBind("", "k", "amq.direct", false, nil) }},
		{"purge", func(ch *amqp.Channel) error { _, err := ch.QueuePurge("", false); return err }},
		{"delete", func(ch *amqp.Channel) error { _, err := ch.QueueDelete("", false, false, false); return err }},
	} {
		fresh, err := c.Channel()
		must(t, err)
		err = op.do(fresh)
		if err == nil {
			t.Fatalf("%s with \"\" and no declared queue: no error", op.op)
		}
		mErr(t, err, amqp.NotFound, "NOT_FOUND - no previously declared queue")
	}
	mAlive(t, c)
}
