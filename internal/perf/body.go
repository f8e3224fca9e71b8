package perf

import (
	"encoding/binary"
	"math/rand/v2"
)

// HeaderSize is the part of every body the tool reads back: the intended
// send time in Unix nanoseconds, the producer id and its sequence number.
// Producers and consumers run in one process, so the consumer can subtract
// the timestamp from its own clock without any clock synchronisation;
// bodies are never smaller than this.
const HeaderSize = 8 + 4 + 8

// writeHeader stamps a body in place; the rest of the body is left as is.
func writeHeader(b []byte, sentNanos int64, producer uint32, seq uint64) {
	binary.BigEndian.PutUint64(b[0:8], uint64(sentNanos))
	binary.BigEndian.PutUint32(b[8:12], producer)
	binary.BigEndian.PutUint64(b[12:20], seq)
}

// readHeader decodes a body written by writeHeader; ok is false for bodies
// too short to carry one (messages not published by this tool).
func readHeader(b []byte) (sentNanos int64, producer uint32, seq uint64, ok bool) {
	if len(b) < HeaderSize {
		return 0, 0, 0, false
	}
	return int64(binary.BigEndian.Uint64(b[0:8])), binary.BigEndian.Uint32(b[8:12]),
		binary.BigEndian.Uint64(b[12:20]), true
}

// WeightedSize is one entry of --body-size-list SIZE:WEIGHT.
type WeightedSize struct {
	Size   int
	Weight int
}

// sizePicker draws body sizes with the weights of --body-size-list. Each
// producer has its own, with its own random source, so drawing needs no
// lock.
type sizePicker struct {
	sizes  []int
	cumul  []int // running sum of weights
	total  int
	random *rand.Rand
}

func newSizePicker(list []WeightedSize, seed uint64) *sizePicker {
	p := &sizePicker{random: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, w := range list {
		p.total += w.Weight
		p.sizes = append(p.sizes, w.Size)
		p.cumul = append(p.cumul, p.total)
	}
	return p
}

func (p *sizePicker) pick() int {
	r := p.random.IntN(p.total)
	for i, c := range p.cumul {
		if r < c {
			return p.sizes[i]
		}
	}
	return p.sizes[len(p.sizes)-1]
}
