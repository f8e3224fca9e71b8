package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// Publisher confirms arrive in tag order, as RabbitMQ sends them: with
// x-overflow reject-publish the acks for the 50 accepted messages come
// before the nacks for the 10 refused ones. (amqplib's confirm channel
// miscounts when a nack overtakes an ack for lower tags.) The client here
// reports every basic.ack/basic.nack as it arrives, unlike amqp091-go,
// which reorders them.
func TestModelConfirmOrderWithRejectPublish(t *testing.T) {
	b := mStart(t)
	c, err := amqpc.Dial(b.url, amqpc.Config{})
	must(t, err)
	defer c.Close(2 * time.Second)
	ch, err := c.Channel()
	must(t, err)
	type confirm struct {
		tag           uint64
		multiple, ack bool
	}
	var mu sync.Mutex
	var got []confirm
	ch.SetHandlers(amqpc.Handlers{Confirm: func(tag uint64, multiple, ack bool) {
		mu.Lock()
		got = append(got, confirm{tag, multiple, ack})
		mu.Unlock()
	}})
	must(t, ch.Confirm())
	q, err := ch.QueueDeclare("", false, true, true, wire.Table{"x-max-length": int32(50), "x-overflow": "reject-publish"})
	must(t, err)
	p := wire.Properties{DeliveryMode: 2}
	p.Set(wire.FlagDeliveryMode)
	for range 60 {
		_, err := ch.Publish("", q, false, p.Append(nil), []byte("m"))
		must(t, err)
	}
	must(t, ch.Flush())
	deadline := time.Now().Add(5 * time.Second)
	settled := func() (acked, nacked int, order error) {
		mu.Lock()
		defer mu.Unlock()
		var last uint64
		for _, cf := range got {
			if cf.tag <= last {
				return 0, 0, fmt.Errorf("confirm for tag %d after one for %d: %v", cf.tag, last, got)
			}
			n := 1
			if cf.multiple {
				n = int(cf.tag - last)
			}
			if cf.ack {
				acked += n
			} else {
				nacked += n
			}
			last = cf.tag
		}
		return acked, nacked, nil
	}
	for {
		acked, nacked, err := settled()
		if err != nil {
			t.Fatal(err)
		}
		if acked+nacked == 60 {
			if acked != 50 || nacked != 10 {
				t.Fatalf("%d acked, %d nacked, want 50 and 10", acked, nacked)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 60 confirmed: %v", acked+nacked, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
