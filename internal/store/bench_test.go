package store

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

func benchRecord() *Record {
	return &Record{
		Persistent: true,
		Timestamp:  1700000000000,
		Expiration: -1,
		Exchange:   "amq.direct",
		RoutingKey: "orders.created",
		Props:      []byte{0x10, 0x00, 0x02},
		Body:       make([]byte, 1024),
	}
}

// BenchmarkAppend1KiB appends without syncing, on the OS filesystem. The
// log is replaced every 64Ki records (untimed) so disk use stays small.
func BenchmarkAppend1KiB(b *testing.B) {
	s := openStore(b, vfs.OS(), b.TempDir(), Options{SyncMode: SyncNone})
	r := benchRecord()
	l := mustOpenLog(b, s, "q0")
	b.SetBytes(int64(len(r.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%(64<<10) == 0 {
			b.StopTimer()
			s.RemoveLog(l.Name())
			l = mustOpenLog(b, s, fmt.Sprintf("q%d", i))
			b.StartTimer()
		}
		if _, err := l.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendSync1KiB is publishers waiting for confirms: 16 goroutines
// each append and wait for their SyncAsync callback, on the OS filesystem,
// so every confirm waits for an fdatasync shared by whoever came meanwhile.
func BenchmarkAppendSync1KiB(b *testing.B) {
	var syncs atomic.Int64
	fsys := vfs.NewFaulty(vfs.OS(), func(op, name string) error {
		if op == vfs.OpSync {
			syncs.Add(1)
		}
		return nil
	})
	s := openStore(b, fsys, b.TempDir(), Options{})
	l := mustOpenLog(b, s, "q")
	b.SetBytes(1024)
	b.SetParallelism(max(1, 16/testingProcs()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := benchRecord()
		done := make(chan error, 1)
		cb := func(err error) { done <- err }
		for pb.Next() {
			if _, err := l.Append(r); err != nil {
				b.Error(err)
				return
			}
			l.SyncAsync(cb)
			if err := <-done; err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(syncs.Load())/float64(b.N), "fsyncs/op")
}

func BenchmarkRead1KiB(b *testing.B) {
	s := openStore(b, vfs.OS(), b.TempDir(), Options{SyncMode: SyncNone})
	l := mustOpenLog(b, s, "q")
	r := benchRecord()
	pos := make([]Pos, 10000)
	for i := range pos {
		pos[i] = mustAppend(b, l, r)
	}
	if err := l.Flush(); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	b.SetBytes(1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Read(pos[rng.IntN(len(pos))]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecover recovers 200,000 records of 1 KiB (about 215 MB, from the
// page cache) per iteration.
func BenchmarkRecover(b *testing.B) {
	const n = 200000
	fsys, dir := vfs.OS(), b.TempDir()
	opts := Options{SyncMode: SyncNone}
	s := openStore(b, fsys, dir, opts)
	l := mustOpenLog(b, s, "q")
	r := benchRecord()
	for i := 0; i < n; i++ {
		mustAppend(b, l, r)
	}
	size := l.Bytes()
	s.Close()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := openStore(b, fsys, dir, opts)
		l := mustOpenLog(b, s, "q")
		count := 0
		if _, err := l.Recover(func(Pos, *Record) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("recovered %d", count)
		}
		s.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
