package route

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

var topicCases = []struct {
	pattern, key string
	want         bool
}{
	// "#" matches any number of words, including none.
	{"#", "", true},
	{"#", "a", true},
	{"#", "a.b.c", true},
	{"#", ".", true},
	// "" is zero words (RabbitMQ's split_topic_key_binary(<<>>) -> []), so
	// "*" does not match it, but "." is two empty words.
	{"*", "", false},
	{"*", "a", true},
	{"*", "a.b", false},
	{"*", ".", false},
	{"*.*", ".", true},
	{"", "", true},
	{"", "a", false},
	{"a", "", false},
	{"#.#", "", true},
	{"#.#", "a.b.c", true},
	{"#.#.#", "a", true},
	{"#.*", "", false},
	{"#.*", "a", true},
	{"*.#", "", false},
	{"*.#", "a.b", true},
	{"a.#", "a", true},
	{"a.#", "a.b.c", true},
	{"a.#", "a.", true},
	{"a.#", "b", false},
	{"a.#", "", false},
	{"a.#", "ab", false},
	{"#.a", "a", true},
	{"#.a", "x.y.a", true},
	{"#.a", "a.x", false},
	{"a.*.#", "a.b", true},
	{"a.*.#", "a.b.c", true},
	{"a.*.#", "a", false},
	{"*.#.*", "a", false},
	{"*.#.*", "a.b", true},
	{"*.#.*", "a.b.c.d", true},
	{"*.*.*", "a.b", false},
	{"a.#.b", "a.b", true},
	{"a.#.b", "a.x.b", true},
	{"a.#.b", "a.x.y.b", true},
	{"a.#.b", "a.b.b", true},
	{"a.#.b", "a.b.c", false},
	{"a.#.b", "b.a.b", false},
	{"#.b.#", "b", true},
	{"#.b.#", "a.b.c", true},
	{"#.b.#", "a.c", false},
	{"#.a.#.a", "a.a", true},
	{"#.a.#.a", "x.a.y.z.a", true},
	{"#.a.#.a", "x.a.y.z", false},
	// Empty words are words.
	{"a..b", "a..b", true},
	{"a.*.b", "a..b", true},
	{"a.#.b", "a..b", true},
	{"a.b", "a..b", false},
	{".a", ".a", true},
	{"*.a", ".a", true},
	{"a", ".a", false},
	{"a.", "a.", true},
	{"a.*", "a.", true},
	{"a", "a.", false},
	{"..", "..", true},
	{"*.*.*", "..", true},
	// Only a whole word is a wildcard.
	{"a#", "a#", true},
	{"a#", "ab", false},
	{"a#", "a", false},
	{"##", "##", true},
	{"##", "a", false},
	{"a*", "a*", true},
	{"a*", "ab", false},
	{"**", "a", false},
	// Wildcard characters in a key are literal.
	{"a", "*", false},
	{"*", "*", true},
	{"#", "#", true},
	{"a.*", "a.#", true},
	{"a.b", "a.*", false},
	// Realistic patterns.
	{"stock.*.nyse", "stock.usd.nyse", true},
	{"stock.*.nyse", "stock.nyse", false},
	{"stock.*.nyse", "stock.usd.nyse.x", false},
	{"logs.#", "logs", true},
	{"logs.#", "logs.kern.crit", true},
	{"*.orange.*", "quick.orange.rabbit", true},
	{"*.*.rabbit", "lazy.orange.elephant", false},
	{"lazy.#", "lazy.orange.male.rabbit", true},
	{"Logs.#", "logs.a", false}, // case-sensitive
}

func topicMatches(tp *Topic[int], key string) []int {
	return sorted(collect(func(fn func(int)) { tp.Match(key, fn) }))
}

func TestTopicMatchReference(t *testing.T) {
	for _, c := range topicCases {
		if got := TopicMatch(c.pattern, c.key); got != c.want {
			t.Errorf("TopicMatch(%q, %q) = %v, want %v", c.pattern, c.key, got, c.want)
		}
	}
}

func TestTopicSingleBinding(t *testing.T) {
	for _, c := range topicCases {
		tp := NewTopic[int]()
		tp.Add(c.pattern, 1)
		got := len(topicMatches(tp, c.key)) == 1
		if got != c.want {
			t.Errorf("pattern %q, key %q: matched %v, want %v", c.pattern, c.key, got, c.want)
		}
	}
}

// TestTopicAllPatterns binds every pattern of the table at once, each to its
// own destination, and checks every key against all of them.
func TestTopicAllPatterns(t *testing.T) {
	tp := NewTopic[int]()
	var patterns, keys []string
	for _, c := range topicCases {
		if !slices.Contains(patterns, c.pattern) {
			patterns = append(patterns, c.pattern)
			tp.Add(c.pattern, len(patterns)-1)
		}
		keys = append(keys, c.key)
	}
	for _, key := range keys {
		var want []int
		for i, p := range patterns {
			if TopicMatch(p, key) {
				want = append(want, i)
			}
		}
		if got := topicMatches(tp, key); !slices.Equal(got, want) {
			t.Errorf("key %q: got %v, want %v", key, got, want)
		}
	}
}

func TestTopicAddRemove(t *testing.T) {
	tp := NewTopic[int]()
	if !tp.Add("a.*", 1) || tp.Add("a.*", 1) || !tp.Add("a.*", 2) || !tp.Add("#", 1) {
		t.Fatal("Add results wrong")
	}
	if tp.Len() != 3 {
		t.Fatalf("Len = %d", tp.Len())
	}
	// 1 is bound by two matching patterns, so it is reported twice.
	if got := topicMatches(tp, "a.b"); !slices.Equal(got, []int{1, 1, 2}) {
		t.Fatalf("Match(a.b) = %v, want [1 1 2]", got)
	}
	if tp.Remove("a.#", 1) || tp.Remove("a.*", 3) || tp.Remove("", 1) {
		t.Fatal("Remove of absent binding succeeded")
	}
	if !tp.Remove("a.*", 1) {
		t.Fatal("Remove(a.*, 1) failed")
	}
	if got := topicMatches(tp, "a.b"); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("after remove: %v, want [1 2] (1 still via #)", got)
	}
	if !tp.Remove("#", 1) || !tp.Remove("a.*", 2) {
		t.Fatal("Remove failed")
	}
	if got := topicMatches(tp, "a.b"); got != nil {
		t.Fatalf("empty trie matched %v", got)
	}
	checkPruned(t, tp)
}

// checkPruned asserts that a trie with no bindings is back to a bare root.
func checkPruned(t *testing.T, tp *Topic[int]) {
	t.Helper()
	r := tp.root
	if tp.Len() != 0 || len(r.children) != 0 || r.star != nil || r.hash != nil || len(r.dests) != 0 {
		t.Fatalf("trie not empty: len %d, root %+v", tp.Len(), r)
	}
	if live := int(tp.nextID) - len(tp.freeIDs); live != 1 {
		t.Fatalf("%d live node ids, want 1", live)
	}
}

func TestTopicZeroValue(t *testing.T) {
	var tp Topic[int]
	tp.Match("a", func(int) { t.Fatal("matched on empty matcher") })
	if tp.Remove("a", 1) {
		t.Fatal("Remove on empty matcher")
	}
	tp.Add("a", 1)
	if got := topicMatches(&tp, "a"); !slices.Equal(got, []int{1}) {
		t.Fatalf("Match = %v", got)
	}
}

// Patterns that make a backtracking matcher try every way of splitting the
// key among its "#"s must still be quick.
func TestTopicAdversarial(t *testing.T) {
	tp := NewTopic[int]()
	tp.Add(strings.Repeat("#.", 20)+"x", 1)
	tp.Add(strings.Repeat("#.a.", 10)+"b", 2)
	tp.Add(strings.Repeat("*.#.", 10)+"c", 3)
	key := strings.TrimSuffix(strings.Repeat("a.", 200), ".")
	if got := topicMatches(tp, key); got != nil {
		t.Fatalf("matched %v", got)
	}
	if got := topicMatches(tp, key+".b"); !slices.Equal(got, []int{2}) {
		t.Fatalf("matched %v, want [2]", got)
	}
	if got := topicMatches(tp, key+".c"); !slices.Equal(got, []int{3}) {
		t.Fatalf("matched %v, want [3]", got)
	}
}

// The callback may route onward through the same exchange (an
// exchange-to-exchange cycle); the nested Match needs its own scratch.
func TestTopicReentrant(t *testing.T) {
	tp := NewTopic[int]()
	tp.Add("a.*", 1)
	tp.Add("#.b", 2)
	tp.Add("x", 3)
	var got []int
	tp.Match("a.b", func(d int) {
		got = append(got, d)
		tp.Match("x", func(d int) { got = append(got, d) })
	})
	if want := []int{1, 2, 3, 3}; !slices.Equal(sorted(got), want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// Readers run concurrently under a read lock while a writer changes the
// bindings under the write lock; with -race this checks Match writes
// nothing shared.
func TestTopicConcurrentReaders(t *testing.T) {
	tp := NewTopic[int]()
	var mu sync.RWMutex
	for i := range 50 {
		tp.Add("a.*.#", i)
		tp.Add("#.b", i+100)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				mu.RLock()
				n := 0
				tp.Match("a.x.b", func(int) { n++ })
				mu.RUnlock()
				if n < 100 {
					t.Errorf("reader %d: %d matches, want at least 100", g, n)
					return
				}
			}
		}()
	}
	for i := range 200 {
		mu.Lock()
		tp.Add("c.d."+strings.Repeat("e.", i%7), i)
		tp.Remove("c.d."+strings.Repeat("e.", (i+3)%7), i-3)
		mu.Unlock()
	}
	wg.Wait()
}
