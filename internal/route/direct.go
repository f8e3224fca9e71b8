package route

// keyed is a binding's identity for the key-based matchers.
type keyed[D comparable] struct {
	key  string
	dest D
}

// Direct matches a routing key exactly against binding keys.
//
// Destinations are kept per key in a slice, so Match is one map lookup and a
// range over a slice; a map from binding to slice index makes Remove O(1)
// instead of a scan of every destination bound with that key.
type Direct[D comparable] struct {
	byKey map[string][]D
	index map[keyed[D]]int // position of dest in byKey[key]
}

// NewDirect returns an empty direct matcher.
func NewDirect[D comparable]() *Direct[D] {
	return &Direct[D]{byKey: make(map[string][]D), index: make(map[keyed[D]]int)}
}

// Add binds dest with key. It reports false if that binding already existed.
func (d *Direct[D]) Add(key string, dest D) bool {
	b := keyed[D]{key, dest}
	if _, ok := d.index[b]; ok {
		return false
	}
	if d.index == nil {
		d.byKey = make(map[string][]D)
		d.index = make(map[keyed[D]]int)
	}
	d.index[b] = len(d.byKey[key])
	d.byKey[key] = append(d.byKey[key], dest)
	return true
}

// Remove unbinds dest from key. It reports false if there was no such
// binding.
func (d *Direct[D]) Remove(key string, dest D) bool {
	b := keyed[D]{key, dest}
	i, ok := d.index[b]
	if !ok {
		return false
	}
	delete(d.index, b)
	ds := d.byKey[key]
	last := len(ds) - 1
	if i != last {
		ds[i] = ds[last]
		d.index[keyed[D]{key, ds[i]}] = i
	}
	var zero D
	ds[last] = zero // do not keep a removed destination reachable
	if last == 0 {
		delete(d.byKey, key)
	} else {
		d.byKey[key] = ds[:last]
	}
	return true
}

// Match calls fn once for each destination bound with exactly key.
func (d *Direct[D]) Match(key string, fn func(D)) {
	for _, dest := range d.byKey[key] {
		fn(dest)
	}
}

// Len returns the number of bindings.
func (d *Direct[D]) Len() int { return len(d.index) }

// Fanout matches every message to every bound destination.
//
// The binding key is ignored for matching but is still part of a binding's
// identity, as in RabbitMQ, so one destination may be bound several times
// under different keys. Match nevertheless visits each destination once: the
// destinations are kept in a slice of their own, with a count of the keys
// that bind each, so a message costs one pass over distinct destinations.
type Fanout[D comparable] struct {
	bindings map[keyed[D]]struct{}
	dests    []D
	refs     map[D]fanoutRef
}

type fanoutRef struct {
	index int // position in dests
	keys  int // number of bindings (distinct keys) to this destination
}

// NewFanout returns an empty fanout matcher.
func NewFanout[D comparable]() *Fanout[D] {
	return &Fanout[D]{bindings: make(map[keyed[D]]struct{}), refs: make(map[D]fanoutRef)}
}

// Add binds dest with key. It reports false if that binding already existed.
func (f *Fanout[D]) Add(key string, dest D) bool {
	b := keyed[D]{key, dest}
	if _, ok := f.bindings[b]; ok {
		return false
	}
	if f.bindings == nil {
		f.bindings = make(map[keyed[D]]struct{})
		f.refs = make(map[D]fanoutRef)
	}
	f.bindings[b] = struct{}{}
	r, ok := f.refs[dest]
	if !ok {
		r.index = len(f.dests)
		f.dests = append(f.dests, dest)
	}
	r.keys++
	f.refs[dest] = r
	return true
}

// Remove unbinds dest from key. It reports false if there was no such
// binding. The destination stops receiving messages when its last key goes.
func (f *Fanout[D]) Remove(key string, dest D) bool {
	b := keyed[D]{key, dest}
	if _, ok := f.bindings[b]; !ok {
		return false
	}
	delete(f.bindings, b)
	r := f.refs[dest]
	if r.keys--; r.keys > 0 {
		f.refs[dest] = r
		return true
	}
	delete(f.refs, dest)
	last := len(f.dests) - 1
	if r.index != last {
		moved := f.dests[last]
		f.dests[r.index] = moved
		mr := f.refs[moved]
		mr.index = r.index
		f.refs[moved] = mr
	}
	var zero D
	f.dests[last] = zero
	f.dests = f.dests[:last]
	return true
}

// Match calls fn once for every bound destination, whatever the key.
func (f *Fanout[D]) Match(_ string, fn func(D)) {
	for _, dest := range f.dests {
		fn(dest)
	}
}

// Len returns the number of bindings (not of distinct destinations).
func (f *Fanout[D]) Len() int { return len(f.bindings) }
