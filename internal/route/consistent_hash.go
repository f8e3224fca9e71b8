package route

import (
	"errors"
	"slices"
	"strconv"
)

// PointsPerWeight is the number of ring points one unit of binding weight
// gives a destination (ketama's customary 160). A destination's share of
// the keys is the share of the ring its points cover; with k points that
// share has a relative standard deviation of about 1/sqrt(k): about 8% for
// a weight-1 destination, 2.5% for weight 10, at 24 bytes per point.
const PointsPerWeight = 160

// maxDestPoints caps one destination's points (weights above
// maxDestPoints/PointsPerWeight, 1638, all count as 1638), so a binding key
// like "999999999" cannot make the broker allocate gigabytes.
const maxDestPoints = 1 << 18

// maxWeight bounds a parsed weight so that sums of weights cannot overflow.
const maxWeight = 1 << 40

// Errors ParseWeight returns. The broker turns them into RabbitMQ's
// binding_invalid replies.
var (
	ErrWeightNotInteger  = errors.New("the binding key must be an integer")
	ErrWeightNotPositive = errors.New("the binding key must be greater than 0")
)

// ParseWeight reads a consistent-hash binding key: a decimal integer of at
// least 1, as RabbitMQ's consistent-hash exchange requires.
func ParseWeight(key string) (int64, error) {
	w, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			if key[0] == '-' {
				return 0, ErrWeightNotPositive
			}
			return maxWeight, nil // a huge weight is still a weight
		}
		return 0, ErrWeightNotInteger
	}
	if w < 1 {
		return 0, ErrWeightNotPositive
	}
	return min(w, maxWeight), nil
}

// ConsistentHash routes each key to exactly one destination, chosen on a
// hash ring (RabbitMQ's x-consistent-hash exchange type, whose binding key
// is a weight).
//
// Each destination owns weight × PointsPerWeight points on a ring of 64-bit
// hashes; a key goes to the owner of the first point at or after the key's
// hash, wrapping around. A point's position depends only on the
// destination's name and the point's index, never on the other bindings or
// on the order they were made, so:
//
//   - adding a destination (or weight) only inserts its own points, and the
//     only keys that move are those that now land on them: the rest keep
//     their destination;
//   - the ring is the same after a restart, so keys keep their queue.
//
// RabbitMQ 3.10's plugin uses jump consistent hashing over buckets
// numbered in binding order instead; the keys' assignment therefore
// differs from RabbitMQ's, but the properties clients rely on (one
// destination per message, stability, proportion to weight) hold.
//
// Several bindings to one destination add their weights. A key that is not
// a valid weight binds with weight zero: recorded (Remove must find it) but
// owning no points; the broker refuses such bindings before they get here.
//
// Match allocates nothing and costs one hash of the key plus a binary
// search over the points.
type ConsistentHash[D comparable] struct {
	name     func(D) string // a destination's stable identity, for its points
	bindings map[keyed[D]]int64
	weight   map[D]int64 // sum of binding weights per destination
	ring     []chPoint[D]
}

type chPoint[D comparable] struct {
	h uint64
	d D
}

// NewConsistentHash returns an empty ring. name gives each destination the
// stable identity its points are placed by; two destinations must not share
// a name.
func NewConsistentHash[D comparable](name func(D) string) *ConsistentHash[D] {
	return &ConsistentHash[D]{name: name, bindings: make(map[keyed[D]]int64), weight: make(map[D]int64)}
}

// Add binds dest with key (its weight). It reports false if that binding
// already existed.
func (c *ConsistentHash[D]) Add(key string, dest D) bool {
	b := keyed[D]{key, dest}
	if _, ok := c.bindings[b]; ok {
		return false
	}
	w, err := ParseWeight(key)
	if err != nil {
		w = 0
	}
	c.bindings[b] = w
	old := c.weight[dest]
	c.weight[dest] = old + w
	c.insert(dest, points(old), points(old+w))
	return true
}

// Remove unbinds dest from key. It reports false if there was no such
// binding.
func (c *ConsistentHash[D]) Remove(key string, dest D) bool {
	b := keyed[D]{key, dest}
	w, ok := c.bindings[b]
	if !ok {
		return false
	}
	delete(c.bindings, b)
	old := c.weight[dest]
	if old-w == 0 {
		delete(c.weight, dest)
	} else {
		c.weight[dest] = old - w
	}
	c.delete(dest, points(old-w), points(old))
	return true
}

// points is the number of ring points of a total weight.
func points(w int64) int {
	if w > maxDestPoints/PointsPerWeight {
		return maxDestPoints
	}
	return int(w) * PointsPerWeight
}

// pointHash places point i of the destination whose name hashes to base.
func pointHash(base uint64, i int) uint64 {
	return mix64(base + uint64(i+1)*0x9E3779B97F4A7C15)
}

// insert adds points [from, to) of dest, merging them into the sorted ring.
func (c *ConsistentHash[D]) insert(dest D, from, to int) {
	if from >= to {
		return
	}
	base := hashString(c.name(dest))
	add := make([]chPoint[D], 0, to-from)
	for i := from; i < to; i++ {
		add = append(add, chPoint[D]{pointHash(base, i), dest})
	}
	slices.SortFunc(add, func(a, b chPoint[D]) int { return cmpUint64(a.h, b.h) })
	merged := make([]chPoint[D], 0, len(c.ring)+len(add))
	i, j := 0, 0
	for i < len(c.ring) && j < len(add) {
		if c.ring[i].h <= add[j].h {
			merged = append(merged, c.ring[i])
			i++
		} else {
			merged = append(merged, add[j])
			j++
		}
	}
	merged = append(merged, c.ring[i:]...)
	c.ring = append(merged, add[j:]...)
}

// delete removes points [from, to) of dest.
func (c *ConsistentHash[D]) delete(dest D, from, to int) {
	if from >= to {
		return
	}
	base := hashString(c.name(dest))
	gone := make(map[uint64]struct{}, to-from)
	for i := from; i < to; i++ {
		gone[pointHash(base, i)] = struct{}{}
	}
	kept := c.ring[:0]
	for _, p := range c.ring {
		if p.d == dest {
			if _, ok := gone[p.h]; ok {
				continue
			}
		}
		kept = append(kept, p)
	}
	clear(c.ring[len(kept):]) // do not keep removed destinations reachable
	c.ring = kept
}

// Match calls fn with the one destination key hashes to, if any.
func (c *ConsistentHash[D]) Match(key string, fn func(D)) {
	c.MatchHash(hashString(key), fn)
}

// MatchHash is Match for a hash already computed with HashString or
// HashBytes (the broker hashes headers and properties that way).
func (c *ConsistentHash[D]) MatchHash(h uint64, fn func(D)) {
	n := len(c.ring)
	if n == 0 {
		return
	}
	lo, hi := 0, n // first point with hash >= h
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.ring[m].h < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == n {
		lo = 0
	}
	fn(c.ring[lo].d)
}

// Len returns the number of bindings.
func (c *ConsistentHash[D]) Len() int { return len(c.bindings) }

// Points returns the number of points on the ring.
func (c *ConsistentHash[D]) Points() int { return len(c.ring) }

// HashString is the ring's key hash: 64-bit FNV-1a with a final avalanche
// so that keys differing in one byte land far apart. It is fixed (no
// per-process seed) so that routing survives restarts.
func HashString(s string) uint64 { return hashString(s) }

// HashBytes is HashString for a byte slice.
func HashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return mix64(h)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return mix64(h)
}

// mix64 is the splitmix64 finaliser.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
