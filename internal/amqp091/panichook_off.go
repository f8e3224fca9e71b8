//go:build !warren_panic_hook

package amqp091

import "github.com/warrenmq/warren/internal/amqp091/wire"

// panicHook is a test seam: the warren_panic_hook build tag makes it panic
// on a chosen method so tests can check that a panic costs one
// connection, not the broker. In normal builds it is empty and inlined.
func panicHook(wire.Method) {}
