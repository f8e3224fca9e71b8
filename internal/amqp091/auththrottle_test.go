package amqp091

import (
	"net"
	"testing"
)

// Repeated failures from one address slow down its next attempts; other
// addresses and a successful login are not affected.
func TestAuthThrottle(t *testing.T) {
	var th authThrottle
	a := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1111}
	other := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 2222}
	for i := 0; i < freeFailures; i++ {
		th.failed(a)
		if d := th.delay(a); d != 0 {
			t.Fatalf("delay after %d failures: %v", i+1, d)
		}
	}
	th.failed(a)
	th.failed(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 3333}) // same host, other port
	if d := th.delay(a); d != 2*failStep {
		t.Fatalf("delay %v, want %v", d, 2*failStep)
	}
	if d := th.delay(other); d != 0 {
		t.Fatalf("another address delayed %v", d)
	}
	for i := 0; i < 100; i++ {
		th.failed(a)
	}
	if d := th.delay(a); d != maxFailDelay {
		t.Fatalf("delay not capped: %v", d)
	}
	th.succeeded(a)
	if d := th.delay(a); d != 0 {
		t.Fatalf("delay after a successful login: %v", d)
	}
	if th.total != 105 {
		t.Fatalf("counted %d failures", th.total)
	}
}
