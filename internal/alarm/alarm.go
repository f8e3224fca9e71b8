package alarm

import (
	"log/slog"
	"sync"
	"time"
)

// Resource names an alarm.
type Resource string

// The alarms.
const (
	Memory Resource = "memory"
	Disk   Resource = "disk"
)

// Set is the current alarm state. The zero value has no alarms raised; it
// is safe for concurrent use.
type Set struct {
	mu      sync.Mutex
	raised  map[Resource]bool // guarded by mu
	cleared chan struct{}     // guarded by mu: closed when the last alarm clears
	log     *slog.Logger
}

// NewSet returns a Set that logs changes to log (nil discards).
func NewSet(log *slog.Logger) *Set {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Set{raised: make(map[Resource]bool), log: log}
}

// Raise sets or clears the alarm for r.
func (s *Set) Raise(r Resource, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.raised == nil {
		s.raised = make(map[Resource]bool)
	}
	if s.raised[r] == on {
		return
	}
	wasAny := len(s.raised) > 0
	if on {
		s.raised[r] = true
		s.log.Warn("resource alarm raised: publishers will be blocked", "resource", string(r))
	} else {
		delete(s.raised, r)
		s.log.Info("resource alarm cleared", "resource", string(r))
	}
	switch {
	case !wasAny && len(s.raised) > 0:
		s.cleared = make(chan struct{})
	case wasAny && len(s.raised) == 0:
		close(s.cleared)
		s.cleared = nil
	}
}

// Active returns nil when no alarm is raised; otherwise a channel closed
// once every alarm has cleared, and the raised resources.
func (s *Set) Active() (<-chan struct{}, []Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.raised) == 0 {
		return nil, nil
	}
	rs := make([]Resource, 0, len(s.raised))
	for r := range s.raised {
		rs = append(rs, r)
	}
	return s.cleared, rs
}

// Raised reports whether r is raised.
func (s *Set) Raised(r Resource) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raised[r]
}

// Monitor polls memory and disk and raises or clears alarms.
type Monitor struct {
	Set *Set
	// MemoryLimit is the high watermark in bytes (0: no memory alarm).
	MemoryLimit int64
	// DiskFreeLimit is the free space under Dir below which the disk
	// alarm is raised (0: no disk alarm).
	DiskFreeLimit int64
	Dir           string
	Interval      time.Duration
	// MemoryUsed and DiskFree are the probes; defaults read the process's
	// resident memory and statfs(Dir). Tests replace them.
	MemoryUsed func() (int64, error)
	DiskFree   func(dir string) (int64, error)
	Log        *slog.Logger
}

// Check polls once.
func (m *Monitor) Check() {
	if m.MemoryLimit > 0 {
		probe := m.MemoryUsed
		if probe == nil {
			probe = ResidentMemory
		}
		if used, err := probe(); err == nil {
			// Clear below 95% of the limit so the alarm does not flap.
			switch {
			case used >= m.MemoryLimit:
				m.Set.Raise(Memory, true)
			case used < m.MemoryLimit*95/100:
				m.Set.Raise(Memory, false)
			}
		}
	}
	if m.DiskFreeLimit > 0 && m.Dir != "" {
		probe := m.DiskFree
		if probe == nil {
			probe = DiskFree
		}
		if free, err := probe(m.Dir); err == nil {
			m.Set.Raise(Disk, free < m.DiskFreeLimit)
		} else if m.Log != nil {
			m.Log.Warn("disk free probe failed", "dir", m.Dir, "err", err)
		}
	}
}

// Run polls until stop is closed.
func (m *Monitor) Run(stop <-chan struct{}) {
	iv := m.Interval
	if iv <= 0 {
		iv = time.Second
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	m.Check()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			m.Check()
		}
	}
}
