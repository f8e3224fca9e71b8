package perf

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// nearestRank is the reference: the sorted array's value at rank
// ceil(p/100 * n), the definition Histogram.Percentile follows.
func nearestRank(sorted []int64, p float64) int64 {
	r := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(r, 1), len(sorted))-1]
}

func TestHistogramPercentilesAgainstSortedArray(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() int64{
		"uniform small":  func() int64 { return rng.Int64N(200) },
		"uniform wide":   func() int64 { return rng.Int64N(1e9) },
		"exponential":    func() int64 { return int64(rng.ExpFloat64() * 250e3) },
		"lognormal tail": func() int64 { return int64(math.Exp(rng.NormFloat64()*1.5 + 11)) },
		"bimodal": func() int64 {
			if rng.IntN(100) < 3 {
				return 50e6 + rng.Int64N(1e6)
			}
			return 80e3 + rng.Int64N(20e3)
		},
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			var h Histogram
			vals := make([]int64, 100_000)
			for i := range vals {
				vals[i] = gen()
				h.Record(vals[i])
			}
			slices.Sort(vals)
			if h.Min() != vals[0] || h.Max() != vals[len(vals)-1] || h.Count() != uint64(len(vals)) {
				t.Fatalf("min/max/count %d/%d/%d, want %d/%d/%d", h.Min(), h.Max(), h.Count(), vals[0], vals[len(vals)-1], len(vals))
			}
			for _, p := range []float64{0.1, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100} {
				got, want := h.Percentile(p), nearestRank(vals, p)
				// Midpoint of a bucket at most 1/64 of its value wide.
				if tol := float64(want)/128 + 1; math.Abs(float64(got-want)) > tol {
					t.Errorf("p%v = %d, want %d ± %.0f", p, got, want, tol)
				}
			}
		})
	}
}

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<40 + 12345, math.MaxInt64} {
		lo, hi := bucketRange(bucketOf(v))
		if v < lo || v > hi {
			t.Errorf("%d lands in bucket [%d, %d]", v, lo, hi)
		}
		if v >= 128 && float64(hi-lo+1) > float64(lo)/64+1 {
			t.Errorf("bucket of %d is [%d, %d]: wider than 1/64", v, lo, hi)
		}
	}
	for i := 1; i < histBuckets; i++ { // contiguous, no gaps or overlaps
		_, prevHi := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, lo, prevHi)
		}
	}
}

func TestHistogramMergeAndRecorder(t *testing.T) {
	var a, b, all Histogram
	for i := range int64(1000) {
		v := i * i * 37
		all.Record(v)
		if i%2 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() || a.Percentile(99) != all.Percentile(99) {
		t.Errorf("merge differs: %+v vs %+v", a.Summary(), all.Summary())
	}
	var r Recorder
	r.Record(1000)
	r.Record(3000)
	if s := r.Interval(); s.Count != 2 || s.Min != 1 || s.Max != 3 {
		t.Errorf("interval %+v", s)
	}
	r.Record(5000)
	if s := r.Interval(); s.Count != 1 || s.Min != 5 {
		t.Errorf("second interval %+v", s)
	}
	if tot := r.Total(); tot.Count() != 3 {
		t.Errorf("total count %d", tot.Count())
	}
}
