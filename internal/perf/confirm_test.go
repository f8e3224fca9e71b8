package perf

import (
	"sync/atomic"
	"testing"
	"time"
)

// confirmProducer is a producer with a confirm window of n and the
// messages with tags in published already sent (slots filled, tokens
// taken), as run leaves them; no connection.
func confirmProducer(n int, published ...uint64) *producer {
	p := &producer{r: &runner{st: &stats{}}, low: 1,
		window: make(chan struct{}, n), tags: make([]atomic.Uint64, n), sent: make([]atomic.Int64, n)}
	for _, t := range published {
		p.window <- struct{}{}
		i := t % uint64(n)
		p.sent[i].Store(time.Now().UnixNano())
		p.tags[i].Store(t)
	}
	return p
}

type confirmEvent struct {
	tag           uint64
	multiple, ack bool
}

// The broker's acks and nacks, single or multiple, in order or not, are
// each counted once, free exactly the window slots of the messages they
// cover, and leave later messages outstanding.
func TestProducerConfirmed(t *testing.T) {
	tests := []struct {
		name            string
		window          int
		published       []uint64
		events          []confirmEvent
		acked, nacked   int64
		stillPending    []uint64
		tokensRemaining int
	}{
		{"single acks in order", 4, []uint64{1, 2, 3}, []confirmEvent{{1, false, true}, {2, false, true}}, 2, 0, []uint64{3}, 1},
		{"one multiple ack covers all", 4, []uint64{1, 2, 3, 4}, []confirmEvent{{4, true, true}}, 4, 0, nil, 0},
		{"multiple ack covers only up to its tag", 4, []uint64{1, 2, 3, 4}, []confirmEvent{{2, true, true}}, 2, 0, []uint64{3, 4}, 2},
		{"out of order single, then multiple", 4, []uint64{1, 2, 3, 4}, []confirmEvent{{3, false, true}, {4, true, true}}, 4, 0, nil, 0},
		{"nack multiple, ack the rest", 4, []uint64{1, 2, 3}, []confirmEvent{{2, true, false}, {3, false, true}}, 1, 2, nil, 0},
		{"duplicate confirm counts once", 4, []uint64{1, 2}, []confirmEvent{{1, false, true}, {1, false, true}, {1, true, true}}, 1, 0, []uint64{2}, 1},
		// Tags wrap around the window: 5 and 6 reuse the slots of 1 and 2.
		{"wrapped window", 4, []uint64{3, 4, 5, 6}, []confirmEvent{{6, true, true}}, 4, 0, nil, 0},
		{"wrapped window, partial", 4, []uint64{4, 5, 6, 7}, []confirmEvent{{5, true, true}}, 2, 0, []uint64{6, 7}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := confirmProducer(tt.window, tt.published...)
			if tt.published[0] > 1 {
				p.low = tt.published[0] // earlier tags were confirmed before
			}
			for _, e := range tt.events {
				p.confirmed(e.tag, e.multiple, e.ack)
			}
			st := p.r.st
			if st.confirmed.Load() != tt.acked || st.nacked.Load() != tt.nacked {
				t.Fatalf("acked %d nacked %d, want %d and %d", st.confirmed.Load(), st.nacked.Load(), tt.acked, tt.nacked)
			}
			if len(p.window) != tt.tokensRemaining {
				t.Fatalf("%d window tokens held, want %d", len(p.window), tt.tokensRemaining)
			}
			for _, tag := range tt.stillPending {
				if p.tags[tag%uint64(tt.window)].Load() != tag {
					t.Fatalf("tag %d no longer pending", tag)
				}
			}
		})
	}
}
