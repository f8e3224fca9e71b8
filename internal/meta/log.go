package meta

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/warrenmq/warren/internal/vfs"
)

const (
	snapshotName = "definitions.snapshot"
	logName      = "definitions.log"
)

// Log is the definitions store of one data directory. It is safe for
// concurrent use.
type Log struct {
	fs  vfs.FS
	dir string
	log *slog.Logger

	mu       sync.Mutex
	f        vfs.File // guarded by mu: the open change log
	size     int64    // guarded by mu: bytes in the change log
	snapSize int64    // guarded by mu: bytes in the last snapshot
	state    *State   // guarded by mu: current definitions
	err      error    // guarded by mu: first write error; later writes fail with it
}

// Open loads the definitions in dir (creating it if needed) and returns
// the log and the recovered state. The caller must not modify the state.
func Open(fsys vfs.FS, dir string, logger *slog.Logger) (*Log, *State, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	l := &Log{fs: fsys, dir: dir, log: logger, state: NewState()}
	snap, err := l.replay(snapshotName, true)
	if err != nil {
		return nil, nil, err
	}
	l.snapSize = snap
	if _, err := l.replay(logName, false); err != nil {
		return nil, nil, err
	}
	// Every open starts from a fresh snapshot and an empty change log:
	// this drops any torn tail, and startup stays proportional to the
	// live definitions rather than their history.
	if err := l.compactLocked(); err != nil {
		return nil, nil, err
	}
	return l, l.state, nil
}

// replay applies the ops in one file. A torn or corrupt last line (a crash
// mid-append) is dropped; a corrupt line in the middle of a snapshot is an
// error, since snapshots are written whole and renamed into place.
func (l *Log) replay(name string, strict bool) (int64, error) {
	f, err := l.fs.Open(filepath.Join(l.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, st.Size()), 1<<20)
	var n int64
	for line := 1; ; line++ {
		b, err := r.ReadBytes('\n')
		if err == io.EOF {
			if len(b) > 0 {
				l.log.Warn("definitions: dropping torn last line", "file", name, "line", line)
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
		var op Op
		if jerr := json.Unmarshal(bytes.TrimSpace(b), &op); jerr != nil || l.state.Apply(&op) != nil {
			if strict {
				return n, fmt.Errorf("meta: %s line %d: corrupt entry", name, line)
			}
			l.log.Error("definitions: skipping corrupt entry", "file", name, "line", line)
			continue
		}
		n += int64(len(b))
	}
}

// compactLocked writes the current state as a new snapshot and starts an
// empty change log.
func (l *Log) compactLocked() error {
	var buf bytes.Buffer
	for _, op := range l.state.Ops() {
		b, err := json.Marshal(op)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	tmp := filepath.Join(l.dir, snapshotName+".tmp")
	f, err := l.fs.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := l.fs.Rename(tmp, filepath.Join(l.dir, snapshotName)); err != nil {
		return err
	}
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
	lf, err := l.fs.Create(filepath.Join(l.dir, logName))
	if err != nil {
		return err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		lf.Close()
		return err
	}
	l.f, l.size, l.snapSize = lf, 0, int64(buf.Len())
	return nil
}

// Apply records ops durably (written and fsynced) and applies them to the
// state. Ops are applied in memory only once written, so a failed write
// leaves the state as it was on disk.
func (l *Log) Apply(ops ...Op) error {
	var buf bytes.Buffer
	for i := range ops {
		b, err := json.Marshal(&ops[i])
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	if _, err := l.f.Write(buf.Bytes()); err != nil {
		l.err = fmt.Errorf("meta: write definitions: %w", err)
		return l.err
	}
	if err := l.f.Sync(); err != nil {
		l.err = fmt.Errorf("meta: sync definitions: %w", err)
		return l.err
	}
	l.size += int64(buf.Len())
	for i := range ops {
		if err := l.state.Apply(&ops[i]); err != nil {
			return err
		}
	}
	// Compact once the change log outgrows the snapshot (and 1 MiB), so
	// replay stays proportional to the live definitions.
	if l.size > 1<<20 && l.size > 2*l.snapSize {
		if err := l.compactLocked(); err != nil {
			l.log.Error("definitions: compaction failed", "err", err)
		}
	}
	return nil
}

// Close closes the change log.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
