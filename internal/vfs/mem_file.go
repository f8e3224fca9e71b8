package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
)

var (
	errIsDir    = errors.New("is a directory")
	errNotDir   = errors.New("not a directory")
	errNotEmpty = errors.New("directory not empty")
	errReadOnly = errors.New("file opened read-only")
)

// memNode is a file's content (an inode: handles and directory entries
// point at it). synced is the content as of the last Sync. Copying the whole
// file on every Sync would make a test that syncs after each record
// quadratic, so minDirty remembers the lowest offset changed since the last
// Sync and Sync copies only from there.
type memNode struct {
	mu       sync.Mutex
	data     []byte
	synced   []byte
	minDirty int
}

func (n *memNode) size() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return int64(len(n.data))
}

func (n *memNode) dirty(off int) {
	if off < n.minDirty {
		n.minDirty = off
	}
}

// truncate and writeAt must be called with n.mu held.
func (n *memNode) truncate(size int) {
	if size <= len(n.data) {
		n.data = n.data[:size]
		n.dirty(size)
		return
	}
	old := len(n.data)
	n.data = append(n.data, make([]byte, size-old)...)
	n.dirty(old)
}

func (n *memNode) writeAt(p []byte, off int) {
	old := len(n.data)
	if end := off + len(p); end > old {
		if end > cap(n.data) {
			grown := make([]byte, old, max(end, 2*cap(n.data)))
			copy(grown, n.data)
			n.data = grown
		}
		n.data = n.data[:end]
		if off > old {
			clear(n.data[old:off]) // a hole reads as zeros, whatever a shrink left in the array
		}
	}
	copy(n.data[off:], p)
	n.dirty(min(off, old))
}

func (n *memNode) sync() {
	n.mu.Lock()
	defer n.mu.Unlock()
	from := min(n.minDirty, len(n.synced), len(n.data))
	n.synced = append(n.synced[:from], n.data[from:]...)
	n.minDirty = len(n.data)
}

func (n *memNode) syncedCopy() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]byte(nil), n.synced...)
}

// memFile is an open handle on a memNode.
type memFile struct {
	node     *memNode
	name     string
	writable bool

	mu     sync.Mutex // guards pos and closed
	pos    int64
	closed bool
}

func (f *memFile) check(op string, write bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr(op, f.name, os.ErrClosed)
	}
	if write && !f.writable {
		return pathErr(op, f.name, errReadOnly)
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, fs.ErrInvalid)
	}
	n := f.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if off >= int64(len(n.data)) {
		return 0, io.EOF
	}
	c := copy(p, n.data[off:])
	if c < len(p) {
		return c, io.EOF
	}
	return c, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("write", f.name, fs.ErrInvalid)
	}
	n := f.node
	n.mu.Lock()
	defer n.mu.Unlock()
	n.writeAt(p, int(off))
	return len(p), nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	off := f.pos
	f.pos += int64(len(p))
	f.mu.Unlock()
	return f.WriteAt(p, off)
}

func (f *memFile) Sync() error {
	if err := f.check("sync", false); err != nil {
		return err
	}
	f.node.sync()
	return nil
}

func (f *memFile) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, fs.ErrInvalid)
	}
	n := f.node
	n.mu.Lock()
	defer n.mu.Unlock()
	n.truncate(int(size))
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	if err := f.check("stat", false); err != nil {
		return nil, err
	}
	return memInfo{name: path.Base(clean(f.name)), size: f.node.size()}, nil
}

func (f *memFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, os.ErrClosed)
	}
	f.closed = true
	return nil
}
