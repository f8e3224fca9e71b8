package e2e

import (
	"context"
	"fmt"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// BenchmarkPublishDeliver measures publish → route → enqueue → deliver
// through an in-process broker over loopback TCP with amqp091-go on both
// ends: one publisher, one auto-ack consumer, one queue.
func BenchmarkPublishDeliver(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			benchPublishDeliver(b, size, false)
		})
	}
	b.Run("body=1024/confirms", func(b *testing.B) { benchPublishDeliver(b, 1024, true) })
}

func benchPublishDeliver(b *testing.B, size int, confirm bool) {
	br := start(b)
	_, pub := br.channel(b)
	_, sub := br.channel(b)
	q, err := pub.QueueDeclare("", false, true, false, false, nil)
	must(b, err)
	ds, err := sub.Consume(q.Name, "", true, false, false, false, nil)
	must(b, err)
	var confirms chan amqp.Confirmation
	if confirm {
		must(b, pub.Confirm(false))
		confirms = pub.NotifyPublish(make(chan amqp.Confirmation, 4096))
	}
	body := make([]byte, size)
	done := make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			<-ds
		}
		close(done)
	}()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if err := pub.PublishWithContext(ctx, "", q.Name, false, false, amqp.Publishing{Body: body}); err != nil {
			b.Fatal(err)
		}
		if confirm && i%1000 == 999 {
			for j := 0; j < 1000; j++ {
				<-confirms
			}
		}
	}
	<-done
}
