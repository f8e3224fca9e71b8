// Package e2e holds Warren's end-to-end tests: a broker embedded in the
// test process through the public warren package, on an ephemeral loopback
// port, driven over real TCP by real client libraries
// (github.com/rabbitmq/amqp091-go) and by a raw-socket client for bad
// input.
package e2e
