package perf

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// churn opens and closes connections, channels or queues at --churn-rate
// operations per second, beside (or instead of) the message flow. Brokers
// often cope with steady traffic and fail on churn: an unbounded table, a
// slow path in connection setup. A pacer hands out intended start times
// to --churn-concurrency workers; when they cannot keep up the pacer falls
// behind, the achieved rate shows it, and the latency (from the intended
// start, as for messages) grows instead of hiding the backlog.
func (r *runner) churn(ctx context.Context) error {
	c := r.c
	var shared *amqp.Connection
	if c.Churn != "connections" {
		conn, err := r.dial("perf churn")
		if err != nil {
			return err
		}
		shared = conn
	}
	jobs := make(chan time.Time)
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range c.ChurnConcurrency {
		wg.Go(func() {
			var ch *amqp.Channel // a queue-churn worker's own channel
			defer func() {
				if ch != nil {
					ch.Close()
				}
			}()
			for intended := range jobs {
				var err error
				switch c.Churn {
				case "connections":
					err = r.churnConnection(fmt.Sprintf("perf churn %d", w))
				case "channels":
					err = churnChannel(shared)
				case "queues":
					ch, err = r.churnQueue(shared, ch, seq.Add(1))
				}
				r.churnDone(intended, err)
			}
		})
	}
	pacer := NewPacer(Schedule{Constant: c.ChurnRate}, time.Now())
loop:
	for {
		intended, ok := pacer.Wait(ctx)
		if !ok {
			break
		}
		select {
		case jobs <- intended:
		case <-ctx.Done():
			break loop
		}
	}
	close(jobs)
	wg.Wait()
	return nil
}

func (r *runner) churnDone(intended time.Time, err error) {
	if err != nil {
		if r.stopping.Load() {
			return // torn down by the end of the run, not a failure
		}
		r.st.churnFailed.Add(1)
		r.st.errors.add(fmt.Errorf("churn %s: %w", r.c.Churn, err), false)
		return
	}
	r.st.churnOK.Add(1)
	r.st.churnLat.RecordSince(intended)
}

// churnConnection opens a connection (TCP, AMQP handshake, login) and
// closes it. These connections are not tracked for the end of the run:
// each is bounded by the connect timeout on both ends.
func (r *runner) churnConnection(name string) error {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(name)
	uri := r.c.dataURI(int(r.churnSeq.Add(1) - 1)) // --uris in turn, as for the data connections
	conn, err := amqp.DialConfig(uri, amqp.Config{
		Dial: amqp.DefaultDial(r.c.ConnectTimeout), Heartbeat: r.c.Heartbeat, Properties: props})
	if err != nil {
		return dialError(uri, err)
	}
	if err := conn.CloseDeadline(time.Now().Add(r.c.ConnectTimeout)); err != nil && !closeRace(err) {
		return fmt.Errorf("closing: %w", err)
	}
	return nil
}

// churnChannel opens and closes a channel on the shared connection.
func churnChannel(conn *amqp.Connection) error {
	ch, err := conn.Channel()
	if err != nil {
		return opError("opening a channel", err)
	}
	if err := ch.Close(); err != nil {
		return opError("closing a channel", err)
	}
	return nil
}

// churnQueue declares and deletes a queue on the worker's channel,
// opening a new one when an error has closed it. The queue is exclusive,
// so one whose delete failed still goes away with the connection.
func (r *runner) churnQueue(conn *amqp.Connection, ch *amqp.Channel, n int64) (*amqp.Channel, error) {
	if ch == nil || ch.IsClosed() {
		var err error
		if ch, err = conn.Channel(); err != nil {
			return nil, opError("opening a channel", err)
		}
	}
	name := fmt.Sprintf("perf-churn-%s-%d", r.c.ID, n)
	if _, err := ch.QueueDeclare(name, false, false, true, false, nil); err != nil {
		return ch, opError("declaring a queue", err)
	}
	if _, err := ch.QueueDelete(name, false, false, false); err != nil {
		return ch, opError("deleting a queue", err)
	}
	return ch, nil
}
