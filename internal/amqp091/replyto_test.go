package amqp091

import (
	"runtime"
	"testing"
	"time"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
)

func replyEntries() (tokens, chans int) {
	replyRegistry.mu.RLock()
	defer replyRegistry.mu.RUnlock()
	return len(replyRegistry.byToken), len(replyRegistry.byChan)
}

// The registry holds channels weakly: once a channel with a reply consumer
// is garbage, its entries go, with no hook in channel teardown.
func TestReplyToRegistryForgetsCollectedChannels(t *testing.T) {
	v, err := broker.New(broker.Options{}).AddVHost("/")
	if err != nil {
		t.Fatal(err)
	}
	t0, c0 := replyEntries()
	tokens := make([]string, 0, 100)
	func() {
		for range 100 {
			ch := newChannel(&conn{vhost: v}, 1)
			if err := ch.consumeReplyTo(&wire.BasicConsume{Queue: replyToQueue, NoAck: true, NoWait: true}); err != nil {
				t.Fatal(err)
			}
			tokens = append(tokens, ch.replyConsumerOf().token)
		}
	}()
	if tk, cn := replyEntries(); tk != t0+100 || cn != c0+100 {
		t.Fatalf("%d tokens, %d channels registered", tk-t0, cn-c0)
	}
	if to, _ := lookupReply(tokens[0], v); to == nil {
		t.Fatal("a live token is not found")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		tk, cn := replyEntries()
		if tk == t0 && cn == c0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d tokens and %d channels still registered after the channels were collected", tk-t0, cn-c0)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if to, _ := lookupReply(tokens[0], v); to != nil {
		t.Fatal("a collected channel's token still resolves")
	}
}

// A token resolves only in its own vhost, and only for a live channel.
func TestReplyToLookup(t *testing.T) {
	b := broker.New(broker.Options{})
	v1, _ := b.AddVHost("/")
	v2, _ := b.AddVHost("other")
	ch := newChannel(&conn{vhost: v1}, 1)
	if err := ch.consumeReplyTo(&wire.BasicConsume{Queue: replyToQueue, NoAck: true, NoWait: true}); err != nil {
		t.Fatal(err)
	}
	tok := ch.replyConsumerOf().token
	if to, _ := lookupReply(tok, v1); to != ch {
		t.Fatal("not found in its vhost")
	}
	if to, _ := lookupReply(tok, v2); to != nil {
		t.Fatal("found from another vhost")
	}
	if to, _ := lookupReply(tok+"x", v1); to != nil {
		t.Fatal("a wrong token resolves")
	}
	ch.dmu.Lock()
	ch.dead = true
	ch.dmu.Unlock()
	if to, _ := lookupReply(tok, v1); to != nil {
		t.Fatal("a dead channel's token resolves")
	}
	runtime.KeepAlive(ch)
}
