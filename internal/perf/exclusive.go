package perf

import (
	"fmt"

	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// --exclusive (-E): the named queues are declared exclusive. An
// exclusive queue belongs to the connection that declared it and goes
// away with it, so the setup connection cannot declare them: each
// consumer declares (and binds) its own queues on its own connection
// before consuming, and producers, which only publish to them, may be
// anywhere. PerfTest lets consumers of the same queue share one
// connection; here each consumer has its own (with -Y channels), so a
// queue consumed from two connections is refused instead.

func (c *Config) validateExclusive(bad func(string, ...any)) {
	names := c.queueNames()
	if !c.Exclusive || names == nil {
		return // server-named queues are always exclusive
	}
	switch t, _ := c.QueueArgs["x-queue-type"].(string); {
	case c.Predeclared:
		bad("--exclusive declares the queues; --predeclared declares nothing")
		return
	case t == "quorum" || t == "stream":
		bad("%s queues cannot be exclusive: drop --exclusive", t)
		return
	case c.Consumers == 0:
		bad("--exclusive queues live on their consumers' connections: it needs --consumers >= 1")
		return
	}
	owner := map[string]int{} // queue -> the consumer connection that declares it
	for g := range c.Consumers * c.ConsumerChannels {
		conn := g / c.ConsumerChannels
		for _, q := range c.consumerQueues(g) {
			if o, ok := owner[q]; ok && o != conn {
				bad("--exclusive: queue %q would be consumed from two connections (consumers %d and %d), "+
					"and an exclusive queue admits only one; use as many queues as consumers, "+
					"or one consumer with several channels (-y 1 -Y %d)", q, o+1, conn+1, c.Consumers*c.ConsumerChannels)
				return
			}
			owner[q] = conn
		}
	}
}

// declareExclusive declares and binds a consumer's exclusive queues on
// its channel, as declare does for shared queues at setup.
func (r *runner) declareExclusive(ch *amqpc.Channel, name string, queues []string) error {
	c := r.c
	for _, q := range queues {
		if _, err := ch.QueueDeclare(q, c.Persistent, c.AutoDelete, true, wireTable(c.queueArgs())); err != nil {
			return opError(fmt.Sprintf("%s: declaring exclusive queue %q", name, q), err)
		}
		if c.Exchange != "" && !c.SkipBinding {
			if err := ch.QueueBind(q, c.bindingKey(q), c.Exchange, nil); err != nil {
				return opError(fmt.Sprintf("%s: binding queue %q to exchange %q", name, q, c.Exchange), err)
			}
		}
	}
	return nil
}
