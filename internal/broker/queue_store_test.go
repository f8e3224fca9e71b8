package broker

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/meta"
	"github.com/warrenmq/warren/internal/store"
	"github.com/warrenmq/warren/internal/vfs"
)

// A queue over its memory budget keeps messages only on disk and reads
// them back, in order, when delivering; memory stays within the budget.
func TestQueueSpillsToDisk(t *testing.T) {
	st, err := store.Open("/q", store.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := New(Options{Store: st, HotLimit: 64 << 10, QueueHotLimit: 32 << 10})
	v, _ := b.AddVHost("/")
	q, _, _ := v.DeclareQueue(QueueSpec{Name: "deep", Durable: true})
	body := bytes.Repeat([]byte("b"), 1000)
	const n = 2000
	for i := 0; i < n; i++ {
		m := &message.Message{RoutingKey: "deep", Body: append([]byte(fmt.Sprint(i, ":")), body...), DeliveryMode: 1, Expiration: -1}
		if _, _, err := q.Publish(m); err != nil {
			t.Fatal(err)
		}
	}
	if b.HotBytes() > 32<<10 {
		t.Fatalf("hot bytes %d over the queue budget", b.HotBytes())
	}
	if q.levels[0].ColdLen() == 0 {
		t.Fatal("nothing went to disk")
	}
	for i := 0; i < n; i++ {
		d, ok, _ := q.Get(true)
		if !ok {
			t.Fatalf("queue empty after %d", i)
		}
		if !bytes.HasPrefix(d.Msg.Body, []byte(fmt.Sprint(i, ":"))) {
			t.Fatalf("message %d out of order: %.10q", i, d.Msg.Body)
		}
		if b.HotBytes() > 32<<10+int64(len(body))*300 {
			t.Fatalf("hot bytes %d while draining", b.HotBytes())
		}
	}
	if b.HotBytes() != 0 {
		t.Fatalf("hot bytes %d after draining", b.HotBytes())
	}
}

// Persistent messages on a durable queue come back after a restart over
// the same store; acknowledged and transient ones do not.
func TestQueueRecoverMessages(t *testing.T) {
	fs := vfs.NewMem()
	open := func() (*store.Store, *Broker) {
		st, err := store.Open("/q", store.Options{FS: fs})
		if err != nil {
			t.Fatal(err)
		}
		return st, New(Options{Store: st})
	}
	st, b := open()
	v, _ := b.AddVHost("/")
	q, _, _ := v.DeclareQueue(QueueSpec{Name: "d", Durable: true})
	for i := 0; i < 10; i++ {
		mode := uint8(2)
		if i%2 == 1 {
			mode = 1
		}
		if _, _, err := q.Publish(&message.Message{Body: []byte{byte(i)}, DeliveryMode: mode, Expiration: -1}); err != nil {
			t.Fatal(err)
		}
	}
	d, _, _ := q.Get(false) // message 0, acked
	q.Ack(d)
	q.Get(false) // message 1 (transient), delivered and never acked
	st.Close()

	st, b = open()
	defer st.Close()
	state := meta.NewState()
	state.VHosts["/"] = true
	state.Queues[[2]string{"/", "d"}] = &meta.Queue{VHost: "/", Name: "d"}
	qs, err := b.Restore(state)
	if err != nil || len(qs) != 1 {
		t.Fatal(err, len(qs))
	}
	n, err := qs[0].RecoverMessages()
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for {
		d, ok, _ := qs[0].Get(true)
		if !ok {
			break
		}
		// Never delivered before a clean shutdown: a first delivery, as
		// RabbitMQ reports it (messages 0 and 1 were the delivered ones).
		if d.Redelivered {
			t.Error("a message never delivered came back marked redelivered")
		}
		got = append(got, d.Msg.Body...)
	}
	if n != 4 || !bytes.Equal(got, []byte{2, 4, 6, 8}) {
		t.Fatalf("recovered %d: %v", n, got)
	}
}
