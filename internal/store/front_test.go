package store

import (
	"path/filepath"
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

// A stream's use of a log: a per-log segment size, whole segments dropped
// from the front (never the current one), and an anchor that survives a
// reopen, unless damaged.
func TestLogFrontDropAndAnchor(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := openStore(t, fsys, dir, Options{})
		l := mustOpenLog(t, s, "stream")
		l.SetSegmentSize(100) // raised to the 4 KiB minimum
		var ps []Pos
		for i := range 40 {
			p, err := l.Append(testRecord(i, true, 1000))
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		segs := map[uint32]bool{}
		for _, p := range ps {
			segs[p.Seg] = true
		}
		// 4 KiB segments hold 3 records of about 1.1 KiB each.
		if len(segs) < 10 || ps[0].Seg == ps[3].Seg {
			t.Fatalf("%d segments for 40 records of 1 KiB", len(segs))
		}
		if err := l.SetAnchor(ps[9].Seg, 9); err != nil {
			t.Fatal(err)
		}
		if err := l.DropBefore(ps[9].Seg); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Read(ps[0]); err == nil {
			t.Fatal("a dropped record is still readable")
		}
		if _, err := l.Read(ps[9]); err != nil {
			t.Fatal(err)
		}
		if err := l.DropBefore(ps[39].Seg + 1); err != nil { // asks for everything
			t.Fatal(err)
		}
		if _, err := l.Read(ps[39]); err != nil {
			t.Fatalf("the current segment was dropped: %v", err)
		}
		if err := l.Flush(); err != nil {
			t.Fatal(err)
		}
		s.Close()

		s = openStore(t, fsys, dir, Options{})
		l = mustOpenLog(t, s, "stream")
		if seg, n, ok := l.Anchor(); !ok || seg != ps[9].Seg || n != 9 {
			t.Fatalf("anchor after reopen: %d %d %v", seg, n, ok)
		}
		var got []Pos
		if _, err := l.Recover(func(p Pos, r *Record) error { got = append(got, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 || got[len(got)-1] != ps[39] || got[0].Seg != ps[39].Seg {
			t.Fatalf("recovered %v, want the last segment's records", got)
		}
		s.Close()

		// A damaged anchor counts as none.
		f, err := fsys.OpenRW(filepath.Join(dir, "stream", anchorFile))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte{0xff}, 5); err != nil {
			t.Fatal(err)
		}
		f.Sync()
		f.Close()
		s = openStore(t, fsys, dir, Options{})
		if _, _, ok := mustOpenLog(t, s, "stream").Anchor(); ok {
			t.Fatal("a damaged anchor was believed")
		}
	})
}
