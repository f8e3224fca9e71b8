package e2e

// Many hostile peers at once, and a goroutine-leak check after them.

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren/internal/amqp091/wire"
)

// hostileSession runs one misbehaving connection of the given kind and
// waits (bounded) for the server to drop it. It reports no failures: the
// point is what it does to everyone else.
func hostileSession(addr string, kind int, rng *rand.Rand) {
	nc, err := net.DialTimeout("tcp", addr, rawReplyTimeout)
	if err != nil {
		return
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(rawCloseTimeout))
	fr := wire.NewFrameReader(nc, 0)
	garbage := make([]byte, 64+rng.IntN(512))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	// waitFor reads frames until a method of the given class/method id
	// pair arrives; false on anything else ending the read.
	waitFor := func(classID, methodID uint16) bool {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return false
			}
			if f.Type == wire.FrameMethod && len(f.Payload) >= 4 &&
				binary.BigEndian.Uint16(f.Payload) == classID && binary.BigEndian.Uint16(f.Payload[2:]) == methodID {
				return true
			}
		}
	}
	handshake := func() bool {
		_, _ = nc.Write(wire.ProtocolHeader[:])
		if !waitFor(10, 10) {
			return false
		}
		_, _ = nc.Write(wire.AppendMethodFrame(nil, 0, rawStartOk("guest", "guest", rawClientProperties())))
		if !waitFor(10, 30) {
			return false
		}
		p := wire.AppendMethodFrame(nil, 0, &wire.ConnectionTuneOk{ChannelMax: 2047, FrameMax: 131072})
		p = wire.AppendMethodFrame(p, 0, &wire.ConnectionOpen{VirtualHost: "/"})
		p = wire.AppendMethodFrame(p, 1, &wire.ChannelOpen{})
		_, _ = nc.Write(p)
		return waitFor(20, 11)
	}
	switch kind % 6 {
	case 0: // garbage instead of a protocol header
		_, _ = nc.Write(garbage)
	case 1: // garbage instead of start-ok
		_, _ = nc.Write(wire.ProtocolHeader[:])
		waitFor(10, 10)
		_, _ = nc.Write(garbage)
	case 2: // garbage on an open connection
		if handshake() {
			_, _ = nc.Write(garbage)
		}
	case 3: // a frame claiming 1 GiB
		if handshake() {
			_, _ = nc.Write([]byte{wire.FrameBody, 0, 1, 0x40, 0, 0, 0, 1, 2, 3})
		}
	case 4: // a publish whose content never completes, then a method
		if handshake() {
			p := wire.AppendMethodFrame(nil, 1, &wire.BasicPublish{RoutingKey: "raw-hostile"})
			p = wire.AppendHeaderFrame(p, 1, wire.ClassBasic, 100, []byte{0, 0})
			p = wire.AppendFrame(p, wire.FrameBody, 1, garbage[:10])
			p = wire.AppendMethodFrame(p, 1, &wire.BasicQos{PrefetchCount: 1})
			_, _ = nc.Write(p)
		}
	case 5: // a consumer that vanishes mid-frame
		if handshake() {
			p := wire.AppendMethodFrame(nil, 1, &wire.QueueDeclare{Exclusive: true})
			p = wire.AppendMethodFrame(p, 1, &wire.BasicConsume{Queue: ""})
			_, _ = nc.Write(p)
			waitFor(60, 21)
			_, _ = nc.Write(p[:len(p)/2])
			return // close at once, with a frame half sent
		}
	}
	// Drain until the server closes (or the deadline passes).
	buf := make([]byte, 4096)
	for {
		if _, err := nc.Read(buf); err != nil {
			return
		}
	}
}

func TestRawHostileCrowdWithHealthyClient(t *testing.T) {
	t.Parallel()
	b := start(t)
	const hostile, messages = 50, 10000

	conn := b.dial(t)
	ch, err := conn.Channel()
	must(t, err)
	must(t, ch.Confirm(false))
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, messages))
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	must(t, err)
	ds, err := ch.Consume(q.Name, "", false, true, false, false, nil)
	must(t, err)

	done := make(chan struct{})
	var wg sync.WaitGroup
	var sessions sync.Map
	for i := 0; i < hostile; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			deadline := time.Now().Add(40 * time.Second)
			for n := 0; n < 20 && time.Now().Before(deadline); n++ {
				select {
				case <-done:
					return
				default:
				}
				hostileSession(b.addr, i+n, rng)
				sessions.Store(fmt.Sprint(i, "/", n), true)
			}
		}(i)
	}
	defer func() { close(done); wg.Wait() }()

	received := make(chan error, 1)
	go func() {
		for i := 0; i < messages; i++ {
			select {
			case d, ok := <-ds:
				if !ok {
					received <- fmt.Errorf("deliveries closed after %d", i)
					return
				}
				if want := fmt.Sprintf("msg-%d", i); string(d.Body) != want {
					received <- fmt.Errorf("delivery %d: got %q, want %q", i, d.Body, want)
					return
				}
				if err := d.Ack(false); err != nil {
					received <- err
					return
				}
			case <-time.After(30 * time.Second):
				received <- fmt.Errorf("timed out after %d deliveries", i)
				return
			}
		}
		received <- nil
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < messages; i++ {
		must(t, ch.PublishWithContext(ctx, "", q.Name, false, false, amqp.Publishing{Body: []byte(fmt.Sprintf("msg-%d", i))}))
		if i%1000 == 999 {
			time.Sleep(10 * time.Millisecond) // spread the run over the hostile traffic
		}
	}
	for i := 0; i < messages; i++ {
		select {
		case c := <-confirms:
			if !c.Ack {
				t.Fatalf("publish %d nacked", c.DeliveryTag)
			}
		case <-ctx.Done():
			t.Fatalf("only %d of %d confirms", i, messages)
		}
	}
	if err := <-received; err != nil {
		t.Fatal(err)
	}
	n := 0
	sessions.Range(func(any, any) bool { n++; return true })
	t.Logf("%d hostile sessions completed during the run", n)
	assertHealthy(t, b)
}

// settledGoroutines returns the lowest goroutine count seen over 500 ms,
// so that goroutines still winding down from earlier work do not count.
func settledGoroutines() int {
	low := runtime.NumGoroutine()
	for i := 0; i < 10; i++ {
		time.Sleep(50 * time.Millisecond)
		runtime.GC()
		low = min(low, runtime.NumGoroutine())
	}
	return low
}

// stableGoroutines polls until the goroutine count is at most limit, for
// up to 5 s, and returns the last count.
func stableGoroutines(limit int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		n := runtime.NumGoroutine()
		if n <= limit || time.Now().After(deadline) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Warren only (the broker must run in this process). Not parallel: other
// tests' goroutines would blur the count.
func TestRawNoGoroutineLeak(t *testing.T) {
	b := start(t)
	if !b.rawEmbedded() {
		t.Skip("counts goroutines of the embedded broker")
	}
	assertHealthy(t, b) // warm up lazily started broker goroutines
	before := settledGoroutines()
	heapBefore := liveHeap()

	var wg sync.WaitGroup
	for i := 0; i < 36; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			hostileSession(b.addr, i, rand.New(rand.NewPCG(uint64(i), 7)))
		}(i)
	}
	wg.Wait()
	// Plus peers the server does not drop by itself: they go away by
	// closing their socket at awkward moments.
	for _, cut := range []int{0, 5, 8, 20} {
		c := rawOpen(t, b)
		c.openChannel(1)
		c.sendMethod(1, &wire.QueueDeclare{Exclusive: true})
		q := expectMethod[*wire.QueueDeclareOk](c, 1)
		c.sendMethod(1, &wire.BasicConsume{Queue: q.Queue})
		expectMethod[*wire.BasicConsumeOk](c, 1)
		c.mustSend(rawPublishFrames(1, "", q.Queue, []byte("pending"), c.frameMax))
		p := rawPublishFrames(1, "", q.Queue, make([]byte, 100), c.frameMax)
		c.mustSend(p[:cut])
		c.nc.Close()
	}
	// Each Warren connection runs two goroutines, so a margin of one still
	// catches a single leaked connection.
	const margin = 1
	after := stableGoroutines(before + margin)
	t.Logf("goroutines: %d before, %d after", before, after)
	if after > before+margin {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("goroutine leak: %d before, %d after 5 s\n%s", before, after, buf)
	}
	// Memory returns to its baseline too: what the hostile peers made the
	// broker allocate (frame buffers, channels, queues) is released.
	if heapAfter := liveHeap(); heapAfter > heapBefore+16<<20 {
		t.Fatalf("live heap %d MiB after the hostile peers, %d MiB before", heapAfter>>20, heapBefore>>20)
	} else {
		t.Logf("live heap: %d KiB before, %d KiB after", heapBefore>>10, heapAfter>>10)
	}
	assertHealthy(t, b)
}

// liveHeap returns the bytes in live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A frame header claiming 1 GiB (or 4 GiB) must be refused from the 7-byte
// header alone: nothing close to the claimed size may be allocated. Warren
// only, and not parallel, so that the allocation counter is this test's.
func TestRawHugeFrameClaimAllocatesNothing(t *testing.T) {
	b := start(t)
	if !b.rawEmbedded() {
		t.Skip("reads the embedded broker's allocation counters")
	}
	c1, c2 := rawOpen(t, b), rawOpen(t, b)
	c1.openChannel(1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c1.mustSend([]byte{wire.FrameBody, 0, 1, 0x40, 0, 0, 0, 1, 2, 3})
	c2.mustSend([]byte{wire.FrameMethod, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 10})
	c1.expectConnectionClose(wire.FrameError)
	c2.expectConnectionClose(wire.FrameError)
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
		t.Fatalf("refusing two huge frame claims allocated %d MiB", d>>20)
	}
	assertHealthy(t, b)
}
