package perf

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warrenmq/warren/internal/perf/amqpc"
)

// runner is one load test in progress.
type runner struct {
	c     *Config
	st    *stats
	start time.Time

	mu    sync.Mutex
	conns []*tracked

	// stopping is set once teardown begins: from then on closed channels
	// and connections are the tool's own doing, not failures.
	stopping atomic.Bool

	failMu  sync.Mutex
	failErr error
	failed  chan struct{}

	csv      *csvOutput   // --output-file
	churnSeq atomic.Int64 // numbers churn connections, for --uris
}

// fail records the error that ends the run; only the first counts, the
// others are usually its consequences (a closed connection closes its
// channels too).
func (r *runner) fail(err error) {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	if r.failErr != nil || r.stopping.Load() {
		return
	}
	r.failErr = err
	r.st.errors.add(err, true)
	close(r.failed)
}

func (r *runner) failure() error {
	r.failMu.Lock()
	defer r.failMu.Unlock()
	return r.failErr
}

// Run executes the load test c. Progress lines go to progress, notices and
// errors to log. It returns the result even when the run failed, with the
// error that made it fail; the run is bounded in time whatever happens.
func Run(ctx context.Context, c *Config, progress, log io.Writer) (*Result, error) {
	now := time.Now()
	r := &runner{c: c, failed: make(chan struct{}), start: now}
	r.st = &stats{start: now}
	r.st.errors = newErrorLog(now, func(msg string, fatal bool) {
		if !fatal { // the fatal one is the run's error, which the caller reports
			fmt.Fprintln(log, "warren perf: warning:", msg)
		}
	})

	if c.OutputFile != "" {
		out, err := openCSV(c)
		if err != nil {
			r.fail(err)
			return r.finish(time.Time{}, nil)
		}
		r.csv, r.st.onSample = out, out.row
	}
	if c.ServersStartupTimeout > 0 {
		// Before the watchdog: --deadline bounds the run once the
		// brokers are there, the wait has its own bound.
		if err := r.waitForServers(ctx); err != nil {
			r.fail(err)
			return r.finish(time.Time{}, nil)
		}
	}

	hard, cancelHard := context.WithCancel(ctx)
	defer cancelHard()
	setupDone := make(chan struct{})
	go r.watchdog(hard, setupDone)

	if err := r.setup(hard); err != nil {
		r.fail(err)
		return r.finish(time.Time{}, nil)
	}
	// Consumers first, all registered, so that no message is sent before
	// somebody listens; then the producers; then the clock starts.
	consumers, err := r.startWorkers(hard, c.Consumers, c.ConsumerChannels, "consumer", 0, func(conn *amqpc.Conn, id, g int) (worker, error) {
		return r.newConsumer(conn, id, g)
	})
	if err != nil {
		r.fail(err)
		return r.finish(time.Time{}, nil)
	}
	producers, err := r.startWorkers(hard, c.Producers, c.ProducerChannels, "producer", c.Consumers, func(conn *amqpc.Conn, id, g int) (worker, error) {
		return r.newProducer(conn, id, g)
	})
	if err != nil {
		r.fail(err)
		return r.finish(time.Time{}, nil)
	}
	close(setupDone)

	r.start = time.Now()
	r.st.start = r.start
	r.st.errors.restart(r.start)
	sampleCtx, stopSampler := context.WithCancel(context.Background())
	samplerDone := make(chan struct{})
	go r.st.sampler(sampleCtx, c, progress, samplerDone)

	cctx, stopConsumers := context.WithCancel(hard)
	pctx, stopProducers := context.WithCancel(hard)
	cdone := r.launch(cctx, consumers)
	pdone := r.launch(pctx, producers)
	var churnDone chan struct{}
	if c.Churn != "" {
		churnDone = make(chan struct{})
		go func() {
			defer close(churnDone)
			if err := r.churn(pctx); err != nil {
				r.fail(err)
			}
		}()
	}

	r.waitForEnd(hard, pdone, cdone)
	// Rates are averaged over the time the load ran.
	end := time.Now()
	stopProducers()
	stopSampler() // the last interval ends with the load, not with the drain
	<-samplerDone
	if r.failure() == nil && hard.Err() == nil {
		// Outstanding confirms are waited for, so that confirmed == sent
		// unless the broker lost or nacked some. Consumers are not drained
		// after --time: as in PerfTest, sent - received is what was still
		// in flight or queued, which is information (a backlog) too.
		waitQuiet(pdone, c.ShutdownTimeout)
	}
	r.stopping.Store(true)
	stopConsumers()
	waitQuiet(cdone, c.ShutdownTimeout)
	return r.finish(end, churnDone)
}

// finish tears down and builds the result.
func (r *runner) finish(end time.Time, churnDone chan struct{}) (*Result, error) {
	r.stopping.Store(true)
	if end.IsZero() {
		end = time.Now()
	}
	r.closeAll()
	if churnDone != nil {
		waitQuiet(churnDone, r.c.ShutdownTimeout)
	}
	if r.csv != nil {
		if err := r.csv.close(); err != nil {
			r.st.errors.add(err, false)
		}
	}
	res := r.st.result(r.c, end)
	err := r.failure()
	if err != nil {
		res.Error = err.Error()
	}
	return res, err
}

// watchdog enforces the hard deadline: --deadline, or --time plus the
// grace for draining and closing, and a bound on the setup phase, which
// otherwise a broker that accepts connections but never answers could
// stretch forever. Past it, sockets are closed, which unblocks any call.
func (r *runner) watchdog(hard context.Context, setupDone <-chan struct{}) {
	c := r.c
	limit := c.Deadline
	if limit == 0 && c.Time > 0 {
		limit = c.Time + c.ShutdownTimeout + 2*c.ConnectTimeout + 2*time.Second
	}
	var deadline <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		deadline = t.C
	}
	setupBound := 3*c.ConnectTimeout + 5*time.Second + c.startPauses()
	setupLimit := time.NewTimer(setupBound)
	defer setupLimit.Stop()
	for {
		select {
		case <-hard.Done():
			return
		case <-setupDone:
			setupDone = nil
			setupLimit.Stop()
		case <-setupLimit.C:
			r.fail(fmt.Errorf("setup (connecting, declaring, registering consumers) did not finish within %v", setupBound))
			r.forceClose()
		case <-deadline:
			r.fail(fmt.Errorf("hard deadline of %v exceeded (see --deadline); connections closed", limit))
			r.forceClose()
			return
		}
	}
}

// setup connects once to declare the topology, which also checks the URI
// and the credentials before anything else starts.
func (r *runner) setup(ctx context.Context) error {
	conn, err := r.dial("perf setup")
	if err != nil {
		return err
	}
	defer r.closeConn(conn)
	if err := r.declare(conn); err != nil {
		return err
	}
	return ctx.Err()
}

type worker interface{ run(context.Context) error }

// startWorkers opens n connections with perConn channels each and sets a
// worker up on every channel, in parallel; it returns once all are ready.
// Connection i uses --uris entry uriBase+i (round-robin). With
// --slow-start, consumers are set up one after another instead, a pause
// apart: each starts consuming as soon as it is set up.
func (r *runner) startWorkers(ctx context.Context, n, perConn int, role string, uriBase int, mk func(*amqpc.Conn, int, int) (worker, error)) ([]worker, error) {
	out := make([]worker, n*perConn)
	errs := make([]error, n)
	setup := func(i int) {
		conn, err := r.dialData(fmt.Sprintf("perf %s %d", role, i+1), r.c.dataURI(uriBase+i))
		if err != nil {
			errs[i] = err
			return
		}
		for j := range perConn {
			g := i*perConn + j
			if g > 0 && role == "consumer" && r.c.SlowStart && !sleepCtx(ctx, slowStartPause) {
				errs[i] = ctx.Err()
				return
			}
			w, err := mk(conn, g+1, g)
			if err != nil {
				errs[i] = err
				return
			}
			out[g] = w
		}
	}
	if role == "consumer" && r.c.SlowStart {
		for i := range n {
			if setup(i); errs[i] != nil {
				break
			}
		}
	} else {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { setup(i) })
		}
		wg.Wait()
	}
	for _, e := range errs { // the first is enough; the rest repeat it
		if e != nil {
			return nil, e
		}
	}
	return out, r.failure()
}

// launch runs the workers and returns a channel closed when all returned.
func (r *runner) launch(ctx context.Context, ws []worker) chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Go(func() {
			if err := w.run(ctx); err != nil {
				r.fail(err)
			}
		})
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// waitForEnd returns when the run is over: --time elapsed, the message
// counts reached, interrupted, failed, or the deadline passed.
func (r *runner) waitForEnd(hard context.Context, pdone, cdone chan struct{}) {
	c := r.c
	var timer <-chan time.Time
	if c.Time > 0 {
		t := time.NewTimer(c.Time)
		defer t.Stop()
		timer = t.C
	}
	counted := c.PMessages > 0 || c.CMessages > 0
	pFinite := c.Producers == 0 || c.PMessages > 0
	cFinite := c.Consumers == 0 || c.CMessages > 0
	if !counted { // no counts: only time, a signal or a failure end the run
		pdone, cdone = nil, nil
	}
	if !pFinite {
		pdone = nil
	}
	if !cFinite {
		cdone = nil
	}
	pFinished, cFinished := !counted || c.Producers == 0, !counted || c.Consumers == 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	progress, lastProgress := int64(-1), time.Now()
	for {
		select {
		case <-timer:
			return
		case <-hard.Done():
			return
		case <-r.failed:
			return
		case <-pdone:
			pFinished, pdone = true, nil
		case <-cdone:
			cFinished, cdone = true, nil
		case <-tick.C:
			p := r.st.sent.Load() + r.st.received.Load() + r.st.confirmed.Load()
			if p != progress {
				progress, lastProgress = p, time.Now()
			} else if counted && c.IdleTimeout > 0 && time.Since(lastProgress) > c.IdleTimeout {
				r.fail(fmt.Errorf("no progress for %v (sent %d, received %d); see --idle-timeout", c.IdleTimeout, r.st.sent.Load(), r.st.received.Load()))
				return
			}
		}
		if !counted {
			continue
		}
		switch {
		case pFinished && cFinished && (pFinite && cFinite):
			return
		case !pFinite && cFinished && c.CMessages > 0:
			return // --cmessages alone: consumers decide
		case pFinished && pFinite && !cFinite:
			r.drainConsumers(c.ShutdownTimeout) // --pmessages alone: until nothing more arrives
			return
		}
	}
}

// drainConsumers waits for messages still in flight after the producers
// stopped, until none arrived for 300 ms or limit passed.
func (r *runner) drainConsumers(limit time.Duration) {
	end := time.Now().Add(limit)
	last, since := r.st.received.Load(), time.Now()
	for time.Now().Before(end) && time.Since(since) < 300*time.Millisecond {
		select {
		case <-r.failed:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if n := r.st.received.Load(); n != last {
			last, since = n, time.Now()
		}
	}
}

func waitQuiet(done <-chan struct{}, limit time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}
