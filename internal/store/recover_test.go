package store

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/warrenmq/warren/internal/vfs"
)

func TestRecoverAfterClose(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		opts := Options{SegmentSize: 16 << 10}
		s := openStore(t, fsys, dir, opts)
		l := mustOpenLog(t, s, "q")
		type kept struct {
			pos Pos
			rec *Record
		}
		var want []kept
		for i := 0; i < 500; i++ {
			r := testRecord(i, i%4 != 0, i%600)
			p := mustAppend(t, l, r)
			switch {
			case i%3 == 0:
				if err := l.Ack(p); err != nil {
					t.Fatal(err)
				}
			case r.Persistent:
				want = append(want, kept{p, r})
			}
		}
		check := func(got []recovered) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("recovered %d records, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].pos != want[i].pos || !sameRecord(&got[i].rec, want[i].rec) {
					t.Fatalf("record %d: got %+v want %+v", i, got[i].pos, want[i].pos)
				}
			}
		}
		s, l, got, rep := reopen(t, s, fsys, dir, "q", opts)
		check(got)
		if rep.Transient == 0 || rep.Acked == 0 || rep.Corrupt != 0 || rep.TornBytes != 0 {
			t.Fatalf("report %+v", rep)
		}
		// Ack some recovered records, append more, and recover again.
		var next []kept
		for i, k := range want {
			if i%2 == 0 {
				if err := l.Ack(k.pos); err != nil {
					t.Fatal(err)
				}
			} else {
				next = append(next, k)
			}
		}
		for i := 500; i < 600; i++ {
			r := testRecord(i, true, 100)
			next = append(next, kept{mustAppend(t, l, r), r})
		}
		want = next
		_, _, got, _ = reopen(t, s, fsys, dir, "q", opts)
		check(got)
	})
}

func TestRecoverCallbackMayAck(t *testing.T) {
	fsys := vfs.NewMem()
	opts := Options{SegmentSize: 4 << 10}
	s := openStore(t, fsys, "/d", opts)
	l := mustOpenLog(t, s, "q")
	for i := 0; i < 100; i++ {
		mustAppend(t, l, testRecord(i, true, 300))
	}
	s.Close()
	s = openStore(t, fsys, "/d", opts)
	l = mustOpenLog(t, s, "q")
	n := 0
	_, err := l.Recover(func(p Pos, r *Record) error {
		if _, err := l.Read(p); err != nil {
			return err
		}
		n++
		if n <= 50 { // as the broker does with expired messages
			return l.Ack(p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _, got, _ := reopen(t, s, fsys, "/d", "q", opts)
	if len(got) != 50 || got[0].rec.Timestamp != testRecord(50, true, 0).Timestamp {
		t.Fatalf("recovered %d records", len(got))
	}
	stop := errors.New("stop")
	s = openStore(t, fsys, "/d", opts)
	l = mustOpenLog(t, s, "q")
	if _, err := l.Recover(func(Pos, *Record) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Recover = %v", err)
	}
	if _, err := l.Append(testRecord(1, true, 1)); err == nil {
		t.Fatal("Append after a failed recovery succeeded")
	}
}

// TestTornTail cuts the last segment at every offset inside its last
// record, as a crash during the write would.
func TestTornTail(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		opts := Options{SyncMode: SyncNone} // durability is not what this tests
		s := openStore(t, fsys, dir, opts)
		l := mustOpenLog(t, s, "orig")
		var pos []Pos
		for i := 0; i < 5; i++ {
			pos = append(pos, mustAppend(t, l, testRecord(i, true, 40)))
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		seg := readFile(t, fsys, filepath.Join(dir, "orig", segName(1)))
		last := pos[len(pos)-1]
		for cut := int(last.Off); cut < len(seg); cut++ {
			name := "cut" + string(rune('a'+cut%26)) + segName(uint32(cut))[:8]
			if err := fsys.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
				t.Fatal(err)
			}
			segPath := filepath.Join(dir, name, segName(1))
			writeFile(t, fsys, segPath, seg[:cut])
			l := mustOpenLog(t, s, name)
			got, rep := recoverAll(t, l)
			if len(got) != 4 || rep.TornBytes != int64(cut)-int64(last.Off) || rep.Corrupt != 0 {
				t.Fatalf("cut %d: recovered %d records, report %+v", cut, len(got), rep)
			}
			if st, err := fsys.Stat(segPath); err != nil || st.Size() != int64(last.Off) {
				t.Fatalf("cut %d: segment not truncated to %d: %v %v", cut, last.Off, st.Size(), err)
			}
			p := mustAppend(t, l, testRecord(99, true, 40))
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l = mustOpenLog(t, s, name)
			got, _ = recoverAll(t, l)
			if len(got) != 5 || got[4].pos != p || !sameRecord(&got[4].rec, testRecord(99, true, 40)) {
				t.Fatalf("cut %d: after append, recovered %d", cut, len(got))
			}
			l.Close()
		}
	})
}

// corruptCase damages a segment of ten records, the fifth of which has
// offset off and size size.
type corruptCase struct {
	name   string
	damage func(seg []byte, off, size int)
	// lost are the indexes of the records that do not come back.
	lost []int
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func TestCorruptMiddle(t *testing.T) {
	cases := []corruptCase{
		{"body byte", func(b []byte, off, size int) { b[off+size-3] ^= 0x40 }, []int{4}},
		{"header byte", func(b []byte, off, size int) { b[off+25] ^= 1 }, []int{4}},
		{"magic", func(b []byte, off, size int) { b[off] = 0 }, []int{4}},
		// A length that is sane but wrong lands inside the record: the
		// resync scans forward for the next magic.
		{"length shorter", func(b []byte, off, size int) { putU32(b[off+8:], uint32(size-10)) }, []int{4}},
		{"length longer", func(b []byte, off, size int) { putU32(b[off+8:], uint32(size+size/2)) }, []int{4}},
		{"length huge", func(b []byte, off, size int) { putU32(b[off+8:], 0x7FFFFFFF) }, []int{4}},
		{"two records", func(b []byte, off, size int) { b[off+50] ^= 1; b[off+size+50] ^= 1 }, []int{4, 5}},
		{"zeroed stretch", func(b []byte, off, size int) { clear(b[off+10 : off+size+20]) }, []int{4, 5}},
	}
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		for ci, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				type report struct {
					seg, off uint32
				}
				var mu sync.Mutex
				var reports []report
				opts := Options{SyncMode: SyncNone, OnCorrupt: func(logDir string, seg, off uint32, err error) {
					if !errors.Is(err, ErrCorrupt) {
						t.Errorf("OnCorrupt error %v", err)
					}
					mu.Lock()
					reports = append(reports, report{seg, off})
					mu.Unlock()
				}}
				s := openStore(t, fsys, filepath.Join(dir, string(rune('a'+ci))), opts)
				l := mustOpenLog(t, s, "q")
				var pos []Pos
				for i := 0; i < 10; i++ {
					pos = append(pos, mustAppend(t, l, testRecord(i, true, 100+i)))
				}
				l.Close()
				segPath := filepath.Join(s.dir, "q", segName(1))
				seg := readFile(t, fsys, segPath)
				c.damage(seg, int(pos[4].Off), int(pos[4].Size))
				writeFile(t, fsys, segPath, seg)
				l = mustOpenLog(t, s, "q")
				got, rep := recoverAll(t, l)
				var want []int
				for i := range pos {
					if !slices.Contains(c.lost, i) {
						want = append(want, i)
					}
				}
				if len(got) != len(want) {
					t.Fatalf("recovered %d records, want %d (%+v)", len(got), len(want), rep)
				}
				for k, i := range want {
					if got[k].pos != pos[i] || !sameRecord(&got[k].rec, testRecord(i, true, 100+i)) {
						t.Fatalf("record %d differs", i)
					}
				}
				if len(reports) != 1 || reports[0] != (report{1, pos[4].Off}) || rep.Corrupt != 1 {
					t.Fatalf("corruption reports %+v, report %+v", reports, rep)
				}
				wantBytes := int64(0)
				for _, i := range c.lost {
					wantBytes += int64(pos[i].Size)
				}
				if rep.CorruptBytes != wantBytes {
					t.Fatalf("CorruptBytes %d, want %d", rep.CorruptBytes, wantBytes)
				}
			})
		}
	})
}

// TestResyncFindsEmbeddedRecord documents the limit of resync: when a
// record's length is damaged and its body holds a valid record (say, a
// stored segment file), the scan stops at the embedded record and returns
// it. It is a valid record, so nothing corrupt surfaces, but it was never
// appended.
func TestResyncFindsEmbeddedRecord(t *testing.T) {
	fsys := vfs.NewMem()
	s := openStore(t, fsys, "/d", Options{SyncMode: SyncNone})
	l := mustOpenLog(t, s, "q")
	inner := testRecord(42, true, 10)
	body := append([]byte("prefix"), appendRecord(nil, inner, encodedSize(inner))...)
	p0 := mustAppend(t, l, testRecord(0, true, 10))
	p1 := mustAppend(t, l, &Record{Persistent: true, Body: body})
	p2 := mustAppend(t, l, testRecord(2, true, 10))
	l.Close()
	segPath := filepath.Join("/d", "q", segName(1))
	seg := readFile(t, fsys, segPath)
	putU32(seg[p1.Off+8:], 0x7FFFFFFF)
	writeFile(t, fsys, segPath, seg)
	l = mustOpenLog(t, s, "q")
	got, rep := recoverAll(t, l)
	if len(got) != 3 || got[0].pos != p0 || !sameRecord(&got[1].rec, inner) || got[2].pos != p2 || rep.Corrupt != 1 {
		t.Fatalf("recovered %d records, report %+v", len(got), rep)
	}
}

func TestReadCorrupt(t *testing.T) {
	fsys := vfs.NewMem()
	var reported int
	s := openStore(t, fsys, "/d", Options{OnCorrupt: func(string, uint32, uint32, error) { reported++ }})
	l := mustOpenLog(t, s, "q")
	p := mustAppend(t, l, testRecord(1, true, 100))
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.OpenRW(filepath.Join("/d", "q", segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xFF}, int64(p.Off+p.Size-1))
	f.Close()
	var ce *CorruptError
	if _, err := l.Read(p); !errors.As(err, &ce) || ce.Seg != p.Seg || ce.Off != p.Off || reported != 1 {
		t.Fatalf("Read = %v, reported %d", err, reported)
	}
}

func TestSegmentDeletion(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys vfs.FS, dir string) {
		s := openStore(t, fsys, dir, Options{SegmentSize: 4 << 10})
		l := mustOpenLog(t, s, "q")
		var pos []Pos
		for i := 0; i < 100; i++ {
			pos = append(pos, mustAppend(t, l, testRecord(i, true, 450)))
		}
		if err := syncWait(l); err != nil {
			t.Fatal(err)
		}
		diskBytes := func() int64 {
			var n int64
			ents, _ := fsys.ReadDir(l.dir)
			for _, e := range ents {
				info, _ := e.Info()
				n += info.Size()
			}
			return n
		}
		full := l.Bytes()
		if full != diskBytes() || full < 100*450 {
			t.Fatalf("Bytes %d, on disk %d", full, diskBytes())
		}
		// Ack the records of the first three segments in random order.
		var first []Pos
		for _, p := range pos {
			if p.Seg <= 3 {
				first = append(first, p)
			}
		}
		rand.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
		for i, p := range first {
			if err := l.Ack(p); err != nil {
				t.Fatal(err)
			}
			if i == len(first)-2 { // the ack file exists while some are live
				if err := syncWait(l); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := syncWait(l); err != nil {
			t.Fatal(err)
		}
		names := fileNames(t, fsys, l.dir)
		for seg := uint32(1); seg <= 3; seg++ {
			if slices.Contains(names, segName(seg)) || slices.Contains(names, ackName(seg)) {
				t.Fatalf("segment %d still there: %v", seg, names)
			}
		}
		if got := l.Bytes(); got != diskBytes() || got >= full {
			t.Fatalf("Bytes %d, on disk %d, before %d", got, diskBytes(), full)
		}
		// Ack everything but the last record: only the last segment stays.
		for _, p := range pos[len(first) : len(pos)-1] {
			if err := l.Ack(p); err != nil {
				t.Fatal(err)
			}
		}
		if err := syncWait(l); err != nil {
			t.Fatal(err)
		}
		last := pos[len(pos)-1].Seg
		if names := fileNames(t, fsys, l.dir); !slices.Equal(names, []string{ackName(last), segName(last)}) {
			t.Fatalf("files left: %v", names)
		}
		if l.Bytes() != diskBytes() || l.Bytes() > 5<<10 {
			t.Fatalf("Bytes %d, on disk %d", l.Bytes(), diskBytes())
		}
		// On restart nothing is live once the last is acked, so that
		// segment goes too.
		if err := l.Ack(pos[len(pos)-1]); err != nil {
			t.Fatal(err)
		}
		_, l, got, rep := reopen(t, s, fsys, dir, "q", Options{SegmentSize: 4 << 10})
		if len(got) != 0 || rep.Removed > 1 || len(fileNames(t, fsys, l.dir)) != 0 || l.Bytes() != 0 {
			t.Fatalf("after restart: %d records, %+v, files %v", len(got), rep, fileNames(t, fsys, l.dir))
		}
	})
}

func TestTransientOnlySegmentRemoved(t *testing.T) {
	fsys := vfs.NewMem()
	opts := Options{SegmentSize: 2 << 10}
	s := openStore(t, fsys, "/d", opts)
	l := mustOpenLog(t, s, "q")
	for i := 0; i < 20; i++ {
		mustAppend(t, l, testRecord(i, i >= 15, 300))
	}
	_, l, got, rep := reopen(t, s, fsys, "/d", "q", opts)
	if len(got) != 5 || rep.Transient != 15 || rep.Removed == 0 {
		t.Fatalf("%d records, report %+v", len(got), rep)
	}
	if names := fileNames(t, fsys, l.dir); len(names) > 2 {
		t.Fatalf("files: %v", names)
	}
}

func TestAckFileDamage(t *testing.T) {
	fsys := vfs.NewMem()
	s := openStore(t, fsys, "/d", Options{})
	l := mustOpenLog(t, s, "q")
	var pos []Pos
	for i := 0; i < 6; i++ {
		pos = append(pos, mustAppend(t, l, testRecord(i, true, 10)))
	}
	for _, p := range pos[:4] {
		l.Ack(p)
	}
	l.Close()
	ackPath := filepath.Join("/d", "q", ackName(1))
	b := readFile(t, fsys, ackPath)
	b[8] ^= 1                                 // damage the second entry: record 1 comes back
	b = append(b, 1, 2, 3)                    // a torn entry
	writeFile(t, fsys, ackPath, b)            //
	writeFile(t, fsys, "/d/q/"+ackName(7), b) // an orphan ack file
	l = mustOpenLog(t, s, "q")
	got, _ := recoverAll(t, l)
	if len(got) != 3 || got[0].pos != pos[1] || got[1].pos != pos[4] {
		t.Fatalf("recovered %+v", got)
	}
	if st, _ := fsys.Stat(ackPath); st.Size()%ackEntrySize != 0 {
		t.Fatalf("torn ack entry not cut: %d", st.Size())
	}
	if _, err := fsys.Stat("/d/q/" + ackName(7)); err == nil {
		t.Fatal("orphan ack file not removed")
	}
	if err := l.Ack(got[0].pos); err != nil {
		t.Fatal(err)
	}
	// New segments are numbered above the orphan, which may reappear.
	if p := mustAppend(t, l, testRecord(9, true, 1)); p.Seg != 8 {
		t.Fatalf("new segment %d", p.Seg)
	}
	_, _, got, _ = reopen(t, s, fsys, "/d", "q", Options{})
	if len(got) != 3 || got[0].pos != pos[4] || got[2].pos.Seg != 8 {
		t.Fatalf("recovered %+v", got)
	}
}

func TestDrainedCurrentSegment(t *testing.T) {
	fsys := vfs.NewMem()
	s := openStore(t, fsys, "/d", Options{SegmentSize: 4 << 10})
	l := mustOpenLog(t, s, "q")
	// One message at a time, small: the current segment is kept.
	var p Pos
	for i := 0; i < 10; i++ {
		p = mustAppend(t, l, testRecord(i, true, 10))
		if err := l.Ack(p); err != nil {
			t.Fatal(err)
		}
	}
	if p.Seg != 1 {
		t.Fatalf("segment %d after small appends", p.Seg)
	}
	// Past a quarter of a segment, draining the queue removes it.
	var ps []Pos
	for i := 0; i < 4; i++ {
		ps = append(ps, mustAppend(t, l, testRecord(i, true, 300)))
	}
	for _, p := range ps {
		if err := l.Ack(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := syncWait(l); err != nil {
		t.Fatal(err)
	}
	if names := fileNames(t, fsys, l.dir); len(names) != 0 || l.Bytes() != 0 {
		t.Fatalf("files %v, Bytes %d after draining", names, l.Bytes())
	}
	p = mustAppend(t, l, testRecord(1, true, 50))
	if p.Seg != 2 || p.Off != 0 {
		t.Fatalf("next append at %+v", p)
	}
	_, _, got, _ := reopen(t, s, fsys, "/d", "q", Options{SegmentSize: 4 << 10})
	if len(got) != 1 || got[0].pos != p {
		t.Fatalf("recovered %+v", got)
	}
}
