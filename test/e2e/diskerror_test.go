package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/warrenmq/warren"
	"github.com/warrenmq/warren/internal/vfs"
)

// A write error in the message store (here ENOSPC, as on a full disk)
// closes the publisher with a clear 541 INTERNAL_ERROR (a hard error in
// AMQP, so its connection goes with the channel), nacks what was not
// confirmed, and the broker keeps serving: new connections work and what
// was confirmed before the failure is still there.
func TestStoreWriteErrorClosesPublisher(t *testing.T) {
	if external() {
		t.Skip("injects disk errors into the embedded broker")
	}
	var failing atomic.Bool
	fs := vfs.NewFaulty(vfs.OS(), func(op, name string) error {
		if failing.Load() && (op == vfs.OpWrite || op == vfs.OpSync) && strings.Contains(name, "queues") {
			return syscall.ENOSPC
		}
		return nil
	})
	srv, err := warren.New(warren.Config{DataDir: t.TempDir(), FS: fs})
	must(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(l)
	defer srv.Shutdown(context.Background())
	url := fmt.Sprintf("amqp://guest:guest@%s/", l.Addr())

	c, err := amqp.Dial(url)
	must(t, err)
	defer c.Close()
	ch, err := c.Channel()
	must(t, err)
	_, err = ch.QueueDeclare("disk-q", true, false, false, false, nil)
	must(t, err)
	must(t, ch.Confirm(false))
	dc, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", "disk-q", false, false,
		amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte("before")})
	must(t, err)
	if ok, err := dc.WaitContext(context.Background()); !ok || err != nil {
		t.Fatalf("confirm before the failure: %v %v", ok, err)
	}

	failing.Store(true)
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	big := make([]byte, 300<<10) // larger than the write buffer: written at once
	dc, err = ch.PublishWithDeferredConfirmWithContext(context.Background(), "", "disk-q", false, false,
		amqp.Publishing{DeliveryMode: amqp.Persistent, Body: big})
	must(t, err)
	select {
	case e := <-closed:
		if e == nil || e.Code != amqp.InternalError || !strings.Contains(e.Reason, "no space left") {
			t.Fatalf("channel closed with %v, want 541 naming the disk error", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("publishing channel not closed after the store failed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if ok, err := dc.WaitContext(ctx); ok || (err != nil && !errors.Is(err, amqp.ErrClosed) && !errors.Is(err, context.DeadlineExceeded)) {
		t.Fatalf("failed publish confirmed: ok=%v err=%v", ok, err)
	}

	// The broker keeps serving: a new connection, and the message
	// confirmed before the failure.
	failing.Store(false)
	c2, err := amqp.Dial(url)
	must(t, err)
	defer c2.Close()
	ch2, err := c2.Channel()
	must(t, err)
	d, ok, err := ch2.Get("disk-q", true)
	must(t, err)
	if !ok || string(d.Body) != "before" {
		t.Fatalf("confirmed message after the failure: ok=%v %q", ok, d.Body)
	}
}
