package mgmt

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/warrenmq/warren/internal/broker"
)

// BenchmarkListQueues50k lists 50,000 queues a page of 500 at a time: one
// op is one page request, rendered and encoded as over HTTP. It must stay
// interactive (well under 100 ms per page) with sorting and filtering.
func BenchmarkListQueues50k(b *testing.B) {
	f := newFixture(b)
	v := f.b.VHost("/")
	const n = 50000
	for i := 0; i < n; i++ {
		if _, _, err := v.DeclareQueue(broker.QueueSpec{Name: fmt.Sprintf("queue-%05d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	f.api.stats.sample()
	f.api.stats.sample()
	cases := []struct {
		name, query string
		pages       int // pages the query has: the benchmark cycles through them
	}{
		{"page", "page_size=500", n / 500},
		{"filter", "page_size=500&name=queue-1", 10000 / 500},                       // queue-1xxxx
		{"regex", "page_size=500&name=%5Equeue-4.*7%24&use_regex=true", 1000 / 500}, // queue-4xxx7
		{"sort-messages", "page_size=500&sort=messages&sort_reverse=true", n / 500},
		{"sort-rate", "page_size=500&sort=message_stats.publish_details.rate", n / 500},
		{"columns", "page_size=500&columns=name,messages", n / 500},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			pages := c.pages
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				path := fmt.Sprintf("/api/queues/%%2F?page=%d&%s", 1+i%pages, c.query)
				req := httptest.NewRequest("GET", path, nil)
				req.RemoteAddr = "127.0.0.1:1"
				req.SetBasicAuth("guest", "guest")
				rec := httptest.NewRecorder()
				f.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}
