package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/message"
	"github.com/warrenmq/warren/internal/meta"
	"github.com/warrenmq/warren/internal/store"
	"github.com/warrenmq/warren/internal/vfs"
)

func streamSpec(name string, args Table) QueueSpec {
	a := Table{"x-queue-type": "stream"}
	for k, v := range args {
		a[k] = v
	}
	return QueueSpec{Name: name, Durable: true, Args: a}
}

func TestStreamDeclareRefusals(t *testing.T) {
	v := testVHost(t)
	for _, tc := range []struct {
		spec QueueSpec
		want string // "" = accepted
	}{
		{QueueSpec{Name: "s", Args: Table{"x-queue-type": "stream"}}, "invalid property 'non-durable' for queue 's' in vhost '/'"},
		{QueueSpec{Name: "s", Durable: true, AutoDelete: true, Args: Table{"x-queue-type": "stream"}}, "invalid property 'auto-delete'"},
		{QueueSpec{Name: "s", Durable: true, Exclusive: true, Args: Table{"x-queue-type": "stream"}}, "invalid property 'exclusive-owner'"},
		{QueueSpec{Name: "s", Args: Table{"x-queue-type": "quorum"}}, "invalid property 'non-durable'"},
		{streamSpec("s", Table{"x-max-length": int32(5)}), "invalid arg 'x-max-length' for queue 's' in vhost '/' of queue type rabbit_stream_queue"},
		{streamSpec("s", Table{"x-message-ttl": int32(5)}), "invalid arg 'x-message-ttl'"},
		{streamSpec("s", Table{"x-single-active-consumer": true}), "invalid arg 'x-single-active-consumer'"},
		{streamSpec("s", Table{"x-max-age": int32(5)}), "invalid arg 'x-max-age' for queue 's' in vhost '/': {unacceptable_type,signedint}"},
		{streamSpec("s", Table{"x-max-age": "7days"}), "invalid arg 'x-max-age'"},
		{streamSpec("s", Table{"x-max-length-bytes": int64(-1)}), "{value_negative,-1}"},
		{streamSpec("s1", Table{"x-max-age": "7D", "x-max-length-bytes": int64(1 << 20), "x-stream-max-segment-size-bytes": int64(1 << 16)}), ""},
		{QueueSpec{Name: "q1", Durable: true, Args: Table{"x-queue-type": "quorum"}}, ""},
		{QueueSpec{Name: "c1", Args: Table{"x-queue-type": "classic"}}, ""},
	} {
		_, _, err := v.DeclareQueue(tc.spec)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s %v: %v", tc.spec.Name, tc.spec.Args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s %v: got %v, want %q", tc.spec.Name, tc.spec.Args, err, tc.want)
		}
	}
	// A redeclare must repeat the stream's own arguments too.
	if _, _, err := v.DeclareQueue(streamSpec("s1", Table{"x-max-age": "1h", "x-max-length-bytes": int64(1 << 20), "x-stream-max-segment-size-bytes": int64(1 << 16)})); err == nil ||
		!strings.Contains(err.Error(), "inequivalent arg 'x-max-age'") {
		t.Errorf("redeclare with another x-max-age: %v", err)
	}
}

func TestParseStreamAge(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7D", 7 * 24 * time.Hour, true}, {"1Y", 365 * 24 * time.Hour, true}, {"2M", 60 * 24 * time.Hour, true},
		{"12h", 12 * time.Hour, true}, {"30m", 30 * time.Minute, true}, {"10s", 10 * time.Second, true}, {"0s", 0, true},
		{"", 0, false}, {"s", 0, false}, {"10", 0, false}, {"10d", 0, false}, {"-1h", 0, false}, {"+1h", 0, false},
		{"1.5h", 0, false}, {"99999999999999999Y", 0, false},
	} {
		got, ok := parseStreamAge(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseStreamAge(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// Consumers read a stream without taking anything from it, each from its
// own offset; settling does not remove or requeue.
func TestStreamConsumersNonDestructive(t *testing.T) {
	v := testVHost(t)
	q, _, err := v.DeclareQueue(streamSpec("s", nil))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		q.Publish(msg(fmt.Sprint(i)))
	}
	a, b := &fakeSink{credit: 100}, &fakeSink{credit: 2}
	ca, _ := q.Consume(ConsumerSpec{Tag: "a", Sink: a, StreamOffset: "first", HasStreamOffset: true})
	cb, _ := q.Consume(ConsumerSpec{Tag: "b", Sink: b, StreamOffset: int64(2), HasStreamOffset: true})
	next := &fakeSink{credit: 100}
	cn, _ := q.Consume(ConsumerSpec{Tag: "n", Sink: next})
	for _, c := range []*Consumer{ca, cb, cn} {
		c.Resume()
	}
	if bodies(a.got) != "01234" || bodies(b.got) != "23" || len(next.got) != 0 {
		t.Fatalf("a %q b %q next %q", bodies(a.got), bodies(b.got), bodies(next.got))
	}
	for i, d := range a.got {
		if d.Seq != uint64(i) {
			t.Errorf("delivery %d has offset %d", i, d.Seq)
		}
	}
	q.Ack(a.got...)
	q.Requeue(b.got...)
	q.Reject(b.got...)
	b.credit = 10
	cb.Resume() // credit back: b goes on from offset 4, nothing redelivered
	if bodies(b.got) != "234" {
		t.Fatalf("b after settling: %q", bodies(b.got))
	}
	q.Publish(msg("5"))
	if bodies(a.got) != "012345" || bodies(b.got) != "2345" || bodies(next.got) != "5" {
		t.Fatalf("after a publish: a %q b %q next %q", bodies(a.got), bodies(b.got), bodies(next.got))
	}
	if ready, unacked, consumers := q.Counts(); ready != 6 || unacked != 0 || consumers != 3 {
		t.Fatalf("counts %d %d %d", ready, unacked, consumers)
	}
	if _, ok, _ := q.Get(false); ok {
		t.Fatal("basic.get took a message from a stream")
	}
}

func TestStreamStartOffsets(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	b := New(Options{Now: func() time.Time { return clock }})
	v, _ := b.AddVHost("/")
	q, _, _ := v.DeclareQueue(streamSpec("s", nil))
	for i := 0; i < 10; i++ { // one message a minute, offsets 0..9
		q.Publish(msg(fmt.Sprint(i)))
		clock = clock.Add(time.Minute)
	}
	// now = start + 10 min; message i was enqueued at start + i min.
	for _, tc := range []struct {
		v    any
		want uint64
		err  bool
	}{
		{"first", 0, false}, {"last", 9, false}, {"next", 10, false}, {[]byte("first"), 0, false},
		{int64(3), 3, false}, {int32(4), 4, false}, {int64(-1), 0, false}, {int64(50), 50, false},
		{"5m", 5, false}, {"1h", 0, false}, {"0s", 10, false},
		{time.Unix(1_700_000_000+7*60, 0), 7, false}, {time.Unix(1_800_000_000, 0), 10, false},
		{"abc", 0, true}, {float64(1.5), 0, true}, {true, 0, true},
	} {
		q.mu.Lock()
		got, err := q.streamStartLocked(tc.v, true)
		q.mu.Unlock()
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("x-stream-offset %T %v: %d, %v; want %d (error %v)", tc.v, tc.v, got, err, tc.want, tc.err)
		}
	}
	q.mu.Lock()
	got, _ := q.streamStartLocked(nil, false)
	q.mu.Unlock()
	if got != 10 {
		t.Errorf("no x-stream-offset starts at %d, want the end (10)", got)
	}
}

// streamBroker opens a broker over a store on fs, with a small segment
// size so retention has segments to drop.
func streamBroker(t *testing.T, fs vfs.FS, now func() time.Time) (*store.Store, *Broker) {
	t.Helper()
	st, err := store.Open("/q", store.Options{FS: fs, SyncMode: store.SyncNone})
	if err != nil {
		t.Fatal(err)
	}
	return st, New(Options{Store: st, Now: now})
}

func restoreStream(t *testing.T, b *Broker, name string, args Table) *Queue {
	t.Helper()
	state := meta.NewState()
	state.VHosts["/"] = true
	state.Queues[[2]string{"/", name}] = &meta.Queue{VHost: "/", Name: name, Args: meta.Args(args)}
	qs, err := b.Restore(state)
	if err != nil || len(qs) != 1 {
		t.Fatal(err, len(qs))
	}
	if _, err := qs[0].RecoverMessages(); err != nil {
		t.Fatal(err)
	}
	return qs[0]
}

// offsets reads the whole stream from "first" and returns the offsets.
func offsets(t *testing.T, q *Queue) []uint64 {
	t.Helper()
	s := &fakeSink{credit: 1 << 20}
	c, err := q.Consume(ConsumerSpec{Tag: fmt.Sprint("read-", time.Now().UnixNano()), Sink: s, StreamOffset: "first", HasStreamOffset: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Resume()
	c.Cancel()
	var out []uint64
	for i, d := range s.got {
		if want := fmt.Sprint(d.Seq); string(d.Msg.Body[:len(want)]) != want {
			t.Fatalf("delivery %d: offset %d carries body %q", i, d.Seq, d.Msg.Body)
		}
		out = append(out, d.Seq)
	}
	return out
}

func publishNumbered(t *testing.T, q *Queue, from, to int, size int) {
	t.Helper()
	for i := from; i < to; i++ {
		body := []byte(fmt.Sprint(i))
		body = append(body, make([]byte, size-len(body))...)
		if _, _, err := q.Publish(&message.Message{Body: body, Expiration: -1}); err != nil {
			t.Fatal(err)
		}
	}
}

// x-max-length-bytes drops whole segments from the front, and offsets
// carry on across a restart (the anchor).
func TestStreamRetentionBytesAndRestart(t *testing.T) {
	fs := vfs.NewMem()
	args := Table{"x-queue-type": "stream", "x-max-length-bytes": int64(20_000), "x-stream-max-segment-size-bytes": int64(4096)}
	st, b := streamBroker(t, fs, nil)
	v, _ := b.AddVHost("/")
	q, _, err := v.DeclareQueue(QueueSpec{Name: "s", Durable: true, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	publishNumbered(t, q, 0, 200, 500)
	got := offsets(t, q)
	if len(got) == 0 || got[0] == 0 || got[len(got)-1] != 199 {
		t.Fatalf("retained offsets %d..%d (%d)", got[0], got[len(got)-1], len(got))
	}
	// At most the limit, and under it by less than one segment (about 7
	// records of 544 bytes): the drop that brought it under took one.
	if n := len(got); n*544 > 20_000 || n*544 < 20_000-4096-544 {
		t.Fatalf("%d messages retained", n)
	}
	first := got[0]
	st.Close()

	st, b = streamBroker(t, fs, nil)
	defer st.Close()
	q = restoreStream(t, b, "s", args)
	if got := offsets(t, q); got[0] != first || got[len(got)-1] != 199 {
		t.Fatalf("after restart offsets %d..%d, want %d..199", got[0], got[len(got)-1], first)
	}
	publishNumbered(t, q, 200, 201, 500)
	if got := offsets(t, q); got[len(got)-1] != 200 {
		t.Fatalf("a publish after restart got offset %d, want 200", got[len(got)-1])
	}
}

// x-max-age drops segments whose newest message is too old, checked when
// messages arrive.
func TestStreamRetentionAge(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	st, b := streamBroker(t, vfs.NewMem(), func() time.Time { return clock })
	defer st.Close()
	v, _ := b.AddVHost("/")
	q, _, err := v.DeclareQueue(streamSpec("s", Table{"x-max-age": "1h", "x-stream-max-segment-size-bytes": int64(4096)}))
	if err != nil {
		t.Fatal(err)
	}
	publishNumbered(t, q, 0, 50, 500)
	clock = clock.Add(30 * time.Minute)
	publishNumbered(t, q, 50, 100, 500)
	if got := offsets(t, q); got[0] != 0 {
		t.Fatalf("nothing is an hour old yet, but the stream starts at %d", got[0])
	}
	clock = clock.Add(45 * time.Minute) // 0..49 are 75 minutes old, 50..99 45
	publishNumbered(t, q, 100, 101, 500)
	got := offsets(t, q)
	if got[0] < 43 || got[0] > 50 || got[len(got)-1] != 100 {
		t.Fatalf("after the first batch aged out the stream holds %d..%d", got[0], got[len(got)-1])
	}
}

// A crash after the anchor was written but before the dropped segment's
// deletion was durable brings the segment back; offsets stay right.
func TestStreamAnchorBeforeDrop(t *testing.T) {
	fs := vfs.NewMem()
	args := Table{"x-queue-type": "stream", "x-stream-max-segment-size-bytes": int64(4096)}
	st, b := streamBroker(t, fs, nil)
	v, _ := b.AddVHost("/")
	q, _, _ := v.DeclareQueue(QueueSpec{Name: "s", Durable: true, Args: args})
	publishNumbered(t, q, 0, 30, 500)
	q.mu.Lock()
	s := q.stream
	// Pretend retention had decided to drop the first segment: write the
	// anchor (offset of the second segment's first record) but keep it.
	if err := q.log.SetAnchor(s.runs[1].seg, uint64(s.runs[0].n)); err != nil {
		t.Fatal(err)
	}
	q.mu.Unlock()
	st.Close()
	st, b = streamBroker(t, fs, nil)
	defer st.Close()
	q = restoreStream(t, b, "s", args)
	if got := offsets(t, q); len(got) != 30 || got[0] != 0 || got[29] != 29 {
		t.Fatalf("offsets after restart: %v", got)
	}
}

// Policies set a stream's retention (max-length-bytes, max-age,
// stream-max-segment-size-bytes; the lower of argument and policy wins)
// and nothing else; a restart restores the arguments' retention.
func TestStreamPolicies(t *testing.T) {
	fs := vfs.NewMem()
	st, b := streamBroker(t, fs, nil)
	v, _ := b.AddVHost("/")
	args := Table{"x-queue-type": "stream", "x-max-age": "2D", "x-max-length-bytes": int64(1 << 30)}
	q, _, err := v.DeclareQueue(QueueSpec{Name: "s", Durable: true, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	cfg := func() queueConfig { q.mu.Lock(); defer q.mu.Unlock(); return q.cfg }
	if c := cfg(); c.maxAge != 2*24*3600*1000 || c.maxLengthBytes != 1<<30 || c.segSize != -1 {
		t.Fatalf("from arguments: %+v", c)
	}
	v.SetPolicies([]Policy{{Name: "p", Pattern: "^s$", ApplyTo: "queues", Definition: map[string]any{
		"max-age": "1h", "max-length-bytes": float64(20_000), "stream-max-segment-size-bytes": float64(4096),
		"message-ttl": float64(1), "expires": float64(1000), "max-length": float64(1), "dead-letter-exchange": "dlx"}}}, false)
	c := cfg()
	if c.maxAge != 3600*1000 || c.maxLengthBytes != 20_000 || c.segSize != 4096 {
		t.Fatalf("with the policy: %+v", c)
	}
	if c.messageTTL != -1 || c.expires != -1 || c.maxLength != -1 || c.hasDLX {
		t.Fatalf("a stream took classic policy keys: %+v", c)
	}
	publishNumbered(t, q, 0, 200, 500) // 4 KiB segments from the policy, 20,000 bytes kept
	if got := offsets(t, q); got[0] == 0 || len(got)*544 > 20_000 {
		t.Fatalf("policy retention kept %d messages from %d", len(got), got[0])
	}
	v.SetPolicies(nil, false)
	if c := cfg(); c.maxAge != 2*24*3600*1000 || c.maxLengthBytes != 1<<30 || c.segSize != -1 {
		t.Fatalf("after the policy went: %+v", c)
	}
	st.Close()
	st, b = streamBroker(t, fs, nil)
	defer st.Close()
	q = restoreStream(t, b, "s", args)
	if c := cfg(); c.maxAge != 2*24*3600*1000 || c.maxLengthBytes != 1<<30 {
		t.Fatalf("after a restart: %+v", c)
	}
}

// BenchmarkStreamPublishDeliver: a persistent 1 KiB publish to a stream on
// a real store, delivered to a consumer at the head (from the ring) and to
// one catching up from the first offset (read-ahead from the log).
func BenchmarkStreamPublishDeliver(b *testing.B) {
	st, err := store.Open(b.TempDir(), store.Options{SyncMode: store.SyncNone})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	v, _ := New(Options{Store: st}).AddVHost("/")
	q, _, err := v.DeclareQueue(streamSpec("s", nil))
	if err != nil {
		b.Fatal(err)
	}
	head := &countSink{}
	c, _ := q.Consume(ConsumerSpec{Tag: "head", Sink: head})
	c.Resume()
	body := make([]byte, 1024)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := q.Publish(&message.Message{Body: body, DeliveryMode: 2, Expiration: -1}); err != nil {
			b.Fatal(err)
		}
	}
	late := &countSink{}
	c2, _ := q.Consume(ConsumerSpec{Tag: "late", Sink: late, StreamOffset: "first", HasStreamOffset: true})
	c2.Resume()
	b.StopTimer()
	if head.n != b.N || late.n != b.N {
		b.Fatalf("delivered %d at the head and %d from the first offset, published %d", head.n, late.n, b.N)
	}
}

// countSink accepts everything and counts it.
type countSink struct{ n int }

func (s *countSink) Deliver(*Consumer, Delivery) bool { s.n++; return true }
func (s *countSink) Cancelled(*Consumer)              {}

// A record damaged on disk is skipped, once, by a consumer reading the
// stream back; the others are delivered with their own offsets.
func TestStreamCorruptRecordSkipped(t *testing.T) {
	fs := vfs.NewMem()
	st, b := streamBroker(t, fs, nil)
	defer st.Close()
	v, _ := b.AddVHost("/")
	q, _, _ := v.DeclareQueue(streamSpec("s", nil))
	publishNumbered(t, q, 0, 300, 100) // more than the ring holds: the first ones come from disk
	q.mu.Lock()
	pos := q.stream.idx[10].pos
	err := q.log.Flush()
	q.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	f, err := fs.OpenRW(fmt.Sprintf("/q/%s/%08x.seg", LogName("/", "s"), pos.Seg))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("X"), int64(pos.Off+pos.Size-1)); err != nil { // the body's last byte
		t.Fatal(err)
	}
	f.Close()
	got := offsets(t, q)
	if len(got) != 299 || got[9] != 9 || got[10] != 11 || got[298] != 299 {
		t.Fatalf("read back %d messages: ...%v...", len(got), got[5:15])
	}
}
