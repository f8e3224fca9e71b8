package perf

// Transactions, PerfTest's --ptxsize (-m) and --ctxsize (-n): producer
// channels publish in transactions committed every N messages, consumer
// channels acknowledge in transactions committed every N messages.

// validateTx refuses what cannot work: a channel is either transactional
// or in confirm mode, autoack leaves nothing to commit, and a prefetch
// smaller than the transaction stalls (the broker holds the credit of
// acks in a transaction until the commit, so the N-th message never
// comes).
func (c *Config) validateTx(bad func(string, ...any)) {
	if c.ProducerTx < 0 || c.ConsumerTx < 0 {
		bad("--ptxsize and --ctxsize must be >= 0")
		return
	}
	if c.ProducerTx > 0 && c.Confirm > 0 {
		bad("--ptxsize and --confirm exclude each other: a channel is either transactional or in confirm mode")
	}
	if c.ConsumerTx == 0 {
		return
	}
	if c.AutoAck {
		bad("--ctxsize commits acknowledgements: drop --autoack")
	}
	for _, q := range []struct {
		name string
		n    int
	}{{"--qos", c.Qos}, {"--global-qos", c.GlobalQos}} {
		if q.n > 0 && q.n < c.ConsumerTx {
			bad("%s %d < --ctxsize %d would stall: acks in a transaction hold their prefetch credit until the commit", q.name, q.n, c.ConsumerTx)
		}
	}
}

// commitEvery counts one published message and commits every
// --ptxsize; the commit waits for the broker, as PerfTest's does.
func (p *producer) commitEvery() error {
	p.uncommitted++
	if p.uncommitted < p.r.c.ProducerTx {
		return nil
	}
	return p.commit()
}

func (p *producer) commit() error {
	p.uncommitted = 0
	if err := p.ch.TxCommit(); err != nil {
		return err
	}
	p.r.st.producerCommits.Add(1)
	return nil
}

// commitRest commits the publishes of an unfinished transaction when
// publishing stops, so that every message counted as sent is routed.
func (p *producer) commitRest() error {
	if p.uncommitted == 0 {
		return nil
	}
	return p.commit()
}

// commitAcks counts one settled message and commits every --ctxsize.
// It runs on the reader goroutine, which cannot wait for a reply it
// reads itself: the commit is pipelined (amqpc.TxCommitAsync).
func (k *consumer) commitAcks() error {
	k.uncommitted++
	if k.uncommitted < k.r.c.ConsumerTx {
		return nil
	}
	k.uncommitted = 0
	if err := k.ch.TxCommitAsync(); err != nil {
		return err
	}
	k.r.st.consumerCommits.Add(1)
	return nil
}

// commitAcksRest commits what --cmessages left in a transaction, from the
// consumer's run goroutine, waiting for the commit-ok.
func (k *consumer) commitAcksRest() error {
	if k.uncommitted == 0 {
		return nil
	}
	k.uncommitted = 0
	if err := k.ch.TxCommit(); err != nil {
		return err
	}
	k.r.st.consumerCommits.Add(1)
	return nil
}
