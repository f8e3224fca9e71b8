package amqp091

import (
	"net"
	"sync"
	"time"
)

// authThrottle slows down repeated failed logins from one address: after a
// few failures within a window, each further attempt from that address
// waits before its credentials are checked, so password guessing gets
// expensive while other clients are unaffected.
type authThrottle struct {
	mu    sync.Mutex
	fails map[string]*failRecord // guarded by mu
	total int64                  // guarded by mu: failures ever, for metrics
}

type failRecord struct {
	count int
	last  time.Time
}

const (
	failWindow   = time.Minute // failures older than this are forgotten
	freeFailures = 3           // failures allowed before delays start
	failStep     = 250 * time.Millisecond
	maxFailDelay = 5 * time.Second
	maxTracked   = 100000 // addresses remembered at most (memory bound)
)

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// delay returns how long an attempt from addr should wait.
func (t *authThrottle) delay(addr net.Addr) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.fails[hostOf(addr)]
	if r == nil || time.Since(r.last) > failWindow || r.count <= freeFailures {
		return 0
	}
	return min(time.Duration(r.count-freeFailures)*failStep, maxFailDelay)
}

// failed records a failed login from addr.
func (t *authThrottle) failed(addr net.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fails == nil {
		t.fails = make(map[string]*failRecord)
	}
	t.total++
	h := hostOf(addr)
	r := t.fails[h]
	if r == nil || time.Since(r.last) > failWindow {
		if len(t.fails) >= maxTracked {
			for k, v := range t.fails { // drop stale entries to stay bounded
				if time.Since(v.last) > failWindow {
					delete(t.fails, k)
				}
			}
			if len(t.fails) >= maxTracked {
				return
			}
		}
		r = &failRecord{}
		t.fails[h] = r
	}
	r.count++
	r.last = time.Now()
}

// succeeded forgets addr's failures.
func (t *authThrottle) succeeded(addr net.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, hostOf(addr))
}

// AuthFailures returns the number of failed logins since start.
func (s *Server) AuthFailures() int64 {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	return s.throttle.total
}
