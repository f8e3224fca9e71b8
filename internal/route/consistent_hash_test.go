package route

import (
	"fmt"
	"math"
	"testing"
)

func newTestRing() *ConsistentHash[string] {
	return NewConsistentHash(func(d string) string { return d })
}

func pick(c *ConsistentHash[string], key string) string {
	got := ""
	n := 0
	c.Match(key, func(d string) { got = d; n++ })
	if n > 1 {
		panic("more than one destination")
	}
	return got
}

func TestParseWeight(t *testing.T) {
	for key, want := range map[string]error{
		"1": nil, "10": nil, "+3": nil, "99999999999999999999999": nil,
		"0": ErrWeightNotPositive, "-1": ErrWeightNotPositive, "-99999999999999999999999": ErrWeightNotPositive,
		"": ErrWeightNotInteger, "abc": ErrWeightNotInteger, "1.5": ErrWeightNotInteger, " 1": ErrWeightNotInteger,
	} {
		if _, err := ParseWeight(key); err != want {
			t.Errorf("ParseWeight(%q) = %v, want %v", key, err, want)
		}
	}
}

func TestConsistentHashOneDestination(t *testing.T) {
	c := newTestRing()
	if pick(c, "k") != "" {
		t.Fatal("empty ring matched")
	}
	c.Add("3", "a")
	for i := range 100 {
		if got := pick(c, fmt.Sprint(i)); got != "a" {
			t.Fatalf("got %q", got)
		}
	}
	if c.Points() != 3*PointsPerWeight {
		t.Fatalf("%d points", c.Points())
	}
}

// Keys are spread in proportion to weights: 10,000 keys over weights
// 1:2:3:4, each share within 25% of its due share (generous: the expected
// error with these point counts is a few percent).
func TestConsistentHashProportional(t *testing.T) {
	c := newTestRing()
	weights := map[string]int{"q1": 1, "q2": 2, "q3": 3, "q4": 4}
	for d, w := range weights {
		c.Add(fmt.Sprint(w), d)
	}
	counts := map[string]int{}
	const n = 10000
	for i := range n {
		counts[pick(c, fmt.Sprintf("key-%d", i))]++
	}
	for d, w := range weights {
		want := float64(n) * float64(w) / 10
		if got := float64(counts[d]); math.Abs(got-want) > 0.25*want {
			t.Errorf("%s (weight %d): %v keys, want about %v", d, w, got, want)
		}
	}
	t.Logf("distribution over 1:2:3:4: %v", counts)
}

// Adding a destination only moves keys to it; removing it moves exactly
// those keys back. Order of binding does not matter.
func TestConsistentHashStable(t *testing.T) {
	c := newTestRing()
	for i := range 4 {
		c.Add("10", fmt.Sprintf("q%d", i))
	}
	const n = 10000
	before := make([]string, n)
	for i := range before {
		before[i] = pick(c, fmt.Sprint(i))
	}
	c.Add("10", "q4")
	moved := 0
	for i := range before {
		got := pick(c, fmt.Sprint(i))
		if got != before[i] {
			if got != "q4" {
				t.Fatalf("key %d moved from %s to %s, not to the new destination", i, before[i], got)
			}
			moved++
		}
	}
	// The newcomer should take about a fifth.
	if moved < n/10 || moved > n*3/10 {
		t.Errorf("%d of %d keys moved to the new destination, want about %d", moved, n, n/5)
	}
	c.Remove("10", "q4")
	for i := range before {
		if got := pick(c, fmt.Sprint(i)); got != before[i] {
			t.Fatalf("key %d: %s after removing q4, want %s", i, got, before[i])
		}
	}
	// Another ring built in the opposite order agrees key by key.
	d := newTestRing()
	for i := 3; i >= 0; i-- {
		d.Add("10", fmt.Sprintf("q%d", i))
	}
	for i := range 1000 {
		if pick(c, fmt.Sprint(i)) != pick(d, fmt.Sprint(i)) {
			t.Fatalf("key %d routes differently depending on binding order", i)
		}
	}
}

func TestConsistentHashBindingsAndWeights(t *testing.T) {
	c := newTestRing()
	if !c.Add("2", "a") || c.Add("2", "a") {
		t.Fatal("Add should report new bindings only")
	}
	c.Add("3", "a") // a second binding adds weight
	if c.Points() != 5*PointsPerWeight || c.Len() != 2 {
		t.Fatalf("points %d, bindings %d", c.Points(), c.Len())
	}
	c.Add("x", "b") // invalid weight: recorded, no points
	if c.Points() != 5*PointsPerWeight || c.Len() != 3 {
		t.Fatalf("points %d, bindings %d", c.Points(), c.Len())
	}
	if !c.Remove("x", "b") || c.Remove("x", "b") {
		t.Fatal("Remove should report existing bindings only")
	}
	c.Remove("2", "a")
	if c.Points() != 3*PointsPerWeight {
		t.Fatalf("points %d", c.Points())
	}
	c.Remove("3", "a")
	if c.Points() != 0 || c.Len() != 0 || len(c.weight) != 0 {
		t.Fatalf("not empty: %d points %d bindings", c.Points(), c.Len())
	}
	c.Add("99999999999", "huge")
	if c.Points() != maxDestPoints {
		t.Fatalf("huge weight: %d points", c.Points())
	}
}

func TestConsistentHashMatchDoesNotAllocate(t *testing.T) {
	c := newTestRing()
	for i := range 8 {
		c.Add("10", fmt.Sprintf("q%d", i))
	}
	n := 0
	fn := func(string) { n++ }
	if a := testing.AllocsPerRun(1000, func() { c.Match("some.routing.key", fn) }); a != 0 {
		t.Fatalf("%v allocs per Match", a)
	}
}

func BenchmarkConsistentHashMatch(b *testing.B) {
	c := NewConsistentHash(func(d int) string { return fmt.Sprint(d) })
	for i := range 16 {
		c.Add("10", i)
	}
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = fmt.Sprintf("order-%d", i*7919)
	}
	fn := func(d int) { sink += d }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Match(keys[i%len(keys)], fn)
	}
}
