package store

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/vfs"
)

// failing returns a Faulty FS over mem that fails op on segment and ack
// files with errno while *on is true.
func failing(mem vfs.FS, op string, errno error, on *atomic.Bool) vfs.FS {
	return vfs.NewFaulty(mem, func(o, name string) error {
		if o == op && on.Load() && (strings.HasSuffix(name, ".seg") || strings.HasSuffix(name, ".ack")) {
			return errno
		}
		return nil
	})
}

func TestWriteError(t *testing.T) {
	mem := vfs.NewMem()
	var on atomic.Bool
	s := openStore(t, failing(mem, vfs.OpWrite, syscall.ENOSPC, &on), "/d", Options{})
	l := mustOpenLog(t, s, "q")
	var durable []Pos
	for i := 0; i < 10; i++ {
		durable = append(durable, mustAppend(t, l, testRecord(i, true, 100)))
	}
	if err := syncWait(l); err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	// A buffered append succeeds; the round that writes it fails, and so
	// does everything after it.
	mustAppend(t, l, testRecord(10, true, 100))
	if err := syncWait(l); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("SyncAsync = %v", err)
	}
	on.Store(false) // the disk has room again: the log stays failed
	if _, err := l.Append(testRecord(11, true, 100)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append after failure = %v", err)
	}
	if err := l.Ack(durable[0]); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Ack after failure = %v", err)
	}
	if err := syncWait(l); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("SyncAsync after failure = %v", err)
	}
	if _, err := l.Read(durable[3]); err != nil {
		t.Fatalf("Read of written data after failure: %v", err)
	}

	// A large record is written at once, so Append itself fails.
	l2 := mustOpenLog(t, s, "q2")
	on.Store(true)
	if _, err := l2.Append(testRecord(0, true, 200<<10)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("large Append = %v", err)
	}
	on.Store(false)

	// After a crash the durable records are all there.
	got, _ := recoverAll(t, mustOpenLog(t, openStore(t, mem.CrashClone(), "/d", Options{}), "q"))
	if len(got) != len(durable) {
		t.Fatalf("recovered %d records, want %d", len(got), len(durable))
	}
	for i := range got {
		if got[i].pos != durable[i] {
			t.Fatalf("record %d at %+v", i, got[i].pos)
		}
	}
	if err := s.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Close = %v", err)
	}
}

func TestSyncError(t *testing.T) {
	mem := vfs.NewMem()
	var on atomic.Bool
	s := openStore(t, failing(mem, vfs.OpSync, syscall.EIO, &on), "/d", Options{})
	l := mustOpenLog(t, s, "q")
	for i := 0; i < 10; i++ {
		mustAppend(t, l, testRecord(i, true, 100))
	}
	if err := syncWait(l); err != nil {
		t.Fatal(err)
	}
	on.Store(true)
	mustAppend(t, l, testRecord(10, true, 100))
	// Every callback of the failed round gets the error.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		l.SyncAsync(func(err error) { errs[i] = err; wg.Done() })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("callback %d got %v", i, err)
		}
	}
	on.Store(false)
	if _, err := l.Append(testRecord(11, true, 100)); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Append after a failed sync = %v", err)
	}
	got, _ := recoverAll(t, mustOpenLog(t, openStore(t, mem.CrashClone(), "/d", Options{}), "q"))
	if len(got) != 10 {
		t.Fatalf("recovered %d records, want 10", len(got))
	}
}

// TestGroupCommit checks that concurrent SyncAsync calls share fsyncs. Each
// fsync takes a millisecond, as a disk's would; a behaviour, not a timing,
// is asserted.
func TestGroupCommit(t *testing.T) {
	var syncs atomic.Int64
	fsys := vfs.NewFaulty(vfs.NewMem(), func(op, name string) error {
		if op == vfs.OpSync {
			syncs.Add(1)
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	var rounds atomic.Int64
	s := openStore(t, fsys, "/d", Options{OnSync: func(time.Duration) { rounds.Add(1) }})
	l := mustOpenLog(t, s, "q")
	const goroutines, each = 10, 100
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Go(func() {
			for i := 0; i < each; i++ {
				mustAppend(t, l, testRecord(g*each+i, true, 100))
				if err := syncWait(l); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	calls := int64(goroutines * each)
	t.Logf("%d SyncAsync calls, %d fsyncs, %d rounds", calls, syncs.Load(), rounds.Load())
	if syncs.Load() >= calls/2 {
		t.Fatalf("%d fsyncs for %d SyncAsync calls", syncs.Load(), calls)
	}
}

// TestSyncModes checks that SyncNone never fsyncs and SyncInterval does.
func TestSyncModes(t *testing.T) {
	for _, mode := range []SyncMode{SyncNone, SyncInterval} {
		var syncs atomic.Int64
		fsys := vfs.NewFaulty(vfs.NewMem(), func(op, name string) error {
			if op == vfs.OpSync || op == vfs.OpSyncDir {
				syncs.Add(1)
			}
			return nil
		})
		s := openStore(t, fsys, "/d", Options{SyncMode: mode, SyncInterval: time.Millisecond})
		l := mustOpenLog(t, s, "q")
		for i := 0; i < 20; i++ {
			p := mustAppend(t, l, testRecord(i, true, 10))
			if err := syncWait(l); err != nil {
				t.Fatal(err)
			}
			if err := l.Ack(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if got := syncs.Load(); (mode == SyncNone) != (got == 0) {
			t.Fatalf("mode %d: %d syncs", mode, got)
		}
	}
}
