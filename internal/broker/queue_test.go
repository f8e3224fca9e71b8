package broker

import (
	"fmt"
	"testing"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// fakeSink accepts up to credit deliveries, recording them.
type fakeSink struct {
	credit    int
	got       []Delivery
	cancelled bool
}

func (s *fakeSink) Deliver(c *Consumer, d Delivery) bool {
	if s.credit == 0 {
		return false
	}
	s.credit--
	s.got = append(s.got, d)
	return true
}

func (s *fakeSink) Cancelled(*Consumer) { s.cancelled = true }

func msg(body string) *message.Message {
	return &message.Message{RoutingKey: "q", Body: []byte(body), Expiration: -1}
}

func bodies(ds []Delivery) string {
	out := ""
	for _, d := range ds {
		out += string(d.Msg.Body)
	}
	return out
}

func newTestQueue(t *testing.T) (*VHost, *Queue) {
	t.Helper()
	v := testVHost(t)
	q, created, err := v.DeclareQueue(QueueSpec{Name: "q"})
	if err != nil || !created {
		t.Fatal(err, created)
	}
	return v, q
}

func TestQueueCreditAndResume(t *testing.T) {
	_, q := newTestQueue(t)
	for _, b := range []string{"a", "b", "c", "d"} {
		q.Publish(msg(b))
	}
	s := &fakeSink{credit: 2}
	c, err := q.Consume(ConsumerSpec{Tag: "c1", Sink: s})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.got) != 0 {
		t.Fatal("consumer must start paused")
	}
	c.Resume()
	if bodies(s.got) != "ab" || !c.Blocked() {
		t.Fatalf("got %q blocked=%v", bodies(s.got), c.Blocked())
	}
	ready, unacked, consumers := q.Counts()
	if ready != 2 || unacked != 2 || consumers != 1 {
		t.Fatalf("counts %d %d %d", ready, unacked, consumers)
	}
	s.credit = 5
	c.Resume()
	if bodies(s.got) != "abcd" {
		t.Fatalf("after resume got %q", bodies(s.got))
	}
	q.Ack(s.got...)
	if r, u, _ := q.Counts(); r != 0 || u != 0 {
		t.Fatalf("after ack %d %d", r, u)
	}
}

// Requeued messages return to their original position, ahead of newer
// ones, as in RabbitMQ's classic queues.
func TestRequeueOriginalPosition(t *testing.T) {
	_, q := newTestQueue(t)
	for i := 1; i <= 5; i++ {
		q.Publish(msg(fmt.Sprint(i)))
	}
	var got []Delivery
	for i := 0; i < 5; i++ {
		d, ok, _ := q.Get(false)
		if !ok {
			t.Fatal("empty")
		}
		got = append(got, d)
	}
	q.Requeue(got[3], got[1]) // 4 then 2
	q.Publish(msg("6"))
	var order string
	for {
		d, ok, _ := q.Get(true)
		if !ok {
			break
		}
		order += string(d.Msg.Body)
		if (string(d.Msg.Body) == "2" || string(d.Msg.Body) == "4") != d.Redelivered {
			t.Errorf("message %s redelivered=%v", d.Msg.Body, d.Redelivered)
		}
	}
	if order != "246" {
		t.Fatalf("order %q, want 246", order)
	}
}

func TestRoundRobinAndCancel(t *testing.T) {
	_, q := newTestQueue(t)
	s1, s2 := &fakeSink{credit: 100}, &fakeSink{credit: 100}
	c1, _ := q.Consume(ConsumerSpec{Tag: "1", Sink: s1, NoAck: true})
	c2, _ := q.Consume(ConsumerSpec{Tag: "2", Sink: s2, NoAck: true})
	c1.Resume()
	c2.Resume()
	for i := 0; i < 6; i++ {
		q.Publish(msg(fmt.Sprint(i)))
	}
	if bodies(s1.got) != "024" || bodies(s2.got) != "135" {
		t.Fatalf("round robin: %q %q", bodies(s1.got), bodies(s2.got))
	}
	c1.Cancel()
	q.Publish(msg("x"))
	if bodies(s2.got) != "135x" {
		t.Fatalf("after cancel: %q", bodies(s2.got))
	}
}

func TestExclusiveConsumer(t *testing.T) {
	_, q := newTestQueue(t)
	if _, err := q.Consume(ConsumerSpec{Tag: "1", Sink: &fakeSink{}, Exclusive: true}); err != nil {
		t.Fatal(err)
	}
	_, err := q.Consume(ConsumerSpec{Tag: "2", Sink: &fakeSink{}})
	if e, ok := err.(*Error); !ok || e.Code != CodeAccessRefused {
		t.Fatalf("second consumer: %v", err)
	}
}

func TestAutoDeleteAndServerCancel(t *testing.T) {
	v := testVHost(t)
	q, _, _ := v.DeclareQueue(QueueSpec{Name: "ad", AutoDelete: true})
	s := &fakeSink{}
	c, _ := q.Consume(ConsumerSpec{Tag: "1", Sink: s})
	c.Cancel()
	if v.Queue("ad") != nil {
		t.Fatal("auto-delete queue survived its last consumer")
	}
	q2, _, _ := v.DeclareQueue(QueueSpec{Name: "q2"})
	s2 := &fakeSink{}
	q2.Consume(ConsumerSpec{Tag: "1", Sink: s2})
	if _, err := v.DeleteQueue("q2", nil, false, false); err != nil {
		t.Fatal(err)
	}
	if !s2.cancelled {
		t.Fatal("consumer not told about queue deletion")
	}
}

func TestMessageListOrder(t *testing.T) {
	var l messageList
	seq := uint64(0)
	for i := 0; i < 50; i++ {
		seq++
		l.pushHot(entry{seq: seq, msg: msg("x")})
	}
	for i := 0; i < 5000; i++ { // spans two cold chunks
		seq++
		l.pushCold(seq, coldEntry{pos: store.Pos{Off: uint32(seq)}, meta: 1})
	}
	var taken []entry
	for i := 0; i < 30; i++ {
		taken = append(taken, l.popHot())
	}
	for i := len(taken) - 1; i >= 0; i -= 3 {
		l.requeue(taken[i])
	}
	prev := uint64(0)
	for l.Len() > 0 {
		var got uint64
		switch l.next() {
		case 1, 2:
			p := l.peekHot()
			e := l.popHot()
			if e.seq != p.seq {
				t.Fatal("peek and pop disagree")
			}
			got = e.seq
		case 3:
			s, c := l.popCold()
			if uint64(c.pos.Off) != s {
				t.Fatalf("cold seq %d holds entry %d", s, c.pos.Off)
			}
			got = s
		}
		if got <= prev {
			t.Fatalf("out of order: %d after %d", got, prev)
		}
		prev = got
	}
	if l.Bytes() != 0 || l.hotBytes != 0 || l.coldBytes != 0 {
		t.Fatalf("bytes %d %d %d", l.Bytes(), l.hotBytes, l.coldBytes)
	}
}

// testVHost returns the "/" vhost of a fresh in-memory broker.
func testVHost(t testing.TB) *VHost {
	t.Helper()
	v, err := New(Options{}).AddVHost("/")
	if err != nil {
		t.Fatal(err)
	}
	return v
}
