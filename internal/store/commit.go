package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SyncAsync arranges for done to run, on the committer goroutine, once
// every record appended and every ack recorded before the call is durable
// (with SyncNone: written to the operating system), or with the error that
// prevented it. Calls made while the committer is busy share its next
// round, and so its fsyncs. done must not block for long, since it delays
// every other log's callbacks, and must not call Store.Close, which waits
// for the committer. On a closed log done gets ErrClosed. done may be nil:
// the round still happens (to make acks durable, say).
func (l *Log) SyncAsync(done func(error)) {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		if done != nil {
			l.s.runSettled([]func(error){done}, ErrClosed)
		}
		return
	}
	l.enqueue(done)
	l.mu.Unlock()
}

// enqueue adds a callback for the next round; l.mu is held.
func (l *Log) enqueue(done func(error)) {
	l.waiters = append(l.waiters, done)
	if !l.queued {
		l.queued = true
		l.s.schedule(l)
	}
}

// committer is the group-commit goroutine's reusable state.
type committer struct {
	spare []*Log
	jobs  []commitJob
	items []syncItem
	last  time.Time
}

// commitJob is one log's part of a round.
type commitJob struct {
	l       *Log
	waiters []func(error)
	items   int // syncItems of this job: a contiguous run of committer.items
	err     error
}

// syncItem is one fsync: of a file (h) or of a log directory (dir).
type syncItem struct {
	h   *handle
	dir string
	err error
}

func (s *Store) run() {
	defer close(s.done)
	for {
		select {
		case <-s.kick:
		case <-s.stop:
			for s.round() {
			}
			s.mu.Lock()
			s.stopped = true
			late := s.settled
			s.settled = nil
			s.mu.Unlock()
			for _, st := range late {
				runAll(st.fns, st.err)
			}
			return
		}
		if s.opts.SyncMode == SyncInterval {
			if wait := time.Until(s.c.last.Add(s.opts.SyncInterval)); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-s.stop:
					t.Stop()
				}
			}
		}
		s.round()
	}
}

// round serves every log pending now: under each log's lock it takes the
// callbacks, writes the buffered records and acks and notes the files to
// sync; then, holding no lock, it fsyncs them all, and runs the callbacks.
// It reports whether any log was pending.
func (s *Store) round() bool {
	s.mu.Lock()
	logs := s.pending
	s.pending = s.c.spare[:0]
	done := s.settled
	s.settled = nil
	s.mu.Unlock()
	for _, st := range done {
		runAll(st.fns, st.err)
	}
	if len(logs) == 0 {
		s.c.spare = logs
		return len(done) > 0
	}
	c := &s.c
	c.jobs, c.items = c.jobs[:0], c.items[:0]
	syncing := s.syncing()
	for _, l := range logs {
		c.jobs = append(c.jobs, l.prepare(c, syncing))
	}
	clear(logs)
	c.spare = logs[:0]

	if len(c.items) > 0 {
		start := time.Now()
		s.syncAll(c.items)
		if s.opts.OnSync != nil {
			s.opts.OnSync(time.Since(start))
		}
	}
	next := 0
	for i := range c.jobs {
		j := &c.jobs[i]
		items := c.items[next : next+j.items]
		next += j.items
		if len(items) > 0 {
			j.l.mu.Lock()
			j.err = j.l.settle(items, j.err)
			j.l.mu.Unlock()
		}
		runAll(j.waiters, j.err)
		*j = commitJob{}
	}
	clear(c.items)
	c.last = time.Now()
	return true
}

// prepare is a log's locked part of a round.
func (l *Log) prepare(c *committer, syncing bool) commitJob {
	l.mu.Lock()
	defer l.mu.Unlock()
	j := commitJob{l: l, waiters: l.waiters}
	l.waiters = nil
	l.queued = false
	switch {
	case l.closed:
		j.err = ErrClosed
		return j
	case l.err != nil:
		j.err = l.err
		return j
	}
	if err := l.flush(); err != nil {
		j.err = l.fail(err)
		return j
	}
	if l.buf != nil {
		// Back to the pool while idle: a thousand quiet queues should not
		// hold a write buffer each.
		l.s.putBuf(l.buf)
		l.buf = nil
	}
	if !syncing {
		return j
	}
	n := len(c.items)
	c.items, j.err = l.collectSyncs(c.items)
	j.items = len(c.items) - n
	return j
}

// collectSyncs appends the fsyncs the log needs: its files written since
// their last sync, each with a reference taken, and its directory if
// entries changed. l.mu is held.
func (l *Log) collectSyncs(items []syncItem) ([]syncItem, error) {
	defer func() {
		clear(l.syncSegs)
		l.syncSegs = l.syncSegs[:0]
	}()
	for _, seg := range l.syncSegs {
		seg.syncQ = false
		if seg.deleted {
			continue
		}
		if seg.dirty {
			h, err := l.segFile(seg)
			if err != nil {
				return items, l.fail(fmt.Errorf("store: open for sync: %w", err))
			}
			h.refs++
			items = append(items, syncItem{h: h})
			seg.dirty = false
		}
		if seg.ackDirty {
			h, err := l.ackFile(seg)
			if err != nil {
				return items, l.fail(fmt.Errorf("store: open for sync: %w", err))
			}
			h.refs++
			items = append(items, syncItem{h: h})
			seg.ackDirty = false
		}
	}
	if l.dirDirty {
		l.dirDirty = false
		items = append(items, syncItem{dir: l.dir})
	}
	return items, nil
}

// settle releases the handles of items after their fsyncs and returns the
// first failure, which fails the log. l.mu is held.
func (l *Log) settle(items []syncItem, err error) error {
	for _, it := range items {
		if it.h != nil {
			l.release(it.h)
		}
		if it.err != nil && err == nil {
			err = l.fail(it.err)
		}
	}
	return err
}

// syncAll runs the fsyncs of a round, up to syncParallel at once.
func (s *Store) syncAll(items []syncItem) {
	one := func(it *syncItem) {
		if it.h != nil {
			if err := it.h.f.Sync(); err != nil {
				it.err = fmt.Errorf("store: sync %s: %w", it.h.name, err)
			}
			return
		}
		if err := s.fs.SyncDir(it.dir); err != nil {
			it.err = fmt.Errorf("store: sync directory %s: %w", it.dir, err)
		}
	}
	if len(items) == 1 {
		one(&items[0])
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(items), syncParallel) {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(items)); i = next.Add(1) - 1 {
				one(&items[i])
			}
		})
	}
	wg.Wait()
}
