package vfs

import (
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// MemFS is an in-memory filesystem that remembers what was made durable, so
// that CrashClone can show what a crash would leave behind. The package
// documentation describes the crash model. It is safe for concurrent use.
type MemFS struct {
	mu     sync.Mutex
	files  map[string]*memNode // the current namespace
	synced map[string]*memNode // file entries as of each directory's last SyncDir
	dirs   map[string]bool     // directories; durable at once
}

// NewMem returns an empty in-memory filesystem holding only the root.
func NewMem() *MemFS {
	return &MemFS{
		files:  make(map[string]*memNode),
		synced: make(map[string]*memNode),
		dirs:   make(map[string]bool),
	}
}

// clean makes every spelling of a name one map key. Both "/" and "." are
// roots that always exist.
func clean(name string) string { return path.Clean(strings.ReplaceAll(name, "\\", "/")) }

func parent(p string) string { return path.Dir(p) }

func (m *MemFS) isDir(p string) bool { return p == "/" || p == "." || m.dirs[p] }

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// Create implements FS.
func (m *MemFS) Create(name string) (File, error) {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.isDir(parent(p)) {
		return nil, pathErr("create", name, fs.ErrNotExist)
	}
	if m.isDir(p) {
		return nil, pathErr("create", name, errIsDir)
	}
	n := m.files[p]
	if n == nil {
		n = &memNode{}
		m.files[p] = n
	} else {
		n.mu.Lock()
		n.truncate(0)
		n.mu.Unlock()
	}
	return &memFile{node: n, name: name, writable: true}, nil
}

// OpenRW implements FS.
func (m *MemFS) OpenRW(name string) (File, error) { return m.open("open", name, true) }

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) { return m.open("open", name, false) }

func (m *MemFS) open(op, name string, writable bool) (File, error) {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.files[p]
	if n == nil {
		if m.isDir(p) {
			return nil, pathErr(op, name, errIsDir)
		}
		return nil, pathErr(op, name, fs.ErrNotExist)
	}
	return &memFile{node: n, name: name, writable: writable}, nil
}

// Remove implements FS: a file, or an empty directory.
func (m *MemFS) Remove(name string) error {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[p]; ok {
		delete(m.files, p)
		return nil
	}
	if !m.dirs[p] {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if m.hasChildren(p) {
		return pathErr("remove", name, errNotEmpty)
	}
	delete(m.dirs, p)
	return nil
}

func (m *MemFS) hasChildren(dir string) bool {
	for p := range m.files {
		if parent(p) == dir {
			return true
		}
	}
	for p := range m.dirs {
		if parent(p) == dir {
			return true
		}
	}
	return false
}

// RemoveAll implements FS. As for MkdirAll, the removal is durable at once,
// for the directory and every entry below it.
func (m *MemFS) RemoveAll(dir string) error {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	under := func(q string) bool { return q == p || strings.HasPrefix(q, p+"/") }
	for q := range m.files {
		if under(q) {
			delete(m.files, q)
		}
	}
	for q := range m.synced {
		if under(q) {
			delete(m.synced, q)
		}
	}
	for q := range m.dirs {
		if under(q) {
			delete(m.dirs, q)
		}
	}
	return nil
}

// Rename implements FS for files; the new entry (and the removal of the old
// one) is durable after SyncDir of the directories involved.
func (m *MemFS) Rename(oldname, newname string) error {
	op, np := clean(oldname), clean(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.files[op]
	if n == nil {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	if !m.isDir(parent(np)) {
		return pathErr("rename", newname, fs.ErrNotExist)
	}
	if m.isDir(np) {
		return pathErr("rename", newname, errIsDir)
	}
	delete(m.files, op)
	m.files[np] = n
	return nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for q := p; !m.isDir(q); q = parent(q) {
		if _, ok := m.files[q]; ok {
			return pathErr("mkdir", dir, errNotDir)
		}
		m.dirs[q] = true
	}
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]os.DirEntry, error) {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.isDir(p) {
		return nil, pathErr("readdir", dir, fs.ErrNotExist)
	}
	var out []os.DirEntry
	for q, n := range m.files {
		if parent(q) == p {
			out = append(out, fs.FileInfoToDirEntry(memInfo{name: path.Base(q), size: n.size()}))
		}
	}
	for q := range m.dirs {
		if parent(q) == p && q != p {
			out = append(out, fs.FileInfoToDirEntry(memInfo{name: path.Base(q), dir: true}))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// SyncDir implements FS: the file entries directly in dir become durable as
// they are now.
func (m *MemFS) SyncDir(dir string) error {
	p := clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.isDir(p) {
		return pathErr("syncdir", dir, fs.ErrNotExist)
	}
	for q := range m.synced {
		if parent(q) == p && m.files[q] == nil {
			delete(m.synced, q)
		}
	}
	for q, n := range m.files {
		if parent(q) == p {
			m.synced[q] = n
		}
	}
	return nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	p := clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := m.files[p]; n != nil {
		return memInfo{name: path.Base(p), size: n.size()}, nil
	}
	if m.isDir(p) {
		return memInfo{name: path.Base(p), dir: true}, nil
	}
	return nil, pathErr("stat", name, fs.ErrNotExist)
}

// CrashClone returns a new MemFS holding what survives a power loss now:
// the directories, and the files whose entries were synced, each with the
// content of its last Sync. Open handles of m are not carried over.
func (m *MemFS) CrashClone() *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMem()
	for p := range m.dirs {
		c.dirs[p] = true
	}
	for p, n := range m.synced {
		if !c.isDir(parent(p)) {
			continue
		}
		cn := &memNode{data: n.syncedCopy()}
		cn.synced = append([]byte(nil), cn.data...)
		cn.minDirty = len(cn.data)
		c.files[p] = cn
		c.synced[p] = cn
	}
	return c
}

// memInfo is the os.FileInfo of a MemFS entry.
type memInfo struct {
	name string
	size int64
	dir  bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
