package amqp091

import (
	"crypto/tls"
	"net"
	"testing"
)

func TestCountBytes(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ca := CountBytes(a)
	if CountBytes(ca) != ca {
		t.Error("wrapping twice")
	}
	go func() {
		buf := make([]byte, 5)
		n, _ := b.Read(buf)
		b.Write(buf[:n])
	}()
	if _, err := ca.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := ca.Read(buf); err != nil {
		t.Fatal(err)
	}
	cc := counters(ca)
	if cc == nil || cc.sendOct.Load() != 5 || cc.recvOct.Load() != 5 || cc.sendCnt.Load() != 1 {
		t.Fatalf("counters: %+v", cc)
	}
	// A TLS connection is left alone (EXTERNAL needs the *tls.Conn) and
	// its counters are found below it.
	tc := tls.Client(ca, &tls.Config{InsecureSkipVerify: true})
	if CountBytes(tc) != net.Conn(tc) {
		t.Error("TLS connection wrapped")
	}
	if counters(tc) != cc {
		t.Error("counters below TLS not found")
	}
}

func TestConnName(t *testing.T) {
	if n := connName("127.0.0.1", 5000, "::1", 5672); n != "127.0.0.1:5000 -> [::1]:5672" {
		t.Errorf("name %q", n)
	}
}
