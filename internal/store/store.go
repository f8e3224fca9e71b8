package store

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/warrenmq/warren/internal/vfs"
)

// Store holds the message logs of one broker, one directory per log below
// its own directory, and runs the group-commit goroutine they share.
type Store struct {
	fs      vfs.FS
	dir     string
	opts    Options
	log     *slog.Logger
	segSize int64
	bufs    sync.Pool // *[]byte write buffers of flushSize, shared by the logs

	mu      sync.Mutex
	logs    map[string]*Log // open logs; nil while OpenLog is opening one
	pending []*Log          // logs with SyncAsync callbacks waiting for the committer
	settled []settled       // callbacks already decided, for the committer to run
	stopped bool            // the committer has exited
	closing bool

	kick chan struct{} // wakes the committer; capacity 1
	stop chan struct{}
	done chan struct{}
	c    committer // owned by the committer goroutine
}

// Open opens (creating it if needed) the store in dir and starts its
// committer goroutine.
func Open(dir string, opts Options) (*Store, error) {
	if opts.FS == nil {
		opts.FS = vfs.OS()
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = defaultSegmentSize
	}
	if opts.SegmentSize > maxSegmentSize {
		return nil, fmt.Errorf("store: segment size %d over %d", opts.SegmentSize, maxSegmentSize)
	}
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = defaultInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := opts.FS.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{
		fs:      opts.FS,
		dir:     dir,
		opts:    opts,
		log:     opts.Logger,
		segSize: opts.SegmentSize,
		logs:    make(map[string]*Log),
		kick:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.bufs.New = func() any { b := make([]byte, 0, flushSize); return &b }
	go s.run()
	return s, nil
}

// Close closes every open Log (flushing and syncing it, and running its
// pending callbacks), then stops the committer. With SyncNone nothing is
// fsynced.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closing = true
	logs := make([]*Log, 0, len(s.logs))
	for _, l := range s.logs {
		if l != nil { // nil: being opened, and OpenLog will see closing
			logs = append(logs, l)
		}
	}
	s.mu.Unlock()
	// Each Close fsyncs on its own goroutine; a few at once let the
	// filesystem merge their journal commits.
	errs := make([]error, len(logs))
	sem := make(chan struct{}, syncParallel)
	var wg sync.WaitGroup
	for i, l := range logs {
		sem <- struct{}{}
		wg.Go(func() {
			errs[i] = l.Close()
			<-sem
		})
	}
	wg.Wait()
	close(s.stop)
	<-s.done
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrClosed) { // ErrClosed: closed meanwhile by its owner
			return err
		}
	}
	return nil
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && !strings.ContainsRune(name, 0)
}

// OpenLog opens the log called name, creating its directory if missing. A
// log with segments on disk must be recovered (Recover) before it is used;
// a new one can be appended to at once. A name may be open once at a time.
func (s *Store) OpenLog(name string) (*Log, error) {
	if !validName(name) {
		return nil, fmt.Errorf("%w: %q", ErrBadName, name)
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if _, ok := s.logs[name]; ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("%w: %q", ErrLogOpen, name)
	}
	// Reserve the name and open outside the lock: every SyncAsync takes
	// s.mu, and opening does I/O.
	s.logs[name] = nil
	s.mu.Unlock()
	l, err := openLog(s, name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && s.closing {
		err = ErrClosed
	}
	if err != nil {
		delete(s.logs, name)
		return nil, err
	}
	s.logs[name] = l
	return l, nil
}

// RemoveLog deletes the log called name and its directory, closing it
// first if it is open (its pending callbacks get ErrClosed).
func (s *Store) RemoveLog(name string) error {
	if !validName(name) {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	s.mu.Lock()
	l := s.logs[name]
	s.mu.Unlock()
	if l != nil {
		l.discard()
	}
	if err := s.fs.RemoveAll(filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("store: remove log %q: %w", name, err)
	}
	if s.opts.SyncMode != SyncNone {
		if err := s.fs.SyncDir(s.dir); err != nil {
			return fmt.Errorf("store: remove log %q: %w", name, err)
		}
	}
	return nil
}

// Logs lists the names of the logs on disk, sorted.
func (s *Store) Logs() ([]string, error) {
	ents, err := s.fs.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && validName(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// forget drops a closed log from the open set.
func (s *Store) forget(l *Log) {
	s.mu.Lock()
	if s.logs[l.name] == l {
		delete(s.logs, l.name)
	}
	s.mu.Unlock()
}

// schedule queues l for the next commit round. Called with l.mu held (the
// lock order is Log.mu, then Store.mu).
func (s *Store) schedule(l *Log) {
	s.mu.Lock()
	s.pending = append(s.pending, l)
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// settled is callbacks whose outcome is known (a Log.Close synced on its
// caller's goroutine) and that must still run on the committer, as every
// callback does, rather than on a goroutine that may hold a lock they take.
type settled struct {
	fns []func(error)
	err error
}

// runSettled hands callbacks to the committer, or to a goroutine of their
// own once it has exited.
func (s *Store) runSettled(fns []func(error), err error) {
	if len(fns) == 0 {
		return
	}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		go runAll(fns, err)
		return
	}
	s.settled = append(s.settled, settled{fns, err})
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Store) getBuf() []byte { return (*s.bufs.Get().(*[]byte))[:0] }

func (s *Store) putBuf(b []byte) {
	if cap(b) < flushSize || cap(b) > 2*flushSize {
		return // a buffer grown by an odd record is left to the collector
	}
	b = b[:0]
	s.bufs.Put(&b)
}

func (s *Store) corrupt(l *Log, e *CorruptError) {
	s.log.Warn("store: corrupt data", "log", l.dir, "segment", e.Seg, "offset", e.Off, "bytes", e.Len, "reason", e.Reason)
	if s.opts.OnCorrupt != nil {
		s.opts.OnCorrupt(l.dir, e.Seg, e.Off, e)
	}
}

// syncing reports whether commit rounds fsync.
func (s *Store) syncing() bool { return s.opts.SyncMode != SyncNone }
