package perf

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// --servers-startup-timeout (-sst): a test started together with its
// broker (a container, a CI job) waits for the broker to listen instead
// of failing at once. Every URI must accept an AMQP connection within the
// timeout; until then a refused or failed connection is retried, a
// broker that answers with an AMQP error (a wrong password, an unknown
// virtual host) fails at once, since waiting will not change that.

// serverRetryInterval spaces the attempts; PerfTest tries once a second,
// a shorter pause starts the test sooner once the broker is up.
const serverRetryInterval = 250 * time.Millisecond

func (r *runner) waitForServers(ctx context.Context) error {
	c := r.c
	uris := c.URIs
	if len(uris) == 0 {
		uris = []string{c.URI}
	}
	deadline := time.Now().Add(c.ServersStartupTimeout)
	for _, uri := range uris {
		for {
			timeout := max(min(c.ConnectTimeout, time.Until(deadline)), 10*time.Millisecond)
			conn, err := amqpc.Dial(uri, amqpc.Config{Name: "perf startup check", Product: "warren perf", ConnectTimeout: timeout})
			if err == nil {
				_ = conn.Close(c.ConnectTimeout)
				break
			}
			last := dialError(uri, err)
			var ae *amqp.Error
			if errors.As(err, &ae) {
				return last // the broker is up and said no
			}
			wait := min(serverRetryInterval, time.Until(deadline))
			if wait <= 0 {
				return fmt.Errorf("no broker accepted a connection within %v (see --servers-startup-timeout); last attempt: %v",
					c.ServersStartupTimeout, last)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	return nil
}

// slowStartPause separates consumer starts with --slow-start (-S), as
// PerfTest's one second.
const slowStartPause = time.Second

// startPauses is the time --slow-start adds to the setup phase.
func (c *Config) startPauses() time.Duration {
	if !c.SlowStart || c.Consumers*c.ConsumerChannels < 2 {
		return 0
	}
	return time.Duration(c.Consumers*c.ConsumerChannels-1) * slowStartPause
}
