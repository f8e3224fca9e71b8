// Package perf is `warren perf`, a load-testing tool for AMQP 0-9-1
// brokers that accepts the main options of RabbitMQ's PerfTest (same long
// and short names: -x producers, -y consumers, -u queue, -r rate, -c
// confirm, -z time, -C/-D message counts, -vr variable rate, -qa queue
// arguments, ...) and adds what PerfTest lacks: weighted body sizes,
// --fanout and --queues shortcuts, connection/channel/queue churn, a JSON
// summary and a self-contained HTML report.
//
// How it measures:
//
//   - Every body starts with the intended send time (Unix ns), the
//     producer id and a sequence number (HeaderSize bytes). Producers and
//     consumers run in this one process, so the consumer latency is simply
//     now minus that timestamp, with no clock skew to correct.
//   - At a fixed or variable rate each producer follows a schedule and the
//     timestamp is the scheduled time, not the actual send time. A stall
//     therefore shows up in the latency of every message it delayed:
//     the coordinated-omission correction (see Pacer). Without a rate the
//     two are the same.
//   - Confirm latency runs from the same timestamp to the broker's ack.
//   - Latencies go into log-linear HDR-style histograms (Histogram: exact
//     below 128 ns, then 64 sub-buckets per power of two, ~2 significant
//     digits), one per sampling interval and one for the whole run.
//
// Topology follows PerfTest: without a queue name each consumer channel
// declares a server-named exclusive queue bound to the exchange ("direct"
// by default) with the routing key, so every consumer gets every message;
// with --queue, --queue-pattern, --queues or --fanout the named queues are
// declared up front and producers and consumers are spread over them.
//
// The later PerfTest options work as there: -H/--uris spreads the
// connections over several URIs in turn; -m/--ptxsize and -n/--ctxsize
// publish and acknowledge in transactions (the consumer's commits are
// pipelined, since acks are sent from the connection's reader, see
// tx.go); -E/--exclusive declares the named queues exclusive, on their
// consumers' connections (exclusive.go); -B/--body sends files as bodies
// and then carries the send time in a "timestamp" header instead of the
// body (bodyfiles.go); -o/--output-file writes the samples as CSV in
// PerfTest's columns (csv.go); -ms/--use-millis prints latencies in
// milliseconds; -ct/--confirm-timeout fails a producer whose confirm
// window stays full; -vl/--variable-latency varies the consumer latency
// over time; -sst/--servers-startup-timeout waits for the broker to
// listen (startup.go); -S/--slow-start starts consumers a second apart;
// -v/--version prints the version.
//
// Every run is bounded: dials and handshakes by --connect-timeout, the
// wait for the broker by --servers-startup-timeout, the setup phase, the
// run by --deadline (default --time plus grace), count
// bounded runs by --idle-timeout, and the teardown by --shutdown-timeout;
// past a bound the sockets are closed. Errors name the AMQP reply code
// (ACCESS_REFUSED (403), NOT_FOUND (404), ...) and never print the password.
package perf
