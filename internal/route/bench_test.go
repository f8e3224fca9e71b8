package route

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// realisticTopic builds a trie of n bindings shaped like real deployments:
// mostly literal keys, per-entity "*" and "#" subscriptions, a few broad
// wildcards shared by many queues ("stock.*.nyse") and two catch-alls. It
// returns the trie and keys to route.
func realisticTopic(n int) (*Topic[int], []string) {
	r := rand.New(rand.NewPCG(3, 4))
	markets := []string{"nyse", "nasdaq", "lse", "tse", "hkex"}
	levels := []string{"debug", "info", "warn", "error", "crit"}
	tp := NewTopic[int]()
	for i := 0; tp.Len() < n; i++ {
		sym := fmt.Sprintf("s%d", r.IntN(2000))
		svc := fmt.Sprintf("svc%d", r.IntN(300))
		var p string
		switch x := r.IntN(100); {
		case x < 30:
			p = "stock." + sym + "." + markets[r.IntN(len(markets))]
		case x < 40:
			p = "stock." + sym + ".*"
		case x < 60:
			p = "logs." + svc + "." + levels[r.IntN(len(levels))]
		case x < 70:
			p = "logs." + svc + ".#"
		case x < 98:
			p = fmt.Sprintf("a.b.c%d", r.IntN(3000))
		case x == 98:
			p = "stock.*." + markets[r.IntN(len(markets))]
		default:
			p = "logs.*." + levels[r.IntN(len(levels))]
		}
		tp.Add(p, i%5000)
	}
	tp.Add("logs.#", -1)
	tp.Add("#.crit", -2)
	var keys []string
	for range 256 {
		switch r.IntN(3) {
		case 0:
			keys = append(keys, fmt.Sprintf("stock.s%d.%s", r.IntN(2000), markets[r.IntN(len(markets))]))
		case 1:
			keys = append(keys, fmt.Sprintf("logs.svc%d.%s", r.IntN(300), levels[r.IntN(len(levels))]))
		default:
			keys = append(keys, fmt.Sprintf("a.b.c%d", r.IntN(3000)))
		}
	}
	return tp, keys
}

var sink int

func BenchmarkTopicMatch10kBindings(b *testing.B) {
	tp, keys := realisticTopic(10000)
	matched := 0
	fn := func(d int) { matched++ }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tp.Match(keys[i%len(keys)], fn)
	}
	b.ReportMetric(float64(matched)/float64(b.N), "dests/op")
	sink += matched
}

// A worst case for backtracking matchers: several "#"s and a long key.
func BenchmarkTopicMatchManyHashes(b *testing.B) {
	tp := NewTopic[int]()
	tp.Add("#.a.#.a.#.a.#.b", 1)
	tp.Add("#.#.#.#.c", 2)
	key := "a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.b"
	fn := func(d int) { sink += d }
	b.ReportAllocs()
	for b.Loop() {
		tp.Match(key, fn)
	}
}

func BenchmarkDirectMatch(b *testing.B) {
	d := NewDirect[int]()
	for i := range 10000 {
		d.Add(fmt.Sprintf("queue.%d", i%5000), i)
	}
	keys := make([]string, 256)
	for i := range keys {
		keys[i] = fmt.Sprintf("queue.%d", i*17)
	}
	fn := func(d int) { sink += d }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d.Match(keys[i%len(keys)], fn)
	}
}

func BenchmarkFanoutMatch(b *testing.B) {
	f := NewFanout[int]()
	for i := range 10 {
		f.Add("", i)
	}
	fn := func(d int) { sink += d }
	b.ReportAllocs()
	for b.Loop() {
		f.Match("ignored", fn)
	}
}

// 100 destinations with "all" and "any" bindings over a few headers each,
// and a message with a handful of headers of mixed types.
func BenchmarkHeadersMatch(b *testing.B) {
	h := NewHeaders[int]()
	for i := range 100 {
		args := map[string]any{
			"format": []string{"pdf", "zip", "txt"}[i%3],
			"type":   fmt.Sprintf("report%d", i%10),
			"size":   int32(i % 7),
		}
		if i%2 == 1 {
			args["x-match"] = "any"
		}
		if i%5 == 0 {
			args["present"] = nil
		}
		h.Add(args, i)
	}
	headers := testTable{
		"format":  "pdf",
		"type":    []byte("report3"),
		"size":    int64(3),
		"present": testTable{"k": "v"},
		"x-trace": "abc",
	}
	fn := func(d int) { sink += d }
	b.ReportAllocs()
	for b.Loop() {
		h.Match(headers, fn)
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tp, keys := realisticTopic(2000)
	d := NewDirect[int]()
	d.Add("k", 1)
	f := NewFanout[int]()
	f.Add("", 1)
	f.Add("", 2)
	h := NewHeaders[int]()
	h.Add(map[string]any{"t": map[string]any{"a": []any{int32(1)}}, "s": "x"}, 1)
	h.Add(map[string]any{"x-match": "any", "s": "y", "n": int8(4)}, 2)
	headers := testTable{"t": testTable{"a": testArray{int32(1)}}, "s": []byte("x"), "n": uint64(4)}
	n := 0
	fn := func(int) { n++ }
	cases := map[string]func(){
		"direct":  func() { d.Match("k", fn) },
		"fanout":  func() { f.Match("", fn) },
		"headers": func() { h.Match(headers, fn) },
		"topic": func() {
			for _, k := range keys[:16] {
				tp.Match(k, fn)
			}
		},
	}
	for name, run := range cases {
		if name == "topic" && raceEnabled {
			continue // the race detector drops sync.Pool entries
		}
		run() // warm up pools and scratch maps
		if a := testing.AllocsPerRun(100, run); a != 0 {
			t.Errorf("%s: %v allocs per Match, want 0", name, a)
		}
	}
	if n == 0 {
		t.Fatal("nothing matched; the test checks nothing")
	}
}
