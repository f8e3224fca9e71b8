package perf

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestVariableRateSchedule(t *testing.T) {
	s := Schedule{Steps: []Step{{100, 5 * time.Second}, {0, 2 * time.Second}, {200, 3 * time.Second}}}
	for _, c := range []struct {
		at    time.Duration
		rate  float64
		until time.Duration
	}{
		{0, 100, 5 * time.Second},
		{4900 * time.Millisecond, 100, 5 * time.Second},
		{5 * time.Second, 0, 7 * time.Second},
		{8 * time.Second, 200, 10 * time.Second},
		{11 * time.Second, 100, 15 * time.Second}, // the cycle repeats
		{15500 * time.Millisecond, 0, 17 * time.Second},
		{29 * time.Second, 200, 30 * time.Second},
	} {
		if r, u := s.At(c.at); r != c.rate || u != c.until {
			t.Errorf("At(%v) = %v until %v, want %v until %v", c.at, r, u, c.rate, c.until)
		}
	}
	if r, _ := (Schedule{Constant: 42}).At(time.Hour); r != 42 {
		t.Errorf("constant schedule gave %v", r)
	}
}

// fakeClock drives a Pacer without sleeping for real.
type fakeClock struct{ t time.Time }

func (f *fakeClock) pacer(s Schedule) *Pacer {
	p := NewPacer(s, f.t)
	p.now = func() time.Time { return f.t }
	p.sleep = func(ctx context.Context, d time.Duration) bool {
		f.t = f.t.Add(d)
		return ctx.Err() == nil
	}
	return p
}

func TestPacerFollowsVariableRate(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	start := clk.t
	p := clk.pacer(Schedule{Steps: []Step{{100, 5 * time.Second}, {0, 2 * time.Second}, {200, 3 * time.Second}}})
	perSecond := map[int]int{}
	for {
		ts, ok := p.Wait(context.Background())
		if !ok {
			t.Fatal("pacer stopped")
		}
		if clk.t.Sub(start) >= 10*time.Second {
			break
		}
		perSecond[int(ts.Sub(start)/time.Second)]++
	}
	for sec := range 10 {
		want := map[bool]int{true: 100}[sec < 5]
		if sec >= 7 {
			want = 200
		}
		if got := perSecond[sec]; math.Abs(float64(got-want)) > 1 {
			t.Errorf("second %d: %d messages, want %d", sec, got, want)
		}
	}
}

// At a fixed rate, a 200 ms stall of one send delays the 200 messages
// scheduled meanwhile. Measured from the intended send times they all
// show it; measured from the actual send times (coordinated omission)
// only the one message that stalled does, and p99 looks perfect.
func TestCoordinatedOmissionCorrection(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	start := clk.t
	p := clk.pacer(Schedule{Constant: 1000})
	var corrected, naive Histogram
	for i := range 2000 {
		ts, _ := p.Wait(context.Background())
		sendStart := clk.t
		if i == 1000 {
			clk.t = clk.t.Add(200 * time.Millisecond) // the broker stalls this publish
		}
		corrected.Record(int64(clk.t.Sub(ts)))
		naive.Record(int64(clk.t.Sub(sendStart)))
	}
	if d := clk.t.Sub(start); d < 1990*time.Millisecond || d > 2010*time.Millisecond {
		t.Errorf("2000 messages at 1000/s took %v: the pacer did not catch up", d)
	}
	if p99 := time.Duration(corrected.Percentile(99)); p99 < 150*time.Millisecond {
		t.Errorf("corrected p99 = %v, want the stall (> 150ms)", p99)
	}
	if p95 := time.Duration(corrected.Percentile(95)); p95 < 90*time.Millisecond {
		t.Errorf("corrected p95 = %v, want ~100ms: 10%% of messages waited", p95)
	}
	if p50 := time.Duration(corrected.Percentile(50)); p50 > time.Millisecond {
		t.Errorf("corrected p50 = %v, want ~0: most messages were on time", p50)
	}
	if p99 := time.Duration(naive.Percentile(99)); p99 > time.Millisecond {
		t.Errorf("naive p99 = %v; the test no longer shows coordinated omission", p99)
	}
}

func TestPacerUnlimitedAndCancel(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	p := clk.pacer(Schedule{})
	for range 1000 {
		if ts, ok := p.Wait(context.Background()); !ok || !ts.Equal(clk.t) {
			t.Fatal("unlimited pacer should return now")
		}
	}
	if clk.t != time.Unix(1000, 0) {
		t.Error("unlimited pacer slept")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := NewPacer(Schedule{Constant: 0.001}, time.Now()).Wait(ctx); ok {
		t.Error("Wait on a cancelled context succeeded")
	}
}

func TestBodySizeWeights(t *testing.T) {
	for _, list := range [][]WeightedSize{{{100, 50}, {1000, 50}}, {{10, 1}, {20, 3}, {30, 6}}} {
		p := newSizePicker(list, 7)
		total := 0
		for _, w := range list {
			total += w.Weight
		}
		counts := map[int]int{}
		const n = 200_000
		for range n {
			counts[p.pick()]++
		}
		for _, w := range list {
			want := float64(w.Weight) / float64(total)
			if got := float64(counts[w.Size]) / n; math.Abs(got-want) > 0.01 {
				t.Errorf("size %d drawn %.3f of the time, want %.3f", w.Size, got, want)
			}
		}
	}
	if _, err := parseSizeList("100:50, 1000:50,5000"); err != nil {
		t.Error(err)
	}
}

func TestBodyHeaderRoundTrip(t *testing.T) {
	b := make([]byte, HeaderSize+10)
	writeHeader(b, 1234567890123, 42, 1<<40)
	ts, id, seq, ok := readHeader(b)
	if !ok || ts != 1234567890123 || id != 42 || seq != 1<<40 {
		t.Errorf("got %d %d %d %v", ts, id, seq, ok)
	}
	if _, _, _, ok := readHeader(b[:HeaderSize-1]); ok {
		t.Error("short body decoded")
	}
}
