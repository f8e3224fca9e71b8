package store

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/vfs"
)

// TestCrash takes MemFS crash images while a writer appends, acks and asks
// for syncs, then recovers each image and checks the contract:
//   - every record whose append was confirmed (a SyncAsync callback issued
//     after it fired before the image) comes back, unless it was acked
//     before the image (that ack may or may not have reached the disk);
//   - no record whose ack was confirmed comes back;
//   - whatever comes back is exactly a record that was appended, in order.
func TestCrash(t *testing.T) {
	mem := vfs.NewMem()
	opts := Options{SegmentSize: 8 << 10}
	s := openStore(t, mem, "/data", opts)
	l := mustOpenLog(t, s, "q")

	type op struct {
		pos             Pos
		rec             *Record
		appended, acked int64 // operation numbers; acked 0 if never
	}
	const n = 3000
	ops := make([]op, n)
	var confirmed atomic.Int64 // the highest operation number made durable
	var seq atomic.Int64       // operation numbers
	type image struct {
		fs        *vfs.MemFS
		confirmed int64 // confirmed before the image: all of it is in
		issued    int64 // issued after: nothing later is in
	}
	var images []image
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // the crasher
		for len(images) < 40 {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(rand.IntN(2000)) * time.Microsecond):
			}
			c := confirmed.Load()
			fs := mem.CrashClone()
			images = append(images, image{fs, c, seq.Load()})
		}
	})
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		r := testRecord(i, true, rng.IntN(1500))
		p, err := l.Append(r)
		if err != nil {
			t.Fatal(err)
		}
		ops[i] = op{pos: p, rec: r, appended: seq.Add(1)}
		if i >= 40 && rng.IntN(10) != 0 { // most: segments get deleted too
			j := i - 40
			if ops[j].acked == 0 {
				ops[j].acked = seq.Add(1)
				if err := l.Ack(ops[j].pos); err != nil {
					t.Fatal(err)
				}
			}
		}
		if rng.IntN(8) == 0 {
			at := seq.Load()
			l.SyncAsync(func(err error) {
				if err != nil {
					t.Error(err)
				}
				for c := confirmed.Load(); c < at && !confirmed.CompareAndSwap(c, at); c = confirmed.Load() {
				}
			})
		}
		if i%500 == 0 {
			time.Sleep(time.Millisecond) // let the crasher run on a busy machine
		}
	}
	if err := syncWait(l); err != nil {
		t.Fatal(err)
	}
	close(done)
	wg.Wait()
	images = append(images, image{mem.CrashClone(), seq.Load(), seq.Load()})

	byPos := make(map[Pos]int, n)
	for i, o := range ops {
		byPos[o.pos] = i
	}
	checked := 0
	for k, img := range images {
		s2 := openStore(t, img.fs, "/data", opts)
		l2, err := s2.OpenLog("q")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := recoverAll(t, l2)
		last := -1
		seen := make(map[int]bool, len(got))
		for _, g := range got {
			i, ok := byPos[g.pos]
			if !ok || !sameRecord(&g.rec, ops[i].rec) {
				t.Fatalf("image %d: recovered a record that was never appended at %+v", k, g.pos)
			}
			if i <= last {
				t.Fatalf("image %d: record %d out of order", k, i)
			}
			if a := ops[i].acked; a != 0 && a <= img.confirmed {
				t.Fatalf("image %d: record %d came back although its ack was confirmed", k, i)
			}
			last = i
			seen[i] = true
		}
		for i, o := range ops {
			if o.appended <= img.confirmed && (o.acked == 0 || o.acked > img.issued) && !seen[i] {
				var ps []Pos
				for _, g := range got {
					ps = append(ps, g.pos)
				}
				t.Fatalf("image %d (confirmed op %d): confirmed record %d at %+v (op %d) lost; got %v; files %v", k, img.confirmed, i, o.pos, o.appended, ps, fileNames(t, img.fs, "/data/q"))
			}
		}
		// The recovered log takes appends and recovers again.
		p := mustAppend(t, l2, testRecord(n, true, 10))
		if err := s2.Close(); err != nil {
			t.Fatal(err)
		}
		s3 := openStore(t, img.fs, "/data", opts)
		got2, _ := recoverAll(t, mustOpenLog(t, s3, "q"))
		if len(got2) != len(got)+1 || got2[len(got)].pos != p {
			t.Fatalf("image %d: %d records after append, want %d", k, len(got2), len(got)+1)
		}
		s3.Close()
		checked++
	}
	if checked < 3 {
		t.Fatalf("only %d crash images", checked)
	}
	t.Logf("%d crash images checked; %d files at the end for %d segments written", checked, len(fileNames(t, mem, "/data/q")), ops[n-1].pos.Seg)
}

// TestAckDurability: an ack followed by a SyncAsync round survives a crash,
// and SyncAsync(nil) asks for such a round without a callback.
func TestAckDurability(t *testing.T) {
	mem := vfs.NewMem()
	s := openStore(t, mem, "/d", Options{})
	l := mustOpenLog(t, s, "q")
	var pos []Pos
	for i := 0; i < 3; i++ {
		pos = append(pos, mustAppend(t, l, testRecord(i, true, 10)))
	}
	if err := syncWait(l); err != nil {
		t.Fatal(err)
	}
	if err := l.Ack(pos[1]); err != nil {
		t.Fatal(err)
	}
	before := mem.CrashClone()
	l.SyncAsync(nil)
	if err := syncWait(l); err != nil { // rounds run in order
		t.Fatal(err)
	}
	after := mem.CrashClone()
	for _, c := range []struct {
		fs   *vfs.MemFS
		want int
	}{{before, 3}, {after, 2}} {
		got, _ := recoverAll(t, mustOpenLog(t, openStore(t, c.fs, "/d", Options{}), "q"))
		if len(got) != c.want {
			t.Fatalf("recovered %d records, want %d", len(got), c.want)
		}
	}
}
