package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

func TestAppendReadRoundTrip(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := openStore(t, fsys, dir, Options{})
		l := mustOpenLog(t, s, "q1")
		recs := []*Record{
			{}, // zero-length everything
			{Persistent: true, Expiration: -1, Body: []byte{}},
			testRecord(1, true, 0),
			testRecord(2, false, 1024),
			testRecord(3, true, 100<<10), // over largeRecord: written directly
			testRecord(4, true, 20<<20),  // larger than a segment: one of its own
			testRecord(5, true, 10),
		}
		var pos []Pos
		for _, r := range recs {
			pos = append(pos, mustAppend(t, l, r))
		}
		check := func(when string) {
			t.Helper()
			for i, p := range pos {
				got, err := l.Read(p)
				if err != nil {
					t.Fatalf("%s: Read %d %+v: %v", when, i, p, err)
				}
				if !sameRecord(&got, recs[i]) {
					t.Fatalf("%s: record %d differs", when, i)
				}
			}
		}
		check("buffered")
		if pos[5].Seg == pos[4].Seg || pos[5].Off != 0 || pos[6].Seg == pos[5].Seg {
			t.Fatalf("20 MiB record not alone in its segment: %+v", pos)
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		check("flushed")
		if err := syncWait(l); err != nil {
			t.Fatal(err)
		}
		check("synced")

		// Reading back after a restart.
		s, l, got, _ := reopen(t, s, fsys, dir, "q1", Options{})
		_ = s
		want := 0
		for i, r := range recs {
			if !r.Persistent {
				continue
			}
			if want >= len(got) || got[want].pos != pos[i] || !sameRecord(&got[want].rec, r) {
				t.Fatalf("recovered record %d differs", i)
			}
			want++
		}
		if want != len(got) {
			t.Fatalf("recovered %d records, want %d", len(got), want)
		}
		check("recovered")
	})
}

func TestReadOwnsItsBytes(t *testing.T) {
	s := openStore(t, vfs.NewMem(), "/d", Options{})
	l := mustOpenLog(t, s, "q")
	r := testRecord(7, true, 32)
	p := mustAppend(t, l, r)
	a, err := l.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	a.Body[0] ^= 0xFF
	a.Props = append(a.Props, 1, 2, 3) // capacity-limited: must not overwrite the body
	b, err := l.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if !sameRecord(&b, r) || a.Body[1] != r.Body[1] {
		t.Fatal("Read shares memory with the buffer or between fields")
	}
	if n := testing.AllocsPerRun(100, func() { l.Read(p) }); n > 1 {
		t.Errorf("Read allocates %v times, want 1", n)
	}
}

func TestSegmentBoundaries(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		const segSize = 4096
		s := openStore(t, fsys, dir, Options{SegmentSize: segSize})
		l := mustOpenLog(t, s, "q")
		var pos []Pos
		var recs []*Record
		for i := 0; i < 200; i++ {
			r := testRecord(i, true, (i*37)%1500)
			if i%50 == 0 {
				r = testRecord(i, true, 9000) // bigger than a segment
			}
			p := mustAppend(t, l, r)
			if p.Off > 0 && int64(p.Off)+int64(p.Size) > segSize {
				t.Fatalf("record %d spans a segment boundary: %+v", i, p)
			}
			if i > 0 && p.Seg != pos[i-1].Seg && p.Seg != pos[i-1].Seg+1 {
				t.Fatalf("segment numbers skip: %+v after %+v", p, pos[i-1])
			}
			pos, recs = append(pos, p), append(recs, r)
		}
		if pos[len(pos)-1].Seg < 40 {
			t.Fatalf("only %d segments", pos[len(pos)-1].Seg)
		}
		for i := range pos {
			got, err := l.Read(pos[i])
			if err != nil || !sameRecord(&got, recs[i]) {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		_, l, got, _ := reopen(t, s, fsys, dir, "q", Options{SegmentSize: segSize})
		if len(got) != len(recs) {
			t.Fatalf("recovered %d of %d", len(got), len(recs))
		}
		for i := range got {
			if got[i].pos != pos[i] || !sameRecord(&got[i].rec, recs[i]) {
				t.Fatalf("recovered record %d differs", i)
			}
		}
		// Appends after recovery start a new segment.
		p := mustAppend(t, l, testRecord(1000, true, 10))
		if p.Seg != pos[len(pos)-1].Seg+1 || p.Off != 0 {
			t.Fatalf("append after recovery at %+v", p)
		}
	})
}

func TestMisuse(t *testing.T) {
	fsys := vfs.NewMem()
	s := openStore(t, fsys, "/d", Options{})
	for _, name := range []string{"", ".", "..", "a/b", `a\b`} {
		if _, err := s.OpenLog(name); !errors.Is(err, ErrBadName) {
			t.Errorf("OpenLog(%q) = %v", name, err)
		}
	}
	l := mustOpenLog(t, s, "q")
	if _, err := s.OpenLog("q"); !errors.Is(err, ErrLogOpen) {
		t.Errorf("second OpenLog = %v", err)
	}
	p := mustAppend(t, l, testRecord(1, true, 10))
	if _, err := l.Read(Pos{Seg: p.Seg, Off: p.Off, Size: p.Size + 1}); !errors.Is(err, ErrBadPos) {
		t.Errorf("Read past the end = %v", err)
	}
	if _, err := l.Read(Pos{Seg: 99, Size: p.Size}); !errors.Is(err, ErrBadPos) {
		t.Errorf("Read of a missing segment = %v", err)
	}
	if _, err := l.Read(Pos{Seg: p.Seg, Off: 1, Size: 50}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read at a wrong offset = %v", err)
	}
	if err := l.Ack(p); err != nil {
		t.Fatal(err)
	}
	if err := l.Ack(p); !errors.Is(err, ErrBadPos) {
		t.Errorf("double Ack = %v", err)
	}
	if _, err := l.Recover(nil); !errors.Is(err, ErrRecovered) {
		t.Errorf("Recover after Append = %v", err)
	}
	if _, err := l.Append(&Record{Body: make([]byte, MaxRecordSize)}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge Append = %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(testRecord(2, true, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v", err)
	}
	if err := syncWait(l); !errors.Is(err, ErrClosed) {
		t.Errorf("SyncAsync after Close = %v", err)
	}

	// A log with data must be recovered before use.
	l = mustOpenLog(t, s, "q")
	if _, err := l.Append(testRecord(3, true, 1)); !errors.Is(err, ErrNotRecovered) {
		t.Errorf("Append before Recover = %v", err)
	}
	if _, err := l.Read(p); !errors.Is(err, ErrNotRecovered) {
		t.Errorf("Read before Recover = %v", err)
	}
	recoverAll(t, l)
	mustAppend(t, l, testRecord(3, true, 1))
}

func TestLogsAndRemoveLog(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := openStore(t, fsys, dir, Options{})
		for _, n := range []string{"b", "a", "c"} {
			l := mustOpenLog(t, s, n)
			mustAppend(t, l, testRecord(1, true, 10))
			if n != "c" {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, err := s.Logs()
		if err != nil || len(got) != 3 || got[0] != "a" || got[2] != "c" {
			t.Fatalf("Logs = %v, %v", got, err)
		}
		if err := s.RemoveLog("c"); err != nil { // open: closed first
			t.Fatal(err)
		}
		if err := s.RemoveLog("a"); err != nil {
			t.Fatal(err)
		}
		got, _ = s.Logs()
		if len(got) != 1 || got[0] != "b" {
			t.Fatalf("Logs after RemoveLog = %v", got)
		}
		if _, err := fsys.Stat(filepath.Join(dir, "a")); err == nil {
			t.Fatal("directory of a removed log still there")
		}
		// The name can be used again.
		l := mustOpenLog(t, s, "c")
		if _, rep := recoverAll(t, l); rep.Segments != 0 {
			t.Fatalf("recreated log has %d segments", rep.Segments)
		}
	})
}

// TestConcurrentUse runs a writer, a reader, an acker and the committer on
// one log at once, for the race detector.
func TestConcurrentUse(t *testing.T) {
	s := openStore(t, vfs.NewMem(), "/d", Options{SegmentSize: 64 << 10})
	l := mustOpenLog(t, s, "q")
	const n = 3000
	posCh := make(chan Pos, n)
	ackCh := make(chan Pos, n)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(posCh)
		for i := 0; i < n; i++ {
			p, err := l.Append(testRecord(i, true, 200+i%700))
			if err != nil {
				t.Error(err)
				return
			}
			posCh <- p
			if i%10 == 0 {
				l.SyncAsync(func(err error) {
					if err != nil {
						t.Error(err)
					}
				})
			}
		}
	})
	wg.Go(func() {
		defer close(ackCh)
		i := 0
		for p := range posCh {
			r, err := l.Read(p)
			if err != nil || !sameRecord(&r, testRecord(i, true, 200+i%700)) {
				t.Errorf("Read %d: %v", i, err)
				return
			}
			ackCh <- p
			i++
		}
	})
	wg.Go(func() {
		for p := range ackCh {
			if err := l.Ack(p); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := syncWait(l); err != nil {
		t.Fatal(err)
	}
	if segs := len(fileNames(t, s.fs, l.dir)); segs > 4 {
		t.Fatalf("%d files left after acking everything", segs)
	}
}

// TestCloseDoesNotWaitForCommitter: Close may be called from a callback, or
// holding a lock that callbacks take, and pending callbacks still learn
// that their data is durable.
func TestCloseDoesNotWaitForCommitter(t *testing.T) {
	mem := vfs.NewMem()
	s := openStore(t, mem, "/d", Options{})
	l := mustOpenLog(t, s, "q")
	mustAppend(t, l, testRecord(1, true, 10))
	closed := make(chan error, 1)
	l.SyncAsync(func(err error) { closed <- l.Close() })
	if err := <-closed; err != nil {
		t.Fatalf("Close from a callback: %v", err)
	}

	var mu sync.Mutex // the broker's queue lock, say
	l = mustOpenLog(t, s, "q2")
	mustAppend(t, l, testRecord(2, true, 10))
	got := make(chan error, 2)
	mu.Lock()
	l.SyncAsync(func(err error) { mu.Lock(); got <- err; mu.Unlock() })
	mustAppend(t, l, testRecord(3, true, 10))
	l.SyncAsync(func(err error) { mu.Lock(); got <- err; mu.Unlock() })
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	for range 2 {
		if err := <-got; err != nil {
			t.Fatalf("pending callback got %v", err)
		}
	}
	recs, _ := recoverAll(t, mustOpenLog(t, openStore(t, mem.CrashClone(), "/d", Options{}), "q2"))
	if len(recs) != 2 {
		t.Fatalf("recovered %d records after Close", len(recs))
	}
}

// ReadRun returns the same records as Read, for adjacent and scattered
// positions, written and still buffered.
func TestReadRun(t *testing.T) {
	s, err := Open(t.TempDir(), Options{SegmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.OpenLog("q")
	if err != nil {
		t.Fatal(err)
	}
	var ps []Pos
	for i := 0; i < 300; i++ {
		p, err := l.Append(&Record{Expiration: -1, RoutingKey: "k", Body: []byte(fmt.Sprintf("body-%d-%s", i, strings.Repeat("x", i%700)))})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
		if i == 200 {
			if err := l.Flush(); err != nil { // the rest stays buffered
				t.Fatal(err)
			}
		}
	}
	// Adjacent, with a gap (every 7th skipped), across segments.
	var want []Pos
	for i, p := range ps {
		if i%7 != 3 {
			want = append(want, p)
		}
	}
	recs, err := l.ReadRun(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records for %d positions", len(recs), len(want))
	}
	for i, p := range want {
		one, err := l.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(one.Body) != string(recs[i].Body) || one.RoutingKey != recs[i].RoutingKey {
			t.Fatalf("record %d differs: %q vs %q", i, recs[i].Body, one.Body)
		}
	}
}
