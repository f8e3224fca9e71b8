//go:build warren_panic_hook

package amqp091

import "github.com/warrenmq/warren/internal/amqp091/wire"

// PanicExchange is the exchange name whose basic.publish panics in builds
// with the warren_panic_hook tag (tests only).
const PanicExchange = "warren.test.panic"

func panicHook(m wire.Method) {
	if p, ok := m.(*wire.BasicPublish); ok && p.Exchange == PanicExchange {
		panic("warren_panic_hook: induced panic")
	}
}
