package broker

import (
	"encoding/binary"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/store"
)

// delaySink records when each delivery arrived.
type delaySink struct {
	mu  sync.Mutex
	got []delayed
	all chan struct{}
	n   int
}

type delayed struct {
	at  time.Time
	msg *message.Message
}

func (s *delaySink) Deliver(_ *Consumer, d Delivery) bool {
	s.mu.Lock()
	s.got = append(s.got, delayed{time.Now(), d.Msg})
	if len(s.got) == s.n {
		close(s.all)
	}
	s.mu.Unlock()
	return true
}

func (s *delaySink) Cancelled(*Consumer) {}

// delayedBroker returns a vhost with exchange "dx" (x-delayed-message,
// routing as direct) bound with key "k" to queue "q", which a consumer
// drains into the returned sink expecting n messages. With dir set the
// broker has a message store there.
func delayedBroker(t testing.TB, dir string, durable bool, n int) (*Broker, *VHost, *delaySink) {
	t.Helper()
	return delayedBrokerClock(t, dir, durable, n, nil)
}

// pinClock is the broker's clock in tests that must know the due time the
// broker computes: pin makes now return exactly t until unpinned.
type pinClock struct{ pinned atomic.Int64 }

func (c *pinClock) now() time.Time {
	if p := c.pinned.Load(); p != 0 {
		return time.Unix(0, p)
	}
	return time.Now()
}

func (c *pinClock) pin(t time.Time) { c.pinned.Store(t.UnixNano()) }

func delayedBrokerClock(t testing.TB, dir string, durable bool, n int, clock *pinClock) (*Broker, *VHost, *delaySink) {
	t.Helper()
	var st *store.Store
	if dir != "" {
		var err error
		if st, err = store.Open(dir, store.Options{SyncMode: store.SyncNone}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	opts := Options{Store: st}
	if clock != nil {
		opts.Now = clock.now
	}
	b := New(opts)
	v, err := b.AddVHost("/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.DeclareExchange(ExchangeSpec{Name: "dx", Type: TypeDelayed, Durable: durable,
		Args: Table{"x-delayed-type": "direct"}}); err != nil {
		t.Fatal(err)
	}
	return b, v, consumeDelayed(t, v, n)
}

func consumeDelayed(t testing.TB, v *VHost, n int) *delaySink {
	t.Helper()
	q := xQueue(t, v, "q")
	xBind(t, v, v.Exchange("dx"), q, "k", nil)
	s := &delaySink{n: n, all: make(chan struct{})}
	c, err := q.Consume(ConsumerSpec{Tag: "c", NoAck: true, Sink: s})
	if err != nil {
		t.Fatal(err)
	}
	c.Resume()
	return s
}

// delayedMessage is a message for "dx" with x-delay ms whose body carries
// its index and the due time the test expects (unix ms).
func delayedMessage(i int, delayMs int64, due int64, persistent bool, bodySize int) *message.Message {
	h := wire.Table{"x-delay": int32(delayMs)}
	p := wire.Properties{Headers: h}
	p.Set(wire.FlagHeaders)
	m := &message.Message{Exchange: "dx", RoutingKey: "k", Headers: h, Expiration: -1}
	if persistent {
		p.DeliveryMode = 2
		p.Set(wire.FlagDeliveryMode)
		m.DeliveryMode = 2
	}
	m.Props = p.Append(nil)
	m.Body = make([]byte, max(bodySize, 16))
	binary.BigEndian.PutUint64(m.Body, uint64(i))
	binary.BigEndian.PutUint64(m.Body[8:], uint64(due))
	return m
}

func bodyIndex(m *message.Message) (i int, due int64) {
	return int(binary.BigEndian.Uint64(m.Body)), int64(binary.BigEndian.Uint64(m.Body[8:]))
}

// checkDelivered checks that every message arrived once, in due order
// (publish order among equal due times), not early, with x-delay negated;
// it returns the maximum and 99th percentile lateness.
func checkDelivered(t testing.TB, got []delayed, n int, delays []int64) (maxLate, p99 time.Duration) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d deliveries, want %d", len(got), n)
	}
	seen := make([]bool, n)
	lates := make([]time.Duration, 0, n)
	prevDue, prevI := int64(0), -1
	for _, d := range got {
		i, due := bodyIndex(d.msg)
		if seen[i] {
			t.Fatalf("message %d delivered twice", i)
		}
		seen[i] = true
		if due < prevDue || (due == prevDue && i < prevI) {
			t.Fatalf("message %d (due %d) after message %d (due %d): out of order", i, due, prevI, prevDue)
		}
		prevDue, prevI = due, i
		late := d.at.Sub(time.UnixMilli(due))
		if late < -time.Millisecond {
			t.Fatalf("message %d delivered %v early", i, -late)
		}
		lates = append(lates, late)
		if got, want := d.msg.Headers["x-delay"], int32(-delays[i]); got != want {
			t.Fatalf("message %d: x-delay %#v, want %#v", i, got, want)
		}
	}
	slices.Sort(lates)
	return lates[len(lates)-1], lates[len(lates)*99/100]
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// 100,000 delayed messages (256-byte bodies, delays spread over 1–5 s):
// while they wait, memory holds their index only; all arrive once, in due
// order, each soon after its due time.
func TestDelayedManyMessages(t *testing.T) {
	n, bodySize := 100_000, 256
	limit := 500 * time.Millisecond
	if raceEnabled || testing.Short() {
		n, limit = 20_000, 2*time.Second
	}
	clock := &pinClock{}
	_, v, sink := delayedBrokerClock(t, t.TempDir(), false, n, clock)
	r := NewRouter()
	delays := make([]int64, n)
	for i := range n {
		delays[i] = 1000 + int64(i*7919%4000)
	}
	before := heapInUse()
	start := time.Now()
	for i := range n {
		now := time.Now()
		clock.pin(now)
		m := delayedMessage(i, delays[i], now.UnixMilli()+delays[i], false, bodySize)
		res, err := v.Publish(r, m)
		if err != nil || res.Queues != 1 {
			t.Fatalf("publish %d: %+v %v", i, res, err)
		}
	}
	clock.pinned.Store(0)
	published := time.Since(start)
	pending := v.Exchange("dx").DelayedCount()
	grown := int64(heapInUse()) - int64(before)
	t.Logf("published %d delayed messages (%d-byte bodies) in %v; %d pending; heap grew %d bytes (%.1f bytes per pending message; the bodies alone are %d)",
		n, bodySize, published.Round(time.Millisecond), pending, grown, float64(grown)/float64(max(pending, 1)), pending*bodySize)
	if pending > 0 && grown > int64(pending*bodySize/4) {
		t.Errorf("heap grew %d bytes for %d pending messages: message bodies are being kept in memory", grown, pending)
	}
	select {
	case <-sink.all:
	case <-time.After(30 * time.Second):
		t.Fatalf("only %d of %d delivered", len(sink.got), n)
	}
	maxLate, p99 := checkDelivered(t, sink.got, n, delays)
	t.Logf("lateness after due time: max %v, p99 %v", maxLate, p99)
	if maxLate > limit {
		t.Errorf("a message arrived %v after its due time (limit %v)", maxLate, limit)
	}
}

// Without a message store the waiting messages are kept in memory, with
// the same ordering.
func TestDelayedInMemory(t *testing.T) {
	const n = 2000
	clock := &pinClock{}
	_, v, sink := delayedBrokerClock(t, "", false, n, clock)
	r := NewRouter()
	delays := make([]int64, n)
	for i := range n {
		delays[i] = 50 + int64(i*31%300)
		now := time.Now()
		clock.pin(now)
		m := delayedMessage(i, delays[i], now.UnixMilli()+delays[i], false, 16)
		if _, err := v.Publish(r, m); err != nil {
			t.Fatal(err)
		}
	}
	clock.pinned.Store(0)
	select {
	case <-sink.all:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of %d delivered", len(sink.got), n)
	}
	maxLate, _ := checkDelivered(t, sink.got, n, delays)
	t.Logf("max lateness %v", maxLate)
	dq, _ := v.Exchange("dx").delayQueue(false)
	if dq.Len() != 0 || len(dq.free) != len(dq.mem) {
		t.Fatalf("%d still queued, %d of %d slots free", dq.Len(), len(dq.free), len(dq.mem))
	}
}

// Waiting messages of a durable exchange survive a restart (the store is
// closed and reopened, a new broker recovers them) and are then delivered
// in due order; persistent ones are confirmed only once synced.
func TestDelayedSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	delays := make([]int64, n)
	{
		st, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		clock := &pinClock{}
		b := New(Options{Store: st, Now: clock.now})
		v, _ := b.AddVHost("/")
		if _, err := v.DeclareExchange(ExchangeSpec{Name: "dx", Type: TypeDelayed, Durable: true,
			Args: Table{"x-delayed-type": "direct"}}); err != nil {
			t.Fatal(err)
		}
		r := NewRouter()
		for i := range n {
			delays[i] = 500 + int64(i*37%500)
			now := time.Now()
			clock.pin(now)
			m := delayedMessage(i, delays[i], now.UnixMilli()+delays[i], i%2 == 0, 32)
			res, err := v.Publish(r, m)
			if err != nil {
				t.Fatal(err)
			}
			if want := i%2 == 0; (len(res.Logs) == 1) != want {
				t.Fatalf("message %d (persistent %v): %d logs to sync", i, want, len(res.Logs))
			}
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, _, sink := delayedBroker(t, dir, true, n)
	logs, got, err := b.RecoverDelayed()
	if err != nil || got != n || len(logs) != 1 || logs[0] != DelayLogName("/", "dx") {
		t.Fatalf("recovered %v %d, %v", logs, got, err)
	}
	select {
	case <-sink.all:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of %d delivered after the restart", len(sink.got), n)
	}
	checkDelivered(t, sink.got, n, delays)
}

// A new exchange of a deleted one's name starts empty: the old one's
// waiting messages went with it.
func TestDelayedExchangeDeleted(t *testing.T) {
	_, v, sink := delayedBroker(t, t.TempDir(), false, 1)
	r := NewRouter()
	if _, err := v.Publish(r, delayedMessage(0, 200, 0, false, 16)); err != nil {
		t.Fatal(err)
	}
	if err := v.DeleteExchange("dx", false); err != nil {
		t.Fatal(err)
	}
	if _, err := v.DeclareExchange(ExchangeSpec{Name: "dx", Type: TypeDelayed, Args: Table{"x-delayed-type": "direct"}}); err != nil {
		t.Fatal(err)
	}
	xBind(t, v, v.Exchange("dx"), v.Queue("q"), "k", nil)
	if _, err := v.Publish(r, delayedMessage(1, 300, 0, false, 16)); err != nil {
		t.Fatal(err)
	}
	<-sink.all
	time.Sleep(100 * time.Millisecond)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != 1 {
		t.Fatalf("%d deliveries", len(sink.got))
	}
	if i, _ := bodyIndex(sink.got[0].msg); i != 1 {
		t.Fatalf("got message %d, want only the new exchange's", i)
	}
}

// StopDelayed (shutdown) stops the timers: nothing is delivered after it.
func TestDelayedStop(t *testing.T) {
	b, v, sink := delayedBroker(t, "", false, 1)
	if _, err := v.Publish(NewRouter(), delayedMessage(0, 100, 0, false, 16)); err != nil {
		t.Fatal(err)
	}
	b.StopDelayed()
	time.Sleep(300 * time.Millisecond)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != 0 || v.Exchange("dx").DelayedCount() != 0 {
		t.Fatalf("%d delivered, %d waiting after StopDelayed", len(sink.got), v.Exchange("dx").DelayedCount())
	}
}

func TestDelayOf(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int64
		ok   bool
	}{
		{int32(5), 5, true}, {int8(1), 1, true}, {uint32(7), 7, true}, {int64(1<<32 - 1), 1<<32 - 1, true},
		{int64(1 << 32), 0, false}, {int32(0), 0, false}, {int32(-5), 0, false}, {float64(2.9), 2, true},
		{"250", 250, true}, {"x", 0, false}, {[]byte("5"), 0, false}, {true, 0, false}, {uint64(5), 0, false},
	} {
		d, ok := delayOf(map[string]any{"x-delay": tc.v})
		if ok != tc.ok || (ok && d != tc.want) {
			t.Errorf("%T %v: %d %v", tc.v, tc.v, d, ok)
		}
	}
	if _, ok := delayOf(nil); ok {
		t.Error("no headers delayed")
	}
}

// The cost of delaying one more message with a million waiting, and the
// memory a million waiting messages take.
func BenchmarkDelayedPending1M(b *testing.B) {
	_, v, _ := delayedBroker(b, b.TempDir(), false, 1)
	r := NewRouter()
	const pending = 1_000_000
	before := heapInUse()
	for i := range pending {
		m := delayedMessage(i, 3_600_000+int64(i%1000), 0, false, 100)
		if _, err := v.Publish(r, m); err != nil {
			b.Fatal(err)
		}
	}
	grown := int64(heapInUse()) - int64(before)
	m := delayedMessage(0, 3_600_000, 0, false, 100)
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Publish(r, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(grown)/pending, "heap-B/pending")
}

// How fast due messages are delivered: messages all due at once, read back
// from the log, routed and enqueued.
func BenchmarkDelayedDue(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		const n = 50_000
		_, v, sink := delayedBroker(b, b.TempDir(), false, n)
		r := NewRouter()
		for i := range n {
			if _, err := v.Publish(r, delayedMessage(i, 200, 0, false, 100)); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(150 * time.Millisecond)
		b.StartTimer()
		<-sink.all
	}
	b.ReportMetric(50_000*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
