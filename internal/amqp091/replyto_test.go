package amqp091

import (
	"testing"

	"github.com/warrenmq/warren/internal/amqp091/wire"
	"github.com/warrenmq/warren/internal/broker"
)

func replyTestChannel(s *Server, v *broker.VHost) *channel {
	return newChannel(&conn{srv: s, vhost: v}, 1)
}

// A token resolves only in its own vhost and only while its channel lives;
// channel cleanup removes it from the server's registry.
func TestReplyToLookup(t *testing.T) {
	b := broker.New(broker.Options{})
	v1, _ := b.AddVHost("/")
	v2, _ := b.AddVHost("other")
	s := &Server{}
	ch := replyTestChannel(s, v1)
	if err := ch.consumeReplyTo(&wire.BasicConsume{Queue: replyToQueue, NoAck: true, NoWait: true}); err != nil {
		t.Fatal(err)
	}
	tok := ch.replyConsumerOf().token
	if to, _ := s.lookupReply(tok, v1); to != ch {
		t.Fatal("not found in its vhost")
	}
	if to, _ := s.lookupReply(tok, v2); to != nil {
		t.Fatal("found from another vhost")
	}
	if to, _ := s.lookupReply(tok+"x", v1); to != nil {
		t.Fatal("a wrong token resolves")
	}
	ch.dmu.Lock()
	ch.dead = true
	ch.dmu.Unlock()
	if to, _ := s.lookupReply(tok, v1); to != nil {
		t.Fatal("a dead channel's token resolves")
	}
	ch.dropReplyTo()
	s.replies.mu.RLock()
	n := len(s.replies.byToken)
	s.replies.mu.RUnlock()
	if n != 0 {
		t.Fatalf("%d tokens left after cleanup", n)
	}
}
