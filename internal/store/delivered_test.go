package store

import (
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

// The delivered mark survives a clean close and reopen, exactly once: a
// second reopen without a clean close (a crash) finds none, so every
// recovered record counts as possibly delivered.
func TestDeliveredMark(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := openStore(t, fsys, dir, Options{})
		l := mustOpenLog(t, s, "q")
		var ps []Pos
		for i := range 6 {
			p, err := l.Append(testRecord(i, true, 10))
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		if _, ok := l.DeliveredMark(); ok {
			t.Fatal("a new log has a mark")
		}
		if !l.Delivered(ps[5]) {
			t.Fatal("without a mark every record must count as delivered")
		}
		l.MarkDelivered(ps[2])
		l.MarkDelivered(ps[1]) // out of order: the maximum stays
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		s.Close()

		check := func(fsys vfs.FS, wantMark bool) (*Store, *Log) {
			t.Helper()
			s := openStore(t, fsys, dir, Options{})
			l := mustOpenLog(t, s, "q")
			p, ok := l.DeliveredMark()
			if ok != wantMark {
				t.Fatalf("mark present %v, want %v", ok, wantMark)
			}
			if ok && p != (Pos{Seg: ps[2].Seg, Off: ps[2].Off}) {
				t.Fatalf("mark %+v, want %+v", p, ps[2])
			}
			n := 0
			if _, err := l.Recover(func(p Pos, r *Record) error {
				want := !wantMark || n <= 2
				if got := l.Delivered(p); got != want {
					t.Errorf("record %d: delivered %v, want %v", n, got, want)
				}
				n++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n != 6 {
				t.Fatalf("recovered %d records, want 6", n)
			}
			return s, l
		}
		s2, _ := check(fsys, true)
		// A crash now (before a clean close) leaves no mark: opening
		// removed it.
		if mem, ok := fsys.(*vfs.MemFS); ok {
			check(mem.CrashClone(), false)
		}
		// A clean close carries the old mark over, even with nothing
		// delivered in between.
		s2.Close()
		check(fsys, true)
	})
}
