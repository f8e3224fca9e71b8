package vfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// eachFS runs fn against the operating system (in a temporary directory),
// MemFS and a pass-through Faulty over MemFS, so that the implementations
// are held to the same behaviour.
func eachFS(t *testing.T, fn func(t *testing.T, fsys FS, dir string)) {
	t.Run("os", func(t *testing.T) { fn(t, OS(), t.TempDir()) })
	t.Run("mem", func(t *testing.T) {
		m := NewMem()
		if err := m.MkdirAll("/tmp/x", 0o755); err != nil {
			t.Fatal(err)
		}
		fn(t, m, "/tmp/x")
	})
	t.Run("faulty", func(t *testing.T) {
		m := NewMem()
		f := NewFaulty(m, func(op, name string) error { return nil })
		if err := f.MkdirAll("/d", 0o755); err != nil {
			t.Fatal(err)
		}
		fn(t, f, "/d")
	})
}

func mustWriteAt(t *testing.T, f File, s string, off int64) {
	t.Helper()
	if n, err := f.WriteAt([]byte(s), off); err != nil || n != len(s) {
		t.Fatalf("WriteAt(%q, %d) = %d, %v", s, off, n, err)
	}
}

func readAll(t *testing.T, fsys FS, name string) string {
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
	if n, err := f.ReadAt(b, 0); n != len(b) || (err != nil && err != io.EOF) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	return string(b)
}

func TestFileReadWrite(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys FS, dir string) {
		name := filepath.Join(dir, "a")
		f, err := fsys.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		mustWriteAt(t, f, "hello", 0)
		mustWriteAt(t, f, "world", 5)
		mustWriteAt(t, f, "!", 12) // leaves a hole of two zero bytes
		if _, err := f.Write([]byte("J")); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, fsys, name); got != "Jelloworld\x00\x00!" {
			t.Fatalf("content %q", got)
		}
		b := make([]byte, 4)
		if n, err := f.ReadAt(b, 11); n != 2 || err != io.EOF {
			t.Fatalf("short ReadAt = %d, %v", n, err)
		}
		if err := f.Truncate(3); err != nil {
			t.Fatal(err)
		}
		mustWriteAt(t, f, "p", 5)
		if got := readAll(t, fsys, name); got != "Jel\x00\x00p" {
			t.Fatalf("after truncate %q", got)
		}
		st, err := f.Stat()
		if err != nil || st.Size() != 6 {
			t.Fatalf("Stat = %v, %v", st, err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}

		// OpenRW keeps the content; Create truncates it.
		f, err = fsys.OpenRW(name)
		if err != nil {
			t.Fatal(err)
		}
		mustWriteAt(t, f, "!", 6)
		f.Close()
		if got := readAll(t, fsys, name); got != "Jel\x00\x00p!" {
			t.Fatalf("after OpenRW %q", got)
		}
		f, err = fsys.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if got := readAll(t, fsys, name); got != "" {
			t.Fatalf("after Create %q", got)
		}

		r, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.WriteAt([]byte("x"), 0); err == nil {
			t.Fatal("write to a read-only handle succeeded")
		}
		r.Close()
	})
}

func TestNamespace(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys FS, dir string) {
		sub := filepath.Join(dir, "q", "r")
		if err := fsys.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"b", "a"} {
			f, err := fsys.Create(filepath.Join(sub, n))
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		if err := fsys.Rename(filepath.Join(sub, "b"), filepath.Join(sub, "c")); err != nil {
			t.Fatal(err)
		}
		if err := fsys.SyncDir(sub); err != nil {
			t.Fatal(err)
		}
		ents, err := fsys.ReadDir(sub)
		if err != nil {
			t.Fatal(err)
		}
		if len(ents) != 2 || ents[0].Name() != "a" || ents[1].Name() != "c" || ents[0].IsDir() {
			t.Fatalf("ReadDir = %v", ents)
		}
		ents, err = fsys.ReadDir(filepath.Join(dir, "q"))
		if err != nil || len(ents) != 1 || !ents[0].IsDir() || ents[0].Name() != "r" {
			t.Fatalf("ReadDir(q) = %v, %v", ents, err)
		}
		if _, err := fsys.Open(filepath.Join(sub, "b")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("open renamed-away file: %v", err)
		}
		if _, err := fsys.Stat(filepath.Join(sub, "zz")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat missing: %v", err)
		}
		if _, err := fsys.Create(filepath.Join(dir, "nodir", "x")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("create in missing dir: %v", err)
		}
		if err := fsys.Remove(filepath.Join(sub, "a")); err != nil {
			t.Fatal(err)
		}
		if err := fsys.Remove(filepath.Join(sub, "a")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("second remove: %v", err)
		}
		if err := fsys.RemoveAll(filepath.Join(dir, "q")); err != nil {
			t.Fatal(err)
		}
		if _, err := fsys.Stat(sub); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat after RemoveAll: %v", err)
		}
	})
}

func TestUnlinkedFileStaysReadable(t *testing.T) {
	eachFS(t, func(t *testing.T, fsys FS, dir string) {
		name := filepath.Join(dir, "x")
		f, err := fsys.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		mustWriteAt(t, f, "abc", 0)
		if err := fsys.Remove(name); err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 3)
		if _, err := f.ReadAt(b, 0); err != nil || string(b) != "abc" {
			t.Fatalf("ReadAt after unlink = %q, %v", b, err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMemCrashClone(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	synced, _ := m.Create("/d/synced")
	mustWriteAt(t, synced, "durable", 0)
	synced.Sync()
	mustWriteAt(t, synced, "-lost", 7)

	noDir, _ := m.Create("/d/nodirsync") // created after the SyncDir below
	m.SyncDir("/d")
	noDir.Close()
	mustWriteAt(t, synced, "D", 0) // overwrite of synced data, not synced
	noDirData, _ := m.OpenRW("/d/nodirsync")
	mustWriteAt(t, noDirData, "x", 0)
	noDirData.Sync()

	late, _ := m.Create("/d/late")
	late.Sync()
	gone, _ := m.Create("/d/gone")
	gone.Sync()
	m.SyncDir("/d")
	m.Remove("/d/late")
	m.SyncDir("/d")     // this removal is synced
	m.Remove("/d/gone") // this one never is: the file comes back
	m.Rename("/d/synced", "/d/renamed")

	c := m.CrashClone()
	if got := readAll(t, c, "/d/synced"); got != "durable" {
		t.Fatalf("synced file = %q", got)
	}
	if _, err := c.Stat("/d/renamed"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unsynced rename survived: %v", err)
	}
	if _, err := c.Stat("/d/gone"); err != nil {
		t.Fatalf("file whose removal was not synced is missing: %v", err)
	}
	if _, err := c.Stat("/d/late"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("synced removal undone: %v", err)
	}
	// nodirsync was created before the second SyncDir, so it is present.
	if got := readAll(t, c, "/d/nodirsync"); got != "x" {
		t.Fatalf("nodirsync = %q", got)
	}
	// The clone is independent and crash-consistent itself.
	f, _ := c.OpenRW("/d/synced")
	mustWriteAt(t, f, "XX", 0)
	if got := readAll(t, c.CrashClone(), "/d/synced"); got != "durable" {
		t.Fatalf("clone of clone = %q", got)
	}
	if got := readAll(t, m, "/d/renamed"); got != "Durable-lost" {
		t.Fatalf("original changed: %q", got)
	}
}

func TestMemCreatedNeverDirSynced(t *testing.T) {
	m := NewMem()
	m.MkdirAll("/d", 0o755)
	f, _ := m.Create("/d/f")
	mustWriteAt(t, f, "data", 0)
	f.Sync()
	if _, err := m.CrashClone().Stat("/d/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("file without SyncDir survived the crash: %v", err)
	}
	if _, err := m.CrashClone().Stat("/d"); err != nil {
		t.Fatalf("directory lost: %v", err)
	}
}

func TestMemSyncAfterShrink(t *testing.T) {
	m := NewMem()
	f, _ := m.Create("/f")
	m.SyncDir("/")
	mustWriteAt(t, f, "abcdef", 0)
	f.Sync()
	f.Truncate(2)
	mustWriteAt(t, f, "Z", 4)
	f.Sync()
	if got := readAll(t, m.CrashClone(), "/f"); got != "ab\x00\x00Z" {
		t.Fatalf("got %q", got)
	}
}

func TestFaultyInjects(t *testing.T) {
	boom := errors.New("boom")
	var syncs atomic.Int32
	var failWrite atomic.Bool
	m := NewMem()
	fsys := NewFaulty(m, func(op, name string) error {
		switch {
		case op == OpSync:
			syncs.Add(1)
		case op == OpWrite && failWrite.Load():
			return boom
		case op == OpCreate && filepath.Base(name) == "nope":
			return boom
		}
		return nil
	})
	if _, err := fsys.Create("/nope"); !errors.Is(err, boom) {
		t.Fatalf("Create = %v", err)
	}
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	mustWriteAt(t, f, "ok", 0)
	failWrite.Store(true)
	if _, err := f.WriteAt([]byte("bad"), 2); !errors.Is(err, boom) {
		t.Fatalf("WriteAt = %v", err)
	}
	f.Sync()
	f.Sync()
	if syncs.Load() != 2 {
		t.Fatalf("counted %d syncs", syncs.Load())
	}
	if got := readAll(t, m, "/f"); !bytes.Equal([]byte(got), []byte("ok")) {
		t.Fatalf("failed write wrote: %q", got)
	}
}
