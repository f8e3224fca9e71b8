package amqpc

import "github.com/warrenmq/warren/internal/amqp091/wire"

// Transactions (tx.select, tx.commit), for load tests of transactional
// publishing and acknowledging (PerfTest's --ptxsize and --ctxsize).
//
// A publisher commits from its own goroutine and waits: TxCommit. A
// consumer acknowledges on the reader goroutine, which cannot wait for a
// reply it would have to read itself, so it pipelines: TxCommitAsync
// buffers the commit like an ack, and the reader swallows the matching
// commit-ok (replies on a channel come in order, so the first ones are
// the pipelined commits'); a failed commit closes the channel, which its
// owner sees as usual.

// TxSelect puts the channel in transaction mode.
func (ch *Channel) TxSelect() error {
	r, err := ch.call(&wire.TxSelect{})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.TxSelectOk); !ok {
		return unexpected("tx.select-ok", r)
	}
	return nil
}

// TxCommit commits the transaction (publishes and acks sent since the
// last commit: buffered ones are written first) and waits for the
// broker's commit-ok. Not from a callback: use TxCommitAsync there.
func (ch *Channel) TxCommit() error {
	r, err := ch.call(&wire.TxCommit{})
	if err != nil {
		return err
	}
	if _, ok := r.(*wire.TxCommitOk); !ok {
		return unexpected("tx.commit-ok", r)
	}
	return nil
}

// TxCommitAsync buffers a tx.commit without waiting for its commit-ok,
// which the reader consumes; it may be called from a callback. Like Ack,
// the reader flushes it before it next waits.
func (ch *Channel) TxCommitAsync() error {
	c := ch.c
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return c.werr
	}
	ch.asyncCommits.Add(1) // before the frame can reach the broker
	c.wbuf = wire.AppendMethodFrame(c.wbuf, ch.id, &ch.commit)
	if len(c.wbuf) >= flushAt {
		return c.flushLocked()
	}
	return nil
}

// commitOK handles a tx.commit-ok on the reader goroutine: true when it
// answered a TxCommitAsync, false when a TxCommit waits for it.
func (ch *Channel) commitOK() bool {
	for {
		n := ch.asyncCommits.Load()
		if n == 0 {
			return false
		}
		if ch.asyncCommits.CompareAndSwap(n, n-1) {
			return true
		}
	}
}
