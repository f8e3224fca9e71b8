package route

import (
	"strings"
	"sync"
)

// Topic matches routing keys against topic patterns held in a trie of
// words: literal words, "*" and "#" each have their own edge out of a node,
// and the destinations bound with a pattern sit on the node its words lead
// to. Every node therefore stands for exactly one pattern.
//
// Match runs the trie as a nondeterministic automaton over the key's words,
// keeping the set of nodes that the words so far can have reached, with no
// duplicates. A "#" node both stays in the set on every word (it swallows
// words) and is entered without consuming one (it may match none), which
// handles any number of "#" in a pattern without backtracking: the cost is
// O(W·S + M), where W is the number of words in the key, S the largest set
// of nodes live at once (at most the number of nodes, and in practice a
// handful) and M the number of matching bindings. A recursive matcher, by
// contrast, explores every way of dividing the key among a pattern's "#"s,
// which grows as W^k for k "#"s. Add and Remove cost O(words in the pattern).
//
// Because each node is in the final set once, fn is called exactly once per
// matching binding. A destination bound with several patterns that all
// match is therefore reported once per pattern; Topic leaves that to the
// caller, which must deduplicate across exchange-to-exchange bindings
// anyway, rather than pay for a second set on every multi-pattern match.
type Topic[D comparable] struct {
	root     *topicNode[D]
	bindings map[keyed[D]]int // position of dest in its node's dests
	nextID   int32            // node ids are dense in [0, nextID)
	freeIDs  []int32          // ids of pruned nodes, for reuse
	scratch  sync.Pool        // *topicScratch[D]
}

type topicNode[D comparable] struct {
	// id indexes the per-match visited marks (topicScratch.mark), which
	// lets Match keep its node sets duplicate-free without writing to the
	// shared trie.
	id       int32
	hashEdge bool   // reached over a "#" edge, so it loops on any word
	word     string // label of the edge from parent, for pruning
	parent   *topicNode[D]
	children map[string]*topicNode[D] // literal words; never "*" or "#"
	star     *topicNode[D]
	hash     *topicNode[D]
	dests    []D
}

// NewTopic returns an empty topic matcher.
func NewTopic[D comparable]() *Topic[D] {
	t := &Topic[D]{}
	t.init()
	return t
}

func (t *Topic[D]) init() {
	if t.root == nil {
		t.root = &topicNode[D]{id: t.newID()}
		t.bindings = make(map[keyed[D]]int)
	}
}

func (t *Topic[D]) newID() int32 {
	if n := len(t.freeIDs); n > 0 {
		id := t.freeIDs[n-1]
		t.freeIDs = t.freeIDs[:n-1]
		return id
	}
	t.nextID++
	return t.nextID - 1
}

// forEachWord calls fn for each word of a topic key or pattern. The empty
// string has no words, as in RabbitMQ.
func forEachWord(s string, fn func(string)) {
	if s == "" {
		return
	}
	for {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			fn(s)
			return
		}
		fn(s[:i])
		s = s[i+1:]
	}
}

// edge returns n's child over the pattern word w, or nil.
func (n *topicNode[D]) edge(w string) *topicNode[D] {
	switch w {
	case "*":
		return n.star
	case "#":
		return n.hash
	}
	return n.children[w]
}

func (t *Topic[D]) addEdge(n *topicNode[D], w string) *topicNode[D] {
	if c := n.edge(w); c != nil {
		return c
	}
	// Clone so the trie does not pin the caller's (possibly larger) string.
	c := &topicNode[D]{id: t.newID(), word: strings.Clone(w), parent: n}
	switch w {
	case "*":
		n.star = c
	case "#":
		c.hashEdge = true
		n.hash = c
	default:
		if n.children == nil {
			n.children = make(map[string]*topicNode[D])
		}
		n.children[c.word] = c
	}
	return c
}

// find returns the node for pattern, or nil if it is not in the trie.
func (t *Topic[D]) find(pattern string) *topicNode[D] {
	n := t.root
	forEachWord(pattern, func(w string) {
		if n != nil {
			n = n.edge(w)
		}
	})
	return n
}

// Add binds dest with the topic pattern. It reports false if that binding
// already existed.
func (t *Topic[D]) Add(pattern string, dest D) bool {
	b := keyed[D]{pattern, dest}
	if _, ok := t.bindings[b]; ok {
		return false
	}
	t.init()
	n := t.root
	forEachWord(pattern, func(w string) { n = t.addEdge(n, w) })
	t.bindings[b] = len(n.dests)
	n.dests = append(n.dests, dest)
	return true
}

// Remove unbinds dest from the pattern. It reports false if there was no
// such binding. Nodes left with no bindings and no children are pruned, so
// the trie's size tracks the live patterns, not every pattern ever bound.
func (t *Topic[D]) Remove(pattern string, dest D) bool {
	b := keyed[D]{pattern, dest}
	i, ok := t.bindings[b]
	if !ok {
		return false
	}
	delete(t.bindings, b)
	n := t.find(pattern)
	last := len(n.dests) - 1
	if i != last {
		// Every destination on n was bound with this same pattern.
		n.dests[i] = n.dests[last]
		t.bindings[keyed[D]{pattern, n.dests[i]}] = i
	}
	var zero D
	n.dests[last] = zero
	n.dests = n.dests[:last]
	t.prune(n)
	return true
}

func (t *Topic[D]) prune(n *topicNode[D]) {
	for n != t.root && len(n.dests) == 0 && len(n.children) == 0 && n.star == nil && n.hash == nil {
		p := n.parent
		switch {
		case p.star == n:
			p.star = nil
		case p.hash == n:
			p.hash = nil
		default:
			delete(p.children, n.word)
			if len(p.children) == 0 {
				p.children = nil
			}
		}
		n.parent = nil
		t.freeIDs = append(t.freeIDs, n.id)
		n = p
	}
}

// Len returns the number of bindings.
func (t *Topic[D]) Len() int { return len(t.bindings) }

// topicScratch is one Match call's working memory. It lives in a sync.Pool
// so Match allocates nothing in the steady state and stays safe to run
// concurrently: nothing in the trie itself is written during a match.
type topicScratch[D comparable] struct {
	cur, next []*topicNode[D]
	// mark[id] == gen means that node is already in the set being built.
	// Bumping gen empties the set in O(1).
	mark []uint32
	gen  uint32
}

func (t *Topic[D]) getScratch() *topicScratch[D] {
	sc, _ := t.scratch.Get().(*topicScratch[D])
	if sc == nil {
		sc = new(topicScratch[D])
	}
	if n := int(t.nextID); len(sc.mark) < n {
		// Old marks are all below the next gen, so copying them is safe.
		m := make([]uint32, n+n/4)
		copy(m, sc.mark)
		sc.mark = m
	}
	return sc
}

// newSet starts a new, empty node set.
func (sc *topicScratch[D]) newSet() {
	sc.gen++
	if sc.gen == 0 { // wrapped: old marks could now collide
		clear(sc.mark)
		sc.gen = 1
	}
}

// add puts n into the set along with every node reachable from it over "#"
// edges, since "#" may match zero words. If a node is already present, so
// is the rest of its chain, which is why the walk can stop there.
func (sc *topicScratch[D]) add(set []*topicNode[D], n *topicNode[D]) []*topicNode[D] {
	for ; n != nil && sc.mark[n.id] != sc.gen; n = n.hash {
		sc.mark[n.id] = sc.gen
		set = append(set, n)
	}
	return set
}

// Match calls fn once for each binding whose pattern key matches, so a
// destination bound with several matching patterns is reported once per
// pattern.
func (t *Topic[D]) Match(key string, fn func(D)) {
	if len(t.bindings) == 0 {
		return
	}
	sc := t.getScratch()
	sc.newSet()
	cur := sc.add(sc.cur[:0], t.root)
	next := sc.next[:0]
	rest, more := key, key != ""
	for more && len(cur) > 0 {
		var word string
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			word, rest = rest[:i], rest[i+1:]
		} else {
			word, more = rest, false
		}
		sc.newSet()
		next = next[:0]
		for _, n := range cur {
			if n.hashEdge {
				next = sc.add(next, n)
			}
			if c := n.children[word]; c != nil {
				next = sc.add(next, c)
			}
			if n.star != nil {
				next = sc.add(next, n.star)
			}
		}
		cur, next = next, cur
	}
	for _, n := range cur {
		for _, d := range n.dests {
			fn(d)
		}
	}
	// The buffers may hold stale node pointers until reused; the pool drops
	// idle entries within two GC cycles, which bounds how long that lasts.
	sc.cur, sc.next = cur[:0], next[:0]
	t.scratch.Put(sc)
}

// TopicMatch reports whether key matches the topic pattern. It is the
// specification Topic is tested against: a plain recursion over the split
// words, exponential in the number of "#"s, so not for the hot path.
func TopicMatch(pattern, key string) bool {
	return matchWords(splitWords(pattern), splitWords(key))
}

func splitWords(s string) []string {
	if s == "" {
		return nil // zero words, not one empty word
	}
	return strings.Split(s, ".")
}

func matchWords(p, k []string) bool {
	if len(p) == 0 {
		return len(k) == 0
	}
	switch p[0] {
	case "#":
		for i := 0; i <= len(k); i++ {
			if matchWords(p[1:], k[i:]) {
				return true
			}
		}
		return false
	case "*":
		return len(k) > 0 && matchWords(p[1:], k[1:])
	default:
		return len(k) > 0 && k[0] == p[0] && matchWords(p[1:], k[1:])
	}
}
