package vfs

import "os"

// Operation names passed to a Faulty inject function.
const (
	OpCreate   = "create"   // FS.Create
	OpOpen     = "open"     // FS.Open and FS.OpenRW
	OpWrite    = "write"    // File.Write and File.WriteAt
	OpSync     = "sync"     // File.Sync
	OpSyncDir  = "syncdir"  // FS.SyncDir
	OpRemove   = "remove"   // FS.Remove and FS.RemoveAll
	OpRename   = "rename"   // FS.Rename (name is the old name)
	OpTruncate = "truncate" // File.Truncate
	OpReadAt   = "readat"   // File.ReadAt
	OpMkdir    = "mkdir"    // FS.MkdirAll
	OpReadDir  = "readdir"  // FS.ReadDir
)

// NewFaulty returns an FS that calls inject(op, name) before each operation
// listed in the Op constants and returns its error instead of performing the
// operation when it is not nil; a failed write writes nothing. name is the
// path given to the FS call, or the name the File was opened with. Stat,
// Close and File.Stat are never injected. inject may be called from several
// goroutines at once.
//
// SyncDir is a separate operation ("syncdir") from File.Sync ("sync") so
// that counting "sync" counts file fsyncs only.
func NewFaulty(fs FS, inject func(op, name string) error) FS {
	return &faultyFS{fs: fs, inject: inject}
}

type faultyFS struct {
	fs     FS
	inject func(op, name string) error
}

func (f *faultyFS) file(name string, file File, err error) (File, error) {
	if err != nil {
		return nil, err
	}
	return &faultyFile{f: file, name: name, inject: f.inject}, nil
}

func (f *faultyFS) Create(name string) (File, error) {
	if err := f.inject(OpCreate, name); err != nil {
		return nil, err
	}
	file, err := f.fs.Create(name)
	return f.file(name, file, err)
}

func (f *faultyFS) OpenRW(name string) (File, error) {
	if err := f.inject(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := f.fs.OpenRW(name)
	return f.file(name, file, err)
}

func (f *faultyFS) Open(name string) (File, error) {
	if err := f.inject(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := f.fs.Open(name)
	return f.file(name, file, err)
}

func (f *faultyFS) Remove(name string) error {
	if err := f.inject(OpRemove, name); err != nil {
		return err
	}
	return f.fs.Remove(name)
}

func (f *faultyFS) RemoveAll(dir string) error {
	if err := f.inject(OpRemove, dir); err != nil {
		return err
	}
	return f.fs.RemoveAll(dir)
}

func (f *faultyFS) Rename(oldname, newname string) error {
	if err := f.inject(OpRename, oldname); err != nil {
		return err
	}
	return f.fs.Rename(oldname, newname)
}

func (f *faultyFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := f.inject(OpMkdir, dir); err != nil {
		return err
	}
	return f.fs.MkdirAll(dir, perm)
}

func (f *faultyFS) ReadDir(dir string) ([]os.DirEntry, error) {
	if err := f.inject(OpReadDir, dir); err != nil {
		return nil, err
	}
	return f.fs.ReadDir(dir)
}

func (f *faultyFS) SyncDir(dir string) error {
	if err := f.inject(OpSyncDir, dir); err != nil {
		return err
	}
	return f.fs.SyncDir(dir)
}

func (f *faultyFS) Stat(name string) (os.FileInfo, error) { return f.fs.Stat(name) }

type faultyFile struct {
	f      File
	name   string
	inject func(op, name string) error
}

func (f *faultyFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.inject(OpReadAt, f.name); err != nil {
		return 0, err
	}
	return f.f.ReadAt(p, off)
}

func (f *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.inject(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.f.WriteAt(p, off)
}

func (f *faultyFile) Write(p []byte) (int, error) {
	if err := f.inject(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.f.Write(p)
}

func (f *faultyFile) Sync() error {
	if err := f.inject(OpSync, f.name); err != nil {
		return err
	}
	return f.f.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if err := f.inject(OpTruncate, f.name); err != nil {
		return err
	}
	return f.f.Truncate(size)
}

func (f *faultyFile) Stat() (os.FileInfo, error) { return f.f.Stat() }
func (f *faultyFile) Close() error               { return f.f.Close() }
