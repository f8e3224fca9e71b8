package perf

import (
	"context"
	"time"
)

// Step is one segment of a variable schedule: Value (a rate in msg/s or a
// size in bytes) for Duration, as PerfTest's --variable-rate RATE:SECONDS.
type Step struct {
	Value    float64       `json:"value"`
	Duration time.Duration `json:"duration_ns"`
}

// Schedule is a value that changes over time: a constant, or steps that
// repeat from the start once the last one ends (PerfTest cycles too).
type Schedule struct {
	Constant float64
	Steps    []Step
}

// At returns the value in force at elapsed time t, and when it next
// changes (zero for a constant).
func (s Schedule) At(t time.Duration) (v float64, until time.Duration) {
	if len(s.Steps) == 0 {
		return s.Constant, 0
	}
	var period time.Duration
	for _, st := range s.Steps {
		period += st.Duration
	}
	if period <= 0 {
		return s.Steps[0].Value, 0
	}
	cycle := t / period
	off := t % period
	base := cycle * period
	for _, st := range s.Steps {
		if off < st.Duration {
			return st.Value, base + st.Duration
		}
		off -= st.Duration
		base += st.Duration
	}
	return s.Steps[0].Value, t // not reached: off < period
}

// Pacer spaces one publisher's sends by a rate schedule and tells the
// intended send time of each message. Latency is measured from that
// intended time, not from when the send really happened: if the broker
// (or the client) stalls for a second at 1000 msg/s, the 1000 messages
// that should have gone out meanwhile are all late, and counting them so
// is the coordinated-omission correction (Gil Tene; wrk2 does the same).
// A pacer that is behind sends at once, without sleeping, until it has
// caught up with its schedule.
//
// A rate of 0 is "unlimited" for --rate, in which case the intended time
// is the actual one; inside --variable-rate it is a pause.
type Pacer struct {
	sched     Schedule
	start     time.Time
	next      time.Time // intended time of the next send; zero: not pacing
	unlimited bool      // the constant rate 0 means no limit
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) bool
}

// NewPacer starts a pacer at start. A constant schedule of 0 is unlimited.
func NewPacer(s Schedule, start time.Time) *Pacer {
	return &Pacer{sched: s, start: start, unlimited: len(s.Steps) == 0 && s.Constant <= 0,
		now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// earlySlack is how early a message may go out. Timers wake up to a
// millisecond late (the poller's granularity), and measuring from the
// intended time would charge that to the broker as latency; so the pacer
// wakes a little early and a message sent ahead of its time is measured
// from its real send time instead. The average rate is unaffected.
const earlySlack = time.Millisecond

// Wait blocks until the next message is due and returns the time its
// latency counts from: the intended send time, or the actual one if that
// is earlier; false when ctx is done first.
func (p *Pacer) Wait(ctx context.Context) (time.Time, bool) {
	for {
		now := p.now()
		if p.unlimited {
			return now, ctx.Err() == nil
		}
		rate, until := p.sched.At(now.Sub(p.start))
		if rate <= 0 { // a pause: sleep it out, then start afresh
			p.next = time.Time{}
			if !p.sleep(ctx, p.start.Add(until).Sub(now)) {
				return time.Time{}, false
			}
			continue
		}
		if p.next.IsZero() {
			p.next = now
		}
		intended := p.next
		p.next = intended.Add(time.Duration(float64(time.Second) / rate))
		if d := intended.Sub(now); d > earlySlack && !p.sleep(ctx, d-earlySlack) {
			return time.Time{}, false
		}
		if now = p.now(); now.Before(intended) {
			return now, ctx.Err() == nil // early, within the slack: the real send time
		}
		return intended, ctx.Err() == nil
	}
}
