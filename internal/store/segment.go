package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/warrenmq/warren/internal/vfs"
)

// segment is what a log keeps in memory per segment file: counters, not
// per-record state. Fields are guarded by Log.mu.
type segment struct {
	num     uint32
	size    int64  // bytes of the segment, buffered ones included
	records uint32 // valid records
	live    uint32 // records neither acked nor skipped as transient by Recover
	f       *handle
	dirty   bool // written since the last fsync
	lastUse uint64

	ackSize   int64 // bytes written to the ack file
	ackExists bool
	ackF      *handle
	ackBuf    []byte // ack entries not yet written
	ackDirty  bool   // ack file written since the last fsync
	syncQ     bool   // on Log.syncSegs
	ackQ      bool   // on Log.ackSegs

	scanning bool // Recover is reading it: never deleted meanwhile
	deleted  bool
}

// handle is an open file shared by the log, its readers and the committer.
// refs counts users outside Log.mu; a handle closed while in use is closed
// by its last user instead. Fields are guarded by Log.mu.
type handle struct {
	f    vfs.File
	name string
	refs int
	dead bool
}

func segName(num uint32) string { return fmt.Sprintf("%08x.seg", num) }
func ackName(num uint32) string { return fmt.Sprintf("%08x.ack", num) }

// parseName returns the number of a segment or ack file name.
func parseName(name, ext string) (uint32, bool) {
	base, ok := strings.CutSuffix(name, ext)
	if !ok || len(base) != 8 {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 16, 32)
	return uint32(n), err == nil
}

// listDir returns the segment numbers and the ack file numbers in dir,
// sorted.
func listDir(fsys vfs.FS, dir string) (segs, acks []uint32, err error) {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		if n, ok := parseName(e.Name(), ".seg"); ok {
			segs = append(segs, n)
		} else if n, ok := parseName(e.Name(), ".ack"); ok {
			acks = append(acks, n)
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i] < segs[j] })
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	return segs, acks, nil
}

func (l *Log) segPath(num uint32) string { return filepath.Join(l.dir, segName(num)) }
func (l *Log) ackPath(num uint32) string { return filepath.Join(l.dir, ackName(num)) }

// findSeg returns the live segment numbered num, or nil.
func (l *Log) findSeg(num uint32) *segment {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].num >= num })
	if i < len(l.segs) && l.segs[i].num == num {
		return l.segs[i]
	}
	return nil
}

func (l *Log) release(h *handle) {
	h.refs--
	if h.dead && h.refs == 0 {
		h.f.Close()
	}
}

// closeHandle closes h now or, if it is in use, when its last user is done.
func (l *Log) closeHandle(h *handle) {
	if h == nil {
		return
	}
	l.open--
	h.dead = true
	if h.refs == 0 {
		h.f.Close()
	}
}

// segFile returns seg's file handle, opening it read-only if needed.
func (l *Log) segFile(seg *segment) (*handle, error) {
	l.tick++
	seg.lastUse = l.tick
	if seg.f != nil {
		return seg.f, nil
	}
	name := l.segPath(seg.num)
	f, err := l.s.fs.Open(name)
	if err != nil {
		return nil, err
	}
	seg.f = &handle{f: f, name: name}
	l.opened(seg)
	return seg.f, nil
}

// ackFile returns seg's ack file handle, creating the file if needed.
func (l *Log) ackFile(seg *segment) (*handle, error) {
	l.tick++
	seg.lastUse = l.tick
	if seg.ackF != nil {
		return seg.ackF, nil
	}
	name := l.ackPath(seg.num)
	var f vfs.File
	var err error
	if seg.ackExists {
		f, err = l.s.fs.OpenRW(name)
	} else {
		f, err = l.s.fs.Create(name)
		l.dirDirty = true
	}
	if err != nil {
		return nil, err
	}
	seg.ackExists = true
	seg.ackF = &handle{f: f, name: name}
	l.opened(seg)
	return seg.ackF, nil
}

// opened counts a new handle and, past maxOpenFiles, closes those of the
// least recently used segment other than keep and the current one. Closing never loses an fsync: dirty flags
// live in the segment and the committer reopens a file to sync it.
func (l *Log) opened(keep *segment) {
	l.open++
	for l.open > maxOpenFiles {
		var lru *segment
		for _, s := range l.segs {
			if s != l.cur && s != keep && (s.f != nil || s.ackF != nil) && (lru == nil || s.lastUse < lru.lastUse) {
				lru = s
			}
		}
		if lru == nil {
			return
		}
		l.closeHandle(lru.f)
		l.closeHandle(lru.ackF)
		lru.f, lru.ackF = nil, nil
	}
}

// deleteSeg removes a segment none of whose records is live, and its ack
// file. A failure to remove is logged, not returned: the data is dead
// either way and Recover removes such a segment again.
func (l *Log) deleteSeg(seg *segment) {
	if i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].num >= seg.num }); i < len(l.segs) && l.segs[i] == seg {
		l.segs = append(l.segs[:i], l.segs[i+1:]...)
	}
	seg.deleted = true
	l.closeHandle(seg.f)
	l.closeHandle(seg.ackF)
	seg.f, seg.ackF, seg.ackBuf = nil, nil, nil
	l.bytes.Add(-(seg.size + seg.ackSize))
	// The segment first: if only the ack file goes, recovery would see
	// every record live again.
	if err := l.s.fs.Remove(l.segPath(seg.num)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		l.s.log.Error("store: remove segment", "log", l.dir, "segment", seg.num, "err", err)
	}
	if seg.ackExists {
		if err := l.s.fs.Remove(l.ackPath(seg.num)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			l.s.log.Error("store: remove ack file", "log", l.dir, "segment", seg.num, "err", err)
		}
	}
	l.dirDirty = true
}
