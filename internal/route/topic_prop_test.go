package route

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomWords joins n words drawn from alphabet.
func randomWords(r *rand.Rand, alphabet []string, maxWords int) string {
	n := r.IntN(maxWords + 1)
	w := make([]string, n)
	for i := range w {
		w[i] = alphabet[r.IntN(len(alphabet))]
	}
	return strings.Join(w, ".")
}

// TestTopicProperty checks the trie against TopicMatch over thousands of
// random bindings: after adding them all, after removing half, and after
// removing the rest (when the trie must be pruned back to its root).
func TestTopicProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// A small alphabet so that patterns, keys and their wildcards overlap
	// a lot; "" exercises empty words, and "*" and "#" in keys are literal.
	patternWords := []string{"", "a", "b", "*", "#", "a#"}
	keyWords := []string{"", "a", "b", "c", "a#", "*", "#"}
	nBindings, nKeys := 4000, 1000
	if testing.Short() {
		nBindings, nKeys = 1000, 300
	}

	type bindingT struct {
		pattern string
		dest    int
	}
	tp := NewTopic[int]()
	var live []bindingT
	for len(live) < nBindings {
		b := bindingT{randomWords(r, patternWords, 6), r.IntN(300)}
		if tp.Add(b.pattern, b.dest) {
			live = append(live, b)
		} else if !slices.Contains(live, b) {
			t.Fatalf("Add(%q, %d) = false for a new binding", b.pattern, b.dest)
		}
	}
	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = randomWords(r, keyWords, 8)
	}

	check := func(stage string) {
		t.Helper()
		if tp.Len() != len(live) {
			t.Fatalf("%s: Len = %d, want %d", stage, tp.Len(), len(live))
		}
		byPattern := map[string][]int{}
		for _, b := range live {
			byPattern[b.pattern] = append(byPattern[b.pattern], b.dest)
		}
		pairs, matched := 0, 0
		for _, key := range keys {
			var want []int // one entry per matching binding
			for p, dests := range byPattern {
				pairs++
				if TopicMatch(p, key) {
					matched++
					want = append(want, dests...)
				}
			}
			slices.Sort(want)
			// Equal as multisets: each matching binding is reported
			// exactly once, however many ways "#"s can split the key.
			if got := topicMatches(tp, key); !slices.Equal(got, want) {
				t.Fatalf("%s: key %q: got %v, want %v", stage, key, got, want)
			}
		}
		// Guard against a generator that makes the comparison vacuous.
		if pairs > 0 && (matched*100 < pairs || matched*2 > pairs) {
			t.Fatalf("%s: %d of %d (pattern, key) pairs match; the test is not discriminating", stage, matched, pairs)
		}
		t.Logf("%s: %d bindings, %d of %d (pattern, key) pairs match", stage, len(live), matched, pairs)
	}
	check("all bindings")

	r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
	half := len(live) / 2
	removed := slices.Clone(live[half:])
	for _, b := range removed {
		if !tp.Remove(b.pattern, b.dest) {
			t.Fatalf("Remove(%q, %d) = false", b.pattern, b.dest)
		}
		if tp.Remove(b.pattern, b.dest) {
			t.Fatalf("second Remove(%q, %d) = true", b.pattern, b.dest)
		}
	}
	live = live[:half]
	check("half removed")

	// Adding back some removed bindings reuses pruned nodes' ids; adding
	// a live one again must be refused.
	for _, b := range removed[:len(removed)/4] {
		if !tp.Add(b.pattern, b.dest) {
			t.Fatalf("re-Add(%q, %d) = false", b.pattern, b.dest)
		}
		live = append(live, b)
	}
	for _, b := range live[:10] {
		if tp.Add(b.pattern, b.dest) {
			t.Fatalf("Add(%q, %d) of a live binding = true", b.pattern, b.dest)
		}
	}
	check("some re-added")

	for _, b := range live {
		tp.Remove(b.pattern, b.dest)
	}
	live = nil
	check("all removed")
	checkPruned(t, tp)
}
