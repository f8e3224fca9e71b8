package store

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

func segmentSeed(n int, persistent func(int) bool) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, encodeForTest(testRecord(i, persistent(i), i*13%200))...)
	}
	return b
}

// FuzzRecoverSegment recovers an arbitrary segment file: recovery never
// panics, every record it returns is byte for byte a valid record of the
// file (so its CRC holds), in order, and the log recovers the same way
// again after an append.
func FuzzRecoverSegment(f *testing.F) {
	all := func(int) bool { return true }
	valid := segmentSeed(8, all)
	f.Add(valid)
	f.Add(segmentSeed(8, func(i int) bool { return i%2 == 0 }))
	f.Add(valid[:len(valid)-7])
	flipped := bytes.Clone(valid)
	flipped[len(valid)/2] ^= 0x10
	f.Add(flipped)
	badLen := bytes.Clone(valid)
	putU32(badLen[8:], 0xFFFF)
	f.Add(badLen)
	f.Add(append(make([]byte, 100), valid...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := vfs.NewMem()
		dir := "/d/q"
		if err := mem.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, mem, filepath.Join(dir, segName(1)), data)
		s, err := Open("/d", Options{FS: mem, SyncMode: SyncNone, SegmentSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l, err := s.OpenLog("q")
		if err != nil {
			t.Fatal(err)
		}
		var got []Pos
		last := int64(-1)
		_, err = l.Recover(func(p Pos, r *Record) error {
			end := int64(p.Off) + int64(p.Size)
			if p.Seg != 1 || int64(p.Off) <= last || end > int64(len(data)) {
				t.Fatalf("bad position %+v", p)
			}
			last = int64(p.Off)
			raw := data[p.Off:end]
			if _, why := checkRecord(raw); why != "" {
				t.Fatalf("returned a record that fails its check (%s) at %+v", why, p)
			}
			want, _ := decodeRecord(raw)
			if !sameRecord(r, &want) || !r.Persistent {
				t.Fatalf("record at %+v differs from the file", p)
			}
			got = append(got, p)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.Append(testRecord(1, true, 5))
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l, err = s.OpenLog("q")
		if err != nil {
			t.Fatal(err)
		}
		var again []Pos
		if _, err := l.Recover(func(p Pos, r *Record) error { again = append(again, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(again) != len(got)+1 || again[len(got)] != p {
			t.Fatalf("second recovery: %d records, want %d", len(again), len(got)+1)
		}
		for i := range got {
			if again[i] != got[i] {
				t.Fatalf("second recovery differs at %d", i)
			}
		}
	})
}
