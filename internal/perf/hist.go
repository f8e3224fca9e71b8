package perf

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// Histogram is a log-linear (HDR-style) histogram of non-negative int64
// values, used for latencies in nanoseconds. Values below 128 are counted
// exactly; above, each power of two is split into 64 equal sub-buckets,
// so a bucket is never wider than 1/64 of its lower bound. Reporting the
// bucket's midpoint keeps the error within 1/128 (~0.8%): two significant
// digits, the precision PerfTest's output shows, in a fixed 29 KiB array
// with no allocation per recorded value.
type Histogram struct {
	counts [histBuckets]uint64
	n      uint64
	min    int64
	max    int64
	sum    float64
}

const (
	subBits     = 7
	subCount    = 1 << subBits // exact values below this
	halfCount   = subCount / 2 // sub-buckets per power of two above it
	histBuckets = subCount + (63-subBits)*halfCount
)

func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBits
	top := int(uint64(v) >> uint(shift)) // in [64, 128)
	return subCount + (shift-1)*halfCount + top - halfCount
}

// bucketRange returns the smallest and largest value that land in bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	j := i - subCount
	shift := uint(j/halfCount + 1)
	top := int64(j%halfCount + halfCount)
	return top << shift, (top+1)<<shift - 1
}

// Record adds one value; negative values (a clock step) count as zero.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Reset empties the histogram.
func (h *Histogram) Reset() { *h = Histogram{} }

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min and Max are exact, not bucketed.
func (h *Histogram) Min() int64 { return h.min }
func (h *Histogram) Max() int64 { return h.max }

// Mean is exact.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return h.sum / float64(h.n)
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100): the
// value below or at which p% of the values lie, to bucket precision.
func (h *Histogram) Percentile(p float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			return min(max(lo+(hi-lo)/2, h.min), h.max)
		}
	}
	return h.max
}

// Bucket is one non-empty bucket of a histogram: values in [Lo, Hi].
type Bucket struct {
	Lo, Hi int64
	Count  uint64
}

// Buckets lists the non-empty buckets in increasing order.
func (h *Histogram) Buckets() []Bucket {
	var out []Bucket
	for i, c := range h.counts {
		if c > 0 {
			lo, hi := bucketRange(i)
			out = append(out, Bucket{lo, hi, c})
		}
	}
	return out
}

// Latency summarises a histogram in the units people read: the JSON output
// and the report use microseconds, as PerfTest does.
type Latency struct {
	Count uint64  `json:"count"`
	Min   float64 `json:"min_us"`
	Mean  float64 `json:"mean_us"`
	P50   float64 `json:"p50_us"`
	P75   float64 `json:"p75_us"`
	P95   float64 `json:"p95_us"`
	P99   float64 `json:"p99_us"`
	P999  float64 `json:"p999_us"`
	Max   float64 `json:"max_us"`
}

func us(ns int64) float64 { return math.Round(float64(ns)/10) / 100 }

// Summary computes the Latency of h.
func (h *Histogram) Summary() Latency {
	if h.n == 0 {
		return Latency{}
	}
	return Latency{
		Count: h.n, Min: us(h.min), Mean: us(int64(h.Mean())), Max: us(h.max),
		P50: us(h.Percentile(50)), P75: us(h.Percentile(75)), P95: us(h.Percentile(95)),
		P99: us(h.Percentile(99)), P999: us(h.Percentile(99.9)),
	}
}

// Recorder is a histogram shared by the goroutines of one metric: the
// current sampling interval and the whole run are kept side by side so
// the per-second line and the final summary come from the same values.
type Recorder struct {
	mu       sync.Mutex
	interval Histogram
	total    Histogram
}

// RecordSince records the time from t to now.
func (r *Recorder) RecordSince(t time.Time) { r.Record(int64(time.Since(t))) }

// Record adds one value in nanoseconds.
func (r *Recorder) Record(ns int64) {
	r.mu.Lock()
	r.interval.Record(ns)
	r.total.Record(ns)
	r.mu.Unlock()
}

// Interval returns the summary of the values since the last call and
// starts a new interval.
func (r *Recorder) Interval() Latency {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.interval.Summary()
	r.interval.Reset()
	return s
}

// Total returns a copy of the whole-run histogram.
func (r *Recorder) Total() *Histogram {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.total
	return &h
}
