package e2e

import (
	"fmt"
	"net/http"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// paged fetches a paging object.
func paged(t *testing.T, m *mgmtBroker, path string) (p struct {
	FilteredCount int              `json:"filtered_count"`
	ItemCount     int              `json:"item_count"`
	Items         []map[string]any `json:"items"`
	Page          int              `json:"page"`
	PageCount     int              `json:"page_count"`
	PageSize      int              `json:"page_size"`
	TotalCount    int              `json:"total_count"`
}) {
	t.Helper()
	m.get(t, path, &p)
	return p
}

func TestMgmtPagingSortingFiltering(t *testing.T) {
	m := startWithMgmt(t)
	c := m.dial(t)
	ch, err := c.Channel()
	must(t, err)
	const n = 200
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("pg-%03d", i)
		_, err := ch.QueueDeclare(name, false, false, false, false, nil)
		must(t, err)
		for j := 0; j < i%5; j++ {
			must(t, ch.Publish("", name, false, false, amqp.Publishing{Body: []byte("x")}))
		}
	}
	eventually(t, "all published", func() bool {
		return num(t, m.obj(t, "/api/overview"), "queue_totals.messages") == 400
	})

	p := paged(t, m, "/api/queues/%2F?page=1&page_size=50")
	if p.TotalCount != n || p.FilteredCount != n || p.ItemCount != 50 || p.PageCount != 4 || p.Page != 1 || p.PageSize != 50 ||
		p.Items[0]["name"] != "pg-000" || p.Items[49]["name"] != "pg-049" {
		t.Fatalf("page 1: %+v", p)
	}
	if p = paged(t, m, "/api/queues/%2F?page=4&page_size=50"); p.Items[0]["name"] != "pg-150" || p.Items[49]["name"] != "pg-199" {
		t.Errorf("page 4: %v .. %v", p.Items[0]["name"], p.Items[49]["name"])
	}
	if p = paged(t, m, "/api/queues?page=2"); p.PageSize != 100 || p.ItemCount != 100 || p.Items[0]["name"] != "pg-100" {
		t.Errorf("default page size: %d items, first %v", p.ItemCount, p.Items[0]["name"])
	}
	if p = paged(t, m, "/api/queues/%2F?page=5&page_size=50"); p.ItemCount != 0 || len(p.Items) != 0 {
		t.Errorf("page just past the end: %+v", p)
	}
	for _, bad := range []string{"page=6&page_size=50", "page=1&page_size=501", "page=0", "page=x"} {
		m.guest(t, "GET", "/api/queues/%2F?"+bad, nil, http.StatusBadRequest)
	}

	// name: a case-insensitive substring, or a regular expression.
	if p = paged(t, m, "/api/queues/%2F?page=1&page_size=500&name=PG-1"); p.FilteredCount != 100 || p.TotalCount != n {
		t.Errorf("substring filter: filtered %d of %d", p.FilteredCount, p.TotalCount)
	}
	p = paged(t, m, "/api/queues/%2F?page=1&name=%5Epg-0%5B0-4%5D5%24&use_regex=true")
	if p.FilteredCount != 5 || p.Items[4]["name"] != "pg-045" {
		t.Errorf("regex filter: %+v", p)
	}
	// Without page RabbitMQ ignores name (and so does Warren).
	if l := m.list(t, "/api/queues/%2F?name=pg-1"); len(l) != n {
		t.Errorf("unpaged name filter: %d", len(l))
	}

	// sort by a field, reversed; ties keep name order reversed.
	p = paged(t, m, "/api/queues/%2F?page=1&page_size=40&sort=messages&sort_reverse=true")
	for i, q := range p.Items {
		if num(t, q, "messages") != 4 {
			t.Fatalf("item %d has %v messages", i, q["messages"])
		}
		if i > 0 && q["name"].(string) > p.Items[i-1]["name"].(string) {
			t.Fatalf("ties not in reverse name order at %d", i)
		}
	}
	if p.Items[0]["name"] != "pg-199" {
		t.Errorf("first = %v", p.Items[0]["name"])
	}
	p = paged(t, m, "/api/queues/%2F?page=1&page_size=500&sort=message_stats.publish")
	for i := 1; i < len(p.Items); i++ {
		if num(t, p.Items[i], "message_stats.publish") < num(t, p.Items[i-1], "message_stats.publish") {
			t.Fatalf("not sorted by message_stats.publish at %d", i)
		}
	}
	if l := m.list(t, "/api/queues?sort=name&sort_reverse=true"); l[0]["name"] != "pg-199" || l[n-1]["name"] != "pg-000" {
		t.Errorf("unpaged reverse sort: %v .. %v", l[0]["name"], l[n-1]["name"])
	}

	// columns keeps dotted paths only.
	p = paged(t, m, "/api/queues/%2F?page=1&page_size=3&columns=name,message_stats.publish")
	if len(p.Items[0]) != 2 || len(p.Items[0]["message_stats"].(map[string]any)) != 1 {
		t.Errorf("columns: %v", p.Items[0])
	}
}
