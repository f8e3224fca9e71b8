package mgmt

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// RabbitMQ's paging limits.
const (
	defaultPageSize = 100
	maxPageSize     = 500
)

// listQuery is a list request's paging, filtering, sorting and column
// parameters, with RabbitMQ's meanings.
type listQuery struct {
	paged          bool
	page, pageSize int
	name           string // filter, applied only when paged (as RabbitMQ)
	nameRe         *regexp.Regexp
	sorts          []string // explicit sort first, then vhost, name
	reverse        bool
	columns        [][]string // nil: all
}

func parseListQuery(w http.ResponseWriter, r *http.Request) (*listQuery, bool) {
	qs := r.URL.Query()
	q := &listQuery{reverse: qs.Get("sort_reverse") == "true"}
	if s := qs.Get("sort"); s != "" {
		q.sorts = append(q.sorts, s)
	}
	for _, d := range []string{"vhost", "name"} {
		if len(q.sorts) == 0 || q.sorts[0] != d {
			q.sorts = append(q.sorts, d)
		}
	}
	q.columns = parseColumns(qs.Get("columns"))
	if !qs.Has("page") {
		return q, true
	}
	page, err1 := strconv.Atoi(qs.Get("page"))
	size, err2 := defaultPageSize, error(nil)
	if qs.Has("page_size") {
		size, err2 = strconv.Atoi(qs.Get("page_size"))
	}
	if err1 != nil || err2 != nil {
		badRequest(w, "Pagination parameters are invalid")
		return nil, false
	}
	if page < 1 || size < 1 || size > maxPageSize {
		writeError(w, http.StatusBadRequest, "invalid_pagination_parameters",
			fmt.Sprintf("Invalid pagination parameters: page number %d, page size %d", page, size))
		return nil, false
	}
	q.paged, q.page, q.pageSize = true, page, size
	q.name = qs.Get("name")
	if q.name != "" && qs.Get("use_regex") == "true" {
		re, err := regexp.Compile("(?i)" + q.name)
		if err != nil {
			badRequest(w, fmt.Sprintf("invalid regular expression: %v", err))
			return nil, false
		}
		q.nameRe = re
	}
	return q, true
}

func parseColumns(s string) [][]string {
	if s == "" {
		return nil
	}
	var cols [][]string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cols = append(cols, strings.Split(c, "."))
		}
	}
	return cols
}

// matchName applies the name filter: a case-insensitive regular
// expression with use_regex=true, else a case-insensitive substring.
func (q *listQuery) matchName(name, lowerFilter string) bool {
	if q.nameRe != nil {
		return q.nameRe.MatchString(name)
	}
	return strings.Contains(strings.ToLower(name), lowerFilter)
}

// lister describes how to list one kind of object.
type lister[T any] struct {
	name func(T) string
	// key returns a sort key for a top-level or dotted field without
	// rendering the object; ok=false falls back to rendering it.
	key    func(T, string) (skey, bool)
	render func(T) map[string]any
}

// skey is a sort key ordered as Erlang orders terms, which is what
// RabbitMQ's sort compares: numbers (a missing field counts as 0) before
// atoms (booleans) before strings; other values tie.
type skey struct {
	rank int8
	n    float64
	s    string
}

func toSkey(v any) skey {
	switch v := v.(type) {
	case nil:
		return skey{}
	case int:
		return skey{n: float64(v)}
	case int64:
		return skey{n: float64(v)}
	case uint64:
		return skey{n: float64(v)}
	case uint32:
		return skey{n: float64(v)}
	case int32:
		return skey{n: float64(v)}
	case uint16:
		return skey{n: float64(v)}
	case float64:
		return skey{n: v}
	case json.Number:
		f, _ := v.Float64()
		return skey{n: f}
	case bool:
		if v {
			return skey{rank: 1, s: "true"}
		}
		return skey{rank: 1, s: "false"}
	case string:
		return skey{rank: 2, s: v}
	}
	return skey{rank: 3}
}

func (a skey) cmp(b skey) int {
	if a.rank != b.rank {
		return int(a.rank) - int(b.rank)
	}
	switch a.rank {
	case 0:
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	case 1, 2:
		return strings.Compare(a.s, b.s)
	}
	return 0
}

// dotted reads a dotted path from a rendered object; missing is nil.
func dotted(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// pagedResponse is RabbitMQ's paging object.
type pagedResponse struct {
	FilteredCount int              `json:"filtered_count"`
	ItemCount     int              `json:"item_count"`
	Items         []map[string]any `json:"items"`
	Page          int              `json:"page"`
	PageCount     int              `json:"page_count"`
	PageSize      int              `json:"page_size"`
	TotalCount    int              `json:"total_count"`
}

// serveList answers a list request: filter (when paged), sort, page,
// render only what is returned, keep the requested columns.
func serveList[T any](w http.ResponseWriter, r *http.Request, items []T, l lister[T]) {
	q, ok := parseListQuery(w, r)
	if !ok {
		return
	}
	total := len(items)
	if q.paged && q.name != "" {
		lower := strings.ToLower(q.name)
		kept := make([]T, 0, len(items))
		for _, it := range items {
			if q.matchName(l.name(it), lower) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if !q.paged {
		sortItems(items, q.sorts, q.reverse, l)
		out := make([]map[string]any, len(items))
		for i, it := range items {
			out[i] = pickColumns(l.render(it), q.columns)
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	off := (q.page - 1) * q.pageSize
	if off > len(items) {
		writeError(w, http.StatusBadRequest, "page_out_of_range",
			fmt.Sprintf("Page out of range, page: %d page size: %d, len: %d", q.page, q.pageSize, len(items)))
		return
	}
	end := min(off+q.pageSize, len(items))
	sortRange(items, q.sorts, q.reverse, l, off, end)
	resp := pagedResponse{FilteredCount: len(items), Page: q.page, PageSize: q.pageSize, TotalCount: total,
		PageCount: (len(items) + q.pageSize - 1) / q.pageSize, Items: make([]map[string]any, 0, end-off)}
	for _, it := range items[off:end] {
		resp.Items = append(resp.Items, pickColumns(l.render(it), q.columns))
	}
	resp.ItemCount = len(resp.Items)
	writeJSON(w, http.StatusOK, resp)
}

// sortItems sorts in place by the sort fields.
func sortItems[T any](items []T, sorts []string, reverse bool, l lister[T]) {
	sortRange(items, sorts, reverse, l, 0, len(items))
}

// sortRange orders items so that positions [from, to) hold, sorted, what a
// full sort would put there; the rest is left partitioned around them.
// Keys are extracted once per item into one flat slice, so comparisons
// neither allocate nor render. A page needs only two linear-time
// selections and a sort of the page itself, not a sort of everything.
func sortRange[T any](items []T, sorts []string, reverse bool, l lister[T], from, to int) {
	k := len(sorts)
	if k == 0 || len(items) < 2 || from >= to {
		return
	}
	kb := keyPool.Get().(*[]skey)
	defer keyPool.Put(kb)
	if cap(*kb) < len(items)*k {
		*kb = make([]skey, len(items)*k)
	}
	keys := (*kb)[:len(items)*k]
	defer clear(keys) // drop the string references before pooling
	for i, it := range items {
		var rendered map[string]any
		for j, s := range sorts {
			v, ok := l.key(it, s)
			if !ok {
				if rendered == nil {
					rendered = l.render(it)
				}
				v = toSkey(dotted(rendered, s))
			}
			keys[i*k+j] = v
		}
	}
	idx := make([]int32, len(items))
	for i := range idx {
		idx[i] = int32(i)
	}
	// A strict total order: the sort fields, then the original position
	// (reversed with sort_reverse, as RabbitMQ reverses the whole list).
	cmp := func(x, y int32) int {
		a, b := keys[int(x)*k:int(x)*k+k], keys[int(y)*k:int(y)*k+k]
		for j := range a {
			if c := a[j].cmp(b[j]); c != 0 {
				if reverse {
					return -c
				}
				return c
			}
		}
		if reverse {
			return int(y - x)
		}
		return int(x - y)
	}
	if from > 0 || to < len(idx) {
		if from > 0 {
			selectNth(idx, from, cmp)
		}
		if to < len(idx) {
			selectNth(idx[from:], to-from, cmp)
		}
		idx = idx[from:to]
	}
	slices.SortFunc(idx, cmp)
	sorted := make([]T, len(idx))
	for i, x := range idx {
		sorted[i] = items[x]
	}
	copy(items[from:to], sorted)
}

// selectNth partitions s so that s[:n] holds the n smallest elements
// (quickselect: expected linear time; the random pivot avoids quadratic
// behaviour on sorted input).
func selectNth(s []int32, n int, cmp func(a, b int32) int) {
	lo, hi := 0, len(s)
	for hi-lo > 16 {
		p := lo + rand.IntN(hi-lo)
		s[p], s[hi-1] = s[hi-1], s[p]
		pivot, store := s[hi-1], lo
		for i := lo; i < hi-1; i++ {
			if cmp(s[i], pivot) < 0 {
				s[i], s[store] = s[store], s[i]
				store++
			}
		}
		s[store], s[hi-1] = s[hi-1], s[store]
		switch {
		case store == n:
			return
		case store < n:
			lo = store + 1
		default:
			hi = store
		}
	}
	slices.SortFunc(s[lo:hi], cmp)
}

// pickColumns keeps the requested (dotted) columns, as RabbitMQ's
// columns parameter does, descending into nested objects and lists.
func pickColumns(m map[string]any, cols [][]string) map[string]any {
	if cols == nil {
		return m
	}
	out := make(map[string]any, len(cols))
	for k, v := range m {
		all, sub, want := descend(k, cols)
		if !want {
			continue
		}
		if all {
			out[k] = v
			continue
		}
		out[k] = pickValue(v, sub)
	}
	return out
}

func pickValue(v any, cols [][]string) any {
	switch v := v.(type) {
	case map[string]any:
		return pickColumns(v, cols)
	case []map[string]any:
		out := make([]map[string]any, len(v))
		for i, x := range v {
			out[i] = pickColumns(x, cols)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = pickValue(x, cols)
		}
		return out
	}
	return v
}

func descend(k string, cols [][]string) (all bool, sub [][]string, want bool) {
	for _, c := range cols {
		if c[0] != k {
			continue
		}
		want = true
		if len(c) == 1 {
			return true, nil, true
		}
		sub = append(sub, c[1:])
	}
	return false, sub, want
}

// reply writes one object, keeping the requested columns.
func reply(w http.ResponseWriter, r *http.Request, obj map[string]any) {
	writeJSON(w, http.StatusOK, pickColumns(obj, parseColumns(r.URL.Query().Get("columns"))))
}

// keyPool recycles sort-key buffers: listing 50,000 queues needs a few
// MiB of keys per request, and reusing them keeps the collector idle.
var keyPool = sync.Pool{New: func() any { return new([]skey) }}

// sk makes a sort key; its argument does not escape, so boxing the value
// costs no allocation.
func sk(v any) skey { return toSkey(v) }
