package store

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

// eachFS runs fn on the operating system's filesystem (a temporary
// directory) and on MemFS: one suite for both.
func eachFS(t *testing.T, fn func(t *testing.T, fsys vfs.FS, dir string)) {
	t.Helper()
	t.Run("os", func(t *testing.T) { fn(t, vfs.OS(), t.TempDir()) })
	t.Run("mem", func(t *testing.T) { fn(t, vfs.NewMem(), "/data/queues") })
}

func openStore(t testing.TB, fsys vfs.FS, dir string, opts Options) *Store {
	t.Helper()
	opts.FS = fsys
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustOpenLog(t testing.TB, s *Store, name string) *Log {
	t.Helper()
	l, err := s.OpenLog(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testRecord is record i of a test: contents derived from i, so a test can
// check any record it reads back.
func testRecord(i int, persistent bool, bodyLen int) *Record {
	// A pattern of prime period, filled by doubling: a 20 MiB body costs
	// little even under the race detector.
	body := make([]byte, bodyLen)
	for j := range min(bodyLen, 251) {
		body[j] = byte(i + j*7)
	}
	for k := 251; k < bodyLen; k *= 2 {
		copy(body[k:], body[:k])
	}
	return &Record{
		Persistent:    persistent,
		Timestamp:     1700000000000 + int64(i),
		Expiration:    int64(i%3) - 1,
		DeliveryCount: uint32(i % 5),
		Exchange:      fmt.Sprintf("ex%d", i%4),
		RoutingKey:    fmt.Sprintf("rk.%d", i),
		Props:         []byte{0x90, 0x00, byte(i)},
		Body:          body,
	}
}

func sameRecord(a, b *Record) bool {
	return a.Persistent == b.Persistent && a.Timestamp == b.Timestamp && a.Expiration == b.Expiration &&
		a.DeliveryCount == b.DeliveryCount && a.Exchange == b.Exchange && a.RoutingKey == b.RoutingKey &&
		bytes.Equal(a.Props, b.Props) && bytes.Equal(a.Body, b.Body)
}

func mustAppend(t testing.TB, l *Log, r *Record) Pos {
	t.Helper()
	p, err := l.Append(r)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// syncWait is SyncAsync waited for.
func syncWait(l *Log) error {
	done := make(chan error, 1)
	l.SyncAsync(func(err error) { done <- err })
	return <-done
}

// recovered is one record passed to Recover's callback, copied.
type recovered struct {
	pos Pos
	rec Record
}

func recoverAll(t testing.TB, l *Log) ([]recovered, RecoverReport) {
	t.Helper()
	var out []recovered
	rep, err := l.Recover(func(p Pos, r *Record) error {
		c := *r
		c.Props = bytes.Clone(r.Props)
		c.Body = bytes.Clone(r.Body)
		out = append(out, recovered{p, c})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, rep
}

// reopen closes s and opens the store and the log again, recovered.
func reopen(t testing.TB, s *Store, fsys vfs.FS, dir, name string, opts Options) (*Store, *Log, []recovered, RecoverReport) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, fsys, dir, opts)
	l := mustOpenLog(t, s, name)
	got, rep := recoverAll(t, l)
	return s, l, got, rep
}

func readFile(t testing.TB, fsys vfs.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, st.Size())
	if n, _ := f.ReadAt(b, 0); n != len(b) {
		t.Fatalf("short read of %s", name)
	}
	return b
}

func writeFile(t testing.TB, fsys vfs.FS, name string, b []byte) {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func fileNames(t testing.TB, fsys vfs.FS, dir string) []string {
	t.Helper()
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }
