package vfs

import (
	"io"
	"os"
)

// File is an open file. Reads and writes are positional, so one handle may
// be read by several goroutines while one of them writes.
type File interface {
	io.ReaderAt
	io.WriterAt
	// Write writes at the handle's own position (starting at 0) and
	// advances it.
	io.Writer
	// Sync makes the file's content durable (fdatasync semantics).
	Sync() error
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
	Close() error
}

// FS is a filesystem. Names are slash-separated paths as the os package takes
// them.
type FS interface {
	// Create creates or truncates a file opened for reading and writing
	// (O_RDWR|O_CREATE|O_TRUNC).
	Create(name string) (File, error)
	// OpenRW opens an existing file for reading and writing, without
	// truncating it; the caller writes with WriteAt at the end it tracks.
	OpenRW(name string) (File, error)
	// Open opens an existing file read-only.
	Open(name string) (File, error)
	Remove(name string) error
	RemoveAll(dir string) error
	Rename(oldname, newname string) error
	MkdirAll(dir string, perm os.FileMode) error
	// ReadDir lists a directory sorted by name.
	ReadDir(dir string) ([]os.DirEntry, error)
	// SyncDir makes the directory's entries (files created, removed or
	// renamed in it) durable.
	SyncDir(dir string) error
	Stat(name string) (os.FileInfo, error)
}

// OS returns the operating system's filesystem.
func OS() FS { return osFS{} }

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return wrapOS(os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644))
}

func (osFS) OpenRW(name string) (File, error) {
	return wrapOS(os.OpenFile(name, os.O_RDWR, 0))
}

func (osFS) Open(name string) (File, error) { return wrapOS(os.Open(name)) }

func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) RemoveAll(dir string) error                  { return os.RemoveAll(dir) }
func (osFS) Rename(oldname, newname string) error        { return os.Rename(oldname, newname) }
func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) ReadDir(dir string) ([]os.DirEntry, error)   { return os.ReadDir(dir) }
func (osFS) Stat(name string) (os.FileInfo, error)       { return os.Stat(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	// A directory is synced with fsync, never fdatasync: the entries are
	// what we want durable.
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// osFile replaces os.File's Sync (fsync) with fdatasync where there is one:
// the store never needs timestamps durable, and fdatasync skips that
// metadata write on every commit.
type osFile struct{ *os.File }

func wrapOS(f *os.File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (f osFile) Sync() error { return datasync(f.File) }
